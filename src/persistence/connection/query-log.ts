import type { LogConfig, LogEvent } from 'kysely'

/** One statement the adapter ran, for the `log` option of the adapter. */
export interface QueryLogEvent {
  /** `error` when the statement failed. */
  readonly level: 'query' | 'error'
  /** The SQL text (`COPY … FROM STDIN` for bulk copies on a server). */
  readonly sql: string
  /**
   * The bound parameters with `logParameters: true`; otherwise undefined, so that values
   * (personal data, secrets) never reach a log by default. {@link parameterCount} says how many.
   */
  readonly parameters: readonly unknown[] | undefined
  readonly parameterCount: number
  /** Wall time of the statement, in milliseconds. */
  readonly durationMs: number
  /** The driver's error, for `level: 'error'`. */
  readonly error?: unknown
}

/** Receives every statement; it must not throw (what it throws is ignored). */
export type QueryLogger = (event: QueryLogEvent) => void

export interface QueryLogOptions {
  /** Called after every statement, with its text, parameter count and duration. */
  readonly log?: QueryLogger | undefined
  /** Include the parameter values in {@link QueryLogEvent.parameters} (default false: redacted). */
  readonly logParameters?: boolean | undefined
}

/** The adapter's logger, ready for Kysely and for the COPY path. */
export interface StatementLog {
  readonly kysely: LogConfig | undefined
  /** Reports a statement that did not go through Kysely (COPY, prepared statements). */
  report(sql: string, parameters: readonly unknown[], durationMs: number, error?: unknown): void
}

export function statementLog(options: QueryLogOptions): StatementLog {
  const log = options.log
  const withParameters = options.logParameters === true
  const emit = (event: QueryLogEvent): void => {
    try {
      log?.(event)
    } catch {
      // A logger's failure must not fail the statement it reports.
    }
  }
  return {
    kysely:
      log === undefined
        ? undefined
        : (event: LogEvent) =>
            emit({
              level: event.level,
              sql: event.query.sql,
              parameters: withParameters ? event.query.parameters : undefined,
              parameterCount: event.query.parameters.length,
              durationMs: event.queryDurationMillis,
              ...(event.level === 'error' ? { error: event.error } : {}),
            }),
    report(sql, parameters, durationMs, error) {
      if (log === undefined) return
      emit({
        level: error === undefined ? 'query' : 'error',
        sql,
        parameters: withParameters ? parameters : undefined,
        parameterCount: parameters.length,
        durationMs,
        ...(error === undefined ? {} : { error }),
      })
    },
  }
}

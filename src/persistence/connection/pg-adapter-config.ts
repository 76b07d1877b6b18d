import type { QueryLogOptions } from './query-log.ts'
import pg from 'pg'
import type { ClientConfig, PoolConfig } from 'pg'
import type { ConnectionOptions } from 'node:tls'
import type { PostgresTarget } from './connection-target.ts'
import { CheapValidationError } from '../../errors.ts'
import { describe } from '../../model/names.ts'
import { quoteIdentifier } from '../schema/identifiers.ts'
import { CHEAP_TYPE_PARSERS } from './type-parsers.ts'

/** How the adapter talks to the database; every field optional. */
export interface PostgresAdapterOptions extends QueryLogOptions {
  /** Maximum connections in the pool (default 10). */
  readonly poolSize?: number | undefined
  /** TLS: `true` for the system's CAs, or node:tls options (ca, cert, key, rejectUnauthorized…). */
  readonly ssl?: boolean | ConnectionOptions | undefined
  /** Shown in `pg_stat_activity` (default `cheap-db-postgres`). */
  readonly applicationName?: string | undefined
  /** The PostgreSQL schema every connection uses (its `search_path`), default `public`. */
  readonly schema?: string | undefined
  /** Limit for opening a connection, including the first check in `create()` (default 10 000). */
  readonly connectTimeoutMs?: number | undefined
  /** Server-side `statement_timeout` of every connection; unset = the server's setting. */
  readonly statementTimeoutMs?: number | undefined
  /**
   * How long a call waits for a pooled connection when all `poolSize` are in use (default
   * 30 000): then it fails with a `CheapTimeoutError` instead of waiting forever (0: no limit).
   * Opening a new connection for a call is also bounded by it (and by `connectTimeoutMs`).
   */
  readonly poolTimeoutMs?: number | undefined
  /**
   * For PgBouncer in transaction pooling mode (or `?pgbouncer=true` on the connection string):
   * consecutive transactions of one client may run on different server sessions, so the adapter
   * keeps no state in a session. It sends no startup parameters (PgBouncer refuses them): the
   * settings it needs (`TimeZone` UTC, `DateStyle` ISO, `bytea_output` hex,
   * `extra_float_digits` ≥ 1, the schema as `search_path`) must be the database's or role's
   * defaults, and `create()` refuses a connection without them, naming the `ALTER DATABASE`
   * to run. No named prepared statements; the schema lock of `migrate` is transaction-scoped
   * anyway. `statementTimeoutMs` is refused with it (set `statement_timeout` on the role, or
   * PgBouncer's `query_timeout`). Default false.
   */
  readonly transactionPooling?: boolean | undefined
}

export const DEFAULT_POOL_SIZE = 10
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
export const DEFAULT_POOL_TIMEOUT_MS = 30_000

/**
 * Output formats the type parsers rely on, pinned so a server's own defaults cannot change what
 * the DAO reads: UTC ISO timestamps (`2024-01-01 00:00:00+00`), hex bytea, and shortest-exact
 * float text (a server with extra_float_digits = 0 would round doubles to 15 digits).
 */
export const SESSION_SETTINGS = [
  '-c TimeZone=UTC',
  '-c DateStyle=ISO',
  '-c bytea_output=hex',
  '-c extra_float_digits=1',
] as const

/**
 * The pg pool configuration. Session settings travel in the startup packet (`options`), so they
 * cost no round trip per connection: {@link SESSION_SETTINGS} and the search_path of the
 * adapter's schema.
 */
export function buildPoolConfig(
  target: PostgresTarget,
  options: PostgresAdapterOptions,
  schema: string,
): PoolConfig {
  checkAdapterOptions(options)
  const settings = [...SESSION_SETTINGS, `-c search_path=${quoteIdentifier(schema)}`]
  if (options.statementTimeoutMs !== undefined) {
    settings.push(`-c statement_timeout=${Math.max(0, Math.floor(options.statementTimeoutMs))}`)
  }
  // Transaction pooling: no startup parameters at all (checked instead, session-settings.ts).
  const startup = options.transactionPooling === true ? undefined : settings.join(' ')
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const config: PoolConfig = {
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    // pg-pool applies connectionTimeoutMillis to a caller waiting for a free client (and to a
    // connection it opens for one); each client gets connectTimeoutMs for opening its socket.
    connectionTimeoutMillis: options.poolTimeoutMs ?? DEFAULT_POOL_TIMEOUT_MS,
    Client: clientWithConnectTimeout(connectTimeoutMs),
    types: CHEAP_TYPE_PARSERS,
    fallback_application_name: 'cheap-db-postgres',
    ...(startup === undefined ? {} : { options: startup }),
    ...(options.applicationName === undefined ? {} : { application_name: options.applicationName }),
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
  }
  if ('connectionString' in target) {
    const connectionString =
      startup === undefined
        ? target.connectionString
        : withStartupOptions(target.connectionString, startup)
    return { ...config, connectionString }
  }
  return {
    ...config,
    ...(target.host === undefined ? {} : { host: target.host }),
    ...(target.port === undefined ? {} : { port: target.port }),
    ...(target.database === undefined ? {} : { database: target.database }),
    ...(target.user === undefined ? {} : { user: target.user }),
    ...(target.password === undefined ? {} : { password: target.password }),
  }
}

/** Rejects option values the pool would misread (a pool of 0 waits forever, NaN disables a limit). */
export function checkAdapterOptions(options: PostgresAdapterOptions): void {
  const pooling: unknown = options.transactionPooling
  if (pooling !== undefined && typeof pooling !== 'boolean') {
    throw new CheapValidationError(
      `transactionPooling must be true or false, got ${describe(pooling)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  if (pooling === true && options.statementTimeoutMs !== undefined) {
    throw new CheapValidationError(
      'statementTimeoutMs cannot be used with transactionPooling: it is a session setting, and ' +
        'a transaction pooler gives each transaction any server session. Set it on the server ' +
        "instead (ALTER ROLE … SET statement_timeout = '30s'), or PgBouncer's query_timeout",
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  const size: unknown = options.poolSize
  if (size !== undefined && !(Number.isInteger(size) && (size as number) >= 1)) {
    throw new CheapValidationError(
      `poolSize must be a whole number of connections, at least 1, got ${describe(size)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  for (const name of ['connectTimeoutMs', 'statementTimeoutMs', 'poolTimeoutMs'] as const) {
    const value: unknown = options[name]
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isFinite(value) && value >= 0)
    ) {
      throw new CheapValidationError(
        `${name} must be a number of milliseconds, 0 or more, got ${describe(value)}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
  }
}

/** A pg.Client class whose connection attempts give up after `connectTimeoutMs`. */
function clientWithConnectTimeout(connectTimeoutMs: number): NonNullable<PoolConfig['Client']> {
  return class extends pg.Client {
    constructor(config?: ClientConfig) {
      super({ ...config, connectionTimeoutMillis: connectTimeoutMs })
    }
  }
}

/**
 * pg lets the fields of a connection string override the config object, so an `options=`
 * parameter in the URL would silently drop ours: append ours to it (a later `-c` wins).
 */
function withStartupOptions(connectionString: string, startup: string): string {
  let url: URL
  try {
    url = new URL(connectionString)
  } catch {
    return connectionString
  }
  const theirs = url.searchParams.get('options')
  if (theirs === null) return connectionString
  url.searchParams.set('options', `${theirs} ${startup}`)
  return url.toString()
}

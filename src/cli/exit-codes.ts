import { isCheapError, type CheapErrorCode } from '../errors.ts'

/** The exit codes of `cheap`, documented in the README and in `cheap --help`. */
export const EXIT = {
  OK: 0,
  /** Anything not foreseen: a bug, or a failure the library does not classify. */
  UNEXPECTED: 1,
  /** Bad command line: unknown command or option, missing or extra argument. */
  USAGE: 2,
  /** Bad input: invalid JSON, a value of the wrong type, a malformed catalog id. */
  VALIDATION: 3,
  /** The database holds something else: the catalog exists, a stale revision, a constraint. */
  CONFLICT: 4,
  /** The database could not be reached or opened, did not answer in time, or ran out of resources. */
  CONNECTION: 5,
  /** No such catalog (or input file). */
  NOT_FOUND: 6,
  /** The CHEAP schema is missing, incomplete or of another version. */
  SCHEMA: 7,
  /**
   * Interrupted (Ctrl-C, SIGINT) or aborted: the running transaction was rolled back. 128 + 2,
   * what a shell reports for a process SIGINT ended.
   */
  INTERRUPTED: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

const BY_CODE: Readonly<Record<CheapErrorCode, ExitCode>> = {
  VALIDATION: EXIT.VALIDATION,
  NOT_FOUND: EXIT.NOT_FOUND,
  CONFLICT: EXIT.CONFLICT,
  INTEGRITY: EXIT.CONFLICT,
  SCHEMA_MISMATCH: EXIT.SCHEMA,
  CONNECTION: EXIT.CONNECTION,
  TIMEOUT: EXIT.CONNECTION,
  RESOURCE: EXIT.CONNECTION,
  ABORTED: EXIT.INTERRUPTED,
}

/** The rows of the exit-code table, for `cheap --help`. */
export const EXIT_CODE_HELP: readonly (readonly [ExitCode, string])[] = [
  [EXIT.OK, 'success'],
  [EXIT.UNEXPECTED, 'unexpected error (a bug: the stack trace is printed)'],
  [EXIT.USAGE, 'usage: unknown command or option, missing or extra argument'],
  [EXIT.VALIDATION, 'invalid input: bad JSON, a wrong value, a malformed catalog id'],
  [EXIT.CONFLICT, 'conflict: the catalog exists (use --force), a stale revision, a constraint'],
  [
    EXIT.CONNECTION,
    'the database cannot be reached or opened, timed out, or ran out of memory or disk',
  ],
  [EXIT.NOT_FOUND, 'no such catalog, or no such input file'],
  [EXIT.SCHEMA, 'the CHEAP schema is missing or of another version (cheap schema create)'],
  [EXIT.INTERRUPTED, 'interrupted (Ctrl-C): the running save or load was rolled back'],
]

/**
 * A failure the CLI itself detects, with the exit code to use; printed without a stack trace.
 * `hint` says what to do next.
 */
export class CliError extends Error {
  override readonly name = 'CliError'
  readonly exitCode: ExitCode
  readonly hint: string | undefined

  constructor(exitCode: ExitCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.exitCode = exitCode
    this.hint = hint
  }
}

/** A bad command line (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(EXIT.USAGE, message, hint)
  }
}

/** The exit code for any error: CLI errors carry theirs, CheapErrors map by code. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode
  if (isCheapError(error)) return BY_CODE[error.code]
  return EXIT.UNEXPECTED
}

/** True for the errors a person can act on from the message alone (no stack trace needed). */
export function isExpected(error: unknown): boolean {
  return error instanceof CliError || isCheapError(error)
}

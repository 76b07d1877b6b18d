/**
 * The one error family of cheap-db-postgres. Every failure the library reports on purpose is a
 * `CheapError` with a `code` from a closed union, so callers branch on `error.code` (or
 * {@link isCheapError}) instead of parsing messages or testing driver classes.
 *
 * @example
 * ```ts
 * try {
 *   await dao.saveCatalog(catalog)
 * } catch (error) {
 *   if (isCheapError(error, 'CONFLICT')) await retryWithFreshCopy()
 *   else throw error
 * }
 * ```
 */
export const CHEAP_ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'INTEGRITY',
  'SCHEMA_MISMATCH',
  'CONNECTION',
  'TIMEOUT',
  'RESOURCE',
  'ABORTED',
] as const

export type CheapErrorCode = (typeof CHEAP_ERROR_CODES)[number]

/**
 * Why a value or a structure was rejected. Stable identifiers for tests and for programs that
 * want to react to one kind of bad input; the message says the same for people.
 */
export const VALIDATION_REASONS = [
  'WRONG_TYPE',
  'NOT_NULLABLE',
  'MISSING_PROPERTY',
  'OUT_OF_RANGE',
  'TOO_LONG',
  'INVALID_TEXT',
  'INVALID_URI',
  'INVALID_UUID',
  'INVALID_DATETIME',
  'INVALID_DECIMAL',
  'INVALID_NAME',
  'DUPLICATE_NAME',
  'UNKNOWN_PROPERTY',
  'NOT_WRITABLE',
  'NOT_READABLE',
  'NOT_MUTABLE',
  'EMPTY_IMMUTABLE_DEF',
  'SPECIES_UPSTREAM',
  'WRONG_ASPECT_DEF',
  'WRONG_HIERARCHY',
  'INVALID_TREE',
  'INVALID_JSON',
  'INVALID_ARGUMENT',
] as const

export type ValidationReason = (typeof VALIDATION_REASONS)[number]

export interface CheapErrorOptions {
  readonly cause?: unknown
}

/** Base class: `code` tells what kind of failure this is; `message` says it for people. */
export class CheapError extends Error {
  override readonly name: string = 'CheapError'
  readonly code: CheapErrorCode

  constructor(code: CheapErrorCode, message: string, options: CheapErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }
}

export interface CheapValidationErrorOptions extends CheapErrorOptions {
  readonly reason: ValidationReason
  readonly aspectDefName?: string
  readonly propertyName?: string
  /** Where in a JSON document the bad input sits, e.g. `hierarchies.person.contents.<uuid>.age`. */
  readonly path?: string
}

/** Bad input: rejected before anything was written. */
export class CheapValidationError extends CheapError {
  override readonly name = 'CheapValidationError'
  readonly reason: ValidationReason
  readonly aspectDefName: string | undefined
  readonly propertyName: string | undefined
  readonly path: string | undefined

  constructor(message: string, options: CheapValidationErrorOptions) {
    super('VALIDATION', message, options)
    this.reason = options.reason
    this.aspectDefName = options.aspectDefName
    this.propertyName = options.propertyName
    this.path = options.path
  }
}

/** Something named does not exist (a catalog, a hierarchy, an AspectDef, a tree path). */
export class CheapNotFoundError extends CheapError {
  override readonly name = 'CheapNotFoundError'
  constructor(message: string, options: CheapErrorOptions = {}) {
    super('NOT_FOUND', message, options)
  }
}

export interface CheapConflictErrorOptions extends CheapErrorOptions {
  /** The stored revision when an optimistic-locking check failed. */
  readonly storedRevision?: bigint
  readonly expectedRevision?: bigint
  /** The AspectDef whose shapes conflict, or that is still in use. */
  readonly aspectDefName?: string
  /** The property the conflicting shapes disagree on. */
  readonly propertyName?: string
  /** The Java-parity hash of the stored version, and of the shape that was refused. */
  readonly storedHash?: bigint
  readonly newHash?: bigint
  /** Catalogs concerned: those still using an AspectDef, or those that cannot move. */
  readonly catalogIds?: readonly string[]
}

/**
 * Two versions of the same thing disagree: a stale revision, an AspectDef shape its stored
 * versions do not allow, an AspectDef still in use.
 */
export class CheapConflictError extends CheapError {
  override readonly name = 'CheapConflictError'
  readonly storedRevision: bigint | undefined
  readonly expectedRevision: bigint | undefined
  readonly aspectDefName: string | undefined
  readonly propertyName: string | undefined
  readonly storedHash: bigint | undefined
  readonly newHash: bigint | undefined
  readonly catalogIds: readonly string[]
  constructor(message: string, options: CheapConflictErrorOptions = {}) {
    super('CONFLICT', message, options)
    this.storedRevision = options.storedRevision
    this.expectedRevision = options.expectedRevision
    this.aspectDefName = options.aspectDefName
    this.propertyName = options.propertyName
    this.storedHash = options.storedHash
    this.newHash = options.newHash
    this.catalogIds = options.catalogIds ?? []
  }
}

export interface CheapIntegrityErrorOptions extends CheapErrorOptions {
  readonly sqlState?: string
  readonly constraint?: string
  readonly table?: string
  readonly detail?: string
}

/** The database refused a write on a constraint (SQLSTATE class 23). */
export class CheapIntegrityError extends CheapError {
  override readonly name = 'CheapIntegrityError'
  readonly sqlState: string | undefined
  readonly constraint: string | undefined
  readonly table: string | undefined
  readonly detail: string | undefined
  constructor(message: string, options: CheapIntegrityErrorOptions = {}) {
    super('INTEGRITY', message, options)
    this.sqlState = options.sqlState
    this.constraint = options.constraint
    this.table = options.table
    this.detail = options.detail
  }
}

export interface CheapSchemaMismatchErrorOptions extends CheapErrorOptions {
  readonly missingTables?: readonly string[]
  readonly unexpectedTables?: readonly string[]
}

/** The database schema is missing, partial, or of another version. */
export class CheapSchemaMismatchError extends CheapError {
  override readonly name = 'CheapSchemaMismatchError'
  readonly missingTables: readonly string[]
  readonly unexpectedTables: readonly string[]
  constructor(message: string, options: CheapSchemaMismatchErrorOptions = {}) {
    super('SCHEMA_MISMATCH', message, options)
    this.missingTables = options.missingTables ?? []
    this.unexpectedTables = options.unexpectedTables ?? []
  }
}

/** The database could not be reached or the connection broke. */
export class CheapConnectionError extends CheapError {
  override readonly name = 'CheapConnectionError'
  /** The connection target with its password masked, e.g. `postgres://app:***@db:5432/cheap`. */
  readonly target: string
  constructor(message: string, options: CheapErrorOptions & { readonly target: string }) {
    super('CONNECTION', message, options)
    this.target = options.target
  }
}

/** A statement or a connection attempt took longer than its configured limit. */
export class CheapTimeoutError extends CheapError {
  override readonly name = 'CheapTimeoutError'
  constructor(message: string, options: CheapErrorOptions = {}) {
    super('TIMEOUT', message, options)
  }
}

/**
 * The database ran out of something: memory (SQLSTATE 53200; embedded PGlite has at most 2 GB of
 * WebAssembly memory), disk (53100), connection slots (53300), or hit one of PostgreSQL's fixed
 * limits (54xxx: a value or a statement too large). The work was rolled back; smaller pieces, a
 * bigger server, or a server instead of the embedded database, get it through.
 */
export class CheapResourceError extends CheapError {
  override readonly name = 'CheapResourceError'
  /** The SQLSTATE PostgreSQL reported. */
  readonly sqlState: string
  constructor(message: string, options: CheapErrorOptions & { readonly sqlState: string }) {
    super('RESOURCE', message, options)
    this.sqlState = options.sqlState
  }
}

/**
 * The caller's `AbortSignal` was aborted (or its `onProgress` asked to stop by aborting it): the
 * call stopped between two statements, its transaction was rolled back and nothing was written.
 * `cause` is `signal.reason`, as Node's own `AbortError` carries it.
 *
 * Why a `CheapError` and not the signal's reason (a DOMException `AbortError`) rethrown as is:
 * every failure the library reports on purpose is a `CheapError` with a code from the closed
 * union, so one `switch (error.code)` stays exhaustive and the CLI maps it to an exit code; the
 * reason is not lost (`cause`). Its `name` is `AbortError`, like Node's and the DOM's abort
 * errors, so code that already ignores aborts by `error.name === 'AbortError'` keeps working.
 *
 * @example
 * ```ts
 * const controller = new AbortController()
 * setTimeout(() => controller.abort(), 5_000)
 * try {
 *   await dao.saveCatalog(catalog, { signal: controller.signal })
 * } catch (error) {
 *   if (isCheapError(error, 'ABORTED')) console.log('gave up; nothing was written')
 *   else throw error
 * }
 * ```
 */
export class CheapAbortError extends CheapError {
  override readonly name = 'AbortError'
  constructor(message: string, options: CheapErrorOptions = {}) {
    super('ABORTED', message, options)
  }
}

/**
 * Throws a {@link CheapAbortError} (cause: `signal.reason`) when `signal` is aborted; `what`
 * names the call in the message, e.g. `saving catalog <id>`, and `consequence` says what that
 * means, e.g. `nothing was written`.
 *
 * @internal
 */
export function throwIfAborted(
  signal: AbortSignal | undefined,
  what: string,
  consequence?: string,
): void {
  if (signal?.aborted !== true) return
  const reason: unknown = signal.reason
  const why =
    reason instanceof Error && reason.message !== '' && reason.name !== 'AbortError'
      ? `: ${reason.message}`
      : ''
  const then = consequence === undefined ? '' : `; ${consequence}`
  throw new CheapAbortError(`${what}: aborted${why}${then}`, { cause: reason })
}

/**
 * Checks the `signal` and `onProgress` options of a call (`what`, e.g. `saveCatalog`) before it
 * does anything: an `AbortSignal` (or undefined) and a function (or undefined), else a
 * `CheapValidationError` with reason `INVALID_ARGUMENT`.
 *
 * @internal
 */
export function checkAbortOptions(
  what: string,
  options: { readonly signal?: unknown; readonly onProgress?: unknown },
): void {
  const { signal, onProgress } = options
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new CheapValidationError(
      `${what}: signal must be an AbortSignal (e.g. new AbortController().signal), got ${describeOption(signal)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new CheapValidationError(
      `${what}: onProgress must be a function, got ${describeOption(onProgress)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
}

/** An AbortSignal, also one of another realm or a polyfill (checked by shape). */
function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) return true
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { aborted?: unknown }).aborted === 'boolean' &&
    typeof (value as { addEventListener?: unknown }).addEventListener === 'function'
  )
}

function describeOption(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}

/** True when `error` is a {@link CheapError}, optionally of the given `code`. */
export function isCheapError(error: unknown, code?: CheapErrorCode): error is CheapError {
  return error instanceof CheapError && (code === undefined || error.code === code)
}

import {
  CheapConflictError,
  CheapConnectionError,
  CheapIntegrityError,
  CheapResourceError,
  CheapSchemaMismatchError,
  CheapTimeoutError,
  CheapValidationError,
  isCheapError,
} from '../../errors.ts'

/**
 * The fields pg's `DatabaseError` and PGlite's error class share. Their classes differ (PGlite's
 * prints as `O` once minified), so errors are recognised by shape, never by `instanceof`.
 */
interface DriverErrorLike {
  readonly code?: unknown
  readonly message?: unknown
  readonly constraint?: unknown
  readonly table?: unknown
  readonly detail?: unknown
}

const INTEGRITY_KINDS: Readonly<Record<string, string>> = {
  '23505': 'unique constraint',
  '23503': 'foreign key',
  '23502': 'not-null constraint',
  '23514': 'check constraint',
  '23P01': 'exclusion constraint',
}

// Node socket errors and the pg client's own messages when a connection dies mid-use.
const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'])
const BROKEN_CONNECTION = /^Connection terminated|^Client has encountered a connection error/
// Kysely's and pg-pool's words for a call through an adapter after `adapter.close()`.
const CLOSED =
  /^driver has already been destroyed$|^Cannot use a pool after calling end on the pool$/

/**
 * Maps a driver error to the {@link CheapError} family by SQLSTATE (`error.code`); `context`
 * says what was being done ("saving catalog 1f…"). CheapErrors and unknown errors are returned
 * unchanged, so `throw mapDatabaseError(e, …)` is always safe.
 *
 * @example
 * ```ts
 * try {
 *   await db.insertInto('catalog').values(row).execute()
 * } catch (error) {
 *   throw mapDatabaseError(error, `saving catalog ${row.catalog_id}`)
 * }
 * ```
 */
export function mapDatabaseError(error: unknown, context?: string, target = 'PostgreSQL'): unknown {
  if (isCheapError(error) || typeof error !== 'object' || error === null) return error
  const driverError = error as DriverErrorLike
  const code = typeof driverError.code === 'string' ? driverError.code : ''
  const message = typeof driverError.message === 'string' ? driverError.message : 'unknown error'
  const prefix = context === undefined ? '' : `${context}: `
  const options = { cause: error }

  const kind = INTEGRITY_KINDS[code]
  if (kind !== undefined) {
    const detail = stringField(driverError.detail)
    const constraint = stringField(driverError.constraint)
    const table = stringField(driverError.table)
    return new CheapIntegrityError(
      `${prefix}${kind} violated: ${message}${detail === undefined ? '' : ` (${detail})`}`,
      {
        ...options,
        sqlState: code,
        ...(constraint === undefined ? {} : { constraint }),
        ...(table === undefined ? {} : { table }),
        ...(detail === undefined ? {} : { detail }),
      },
    )
  }
  if (code === '40001' || code === '40P01') {
    const what = code === '40001' ? 'serialization failure' : 'deadlock'
    return new CheapConflictError(
      `${prefix}${what} (${code}), retry the transaction: ${message}`,
      options,
    )
  }
  if (code === '54000' && /index row/.test(message)) {
    return new CheapValidationError(
      `${prefix}a name too long for the database: ${tooLongWhat(message)} must stay under about ` +
        `2,700 bytes of UTF-8 (after compression) to be indexed (${message})`,
      { ...options, reason: 'TOO_LONG' },
    )
  }
  if (code.startsWith('53') || code.startsWith('54')) {
    return new CheapResourceError(`${prefix}${resourceWhat(code, target)} (${code}): ${message}`, {
      ...options,
      sqlState: code,
    })
  }
  if (code === '57014') {
    return new CheapTimeoutError(`${prefix}statement cancelled (57014): ${message}`, options)
  }
  if (error instanceof Error && CLOSED.test(message)) {
    return new CheapConnectionError(
      `${prefix}the adapter for ${target} is closed (adapter.close() was called): open a new one`,
      { ...options, target },
    )
  }
  if (
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    SOCKET_CODES.has(code) ||
    BROKEN_CONNECTION.test(message)
  ) {
    return new CheapConnectionError(
      `${prefix}lost the connection to ${target}${code === '' ? '' : ` (${code})`}: ${message}`,
      { ...options, target },
    )
  }
  if (code === '42P01' || code === '3F000') {
    const missing = /relation "([^"]+)" does not exist/.exec(message)?.[1]
    return new CheapSchemaMismatchError(
      `${prefix}schema not created (${code}: ${message}): run PostgresSchema.createSchema ` +
        'or `cheap schema create`',
      { ...options, ...(missing === undefined ? {} : { missingTables: [missing] }) },
    )
  }
  return error
}

/** What ran out, for a 53xxx (insufficient resources) or 54xxx (program limit) SQLSTATE. */
function resourceWhat(code: string, target: string): string {
  const embedded = target.startsWith('embedded')
  switch (code) {
    case '53200':
      return embedded
        ? 'the embedded database ran out of memory (PGlite has at most 2 GB of WebAssembly ' +
            'memory): save or load in smaller pieces (partial calls), or use a PostgreSQL server'
        : `${target} ran out of memory: do the work in smaller pieces, or give the server more`
    case '53100':
      return `${target} ran out of disk space`
    case '53300':
      return `${target} has no free connection slots: lower poolSize, raise max_connections, or pool with PgBouncer`
    default:
      return code.startsWith('53')
        ? `${target} ran out of resources`
        : `a fixed PostgreSQL limit was exceeded (a value, an array or a statement too large)`
  }
}

/** Which user-chosen text an index that overflowed (54000 "index row size …") holds. */
function tooLongWhat(message: string): string {
  const index = /for index "([^"]+)"/.exec(message)?.[1] ?? ''
  if (index === 'aspect_def_name_key') return 'an AspectDef name'
  if (/^property|column_mapping/.test(index)) return 'a property name'
  if (index.includes('entity_directory')) return 'an entity directory key'
  if (index.includes('entity_tree_node')) {
    return 'an entity tree path (the node names from the root down, joined by "/")'
  }
  if (index.startsWith('hierarchy')) return 'a hierarchy name'
  return 'every name, directory key and tree path'
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

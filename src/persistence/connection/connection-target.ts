/** Where a real PostgreSQL server is: a connection string, or its parts (missing parts use libpq's defaults). */
export type PostgresTarget =
  | { readonly connectionString: string }
  | {
      readonly host?: string
      readonly port?: number
      readonly database?: string
      readonly user?: string
      readonly password?: string
    }

const MASK = '***'

/**
 * The target for messages and logs, password masked:
 * `postgres://app:***@db.example:5432/cheap`. Never contains the password, whatever the input.
 */
export function describeTarget(target: PostgresTarget): string {
  if ('connectionString' in target) return maskConnectionString(target.connectionString)
  const user = target.user === undefined ? '' : encodeURIComponent(target.user)
  const credentials =
    user === '' ? '' : target.password === undefined ? `${user}@` : `${user}:${MASK}@`
  const host = target.host ?? 'localhost'
  const database = target.database === undefined ? '' : `/${encodeURIComponent(target.database)}`
  return `postgres://${credentials}${host}:${target.port ?? 5432}${database}`
}

/** Masks the password of a URL (`postgres://u:p@h/db`, `?password=`) or keyword/value string. */
export function maskConnectionString(connectionString: string): string {
  let url: URL
  try {
    url = new URL(connectionString)
  } catch {
    // libpq keyword/value form (host=… password=…), or a URL that URL cannot parse.
    return connectionString
      .replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi, `$1${MASK}`)
      .replace(/(\/\/[^:/@]*:)[^@]*@/, `$1${MASK}@`)
  }
  if (url.password !== '') url.password = MASK
  if (url.searchParams.has('password')) url.searchParams.set('password', MASK)
  // URL escapes the mask inside a query string; put it back for readability.
  return url.toString().replace(/%2A%2A%2A/g, MASK)
}

import type pg from 'pg'
import { CheapConnectionError } from '../../errors.ts'
import type { PostgresTarget } from './connection-target.ts'
import { quoteIdentifier } from '../schema/identifiers.ts'

/**
 * What every connection of a server adapter must have in effect, checked on the first one at
 * `create()`: the output formats the type parsers rely on (see SESSION_SETTINGS) and the
 * adapter's schema first on the search_path. Normally they travel in the startup packet; with
 * `transactionPooling` (PgBouncer) they cannot, so they must come from the database's or the
 * role's defaults, and a connection that lacks them is refused here instead of misreading
 * timestamps or writing into another schema later. The same check catches a pooler that drops
 * the startup parameters silently (PgBouncer's `ignore_startup_parameters = options`).
 */
export const SETTINGS_QUERY = `SELECT current_setting('TimeZone') AS time_zone,
  current_setting('DateStyle') AS date_style,
  current_setting('bytea_output') AS bytea_output,
  current_setting('extra_float_digits') AS extra_float_digits,
  current_setting('search_path') AS search_path,
  current_schema() AS current_schema,
  current_user AS current_user,
  current_database() AS database,
  EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema_exists`

export interface SessionSettingsRow {
  readonly time_zone: string
  readonly date_style: string
  readonly bytea_output: string
  readonly extra_float_digits: string
  readonly search_path: string
  readonly current_schema: string | null
  readonly current_user: string
  readonly database: string
  readonly schema_exists: boolean
}

/** Zone names PostgreSQL accepts for UTC; any of them prints timestamps with offset +00. */
const UTC_ZONES = new Set([
  'UTC',
  'Etc/UTC',
  'Etc/UCT',
  'UCT',
  'Etc/Universal',
  'Universal',
  'Zulu',
  'Etc/Zulu',
])

/** Reads the settings of one fresh connection. */
export async function readSessionSettings(
  client: Pick<pg.ClientBase, 'query'>,
  schema: string,
): Promise<SessionSettingsRow> {
  const result = await client.query<SessionSettingsRow>(SETTINGS_QUERY, [schema])
  return result.rows[0] as SessionSettingsRow
}

/**
 * The settings of `row` that differ from what the adapter needs, as `name = value` pairs to
 * set; empty when the connection is fit.
 */
export function missingSettings(row: SessionSettingsRow, schema: string): string[] {
  const missing: string[] = []
  if (!UTC_ZONES.has(row.time_zone)) missing.push(`TimeZone = 'UTC'`)
  if (!/^\s*ISO\b/i.test(row.date_style)) missing.push(`DateStyle = 'ISO'`)
  if (row.bytea_output !== 'hex') missing.push(`bytea_output = 'hex'`)
  // 1 or more: shortest-exact float text; 0 or less rounds doubles.
  if (!(Number(row.extra_float_digits) >= 1)) missing.push('extra_float_digits = 1')
  if (!searchPathLeadsTo(row, schema)) missing.push(`search_path = ${quoteIdentifier(schema)}`)
  return missing
}

/**
 * Whether unqualified table names resolve in `schema`: it is the current schema, or, before it
 * exists (createSchema will make it), the first entry of the search_path that could resolve.
 */
function searchPathLeadsTo(row: SessionSettingsRow, schema: string): boolean {
  if (row.schema_exists) return row.current_schema === schema
  for (const entry of parseSearchPath(row.search_path)) {
    const name = entry === '$user' ? row.current_user : entry
    if (name === schema) return true
    // "$user" without a schema of that name is skipped by PostgreSQL too; any other entry
    // that is not ours would take the tables createSchema makes outside a transaction.
    if (entry !== '$user') return false
  }
  return false
}

/** The entries of a search_path setting, unquoted: `"$user", public` → `$user`, `public`. */
export function parseSearchPath(text: string): string[] {
  const entries: string[] = []
  let index = 0
  while (index < text.length) {
    while (index < text.length && /[\s,]/.test(text[index] as string)) index++
    if (index >= text.length) break
    if (text[index] === '"') {
      let name = ''
      index++
      while (index < text.length) {
        if (text[index] === '"') {
          if (text[index + 1] === '"') {
            name += '"'
            index += 2
            continue
          }
          index++
          break
        }
        name += text[index]
        index++
      }
      entries.push(name)
    } else {
      const end = text.indexOf(',', index)
      const raw = text.slice(index, end === -1 ? text.length : end).trim()
      entries.push(raw.toLowerCase())
      index = end === -1 ? text.length : end
    }
  }
  return entries
}

/**
 * The refusal of a connection whose settings do not fit, saying what to run on the server.
 * With transaction pooling the fix is the database's defaults; otherwise the startup
 * parameters did not arrive, which is a pooler dropping them.
 */
export function settingsError(
  row: SessionSettingsRow,
  missing: readonly string[],
  target: string,
  transactionPooling: boolean,
): CheapConnectionError {
  const database = quoteIdentifier(row.database)
  const statements = missing.map((setting) => `ALTER DATABASE ${database} SET ${setting};`)
  const why = transactionPooling
    ? 'with transactionPooling the adapter sends no startup parameters (PgBouncer in transaction ' +
      'mode refuses them), so these must be the defaults of the database or the role'
    : 'the adapter sent them as startup parameters, but they did not take effect (a pooler ' +
      'configured to ignore `options`?); use transactionPooling and set them on the server'
  return new CheapConnectionError(
    `the connections of ${target} lack settings the adapter needs (${missing.join(', ')}): ` +
      `${why}. Run on the server: ${statements.join(' ')} (or ALTER ROLE … IN DATABASE …), ` +
      'then reconnect (behind PgBouncer, also its server sessions: RECONNECT on its admin console)',
    { target },
  )
}

/**
 * Prisma's convention: `?pgbouncer=true` on a connection string asks for transaction pooling.
 * Returns the target without that parameter (pg would send it to the server as a startup
 * parameter) and whether it was set.
 */
export function poolingFromUrl(target: PostgresTarget): {
  readonly target: PostgresTarget
  readonly pgbouncer: boolean
} {
  if (!('connectionString' in target) || target.connectionString === undefined) {
    return { target, pgbouncer: false }
  }
  let url: URL
  try {
    url = new URL(target.connectionString)
  } catch {
    return { target, pgbouncer: false }
  }
  const value = url.searchParams.get('pgbouncer')
  if (value === null) return { target, pgbouncer: false }
  url.searchParams.delete('pgbouncer')
  return {
    target: { ...target, connectionString: url.toString() },
    pgbouncer: value === 'true' || value === '1',
  }
}

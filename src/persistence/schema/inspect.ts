import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import type { CheapDatabase } from './database.ts'
import { AUDIT_COLUMNS, AUDITED_TABLE_NAMES } from './tables.ts'

/** One row of the migration ledger. */
export interface AppliedSchemaFile {
  readonly version: number
  readonly name: string
  readonly checksum: string
  /** ISO 8601, e.g. `2026-01-31T12:00:00.123456+00:00`. */
  readonly appliedAt: string
}

/** Whether a PostgreSQL schema (namespace) exists. */
export async function schemaExists(db: Kysely<CheapDatabase>, schema: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${schema}) AS found
  `.execute(db)
  return rows[0]?.found === true
}

/** The ordinary and partitioned tables of a schema, sorted by name. */
export async function listTables(db: Kysely<CheapDatabase>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p')
    ORDER BY c.relname
  `.execute(db)
  return rows.map((row) => row.name)
}

/** The migration ledger of a schema in version order; empty when it has none. */
export async function readLedger(
  db: Kysely<CheapDatabase>,
  schema: string,
): Promise<AppliedSchemaFile[]> {
  if (!(await listTables(db, schema)).includes('schema_migration')) return []
  const rows = await db
    .withSchema(schema)
    .selectFrom('schema_migration')
    .select(['version', 'name', 'checksum'])
    // to_json gives ISO 8601 whatever the session's DateStyle.
    .select(sql<string>`to_json(applied_at) #>> '{}'`.as('applied_at'))
    .orderBy('version')
    .execute()
  return rows.map((row) => ({
    version: row.version,
    name: row.name,
    checksum: row.checksum,
    appliedAt: row.applied_at,
  }))
}

/** True when every audited table of the schema has both audit columns. */
export async function hasAuditColumns(db: Kysely<CheapDatabase>, schema: string): Promise<boolean> {
  const columns = Object.keys(AUDIT_COLUMNS)
  const { rows } = await sql<{ found: bigint }>`
    SELECT count(*) AS found
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema}
      AND c.relname = ANY (${[...AUDITED_TABLE_NAMES]}::text[])
      AND a.attname = ANY (${columns}::text[])
      AND NOT a.attisdropped
  `.execute(db)
  return Number(rows[0]?.found ?? 0n) === AUDITED_TABLE_NAMES.length * columns.length
}

/** The tables recorded in `schema`'s dedicated-table mappings; empty without a schema. */
export async function mappedTables(
  db: Kysely<CheapDatabase>,
  schema: string,
  options: { readonly writableOnly?: boolean } = {},
): Promise<string[]> {
  const exists = await sql<{
    t: string | null
  }>`SELECT to_regclass(quote_ident(${schema}) || '.aspect_table_mapping')::text AS t`.execute(db)
  if ((exists.rows[0]?.t ?? null) === null) return []
  let query = db
    .withSchema(schema)
    .selectFrom('aspect_table_mapping')
    .select('table_name')
    .orderBy('table_name')
  if (options.writableOnly === true) query = query.where('is_read_only', '=', false)
  return (await query.execute()).map((r) => r.table_name)
}

import { sql, type Kysely } from 'kysely'

/** One column of a table, as Kysely's introspector describes it. */
export interface LiveColumn {
  readonly name: string
  readonly dataType: string
  readonly isNullable: boolean
  readonly hasDefaultValue: boolean
  readonly isAutoIncrementing: boolean
}

export interface LiveTable {
  readonly name: string
  readonly columns: readonly LiveColumn[]
}

/**
 * The tables of one PostgreSQL schema with their columns in order — Kysely's
 * `introspection.getTables()` restricted to that schema. Kysely's version reads every schema of
 * the database and calls `pg_get_serial_sequence` on each table it lists, which fails when a
 * test running beside this one drops its schema between the two; this query touches only ours.
 */
export async function liveTables<DB>(db: Kysely<DB>, schema: string): Promise<LiveTable[]> {
  const { rows } = await sql<{
    table: string
    column: string
    type: string
    not_null: boolean
    has_default: boolean
    auto_incrementing: boolean
  }>`
    SELECT c.relname AS table, a.attname AS column, typ.typname AS type,
           a.attnotnull AS not_null, a.atthasdef AS has_default,
           (a.attidentity <> '' OR pg_get_serial_sequence(
              quote_ident(ns.nspname) || '.' || quote_ident(c.relname), a.attname) IS NOT NULL
           ) AS auto_incrementing
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
      JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
      JOIN pg_catalog.pg_type typ ON typ.oid = a.atttypid
     WHERE ns.nspname = ${schema} AND c.relkind IN ('r', 'v', 'p')
       AND a.attnum >= 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum`.execute(db)
  const tables = new Map<string, LiveColumn[]>()
  for (const row of rows) {
    let columns = tables.get(row.table)
    if (columns === undefined) tables.set(row.table, (columns = []))
    columns.push({
      name: row.column,
      dataType: row.type,
      isNullable: !row.not_null,
      hasDefaultValue: row.has_default,
      isAutoIncrementing: row.auto_incrementing,
    })
  }
  return [...tables].map(([name, columns]) => ({ name, columns }))
}

import type { Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { ColumnSpec } from './columns.ts'
import type { AUDIT_COLUMNS, CheapTableName, TABLES } from './tables.ts'

/**
 * What each PostgreSQL type reads back as, after the adapters' type parsers (the same on pg and
 * PGlite): int8 → `bigint`, numeric → `string` (exact), timestamptz → ISO-like text (luxon
 * parses it in the DAO), bytea → `Uint8Array`, uuid → lower-case `string`.
 */
export interface PgTypeToTs {
  uuid: string
  text: string
  int4: number
  int8: bigint
  bool: boolean
  float8: number
  numeric: string
  timestamptz: string
  bytea: Uint8Array
  _int4: number[]
  _int8: bigint[]
  _bool: boolean[]
  _float8: number[]
  _numeric: string[]
  _text: string[]
  _timestamptz: string[]
  _uuid: string[]
  _bytea: Uint8Array[]
}

/** The TypeScript value of one column: its type, `| null` when nullable. */
export type ColumnValue<C extends ColumnSpec> =
  PgTypeToTs[C['type']] | (C['nullable'] extends true ? null : never)

/** The Kysely column type: `Generated<…>` when the column has a default, so inserts may omit it. */
export type KyselyColumn<C extends ColumnSpec> = C['hasDefault'] extends true
  ? Generated<ColumnValue<C>>
  : ColumnValue<C>

type ColumnsOf<T extends CheapTableName> = (typeof TABLES)[T]['columns']

/** The Kysely table interface of one table, derived from the manifest. */
export type CheapTable<T extends CheapTableName> = {
  -readonly [K in keyof ColumnsOf<T>]: ColumnsOf<T>[K] extends ColumnSpec
    ? KyselyColumn<ColumnsOf<T>[K]>
    : never
}

/**
 * The Kysely database type of the CHEAP schema: `adapter.db` is a `Kysely<CheapDatabase>`.
 *
 * @example
 * ```ts
 * const rows = await adapter.db
 *   .selectFrom('hierarchy')
 *   .select(['name', 'hierarchy_type'])
 *   .where('catalog_id', '=', catalogId)
 *   .orderBy('position')
 *   .execute()
 * ```
 */
export type CheapDatabase = { [T in CheapTableName]: CheapTable<T> }

/** A row as read: `Selectable<CheapDatabase[T]>`. */
export type CheapRow<T extends CheapTableName> = Selectable<CheapDatabase[T]>
/** A row to insert (defaulted columns optional). */
export type NewCheapRow<T extends CheapTableName> = Insertable<CheapDatabase[T]>
/** A partial row for UPDATE … SET. */
export type CheapRowUpdate<T extends CheapTableName> = Updateable<CheapDatabase[T]>

/** The columns `includeAudit` adds to every audited table. */
export type AuditColumns = {
  -readonly [K in keyof typeof AUDIT_COLUMNS]: KyselyColumn<(typeof AUDIT_COLUMNS)[K]>
}

/** The tables that carry {@link AuditColumns} when the schema has them. */
export type AuditedTableName = {
  [T in CheapTableName]: (typeof TABLES)[T]['audited'] extends true ? T : never
}[CheapTableName]

/**
 * {@link CheapDatabase} with the audit columns, for schemas created with `includeAudit: true`
 * (`adapter.db.withTables<CheapAuditedDatabase>()`: Kysely adds the columns to the tables
 * it already knows, no cast needed).
 */
export type CheapAuditedDatabase = {
  [T in CheapTableName]: T extends AuditedTableName ? CheapTable<T> & AuditColumns : CheapTable<T>
}

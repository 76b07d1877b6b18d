/**
 * The vocabulary of the table manifest (`tables.ts`): PostgreSQL type names as `pg_catalog`
 * (and Kysely's introspector) spell them, and one record per column.
 */
export const PG_TYPE_NAMES = [
  'uuid',
  'text',
  'int4',
  'int8',
  'bool',
  'float8',
  'numeric',
  'timestamptz',
  'bytea',
  '_int4',
  '_int8',
  '_bool',
  '_float8',
  '_numeric',
  '_text',
  '_timestamptz',
  '_uuid',
  '_bytea',
] as const

export type PgTypeName = (typeof PG_TYPE_NAMES)[number]

export interface ColumnSpec {
  readonly type: PgTypeName
  readonly nullable: boolean
  readonly hasDefault: boolean
}

/** What a table holds; decides whether `truncate` empties it and `dropSchema` drops it. */
export type TableGroup = 'meta' | 'lookup' | 'definition' | 'catalog'

export interface TableSpec {
  readonly group: TableGroup
  /** Primary-key columns in key order. */
  readonly primaryKey: readonly string[]
  /** Whether `includeAudit` adds `created_at`/`updated_at` and the touch trigger. */
  readonly audited: boolean
  /** Columns in `attnum` order (the order of the CREATE TABLE). */
  readonly columns: Readonly<Record<string, ColumnSpec>>
}

/** NOT NULL, no default. */
export function required<T extends PgTypeName>(type: T) {
  return { type, nullable: false, hasDefault: false } as const
}

/** Nullable, no default. */
export function optional<T extends PgTypeName>(type: T) {
  return { type, nullable: true, hasDefault: false } as const
}

/** NOT NULL with a default, so inserts may omit it. */
export function defaulted<T extends PgTypeName>(type: T) {
  return { type, nullable: false, hasDefault: true } as const
}

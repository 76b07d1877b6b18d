import { sql, type Kysely } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import type { PropertyDef } from '../../model/property-def.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { distributeDedicatedTable, isDistributedHere } from '../schema/citus.ts'
import { codecOf } from '../store/codecs/index.ts'
import type { StoredVersion } from '../store/def-versions.ts'
import { columnType, extraType, type PropertyColumns } from '../store/dedicated/columns.ts'
import {
  ABSENT_COLUMN,
  MAX_IDENTIFIER_BYTES,
  isReservedColumn,
  q,
  sanitizeColumnName as sanitize,
  sqlLiteral,
  uniqueName,
  validateIdentifier,
} from '../store/dedicated/names.ts'

type Executor = Kysely<CheapDatabase>

/** A dedicated table's property columns, in AspectDef order. */
export interface TableLayout {
  readonly table: string
  readonly columns: readonly PropertyColumns[]
}

/**
 * Chooses the columns of a version's properties: `previous` (a column the table keeps for a
 * slot) first, then the caller's `overrides` (by property name), else the sanitised property
 * name; names already in `taken` are avoided.
 */
export function planLayout(
  table: string,
  version: StoredVersion,
  overrides: Readonly<Record<string, string>> | undefined,
  previous: ReadonlyMap<number, string> = new Map(),
  taken: ReadonlySet<string> = new Set(),
): TableLayout {
  for (const name of Object.keys(overrides ?? {})) {
    if (version.slotOf(name) === undefined) {
      throw new CheapValidationError(
        `AspectDef '${version.name}' has no property ${JSON.stringify(name)} to map to a column`,
        { reason: 'UNKNOWN_PROPERTY', aspectDefName: version.name, propertyName: name },
      )
    }
  }
  const used = new Set<string>(taken)
  const isTaken = (name: string) => used.has(name) || isReservedColumn(name)
  const out: PropertyColumns[] = []
  for (const { def: prop, slot } of version.properties) {
    const suffix = codecOf(prop.type).extra?.suffix
    const kept = previous.get(slot)
    const wanted = overrides?.[prop.name]
    let column: string
    if (kept !== undefined) {
      column = kept
    } else if (wanted !== undefined) {
      column = validateIdentifier(
        `column for property '${prop.name}'`,
        wanted,
        MAX_IDENTIFIER_BYTES - (suffix?.length ?? 0),
      )
      if (isTaken(column) || (suffix !== undefined && isTaken(column + suffix))) {
        throw new CheapValidationError(
          `AspectDef '${version.name}': column ${JSON.stringify(column)} for property '${prop.name}' is reserved or already used`,
          { reason: 'DUPLICATE_NAME', aspectDefName: version.name, propertyName: prop.name },
        )
      }
    } else {
      column = uniqueName(
        sanitize(prop.name),
        (name) => isTaken(name) || (suffix !== undefined && isTaken(name + suffix)),
      )
    }
    const extra = suffix === undefined ? undefined : column + suffix
    used.add(column)
    if (extra !== undefined) used.add(extra)
    out.push({ property: prop, slot, column, extra })
  }
  return { table, columns: out }
}

function comment(version: StoredVersion): string {
  return `CHEAP dedicated table of AspectDef ${JSON.stringify(version.name)} (${version.defId}), version ${version.version}`
}

function columnDdl(c: PropertyColumns): string[] {
  const main = `${q(c.column)} ${columnType(c.property)}`
  const extra = extraType(c.property)
  return c.extra === undefined || extra === undefined ? [main] : [main, `${q(c.extra)} ${extra}`]
}

function absent(prop: PropertyDef): string {
  return `coalesce(${ABSENT_COLUMN} @> array[${sqlLiteral(prop.name)}]::text[], false)`
}

/**
 * The two CHECK constraints of a dedicated table. `cheap_required`: a non-nullable property's
 * column is NULL only when the property is absent (listed in `cheap_absent`). `cheap_consistent`:
 * an absent property's columns are NULL, and a DAT/BGF value has its zone/scale (element for
 * element when multivalued).
 */
function constraintDdl(layout: TableLayout): { required: string; consistent: string } {
  const required = layout.columns
    .filter((c) => !c.property.isNullable)
    .map((c) => `(${q(c.column)} is not null or ${absent(c.property)})`)
  const consistent = layout.columns.flatMap((c) => {
    const parts = [`(not ${absent(c.property)} or ${q(c.column)} is null)`]
    if (c.extra !== undefined) {
      parts.push(`((${q(c.column)} is null) = (${q(c.extra)} is null))`)
      if (c.property.isMultivalued) {
        parts.push(`coalesce(cardinality(${q(c.column)}) = cardinality(${q(c.extra)}), true)`)
      }
    }
    return parts
  })
  return {
    required: required.length === 0 ? 'true' : required.join(' and '),
    consistent: consistent.length === 0 ? 'true' : consistent.join(' and '),
  }
}

async function setComment(db: Executor, version: StoredVersion, table: string): Promise<void> {
  await sql.raw(`comment on table ${q(table)} is ${sqlLiteral(comment(version))}`).execute(db)
}

/**
 * `CREATE TABLE`: `(catalog_id, aspect_id)` primary key; `entity_id`; `aspect_def_id` pinned to
 * the def by a default and a CHECK; one native column per property (arrays when multivalued)
 * plus zone/scale columns; and `cheap_absent`, the names of the properties a row does not have.
 * Rows are checked (their aspect exists) and cascaded (deleting the aspect deletes the row) by
 * statement triggers, as the value tables are: no foreign key to `aspect`, whose lock a DROP
 * of this table would otherwise need while every reader holds it.
 */
export async function createTable(
  db: Executor,
  version: StoredVersion,
  layout: TableLayout,
): Promise<void> {
  const id = sqlLiteral(version.defId)
  const { required, consistent } = constraintDdl(layout)
  const lines = [
    'catalog_id uuid not null',
    'aspect_id bigint not null',
    'entity_id uuid not null',
    `aspect_def_id uuid not null default ${id}::uuid check (aspect_def_id = ${id}::uuid)`,
    ...layout.columns.flatMap(columnDdl),
    `${ABSENT_COLUMN} text[]`,
    'primary key (catalog_id, aspect_id)',
    `constraint cheap_required check (${required})`,
    `constraint cheap_consistent check (${consistent})`,
  ]
  await sql.raw(`create table ${q(layout.table)} (\n  ${lines.join(',\n  ')}\n)`).execute(db)
  await addCheckTrigger(db, layout.table)
  await setComment(db, version, layout.table)
}

/**
 * The statement trigger that checks a dedicated table's rows against `aspect` (schema 012). On a
 * schema distributed over Citus, which refuses statement triggers on distributed tables, the
 * table is distributed with `catalog`'s other tables and a colocated foreign key to `aspect`
 * (deleting cascading) stands in for the trigger.
 */
export async function addCheckTrigger(db: Executor, table: string): Promise<void> {
  if (await isDistributedHere(db)) {
    await distributeDedicatedTable(db, table)
    return
  }
  await sql
    .raw(
      `create trigger ${q(`${table}_check`)} after insert on ${q(table)} referencing new table as new_rows for each statement execute function cheap_check_dedicated_rows()`,
    )
    .execute(db)
}

interface ColumnInfo {
  readonly type: string
  readonly notNull: boolean
  readonly defaultText: string | null
}

/** The columns of a table in the current schema, or undefined when there is no such table. */
export async function readTableColumns(
  db: Executor,
  table: string,
): Promise<Map<string, ColumnInfo> | undefined> {
  const rel = await sql<{
    oid: number | null
  }>`select to_regclass(quote_ident(current_schema()) || '.' || quote_ident(${table}))::oid as oid`.execute(
    db,
  )
  const oid = rel.rows[0]?.oid ?? null
  if (oid === null) return undefined
  const rows = await sql<{
    name: string
    type: string
    not_null: boolean
    default_text: string | null
  }>`select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default_text
    from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = ${oid}::oid and a.attnum > 0 and not a.attisdropped order by a.attnum`.execute(
    db,
  )
  return new Map(
    rows.rows.map((r) => [
      r.name,
      { type: r.type, notNull: r.not_null, defaultText: r.default_text },
    ]),
  )
}

/** Why an existing table cannot serve as a version's dedicated table, or undefined when it can. */
export async function incompatibility(
  db: Executor,
  version: StoredVersion,
  layout: TableLayout,
  columns: ReadonlyMap<string, ColumnInfo>,
): Promise<string | undefined> {
  const expected = new Map<string, string>([
    ['catalog_id', 'uuid'],
    ['aspect_id', 'bigint'],
    ['entity_id', 'uuid'],
    ['aspect_def_id', 'uuid'],
    [ABSENT_COLUMN, 'text[]'],
  ])
  for (const c of layout.columns) {
    expected.set(c.column, columnType(c.property))
    const extra = extraType(c.property)
    if (c.extra !== undefined && extra !== undefined) expected.set(c.extra, extra)
  }
  for (const [name, type] of expected) {
    const found = columns.get(name)
    if (found === undefined) return `it has no column ${JSON.stringify(name)}`
    if (found.type !== type) return `column ${JSON.stringify(name)} is ${found.type}, not ${type}`
  }
  for (const name of columns.keys()) {
    if (!expected.has(name)) return `it has a column ${JSON.stringify(name)} the AspectDef does not`
  }
  const defaultText = columns.get('aspect_def_id')?.defaultText ?? ''
  if (!defaultText.includes(version.defId)) {
    return `its aspect_def_id column does not default to ${version.defId}`
  }
  const keys = await sql<{
    def: string
  }>`select pg_get_constraintdef(oid) as def from pg_constraint
    where conrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(${layout.table})) and contype = 'p'`.execute(
    db,
  )
  if (keys.rows[0]?.def !== 'PRIMARY KEY (catalog_id, aspect_id)')
    return `its primary key is not (catalog_id, aspect_id)`
  return undefined
}

/** Replaces the two CHECK constraints, the check trigger and the comment (after an adoption). */
export async function resetConstraints(
  db: Executor,
  version: StoredVersion,
  layout: TableLayout,
): Promise<void> {
  const t = q(layout.table)
  const { required, consistent } = constraintDdl(layout)
  await sql
    .raw(
      `alter table ${t} drop constraint if exists cheap_required, drop constraint if exists cheap_consistent, ` +
        `add constraint cheap_required check (${required}), ` +
        `add constraint cheap_consistent check (${consistent})`,
    )
    .execute(db)
  await sql.raw(`drop trigger if exists ${q(`${layout.table}_check`)} on ${t}`).execute(db)
  await addCheckTrigger(db, layout.table)
  await setComment(db, version, layout.table)
}

/**
 * Brings a dedicated table from version `from` of its def to version `to` (evolveAspectDef):
 * drops the columns of slots `to` lacks, adds columns for its new slots, marks the new properties
 * absent in every existing row (as the generic tables do: a new property has no value rows), and
 * rewrites constraints and comment. Returns the new slot → column map.
 */
export async function addColumns(
  db: Executor,
  table: { readonly table: string; readonly columns: ReadonlyMap<number, string> },
  from: StoredVersion,
  to: StoredVersion,
): Promise<Map<number, string>> {
  const kept = new Map<number, string>()
  const keptColumns = new Set<string>([
    'catalog_id',
    'aspect_id',
    'entity_id',
    'aspect_def_id',
    ABSENT_COLUMN,
  ])
  for (const { def, slot } of to.properties) {
    const column = table.columns.get(slot)
    if (column === undefined) continue
    kept.set(slot, column)
    keptColumns.add(column)
    const suffix = codecOf(def.type).extra?.suffix
    if (suffix !== undefined) keptColumns.add(column + suffix)
  }
  const drop: string[] = []
  for (const { def, slot } of from.properties) {
    const column = table.columns.get(slot)
    if (column === undefined || kept.has(slot)) continue
    drop.push(column)
    const suffix = codecOf(def.type).extra?.suffix
    if (suffix !== undefined) drop.push(column + suffix)
  }
  const layout = planLayout(table.table, to, undefined, kept, keptColumns)
  const added = layout.columns.filter((c) => !kept.has(c.slot))
  const t = q(table.table)
  await sql
    .raw(
      `alter table ${t} drop constraint if exists cheap_required, drop constraint if exists cheap_consistent`,
    )
    .execute(db)
  const alters = [
    ...drop.map((c) => `drop column ${q(c)}`),
    ...added.flatMap((c) => columnDdl(c).map((ddl) => `add column ${ddl}`)),
  ]
  if (alters.length > 0) await sql.raw(`alter table ${t} ${alters.join(', ')}`).execute(db)
  // Absent names: only properties the new version has, plus every new (or retyped) property.
  const names = to.properties.map((p) => p.def.name)
  const fresh = added.map((c) => c.property.name)
  await sql`update ${sql.id(table.table)} set ${sql.id(ABSENT_COLUMN)} = nullif(array(select distinct x from unnest(coalesce(${sql.id(ABSENT_COLUMN)}, '{}'::text[]) || ${fresh}::text[]) as x where x = any(${names}::text[]) order by x), '{}'::text[])`.execute(
    db,
  )
  await resetConstraints(db, to, layout)
  return new Map(layout.columns.map((c) => [c.slot, c.column]))
}

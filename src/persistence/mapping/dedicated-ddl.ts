import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { CheapConflictError, CheapValidationError } from '../../errors.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { PropertyDef } from '../../model/property-def.ts'
import { columnType, extraSuffix, extraType, type PropertyColumns } from './column-types.ts'
import type { AspectTableMapping } from './mapping-store.ts'
import { replaceColumnMappings } from './mapping-store.ts'
import {
  ABSENT_COLUMN,
  ID_COLUMNS,
  MAX_IDENTIFIER_BYTES,
  isReservedColumn,
  q,
  sanitizeColumnName,
  sqlLiteral,
  uniqueName,
  validateIdentifier,
} from './names.ts'

type Executor = Kysely<unknown>

/** A dedicated table's property columns, in AspectDef order. */
export interface TableLayout {
  readonly table: string
  readonly columns: readonly PropertyColumns[]
}

/**
 * Chooses the columns of `def`'s properties: `previous` (the stored mapping) first, then the
 * caller's `overrides`, else the sanitised property name; names already in `taken` (columns of
 * the existing table that stay) are avoided.
 */
export function planLayout(
  table: string,
  def: AspectDef,
  overrides: Readonly<Record<string, string>> | undefined,
  previous: ReadonlyMap<string, string> = new Map(),
  taken: ReadonlySet<string> = new Set(),
): TableLayout {
  for (const name of Object.keys(overrides ?? {})) {
    if (!def.hasProperty(name)) {
      throw new CheapValidationError(
        `AspectDef '${def.name}' has no property ${JSON.stringify(name)} to map to a column`,
        { reason: 'UNKNOWN_PROPERTY', aspectDefName: def.name, propertyName: name },
      )
    }
  }
  const used = new Set<string>(taken)
  const isTaken = (name: string) => used.has(name) || isReservedColumn(name)
  const out: PropertyColumns[] = []
  for (const prop of def.propertyDefs()) {
    const suffix = extraSuffix(prop.type)
    const kept = previous.get(prop.name)
    const wanted = overrides?.[prop.name]
    let column: string
    if (kept !== undefined) {
      // A column the table already has for this property (listed in `taken` too).
      column = kept
    } else if (wanted !== undefined) {
      column = validateIdentifier(
        `column for property '${prop.name}'`,
        wanted,
        MAX_IDENTIFIER_BYTES - (suffix?.length ?? 0),
      )
      if (isTaken(column) || (suffix !== undefined && isTaken(column + suffix))) {
        throw new CheapValidationError(
          `AspectDef '${def.name}': column ${JSON.stringify(column)} for property '${prop.name}' is reserved or already used`,
          { reason: 'DUPLICATE_NAME', aspectDefName: def.name, propertyName: prop.name },
        )
      }
    } else {
      column = uniqueName(
        sanitizeColumnName(prop.name),
        (name) => isTaken(name) || (suffix !== undefined && isTaken(name + suffix)),
      )
    }
    const extra = suffix === undefined ? undefined : column + suffix
    used.add(column)
    if (extra !== undefined) used.add(extra)
    out.push({ property: prop, column, extra })
  }
  return { table, columns: out }
}

/**
 * A short hash of everything the table's shape depends on, kept in the table's COMMENT: a save
 * compares it with the def it is saving and alters the table only when they differ.
 */
export function layoutSignature(def: AspectDef, columns: ReadonlyMap<string, string>): string {
  const parts = def
    .propertyDefs()
    .map((p) => [p.name, p.type, p.isMultivalued, p.isNullable, columns.get(p.name) ?? null])
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 20)
}

function comment(def: AspectDef, signature: string): string {
  return `CHEAP dedicated table of AspectDef ${JSON.stringify(def.name)} (${def.globalId}); layout ${signature}`
}

/** The layout signature in a table's comment, or null. */
export function signatureOfComment(text: string | null): string | null {
  if (text === null) return null
  return / layout ([0-9a-f]{20})$/.exec(text)?.[1] ?? null
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

async function setComment(db: Executor, def: AspectDef, layout: TableLayout): Promise<void> {
  const columns = new Map(layout.columns.map((c) => [c.property.name, c.column]))
  const text = comment(def, layoutSignature(def, columns))
  await sql.raw(`comment on table ${q(layout.table)} is ${sqlLiteral(text)}`).execute(db)
}

/**
 * `CREATE TABLE`: `(catalog_id, entity_id)` primary key; `aspect_def_id` pinned to the def by a
 * default and a CHECK, so the foreign key to `aspect` cascades deletes of catalogs and aspects;
 * one native column per property (arrays when multivalued) plus zone/scale columns; and
 * `cheap_absent`, the names of the properties a row does not have.
 */
export async function createTable(
  db: Executor,
  def: AspectDef,
  layout: TableLayout,
): Promise<void> {
  const id = sqlLiteral(def.globalId)
  const { required, consistent } = constraintDdl(layout)
  const lines = [
    'catalog_id uuid not null',
    'entity_id uuid not null',
    `aspect_def_id uuid not null default ${id}::uuid check (aspect_def_id = ${id}::uuid)`,
    ...layout.columns.flatMap(columnDdl),
    `${ABSENT_COLUMN} text[]`,
    'primary key (catalog_id, entity_id)',
    'foreign key (catalog_id, aspect_def_id, entity_id) references aspect (catalog_id, aspect_def_id, entity_id) on delete cascade',
    `constraint cheap_required check (${required})`,
    `constraint cheap_consistent check (${consistent})`,
  ]
  await sql.raw(`create table ${q(layout.table)} (\n  ${lines.join(',\n  ')}\n)`).execute(db)
  await setComment(db, def, layout)
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

/** Why an existing table cannot serve as `def`'s dedicated table, or undefined when it can. */
export async function incompatibility(
  db: Executor,
  def: AspectDef,
  layout: TableLayout,
  columns: ReadonlyMap<string, ColumnInfo>,
): Promise<string | undefined> {
  const expected = new Map<string, string>([
    ['catalog_id', 'uuid'],
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
  if (!defaultText.includes(def.globalId)) {
    return `its aspect_def_id column does not default to ${def.globalId}`
  }
  const keys = await sql<{
    kind: string
    def: string
  }>`select contype as kind, pg_get_constraintdef(oid) as def
    from pg_constraint where conrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(${layout.table})) and contype in ('p', 'f')`.execute(
    db,
  )
  const pk = keys.rows.find((k) => k.kind === 'p')?.def
  if (pk !== 'PRIMARY KEY (catalog_id, entity_id)')
    return `its primary key is not (catalog_id, entity_id)`
  const fk = keys.rows.some(
    (k) =>
      k.kind === 'f' &&
      /^FOREIGN KEY \(catalog_id, aspect_def_id, entity_id\) REFERENCES (\S+\.)?aspect\(catalog_id, aspect_def_id, entity_id\) ON DELETE CASCADE$/.test(
        k.def,
      ),
  )
  if (!fk) return 'it has no cascading foreign key (catalog_id, aspect_def_id, entity_id) to aspect'
  return undefined
}

/** Replaces the two CHECK constraints and the comment (after an adoption or a def change). */
export async function resetConstraints(
  db: Executor,
  def: AspectDef,
  layout: TableLayout,
  notValid: boolean,
): Promise<void> {
  const t = q(layout.table)
  const { required, consistent } = constraintDdl(layout)
  const suffix = notValid ? ' not valid' : ''
  await sql
    .raw(
      `alter table ${t} drop constraint if exists cheap_required, drop constraint if exists cheap_consistent, ` +
        `add constraint cheap_required check (${required})${suffix}, ` +
        `add constraint cheap_consistent check (${consistent})${suffix}`,
    )
    .execute(db)
  await setComment(db, def, layout)
}

/**
 * Brings a dedicated table in line with a def that gained, lost or retyped properties (a mutable
 * def saved in its new shape): drops the columns of properties that are gone or changed type,
 * adds columns for new ones, marks the new properties absent in every existing row (as the
 * generic tables do: a new property has no value rows), and rewrites constraints, comment and
 * column mapping. Returns the new mapping.
 */
export async function syncTable(
  db: Executor,
  def: AspectDef,
  mapping: AspectTableMapping,
): Promise<AspectTableMapping> {
  const existing = await readTableColumns(db, mapping.table)
  if (existing === undefined) {
    throw new CheapConflictError(
      `the dedicated table ${JSON.stringify(mapping.table)} of AspectDef '${def.name}' no longer exists; unmap the AspectDef (unmapAspectDef) and map it again`,
    )
  }
  const keep = new Map<string, string>()
  for (const prop of def.propertyDefs()) {
    const column = mapping.columns.get(prop.name)
    if (column === undefined) continue
    const want = columnType(prop)
    const extra = extraType(prop)
    const suffix = extraSuffix(prop.type)
    if (
      existing.get(column)?.type === want &&
      (extra === undefined || existing.get(column + (suffix ?? ''))?.type === extra)
    ) {
      keep.set(prop.name, column)
    }
  }
  const keptColumns = new Set<string>(ID_COLUMNS)
  keptColumns.add(ABSENT_COLUMN)
  for (const [name, column] of keep) {
    keptColumns.add(column)
    const suffix = extraSuffix((def.propertyDef(name) as PropertyDef).type)
    if (suffix !== undefined) keptColumns.add(column + suffix)
  }
  const drop = [...existing.keys()].filter((c) => !keptColumns.has(c))
  const layout = planLayout(mapping.table, def, undefined, keep, keptColumns)
  const added = layout.columns.filter((c) => !keep.has(c.property.name))
  const t = q(mapping.table)
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
  // Absent names: only properties the def still has, plus every new (or retyped) property.
  const names = def.propertyDefs().map((p) => p.name)
  const fresh = added.map((c) => c.property.name)
  await sql`update ${sql.id(mapping.table)} set ${sql.id(ABSENT_COLUMN)} = nullif(array(select distinct x from unnest(coalesce(${sql.id(ABSENT_COLUMN)}, '{}'::text[]) || ${fresh}::text[]) as x where x = any(${names}::text[]) order by x), '{}'::text[])`.execute(
    db,
  )
  await resetConstraints(db, def, layout, true)
  const columns = new Map(layout.columns.map((c) => [c.property.name, c.column]))
  await replaceColumnMappings(db, def.globalId, columns)
  return { ...mapping, columns }
}

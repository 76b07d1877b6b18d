import { sql, type Kysely, type RawBuilder } from 'kysely'
import { CheapConflictError, CheapValidationError } from '../../../errors.ts'
import { Aspect } from '../../../model/aspect.ts'
import type { PropertyValue, ScalarValue } from '../../../model/property-type.ts'
import type { CheapDatabase } from '../../schema/database.ts'
import type { AspectAssembler, AspectSlice } from '../aspect-values.ts'
import { CHUNK_ROWS, type WriteMode } from '../bulk-write.ts'
import { codecOf } from '../codecs/index.ts'
import type { StoredVersion } from '../def-versions.ts'
import { arrayLiteral } from './columns.ts'
import { ABSENT_COLUMN } from './names.ts'

type Db = Kysely<CheapDatabase>

/**
 * An AspectDef version stored in its own table instead of the generic value tables, as recorded
 * in `aspect_table_mapping` / `aspect_column_mapping` (so every DAO and process sees it).
 *
 * - made by `mapAspectDef`: writable, with `catalog_id`, `aspect_id` and `entity_id`; saves,
 *   loads, deletes and queries of catalogs pinned to this version use the table transparently;
 * - made by `adoptTable`: an existing table of one of the Java layouts (with or without
 *   `catalog_id` / `entity_id`), read-only.
 */
export interface DedicatedTable {
  readonly defId: string
  readonly defName: string
  /** The one version of the def the table holds. */
  readonly version: number
  readonly table: string
  readonly hasCatalogId: boolean
  readonly hasEntityId: boolean
  readonly isReadOnly: boolean
  /** Property slot → column, in the version's property order. */
  readonly columns: ReadonlyMap<number, string>
}

/**
 * Thrown by a read whose snapshot names a dedicated table that has since been dropped and made
 * again under the same name (an unmapAspectDef then a mapAspectDef, committed after the snapshot
 * began): PostgreSQL resolves the name to the new table, whose rows that snapshot cannot see, so
 * the read would find nothing. `readOnlySnapshot` runs the read again in a fresh snapshot; in a
 * caller's own repeatable-read transaction (`dao.transaction`) it is a retryable CONFLICT.
 */
export class DedicatedTableReplaced extends CheapConflictError {
  constructor(table: string) {
    super(
      `dedicated table "${table}" was dropped and made again (unmapAspectDef, then mapAspectDef) ` +
        "after this transaction's snapshot began, which cannot see its rows: run the transaction again",
    )
  }
}

/**
 * The mappings of the given defs (or of one table, or all), read in the caller's snapshot.
 * Throws {@link DedicatedTableReplaced} when a mapped table's name now resolves to a relation
 * this snapshot cannot see (made after it began); a table dropped meanwhile fails where it is
 * read (42P01), which `readOnlySnapshot` retries too.
 */
export async function readMappings(
  db: Db,
  filter: { readonly defIds: readonly string[] } | { readonly table: string } | 'all',
): Promise<DedicatedTable[]> {
  if (typeof filter === 'object' && 'defIds' in filter && filter.defIds.length === 0) return []
  let query = db
    .selectFrom('aspect_table_mapping as m')
    .innerJoin('aspect_def as d', 'd.aspect_def_id', 'm.aspect_def_id')
    .select([
      'm.aspect_def_id',
      'd.name',
      'm.version',
      'm.table_name',
      'm.has_catalog_id',
      'm.has_entity_id',
      'm.is_read_only',
      // Names resolve in the latest catalog; pg_class rows are read in the snapshot.
      sql<boolean>`(to_regclass(quote_ident(current_schema()) || '.' || quote_ident(m.table_name)) is not null and not exists (select 1 from pg_class c where c.oid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(m.table_name))))`.as(
        'replaced',
      ),
    ])
    .orderBy('d.name')
  if (typeof filter === 'object' && 'defIds' in filter)
    query = query.where('m.aspect_def_id', '=', sql<string>`any(${[...filter.defIds]}::uuid[])`)
  else if (typeof filter === 'object') query = query.where('m.table_name', '=', filter.table)
  const mappings = await query.execute()
  if (mappings.length === 0) return []
  const replaced = mappings.find((m) => m.replaced)
  if (replaced !== undefined) throw new DedicatedTableReplaced(replaced.table_name)
  const columns = await db
    .selectFrom('aspect_column_mapping as c')
    .innerJoin('aspect_table_mapping as m', 'm.aspect_def_id', 'c.aspect_def_id')
    .innerJoin('property_def as p', (join) =>
      join
        .onRef('p.aspect_def_id', '=', 'c.aspect_def_id')
        .onRef('p.version', '=', 'm.version')
        .onRef('p.property_id', '=', 'c.property_id'),
    )
    .select(['c.aspect_def_id', 'c.property_id', 'c.column_name'])
    .where(
      'c.aspect_def_id',
      '=',
      sql<string>`any(${mappings.map((m) => m.aspect_def_id)}::uuid[])`,
    )
    .orderBy('c.aspect_def_id')
    .orderBy('p.property_index')
    .execute()
  return mappings.map((m) => ({
    defId: m.aspect_def_id,
    defName: m.name,
    version: m.version,
    table: m.table_name,
    hasCatalogId: m.has_catalog_id,
    hasEntityId: m.has_entity_id,
    isReadOnly: m.is_read_only,
    columns: new Map(
      columns
        .filter((c) => c.aspect_def_id === m.aspect_def_id)
        .map((c) => [c.property_id, c.column_name]),
    ),
  }))
}

/**
 * The dedicated tables of `versions` (unmapped ones absent), adopted read-only ones included:
 * writing an aspect into one of those is refused by {@link writeDedicated}.
 */
export async function dedicatedTablesOf(
  db: Db,
  versions: Iterable<StoredVersion>,
): Promise<Map<StoredVersion, DedicatedTable>> {
  const list = [...versions]
  const out = new Map<StoredVersion, DedicatedTable>()
  const mappings = await readMappings(db, { defIds: [...new Set(list.map((v) => v.defId))] })
  for (const v of list) {
    const m = mappings.find((x) => x.defId === v.defId && x.version === v.version)
    if (m !== undefined) out.set(v, m)
  }
  return out
}

export function readOnlyError(mapping: DedicatedTable): CheapValidationError {
  return new CheapValidationError(
    `AspectDef '${mapping.defName}' is mapped read-only to the adopted table ${JSON.stringify(mapping.table)}; its aspects cannot be saved (read them with loadAdoptedTable)`,
    { reason: 'NOT_WRITABLE', aspectDefName: mapping.defName },
  )
}

/** One column a dedicated write sends. */
interface SentColumn {
  readonly name: string
  /** Parameter element type. */
  readonly param: string
  /** Cast in the select list (array columns travel as text literals). */
  readonly cast: string | undefined
}

interface Layout {
  readonly sent: readonly SentColumn[]
  readonly properties: readonly {
    readonly name: string
    readonly isMultivalued: boolean
    readonly hasExtra: boolean
    readonly codec: ReturnType<typeof codecOf>
  }[]
}

function layoutOf(table: DedicatedTable, version: StoredVersion): Layout {
  const sent: SentColumn[] = [
    { name: 'aspect_id', param: 'int8', cast: undefined },
    { name: 'entity_id', param: 'uuid', cast: undefined },
  ]
  const properties: Layout['properties'][number][] = []
  for (const { def, slot } of version.properties) {
    const column = table.columns.get(slot)
    if (column === undefined) continue
    const codec = codecOf(def.type)
    sent.push(
      def.isMultivalued
        ? { name: column, param: 'text', cast: `${codec.sqlType}[]` }
        : { name: column, param: codec.sqlType, cast: undefined },
    )
    if (codec.extra !== undefined) {
      const name = column + codec.extra.suffix
      sent.push(
        def.isMultivalued
          ? { name, param: 'text', cast: `${codec.extra.sqlType}[]` }
          : { name, param: codec.extra.sqlType, cast: undefined },
      )
    }
    properties.push({
      name: def.name,
      isMultivalued: def.isMultivalued,
      hasExtra: codec.extra !== undefined,
      codec,
    })
  }
  sent.push({ name: ABSENT_COLUMN, param: 'text', cast: 'text[]' })
  return { sent, properties }
}

/** Rows of a dedicated table, one per aspect, in the order of {@link layoutOf}'s columns. */
function* rowsOf(slice: AspectSlice, layout: Layout): Generator<unknown[]> {
  for (let i = 0; i < slice.aspects.length; i++) {
    const aspect = slice.aspects[i] as Aspect
    const stored = Aspect.stored(aspect)
    const row: unknown[] = [slice.ids[i], aspect.entityId]
    const absent: string[] = []
    for (const p of layout.properties) {
      if (!stored.has(p.name)) {
        absent.push(p.name)
        row.push(null)
        if (p.hasExtra) row.push(null)
        continue
      }
      const value = stored.get(p.name) as PropertyValue
      if (value === null) {
        row.push(null)
        if (p.hasExtra) row.push(null)
      } else if (p.isMultivalued) {
        const list = value as readonly ScalarValue[]
        row.push(arrayLiteral(list.map((v) => p.codec.encode(v))))
        if (p.hasExtra) row.push(arrayLiteral(list.map((v) => p.codec.encodeExtra(v))))
      } else {
        row.push(p.codec.encode(value as ScalarValue))
        if (p.hasExtra) row.push(p.codec.encodeExtra(value as ScalarValue))
      }
    }
    row.push(absent.length === 0 ? null : arrayLiteral(absent))
    yield row
  }
}

/**
 * Writes the aspects of a slice into its dedicated table: `INSERT INTO t (…) SELECT $catalog,
 * u.k0, u.k1::bigint[], … FROM unnest(…) AS u(k0, k1, …)`, 10k rows a statement. Scalar columns
 * travel as typed arrays, array columns (lists, zone/scale lists, `cheap_absent`) as one array
 * literal per row in a `text[]`, cast in the select list. Returns rows sent.
 */
export async function writeDedicated(
  db: Db,
  table: DedicatedTable,
  slice: AspectSlice,
  catalogId: string,
  mode: Exclude<WriteMode, 'upsert-keep'>,
): Promise<number> {
  if (slice.aspects.length === 0) return 0
  if (table.isReadOnly) throw readOnlyError(table)
  const layout = layoutOf(table, slice.version)
  const sent = layout.sent
  const names = sql.join([sql.id('catalog_id'), ...sent.map((c) => sql.id(c.name))])
  const alias = (i: number) => sql.id(`k${i}`)
  const select = sql.join(
    sent.map((c, i) =>
      c.cast === undefined ? sql`u.${alias(i)}` : sql`u.${alias(i)}::${sql.raw(c.cast)}`,
    ),
  )
  const aliases = sql.join(sent.map((_, i) => alias(i)))
  const values = sent.slice(1)
  const conflict: RawBuilder<unknown> =
    mode === 'insert'
      ? sql``
      : sql`on conflict (catalog_id, aspect_id) do update set ${sql.join(values.map((c) => sql`${sql.id(c.name)} = excluded.${sql.id(c.name)}`))} where (${sql.join(values.map((c) => sql`${sql.id(table.table)}.${sql.id(c.name)}`))}) is distinct from (${sql.join(values.map((c) => sql`excluded.${sql.id(c.name)}`))})`
  let written = 0
  let chunk: unknown[][] = []
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return
    const params = sql.join(
      sent.map((c, k) => sql`${chunk.map((row) => row[k])}::${sql.raw(c.param)}[]`),
    )
    await sql`insert into ${sql.id(table.table)} (${names}) select ${catalogId}::uuid, ${select} from unnest(${params}) as u(${aliases}) ${conflict}`.execute(
      db,
    )
    written += chunk.length
    chunk = []
  }
  for (const row of rowsOf(slice, layout)) {
    chunk.push(row)
    if (chunk.length >= CHUNK_ROWS) await flush()
  }
  await flush()
  return written
}

/**
 * Reads a dedicated table's rows of one catalog (all, or the given aspects) into `assembler`,
 * whose aspects the caller registered. Absent properties stay absent (`cheap_absent`).
 */
export async function readDedicated(
  db: Db,
  table: DedicatedTable,
  version: StoredVersion,
  catalogId: string,
  assembler: AspectAssembler,
  aspectIds?: readonly number[],
): Promise<void> {
  const parts: RawBuilder<unknown>[] = [
    sql`t.aspect_id`,
    sql`t.${sql.id(ABSENT_COLUMN)} as cheap_absent`,
  ]
  const read: {
    name: string
    isMultivalued: boolean
    codec: ReturnType<typeof codecOf>
    value: string
    extra: string | undefined
  }[] = []
  version.properties.forEach(({ def, slot }, i) => {
    const column = table.columns.get(slot)
    if (column === undefined) return
    const codec = codecOf(def.type)
    // uuid[] has no parser in pg's defaults everywhere: read it as text[].
    parts.push(
      def.type === 'UID' && def.isMultivalued
        ? sql`t.${sql.id(column)}::text[] as ${sql.id(`c${i}`)}`
        : sql`t.${sql.id(column)} as ${sql.id(`c${i}`)}`,
    )
    let extra: string | undefined
    if (codec.extra !== undefined) {
      extra = `x${i}`
      parts.push(sql`t.${sql.id(column + codec.extra.suffix)} as ${sql.id(extra)}`)
    }
    read.push({ name: def.name, isMultivalued: def.isMultivalued, codec, value: `c${i}`, extra })
  })
  const only =
    aspectIds === undefined ? sql`` : sql`and t.aspect_id = any(${aspectIds.map(String)}::int8[])`
  const rows = await sql<
    Record<string, unknown>
  >`select ${sql.join(parts)} from ${sql.id(table.table)} t where t.catalog_id = ${catalogId}::uuid ${only}`.execute(
    db,
  )
  for (const row of rows.rows) {
    const absent = new Set((row['cheap_absent'] as string[] | null) ?? [])
    const values = new Map<string, PropertyValue>()
    for (const c of read) {
      if (absent.has(c.name)) continue
      const raw = row[c.value]
      if (raw === null || raw === undefined) {
        values.set(c.name, null)
        continue
      }
      const extra = c.extra === undefined ? undefined : row[c.extra]
      if (c.isMultivalued) {
        const extras = extra as readonly unknown[] | undefined
        values.set(
          c.name,
          Object.freeze(
            (raw as readonly unknown[]).map((item, k) => c.codec.decode(item, extras?.[k])),
          ),
        )
      } else {
        values.set(c.name, c.codec.decode(raw, extra))
      }
    }
    assembler.setValues(Number(row['aspect_id']), values)
  }
}

import { sql, type Kysely } from 'kysely'
import type { PropertyTypeCode } from '../../model/property-type.ts'
import type { CopyIn } from '../connection/held-connection.ts'
import type { CheapDatabase } from '../schema/database.ts'
import {
  listRows,
  typesOf,
  valueRows,
  VALUE_TYPES,
  type AspectAssembler,
  type AspectSlice,
} from './aspect-values.ts'
import {
  insertTogether,
  target,
  writeRows,
  CHUNK_ROWS,
  type AnyWriteTarget,
  type RowProgress,
  type WriteMode,
} from './bulk-write.ts'
import { CODECS, codecOf, VALUE_TABLE_NAMES } from './codecs/index.ts'
import type { StoredVersion } from './def-versions.ts'
import { readDedicated, writeDedicated, type DedicatedTable } from './dedicated/table.ts'

type Db = Kysely<CheapDatabase>

export const ASPECT = target('aspect', ['aspect_id', 'aspect_def_id', 'entity_id', 'map_order'], 1)
export const PROPERTY_LIST = target('property_list', ['aspect_id', 'property_id', 'length'], 2)

function valueTarget(type: PropertyTypeCode): AnyWriteTarget {
  const key = ['aspect_id', 'property_id', 'value_index'] as const
  if (type === 'BGF')
    return target('property_value_big_decimal', [...key, 'value', 'value_scale'], 3)
  if (type === 'DAT') return target('property_value_date_time', [...key, 'value', 'zone'], 3)
  return target(CODECS[type].table, [...key, 'value'], 3)
}

export const VALUE_TARGETS: ReadonlyMap<PropertyTypeCode, AnyWriteTarget> = new Map(
  VALUE_TYPES.map((type) => [type, valueTarget(type)]),
)

/** Aspects with their map positions: `[aspect_id, aspect_def_id, entity_id, map_order]`. */
export function* aspectRows(
  slices: readonly AspectSlice[],
  orders: (slice: AspectSlice, index: number) => number,
): Generator<readonly unknown[]> {
  for (const slice of slices) {
    for (let i = 0; i < slice.aspects.length; i++) {
      yield [slice.ids[i], slice.version.defId, slice.aspects[i]?.entityId, orders(slice, i)]
    }
  }
}

/**
 * Writes the values of `slices` (their aspect rows are written first by the caller): a mapped
 * version's into its dedicated table, the others' into property_list and the value tables of
 * the types they use. Returns rows sent.
 */
export async function writeAspectValues(
  db: Db,
  catalogId: string,
  slices: readonly AspectSlice[],
  storage: ReadonlyMap<StoredVersion, DedicatedTable>,
  mode: Exclude<WriteMode, 'upsert-keep'>,
  copyIn?: CopyIn,
  progress?: RowProgress,
): Promise<number> {
  let written = 0
  const generic: AspectSlice[] = []
  for (const slice of slices) {
    const table = storage.get(slice.version)
    if (table === undefined) generic.push(slice)
    else {
      await progress?.between()
      const sent = await writeDedicated(db, table, slice, catalogId, mode)
      written += sent
      progress?.rows(table.table, sent)
    }
  }
  if (generic.length === 0) return written
  const types = new Set(generic.flatMap((s) => [...typesOf(s.version)]))
  if (generic.some((s) => s.version.properties.some((p) => p.def.isMultivalued))) {
    const lists = listRows(generic)
    written += await writeRows(db, PROPERTY_LIST, catalogId, lists, mode, copyIn, progress)
  }
  for (const type of VALUE_TYPES) {
    if (!types.has(type)) continue
    const t = VALUE_TARGETS.get(type) as AnyWriteTarget
    const rows = valueRows(generic, type)
    written += await writeRows(db, t, catalogId, rows, mode, copyIn, progress)
  }
  return written
}

/**
 * Reads the stored values of the aspects registered in `assembler`: one query per value table
 * the versions use (and property_list when they have lists), one per dedicated table; all of the
 * catalog's rows, or only those of `aspectIds`.
 */
export async function readAspectValues(
  db: Db,
  catalogId: string,
  versions: Iterable<StoredVersion>,
  storage: ReadonlyMap<StoredVersion, DedicatedTable>,
  assembler: AspectAssembler,
  aspectIds?: readonly number[],
  progress?: RowProgress,
): Promise<void> {
  const generic: StoredVersion[] = []
  for (const version of versions) {
    const table = storage.get(version)
    if (table === undefined) generic.push(version)
    else {
      await progress?.between()
      await readDedicated(db, table, version, catalogId, assembler, aspectIds)
    }
  }
  if (generic.length === 0) return
  const only = aspectIds?.map(String)
  if (generic.some((v) => v.properties.some((p) => p.def.isMultivalued))) {
    let lists = db
      .selectFrom('property_list')
      .select(['aspect_id', 'property_id', 'length'])
      .where('catalog_id', '=', catalogId)
    if (only !== undefined) lists = lists.where('aspect_id', '=', sql<bigint>`any(${only}::int8[])`)
    await progress?.between()
    const rows = await lists.execute()
    for (const r of rows) assembler.list(Number(r.aspect_id), r.property_id, r.length)
    progress?.rows('property_list', rows.length)
  }
  const types = new Set(generic.flatMap((v) => [...typesOf(v)]))
  for (const type of VALUE_TYPES) {
    if (!types.has(type)) continue
    const codec = codecOf(type)
    const extra = codec.extra === undefined ? sql`null` : sql.id(codec.extra.column)
    const filter = only === undefined ? sql`` : sql`and aspect_id = any(${only}::int8[])`
    await progress?.between()
    // One query shape for every value table: their key columns are the same (tables.ts), and the
    // extra column (zone, scale) exists only in two of them.
    const rows = await sql<{
      aspect_id: bigint
      property_id: number
      value_index: number
      value: unknown
      extra: unknown
    }>`select aspect_id, property_id, value_index, value, ${extra} as extra from ${sql.id(codec.table)} where catalog_id = ${catalogId}::uuid ${filter}`.execute(
      db,
    )
    for (const r of rows.rows) {
      assembler.value(Number(r.aspect_id), r.property_id, r.value_index, r.value, r.extra)
    }
    progress?.rows(codec.table, rows.rows.length)
  }
}

/** Deletes the stored values of some aspects (their rows stay), in one statement. */
export async function clearValues(
  trx: Db,
  catalogId: string,
  aspectIds: readonly number[],
  dedicated: DedicatedTable | undefined,
): Promise<void> {
  const ids = aspectIds.map(String)
  const tables: string[] =
    dedicated === undefined ? ['property_list', ...VALUE_TABLE_NAMES] : [dedicated.table]
  const deletes = tables.map(
    (t, i) =>
      sql`${sql.raw(`d${i}`)} as (delete from ${sql.id(t)} where catalog_id = ${catalogId}::uuid and aspect_id = any(${ids}::int8[]))`,
  )
  await sql`with ${sql.join(deletes)} select 1`.execute(trx)
}

/**
 * Replaces the stored values of existing aspects (their rows stay, so do their positions) with
 * the values they hold now: rows that are gone are deleted, the others upserted, so a row whose
 * value did not change is not touched (its audit `updated_at` stays). A handful of aspects (the
 * usual partial write) costs two statements whatever the number of tables. Returns rows sent.
 */
export async function replaceAspectValues(
  db: Db,
  catalogId: string,
  slices: readonly AspectSlice[],
  storage: ReadonlyMap<StoredVersion, DedicatedTable>,
): Promise<number> {
  let written = 0
  const generic: AspectSlice[] = []
  for (const slice of slices) {
    const table = storage.get(slice.version)
    if (table === undefined) generic.push(slice)
    else written += await writeDedicated(db, table, slice, catalogId, 'upsert')
  }
  const ids = generic.flatMap((s) => s.ids.map(String))
  if (ids.length === 0) return written
  const writes: { target: AnyWriteTarget; rows: (readonly unknown[])[] }[] = [
    { target: PROPERTY_LIST, rows: [...listRows(generic)] },
    ...VALUE_TYPES.map((type) => ({
      target: VALUE_TARGETS.get(type) as AnyWriteTarget,
      rows: [...valueRows(generic, type)],
    })),
  ]
  // Rows of these aspects that the new values no longer have: one anti-join per table, all in
  // one statement.
  const deletes = writes.map((w, i) => {
    const keys = w.target.columns.slice(0, w.target.keys)
    const types = keys.map((k) => (k === 'aspect_id' ? 'int8' : 'int4'))
    const keep = keys.map((_, k) => w.rows.map((r) => r[k]))
    return sql`${sql.raw(`d${i}`)} as (delete from ${sql.id(w.target.table)} t where t.catalog_id = ${catalogId}::uuid and t.aspect_id = any(${ids}::int8[]) and not exists (select 1 from unnest(${sql.join(keep.map((column, k) => sql`${column}::${sql.raw(types[k] as string)}[]`))}) as k(${sql.join(keys.map((_, k) => sql.raw(`k${k}`)))}) where ${sql.join(
      keys.map((key, k) => sql`k.${sql.raw(`k${k}`)} = t.${sql.id(key)}`),
      sql` and `,
    )}))`
  })
  await sql`with ${sql.join(deletes)} select 1`.execute(db)
  const total = writes.reduce((n, w) => n + w.rows.length, 0)
  if (total <= CHUNK_ROWS) {
    const statement = insertTogether(catalogId, writes, 'upsert')
    if (statement !== undefined) await statement.execute(db)
    return written + total
  }
  for (const w of writes) written += await writeRows(db, w.target, catalogId, w.rows, 'upsert')
  return written
}

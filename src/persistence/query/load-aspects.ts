import { sql, type Kysely } from 'kysely'
import { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { EntityId } from '../../model/entity.ts'
import type { PropertyValue, ScalarValue } from '../../model/property-type.ts'
import { VALUE_CODECS } from '../store/value-codecs.ts'
import { decodeDedicatedRow, dedicatedSelect } from '../mapping/dedicated-load.ts'
import type { AspectTableMapping } from '../mapping/mapping-store.ts'

type Executor = Kysely<unknown>

/**
 * The aspects of `def` for the given entities of one catalog, in the order of `entityIds`
 * (entities without an aspect are skipped): one query per value type the def uses (generic
 * tables) or one query on the dedicated table.
 */
export async function loadAspectsByIds<D extends AspectDef>(
  db: Executor,
  catalogId: string,
  def: D,
  mapping: AspectTableMapping | undefined,
  entityIds: readonly EntityId[],
): Promise<Aspect<D>[]> {
  if (entityIds.length === 0) return []
  const ids = [...entityIds]
  const existing = await sql<{
    entity_id: EntityId
  }>`select entity_id from aspect where catalog_id = ${catalogId}::uuid and aspect_def_id = ${def.globalId}::uuid and entity_id = any(${ids}::uuid[])`.execute(
    db,
  )
  const stored = new Map<EntityId, Map<string, PropertyValue>>(
    existing.rows.map((r) => [r.entity_id, new Map()]),
  )
  if (mapping !== undefined) {
    const { list, columns } = dedicatedSelect(def, mapping)
    const rows = await sql<
      Record<string, unknown>
    >`select t.entity_id, ${sql.raw(list)} from ${sql.id(mapping.table)} t where t.catalog_id = ${catalogId}::uuid and t.entity_id = any(${ids}::uuid[])`.execute(
      db,
    )
    for (const row of rows.rows) {
      const values = stored.get(row['entity_id'] as EntityId)
      if (values === undefined) continue
      for (const [name, value] of decodeDedicatedRow(row, columns)) values.set(name, value)
    }
  } else {
    await loadGeneric(db, catalogId, def, ids, stored)
  }
  const out: Aspect<D>[] = []
  for (const id of entityIds) {
    const values = stored.get(id)
    if (values !== undefined) out.push(Aspect.restore(def, id, values))
  }
  return out
}

async function loadGeneric(
  db: Executor,
  catalogId: string,
  def: AspectDef,
  ids: readonly string[],
  stored: Map<EntityId, Map<string, PropertyValue>>,
): Promise<void> {
  const props = def.propertyDefs()
  if (props.some((p) => p.isMultivalued)) {
    const lists = await sql<{
      entity_id: EntityId
      property_name: string
      length: number | null
    }>`select entity_id, property_name, length from property_list where catalog_id = ${catalogId}::uuid and aspect_def_id = ${def.globalId}::uuid and entity_id = any(${[...ids]}::uuid[])`.execute(
      db,
    )
    for (const r of lists.rows) {
      if (!def.hasProperty(r.property_name)) continue
      stored
        .get(r.entity_id)
        ?.set(r.property_name, r.length === null ? null : new Array<ScalarValue>(r.length))
    }
  }
  for (const type of new Set(props.map((p) => p.type))) {
    const codec = VALUE_CODECS[type]
    const decode = codec.decode as (raw: unknown, extra?: unknown) => ScalarValue
    const extra = codec.extra === undefined ? sql`null` : sql.id(codec.extra.column)
    const rows = await sql<{
      entity_id: EntityId
      property_name: string
      value_index: number
      value: unknown
      extra: unknown
    }>`select entity_id, property_name, value_index, value, ${extra} as extra from ${sql.id(codec.table)} where catalog_id = ${catalogId}::uuid and aspect_def_id = ${def.globalId}::uuid and entity_id = any(${[...ids]}::uuid[])`.execute(
      db,
    )
    for (const r of rows.rows) {
      const values = stored.get(r.entity_id)
      if (values === undefined) continue
      const value = r.value === null ? null : decode(r.value, r.extra)
      const list = values.get(r.property_name)
      if (Array.isArray(list)) (list as ScalarValue[])[r.value_index] = value as ScalarValue
      else values.set(r.property_name, value)
    }
  }
  for (const values of stored.values()) {
    for (const [name, value] of values)
      if (Array.isArray(value)) values.set(name, Object.freeze(value))
  }
}

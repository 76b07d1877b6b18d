import { sql, type Kysely } from 'kysely'
import { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { EntityId } from '../../model/entity.ts'
import type { PropertyDef } from '../../model/property-def.ts'
import type { PropertyValue, ScalarValue } from '../../model/property-type.ts'
import { decodeElement, extraSuffix } from './column-types.ts'
import { readMappings, type AspectTableMapping } from './mapping-store.ts'
import { ABSENT_COLUMN, q } from './names.ts'

type Executor = Kysely<unknown>

/** Stored values by AspectDef id, then entity id (the shape load-catalog.ts fills). */
export type StoredValuesByDef = Map<string, Map<EntityId, Map<string, PropertyValue>>>

interface SelectedColumn {
  readonly prop: PropertyDef
  readonly alias: string
  readonly extraAlias: string | undefined
}

/** The select list of a dedicated table: every mapped property column, aliased `c<i>`/`x<i>`. */
export function dedicatedSelect(
  def: AspectDef,
  mapping: AspectTableMapping,
  tableAlias = 't',
): { readonly list: string; readonly columns: readonly SelectedColumn[] } {
  const parts: string[] = []
  const columns: SelectedColumn[] = []
  def.propertyDefs().forEach((prop, i) => {
    const column = mapping.columns.get(prop.name)
    if (column === undefined) return
    const ref = `${tableAlias}.${q(column)}`
    // uuid[] has no parser in pg's defaults everywhere: read it as text[].
    parts.push(
      prop.type === 'UID' && prop.isMultivalued ? `${ref}::text[] as c${i}` : `${ref} as c${i}`,
    )
    const suffix = extraSuffix(prop.type)
    let extraAlias: string | undefined
    if (suffix !== undefined) {
      extraAlias = `x${i}`
      parts.push(`${tableAlias}.${q(column + suffix)} as ${extraAlias}`)
    }
    columns.push({ prop, alias: `c${i}`, extraAlias })
  })
  parts.push(`${tableAlias}.${ABSENT_COLUMN} as cheap_absent`)
  return { list: parts.join(', '), columns }
}

/** Decodes one row of a dedicated table into stored values (absent properties left out). */
export function decodeDedicatedRow(
  row: Readonly<Record<string, unknown>>,
  columns: readonly SelectedColumn[],
): Map<string, PropertyValue> {
  const absent = new Set((row['cheap_absent'] as string[] | null) ?? [])
  const stored = new Map<string, PropertyValue>()
  for (const c of columns) {
    const prop = c.prop
    if (absent.has(prop.name)) continue
    const raw = row[c.alias]
    if (raw === null || raw === undefined) {
      stored.set(prop.name, null)
      continue
    }
    const extra = c.extraAlias === undefined ? undefined : row[c.extraAlias]
    if (prop.isMultivalued) {
      const items = raw as readonly unknown[]
      const extras = extra as readonly unknown[] | undefined
      const list: ScalarValue[] = items.map((item, i) =>
        decodeElement(prop.type, item, extras?.[i]),
      )
      stored.set(prop.name, Object.freeze(list))
    } else {
      stored.set(prop.name, decodeElement(prop.type, raw, extra))
    }
  }
  return stored
}

/**
 * The load hook: reads the dedicated tables of the catalog's mapped defs (one query per mapped
 * def) into `out`, whose entries the `aspect` rows already created in map order. Runs inside
 * the load's snapshot and reads the mappings there, so it never uses a stale cache. Returns the
 * ids of the mapped defs (their values are not in the generic tables).
 */
export async function loadDedicatedValues(
  trx: Executor,
  catalogId: string,
  defs: ReadonlyMap<string, AspectDef>,
  out: StoredValuesByDef,
): Promise<ReadonlySet<string>> {
  const mappings = await readMappings(trx, [...defs.keys()])
  const mapped = new Set<string>()
  for (const [defId, mapping] of mappings) {
    if (mapping.isReadOnly) continue
    mapped.add(defId)
    const byEntity = out.get(defId)
    if (byEntity === undefined || byEntity.size === 0) continue
    const def = defs.get(defId) as AspectDef
    const { list, columns } = dedicatedSelect(def, mapping)
    const rows = await sql<
      Record<string, unknown>
    >`select t.entity_id, ${sql.raw(list)} from ${sql.id(mapping.table)} t where t.catalog_id = ${catalogId}::uuid`.execute(
      trx,
    )
    for (const row of rows.rows) {
      const stored = byEntity.get(row['entity_id'] as EntityId)
      if (stored === undefined) continue
      for (const [name, value] of decodeDedicatedRow(row, columns)) stored.set(name, value)
    }
  }
  return mapped
}

/**
 * The partial-read hook: when `def` is mapped to a dedicated table, its aspects for `entityIds`
 * in map order (one query joining `aspect` and the table); undefined when the def is not mapped
 * (the caller reads the generic tables).
 */
export async function loadDedicatedAspectsOf(
  trx: Executor,
  catalogId: string,
  def: AspectDef,
  entityIds: readonly EntityId[],
): Promise<Map<EntityId, Aspect> | undefined> {
  const mapping = (await readMappings(trx, [def.globalId])).get(def.globalId)
  if (mapping === undefined || mapping.isReadOnly) return undefined
  const { list, columns } = dedicatedSelect(def, mapping)
  const rows = await sql<
    Record<string, unknown>
  >`select a.entity_id, ${sql.raw(list)} from aspect a join ${sql.id(mapping.table)} t on t.catalog_id = a.catalog_id and t.entity_id = a.entity_id where a.catalog_id = ${catalogId}::uuid and a.aspect_def_id = ${def.globalId}::uuid and a.entity_id = any(${[...new Set(entityIds)]}::uuid[]) order by a.map_order`.execute(
    trx,
  )
  const out = new Map<EntityId, Aspect>()
  for (const row of rows.rows) {
    const id = row['entity_id'] as EntityId
    out.set(id, Aspect.restore(def, id, decodeDedicatedRow(row, columns)))
  }
  return out
}

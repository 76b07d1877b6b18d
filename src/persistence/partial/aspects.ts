import { sql, type Kysely } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { checkUuid, toEntityId, type EntityId } from '../../model/entity.ts'
import { checkName, describe } from '../../model/names.ts'
import type { PropertyValue, ScalarValue } from '../../model/property-type.ts'
import { loadAspectDefsById } from '../aspect-def-store.ts'
import { fetchAspects, type AspectDefCache } from '../aspect-fetch.ts'
import { writeRows } from '../store/bulk-write.ts'
import { partialRead, partialWrite, requireHierarchy } from '../store/catalog-lock.ts'
import { addAspectRows, newContentRows } from '../catalog-rows.ts'
import { deleteUnreferencedEntities } from '../store/entity-gc.ts'
import { writePartialAspects } from '../catalog/save-catalog.ts'
import { loadDedicatedAspectsOf } from '../mapping/dedicated-load.ts'
import type { DedicatedRows } from '../mapping/dedicated-rows.ts'
import { VALUE_CODECS } from '../store/value-codecs.ts'
import { ENTITY } from '../write-targets.ts'

type Executor = Kysely<unknown>

/** What {@link upsertAspects} did. */
export interface UpsertAspectsResult {
  /** The catalog's stored revision after the call. */
  readonly revision: bigint
  /** Aspects of entities that had none of this def: appended to the map. */
  readonly inserted: number
  /** Aspects replaced in place (position kept, values replaced exactly). */
  readonly updated: number
}

/** What {@link removeAspects} did. */
export interface RemoveAspectsResult {
  readonly revision: bigint
  /** Aspects deleted (entities without an aspect of the def are not counted). */
  readonly removed: number
}

/** Validates and de-duplicates entity ids (first occurrence kept). */
export function checkEntityIds(call: string, ids: Iterable<string>): EntityId[] {
  if (ids === null || typeof ids !== 'object' || !(Symbol.iterator in ids)) {
    throw new CheapValidationError(
      `${call}: expected an iterable of entity ids, got ${describe(ids)}`,
      {
        reason: 'INVALID_ARGUMENT',
      },
    )
  }
  return [...ids].map((id) => toEntityId(id))
}

/** The AspectMap hierarchy of `aspectDefName` and its stored def. */
async function storedAspectMap(
  trx: Executor,
  catalogId: string,
  aspectDefName: string,
  call: string,
): Promise<AspectDef> {
  const map = await requireHierarchy(trx, catalogId, aspectDefName, ['AM'], call)
  const defId = map.aspectDefId as string
  const def = (await loadAspectDefsById(trx, [defId])).get(defId)
  // The foreign key hierarchy → catalog_aspect_def → aspect_def makes this unreachable.
  if (def === undefined)
    throw new Error(`AspectDef ${defId} of aspect map '${aspectDefName}' is missing`)
  return def
}

/**
 * Stored aspects of `def` for the given entities, in map order (a Map keeps insertion order).
 * One query for the aspect rows, one for property_list, one per value table the def uses.
 */
export async function loadAspectsOf(
  trx: Executor,
  catalogId: string,
  def: AspectDef,
  entityIds: readonly EntityId[],
): Promise<Map<EntityId, Aspect>> {
  const out = new Map<EntityId, Aspect>()
  if (entityIds.length === 0) return out
  // A def mapped to a dedicated table keeps its values there.
  const dedicated = await loadDedicatedAspectsOf(trx, catalogId, def, entityIds)
  if (dedicated !== undefined) return dedicated
  const defId = def.globalId
  const ids = [...new Set(entityIds)]
  const rows = await sql<{
    entity_id: EntityId
  }>`select entity_id from aspect where catalog_id = ${catalogId}::uuid and aspect_def_id = ${defId}::uuid and entity_id = any(${ids}::uuid[]) order by map_order`.execute(
    trx,
  )
  if (rows.rows.length === 0) return out
  const stored = new Map<EntityId, Map<string, PropertyValue>>()
  for (const r of rows.rows) stored.set(r.entity_id, new Map())
  const found = [...stored.keys()]
  const scope = sql`catalog_id = ${catalogId}::uuid and aspect_def_id = ${defId}::uuid and entity_id = any(${found}::uuid[])`
  const props = def.propertyDefs()
  if (props.some((p) => p.isMultivalued)) {
    const lists = await sql<{
      entity_id: EntityId
      property_name: string
      length: number | null
    }>`select entity_id, property_name, length from property_list where ${scope}`.execute(trx)
    for (const r of lists.rows) {
      stored
        .get(r.entity_id)
        ?.set(r.property_name, r.length === null ? null : new Array<ScalarValue>(r.length))
    }
  }
  for (const type of new Set(props.map((p) => p.type))) {
    const codec = VALUE_CODECS[type]
    const decode = codec.decode as (raw: unknown, extra?: unknown) => ScalarValue
    const extra = codec.extra === undefined ? sql`null` : sql.id(codec.extra.column)
    const values = await sql<{
      entity_id: EntityId
      property_name: string
      value_index: number
      value: unknown
      extra: unknown
    }>`select entity_id, property_name, value_index, value, ${extra} as extra from ${sql.id(codec.table)} where ${scope}`.execute(
      trx,
    )
    for (const r of values.rows) {
      const values = stored.get(r.entity_id)
      if (values === undefined) continue
      const value = r.value === null ? null : decode(r.value, r.extra)
      const list = values.get(r.property_name)
      if (Array.isArray(list)) (list as ScalarValue[])[r.value_index] = value as ScalarValue
      else values.set(r.property_name, value)
    }
  }
  for (const [entityId, values] of stored) {
    for (const [name, value] of values) {
      if (Array.isArray(value)) values.set(name, Object.freeze(value))
    }
    out.set(entityId, Aspect.restore(def, entityId, values))
  }
  return out
}

/**
 * The aspects of `aspectDefName` stored for `entityIds`, keyed by entity id in map order;
 * entities without one are absent. One read-only snapshot; a fixed number of queries however
 * many entities are asked for.
 */
export async function loadAspects(
  db: Executor,
  catalogId: string,
  aspectDefName: string,
  entityIds: Iterable<string>,
  defCache?: AspectDefCache,
): Promise<Map<EntityId, Aspect>> {
  checkUuid('catalog id', catalogId)
  checkName('AspectDef', aspectDefName)
  const ids = checkEntityIds('loadAspects', entityIds)
  if (defCache !== undefined) {
    // One statement, one round trip (aspect-fetch.ts); dedicated tables take the path below.
    const fetched = await fetchAspects(db, catalogId, aspectDefName, ids, defCache, 'loadAspects')
    if (fetched !== 'mapped') return fetched.aspects
  }
  return partialRead(db, async (trx) => {
    const def = await storedAspectMap(trx, catalogId, aspectDefName, 'loadAspects')
    return loadAspectsOf(trx, catalogId, def, ids)
  })
}

/** Checks the aspects before any statement; returns them de-duplicated (model semantics). */
function checkAspects(aspectDefName: string, aspects: Iterable<Aspect>): Aspect[] {
  if (aspects === null || typeof aspects !== 'object' || !(Symbol.iterator in aspects)) {
    throw new CheapValidationError(
      `upsertAspects: expected an iterable of aspects of '${aspectDefName}', got ${describe(aspects)}`,
      { reason: 'INVALID_ARGUMENT', aspectDefName },
    )
  }
  // Like AspectMap.add repeated: a later aspect of the same entity replaces an earlier one and
  // takes its position.
  const byEntity = new Map<EntityId, Aspect>()
  let first: AspectDef | undefined
  for (const aspect of aspects) {
    if (!(aspect instanceof Aspect)) {
      throw new CheapValidationError(
        `upsertAspects into '${aspectDefName}': expected an Aspect, got ${describe(aspect)}`,
        { reason: 'WRONG_ASPECT_DEF', aspectDefName },
      )
    }
    const def: AspectDef = aspect.def
    if (def !== first) {
      if (def.name !== aspectDefName || (first !== undefined && !def.equals(first))) {
        throw wrongDef(aspectDefName, def, aspect.entityId, first)
      }
      first = def
    }
    byEntity.set(aspect.entityId, aspect)
  }
  return [...byEntity.values()]
}

function wrongDef(
  aspectDefName: string,
  def: AspectDef,
  entityId: string,
  expected: AspectDef | undefined,
): CheapValidationError {
  const wanted =
    expected === undefined
      ? `'${aspectDefName}'`
      : `'${aspectDefName}' (${expected.globalId}, as the first aspect of this call)`
  return new CheapValidationError(
    `upsertAspects into '${aspectDefName}': the aspect of entity ${entityId} has AspectDef '${def.name}' (${def.globalId}), not ${wanted}`,
    { reason: 'WRONG_ASPECT_DEF', aspectDefName },
  )
}

/**
 * Inserts or replaces aspects of one AspectMap in one transaction, set-based: new aspects are
 * appended after the map's last position, existing ones replaced in place (position kept, value
 * rows replaced exactly: absent, null, value, lists). Every aspect's def must equal the def
 * stored for the catalog's AspectMap (id and structure); the map must exist.
 */
export async function upsertAspects(
  db: Executor,
  catalogId: string,
  aspectDefName: string,
  aspects: Iterable<Aspect>,
  /** Collector for a def mapped to a dedicated table (the DAO passes one). */
  dedicated?: DedicatedRows,
  /** The DAO's def cache: lets the checks below take one round trip instead of five. */
  defCache?: AspectDefCache,
): Promise<UpsertAspectsResult> {
  checkUuid('catalog id', catalogId)
  checkName('AspectDef', aspectDefName)
  const unique = checkAspects(aspectDefName, aspects)
  const def = unique[0]?.def
  // Encoded before the first statement (positions 0..n-1, shifted once the map's end is known).
  const rows = newContentRows(dedicated?.fresh())
  if (def !== undefined) addAspectRows(rows, def, unique, 0)
  const entityIds = unique.map((a) => a.entityId)
  return partialWrite(db, catalogId, async (trx) => {
    const quick = await quickAspectMapCheck(trx, catalogId, aspectDefName, entityIds, defCache)
    const stored =
      quick?.def ?? (await storedAspectMap(trx, catalogId, aspectDefName, 'upsertAspects'))
    if (def !== undefined && (def.globalId !== stored.globalId || !def.equals(stored))) {
      throw new CheapValidationError(
        `upsertAspects into '${aspectDefName}' of catalog ${catalogId}: the aspects' AspectDef (${def.globalId}) differs from the stored one (${stored.globalId}); load the stored def and build the aspects with it`,
        { reason: 'WRONG_ASPECT_DEF', aspectDefName },
      )
    }
    if (unique.length === 0) {
      return { result: { inserted: 0, updated: 0 }, rowsWritten: 0 }
    }
    let probe = quick?.probe
    if (probe === undefined) {
      // Share-lock the def: a concurrent save elsewhere cannot change it under these writes.
      await sql`select 1 from aspect_def where aspect_def_id = ${stored.globalId}::uuid for share`.execute(
        trx,
      )
      probe = (
        await sql<{
          max: number | null
          existing: bigint
        }>`select max(map_order) as max, count(*) filter (where entity_id = any(${entityIds}::uuid[])) as existing from aspect where catalog_id = ${catalogId}::uuid and aspect_def_id = ${stored.globalId}::uuid`.execute(
          trx,
        )
      ).rows[0]
    }
    const base = (probe?.max ?? -1) + 1
    const updated = Number(probe?.existing ?? 0n)
    const orders = rows.aspects[2] as number[]
    for (let i = 0; i < orders.length; i++) orders[i] = (orders[i] as number) + base
    let written = await writeRows(trx, ENTITY, catalogId, [entityIds], 'upsert')
    written += await writePartialAspects(trx, catalogId, rows)
    return {
      result: { inserted: unique.length - updated, updated },
      rowsWritten: written,
    }
  })
}

/**
 * Removes the aspects of `aspectDefName` of the given entities (their values go with them) and
 * the entity rows nothing refers to any more among those entities.
 */
export async function removeAspects(
  db: Executor,
  catalogId: string,
  aspectDefName: string,
  entityIds: Iterable<string>,
): Promise<RemoveAspectsResult> {
  checkUuid('catalog id', catalogId)
  checkName('AspectDef', aspectDefName)
  const ids = [...new Set(checkEntityIds('removeAspects', entityIds))]
  return partialWrite(db, catalogId, async (trx) => {
    const map = await requireHierarchy(trx, catalogId, aspectDefName, ['AM'], 'removeAspects')
    if (ids.length === 0) return { result: { removed: 0 }, rowsWritten: 0 }
    const deleted = await sql<{
      entity_id: string
    }>`delete from aspect where catalog_id = ${catalogId}::uuid and aspect_def_id = ${map.aspectDefId}::uuid and entity_id = any(${ids}::uuid[]) returning entity_id`.execute(
      trx,
    )
    const removed = deleted.rows.map((r) => r.entity_id)
    const collected = await deleteUnreferencedEntities(trx, catalogId, removed)
    return { result: { removed: removed.length }, rowsWritten: removed.length + collected }
  })
}

/**
 * One statement for what an upsert checks before writing: the AspectMap, its def's identity and
 * hash (share-locked), the map's last position and how many of the entities already have an
 * aspect. Uses the cached def when the stored hash still matches. Undefined (take the long way,
 * which also explains a missing catalog or map) when there is no cache or no such AspectMap.
 */
async function quickAspectMapCheck(
  trx: Executor,
  catalogId: string,
  aspectDefName: string,
  entityIds: readonly EntityId[],
  defCache: AspectDefCache | undefined,
): Promise<{ def: AspectDef; probe: { max: number | null; existing: bigint } } | undefined> {
  if (defCache === undefined) return undefined
  const row = (
    await sql<{
      aspect_def_id: string
      hash: string
      max: number | null
      existing: bigint
    }>`select h.aspect_def_id, d.hash_version::text as hash,
        (select max(map_order) from aspect a where a.catalog_id = h.catalog_id and a.aspect_def_id = h.aspect_def_id) as max,
        (select count(*) from aspect a where a.catalog_id = h.catalog_id and a.aspect_def_id = h.aspect_def_id and a.entity_id = any(${[...entityIds]}::uuid[])) as existing
      from hierarchy h join aspect_def d on d.aspect_def_id = h.aspect_def_id
      where h.catalog_id = ${catalogId}::uuid and h.name = ${aspectDefName} and h.hierarchy_type = 'AM'
      for share of d`.execute(trx)
  ).rows[0]
  if (row === undefined) return undefined
  let def = defCache.get(aspectDefName)
  if (
    def === undefined ||
    def.globalId !== row.aspect_def_id ||
    def.hash().toString() !== row.hash
  ) {
    def = (await loadAspectDefsById(trx, [row.aspect_def_id])).get(row.aspect_def_id)
    if (def === undefined) return undefined
    defCache.set(aspectDefName, def)
  }
  return { def, probe: { max: row.max, existing: row.existing } }
}

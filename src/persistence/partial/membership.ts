import { sql, type Kysely } from 'kysely'
import type { CheapDatabase } from '../schema/database.ts'
import { CheapValidationError } from '../../errors.ts'
import { toEntityId, type EntityId } from '../../model/entity.ts'
import { describe } from '../../model/names.ts'
import { invalidTextReason } from '../../model/values/text.ts'
import { writeRows } from '../store/bulk-write.ts'
import { partialWrite, requireHierarchy } from '../store/catalog-lock.ts'
import { deleteUnreferencedEntities } from '../store/entity-gc.ts'
import { checkEntityIds, checkTarget, removed, type MembershipResult } from './common.ts'
import { ENTITY, ENTITY_DIRECTORY, ENTITY_LIST, ENTITY_SET } from '../store/hierarchy-rows.ts'

type Executor = Kysely<CheapDatabase>

const entityRows = (ids: Iterable<string>): (readonly unknown[])[] =>
  [...new Set(ids)].map((id) => [id])

/** Directory entries as pairs (a `Map` too) or as a plain object of key → entity id. */
export type DirectoryEntries =
  Iterable<readonly [string, string]> | Readonly<Record<string, string>>

/** Appends entities to an entity list (EL); duplicates are kept, as `EntityList.add` does. */
export async function addToEntityList(
  db: Executor,
  catalogId: string,
  name: string,
  entityIds: Iterable<string>,
): Promise<MembershipResult> {
  checkTarget(catalogId, name)
  const ids = checkEntityIds('addToEntityList', entityIds)
  return partialWrite(db, catalogId, [], 0, async (trx) => {
    const h = await requireHierarchy(trx, catalogId, name, ['EL'], 'addToEntityList')
    if (ids.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const base = await nextOrder(
      trx,
      'hierarchy_entity_list',
      'list_order',
      catalogId,
      h.hierarchyId,
    )
    await writeRows(trx, ENTITY, catalogId, entityRows(ids), 'upsert-keep')
    const written = await writeRows(
      trx,
      ENTITY_LIST,
      catalogId,
      ids.map((id, i) => [h.hierarchyId, base + i, id]),
      'insert',
    )
    return { result: { affected: ids.length }, rowsWritten: written }
  })
}

/**
 * Removes entities from an entity list (EL): the first occurrence of each, as repeated
 * `EntityList.remove` calls would (an id given twice removes its first two occurrences).
 */
export async function removeFromEntityList(
  db: Executor,
  catalogId: string,
  name: string,
  entityIds: Iterable<string>,
): Promise<MembershipResult> {
  checkTarget(catalogId, name)
  const ids = checkEntityIds('removeFromEntityList', entityIds)
  return partialWrite(db, catalogId, [], 0, async (trx) => {
    const h = await requireHierarchy(trx, catalogId, name, ['EL'], 'removeFromEntityList')
    if (ids.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const deleted = await sql<{
      entity_id: string
    }>`with wanted as (
        select e as entity_id, count(*) as k from unnest(${ids}::uuid[]) as e group by e
      ), ranked as (
        select l.list_order, row_number() over (partition by l.entity_id order by l.list_order) as n, w.k
        from hierarchy_entity_list l join wanted w on w.entity_id = l.entity_id
        where l.catalog_id = ${catalogId}::uuid and l.hierarchy_id = ${h.hierarchyId}
      )
      delete from hierarchy_entity_list d using ranked r
      where d.catalog_id = ${catalogId}::uuid and d.hierarchy_id = ${h.hierarchyId}
        and d.list_order = r.list_order and r.n <= r.k
      returning d.entity_id`.execute(trx)
    return removed(trx, catalogId, deleted.rows)
  })
}

/** Adds entities to an entity set (ES): members already there keep their position. */
export async function addToEntitySet(
  db: Executor,
  catalogId: string,
  name: string,
  entityIds: Iterable<string>,
): Promise<MembershipResult> {
  checkTarget(catalogId, name)
  const ids = [...new Set(checkEntityIds('addToEntitySet', entityIds))]
  return partialWrite(db, catalogId, [], 0, async (trx) => {
    const h = await requireHierarchy(trx, catalogId, name, ['ES'], 'addToEntitySet')
    if (ids.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const present = await trx
      .selectFrom('hierarchy_entity_set')
      .select('entity_id')
      .where('catalog_id', '=', catalogId)
      .where('hierarchy_id', '=', h.hierarchyId)
      .where('entity_id', '=', sql<string>`any(${ids}::uuid[])`)
      .execute()
    const have = new Set(present.map((r) => r.entity_id))
    const added = ids.filter((id) => !have.has(id))
    if (added.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const base = await nextOrder(trx, 'hierarchy_entity_set', 'set_order', catalogId, h.hierarchyId)
    await writeRows(trx, ENTITY, catalogId, entityRows(added), 'upsert-keep')
    const written = await writeRows(
      trx,
      ENTITY_SET,
      catalogId,
      added.map((id, i) => [h.hierarchyId, id, base + i]),
      'insert',
    )
    return { result: { affected: added.length }, rowsWritten: written }
  })
}

/** Removes entities from an entity set (ES); ids that are not members are ignored. */
export async function removeFromEntitySet(
  db: Executor,
  catalogId: string,
  name: string,
  entityIds: Iterable<string>,
): Promise<MembershipResult> {
  checkTarget(catalogId, name)
  const ids = [...new Set(checkEntityIds('removeFromEntitySet', entityIds))]
  return partialWrite(db, catalogId, [], 0, async (trx) => {
    const h = await requireHierarchy(trx, catalogId, name, ['ES'], 'removeFromEntitySet')
    if (ids.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const deleted = await trx
      .deleteFrom('hierarchy_entity_set')
      .where('catalog_id', '=', catalogId)
      .where('hierarchy_id', '=', h.hierarchyId)
      .where('entity_id', '=', sql<string>`any(${ids}::uuid[])`)
      .returning('entity_id')
      .execute()
    return removed(trx, catalogId, deleted)
  })
}

function checkEntries(name: string, entries: DirectoryEntries): Map<string, EntityId> {
  if (entries === null || typeof entries !== 'object') {
    throw new CheapValidationError(
      `putDirectoryEntries '${name}': expected entries (pairs or an object), got ${describe(entries)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  const pairs: Iterable<readonly [string, string]> =
    Symbol.iterator in entries
      ? (entries as Iterable<readonly [string, string]>)
      : Object.entries(entries)
  // Like EntityDirectory.set repeated: a later value for a key wins, the first position stays.
  const out = new Map<string, EntityId>()
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new CheapValidationError(
        `putDirectoryEntries '${name}': each entry must be a [key, entityId] pair, got ${describe(pair)}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    const [key, id] = pair as readonly [unknown, unknown]
    out.set(checkKey(name, key), toEntityId(id as string))
  }
  return out
}

function checkKey(name: string, key: unknown): string {
  if (typeof key !== 'string') {
    throw new CheapValidationError(
      `entity directory '${name}': keys must be strings, got ${describe(key)}`,
      { reason: 'INVALID_NAME' },
    )
  }
  const bad = invalidTextReason(key)
  if (bad !== undefined) {
    throw new CheapValidationError(
      `entity directory '${name}': key ${JSON.stringify(key)} is not storable: ${bad}`,
      { reason: 'INVALID_NAME' },
    )
  }
  return key
}

/**
 * Puts entries into an entity directory (ED): a new key is appended, an existing key keeps its
 * position and gets the new entity (as `EntityDirectory.set` does).
 */
export async function putDirectoryEntries(
  db: Executor,
  catalogId: string,
  name: string,
  entries: DirectoryEntries,
): Promise<MembershipResult> {
  checkTarget(catalogId, name)
  const put = checkEntries(name, entries)
  const keys = [...put.keys()]
  return partialWrite(db, catalogId, [], 0, async (trx) => {
    const h = await requireHierarchy(trx, catalogId, name, ['ED'], 'putDirectoryEntries')
    if (keys.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const existing = await trx
      .selectFrom('hierarchy_entity_directory')
      .select(['entity_key', 'entity_id', 'dir_order'])
      .where('catalog_id', '=', catalogId)
      .where('hierarchy_id', '=', h.hierarchyId)
      // The key index is on md5(entity_key): a key of any length fits it.
      .where(
        sql<string>`md5(entity_key)`,
        '=',
        sql<string>`any(select md5(k) from unnest(${keys}::text[]) as k)`,
      )
      .where('entity_key', '=', sql<string>`any(${keys}::text[])`)
      .execute()
    const stored = new Map(existing.map((r) => [r.entity_key, r]))
    let next = await nextOrder(
      trx,
      'hierarchy_entity_directory',
      'dir_order',
      catalogId,
      h.hierarchyId,
    )
    const ids = [...put.values()]
    await writeRows(trx, ENTITY, catalogId, entityRows(ids), 'upsert-keep')
    const written = await writeRows(
      trx,
      ENTITY_DIRECTORY,
      catalogId,
      keys.map((key, i) => [h.hierarchyId, key, ids[i], stored.get(key)?.dir_order ?? next++]),
      'upsert',
    )
    // Entities a replaced key pointed to may be referenced by nothing now.
    const replaced = existing.filter((r) => put.get(r.entity_key) !== r.entity_id)
    const collected = await deleteUnreferencedEntities(
      trx,
      catalogId,
      replaced.map((r) => r.entity_id),
    )
    return { result: { affected: keys.length }, rowsWritten: written + collected }
  })
}

/** Removes keys from an entity directory (ED); absent keys are ignored. */
export async function removeDirectoryEntries(
  db: Executor,
  catalogId: string,
  name: string,
  keys: Iterable<string>,
): Promise<MembershipResult> {
  checkTarget(catalogId, name)
  if (keys === null || typeof keys !== 'object' || !(Symbol.iterator in keys)) {
    throw new CheapValidationError(
      `removeDirectoryEntries '${name}': expected an iterable of keys, got ${describe(keys)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  const unique = [...new Set([...keys].map((key) => checkKey(name, key)))]
  return partialWrite(db, catalogId, [], 0, async (trx) => {
    const h = await requireHierarchy(trx, catalogId, name, ['ED'], 'removeDirectoryEntries')
    if (unique.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const deleted = await trx
      .deleteFrom('hierarchy_entity_directory')
      .where('catalog_id', '=', catalogId)
      .where('hierarchy_id', '=', h.hierarchyId)
      .where(
        sql<string>`md5(entity_key)`,
        '=',
        sql<string>`any(select md5(k) from unnest(${unique}::text[]) as k)`,
      )
      .where('entity_key', '=', sql<string>`any(${unique}::text[])`)
      .returning('entity_id')
      .execute()
    return removed(trx, catalogId, deleted)
  })
}

/**
 * The position after the last entry of a hierarchy: `max` over its ordered key, which the
 * table's (catalog_id, hierarchy_id, <order>) index answers from its end.
 */
export async function nextOrder(
  trx: Executor,
  table: 'hierarchy_entity_list' | 'hierarchy_entity_set' | 'hierarchy_entity_directory',
  column: 'list_order' | 'set_order' | 'dir_order',
  catalogId: string,
  hierarchyId: number,
): Promise<number> {
  const row = await sql<{
    max: number | null
  }>`select max(${sql.id(column)}) as max from ${sql.id(table)} where catalog_id = ${catalogId}::uuid and hierarchy_id = ${hierarchyId}`.execute(
    trx,
  )
  return (row.rows[0]?.max ?? -1) + 1
}

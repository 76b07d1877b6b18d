import { sql, type Kysely } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import { checkUuid, toEntityId, type EntityId } from '../../model/entity.ts'
import { checkName, describe } from '../../model/names.ts'
import { invalidTextReason } from '../../model/values/text.ts'
import { writeRows } from '../store/bulk-write.ts'
import { partialWrite, requireHierarchy } from '../store/catalog-lock.ts'
import { deleteUnreferencedEntities } from '../store/entity-gc.ts'
import { checkEntityIds } from './aspects.ts'
import { ENTITY, ENTITY_DIRECTORY, ENTITY_LIST, ENTITY_SET } from '../write-targets.ts'

type Executor = Kysely<unknown>

/** What a membership edit did. */
export interface MembershipResult {
  /** The catalog's stored revision after the call. */
  readonly revision: bigint
  /**
   * Entries added, put or removed: list items appended or removed, set members newly added or
   * removed, directory keys put (new or replaced) or removed, tree nodes added or removed
   * (descendants included).
   */
  readonly affected: number
}

/** Directory entries as pairs (a `Map` too) or as a plain object of key → entity id. */
export type DirectoryEntries =
  Iterable<readonly [string, string]> | Readonly<Record<string, string>>

/** Validates the catalog id and hierarchy name every membership call takes. */
export function checkTarget(catalogId: string, name: string): void {
  checkUuid('catalog id', catalogId)
  checkName('hierarchy', name)
}

/** Appends entities to an entity list (EL); duplicates are kept, as `EntityList.add` does. */
export async function addToEntityList(
  db: Executor,
  catalogId: string,
  name: string,
  entityIds: Iterable<string>,
): Promise<MembershipResult> {
  checkTarget(catalogId, name)
  const ids = checkEntityIds('addToEntityList', entityIds)
  return partialWrite(db, catalogId, async (trx) => {
    await requireHierarchy(trx, catalogId, name, ['EL'], 'addToEntityList')
    if (ids.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const max = await sql<{
      max: number | null
    }>`select max(list_order) as max from hierarchy_entity_list where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name}`.execute(
      trx,
    )
    const base = (max.rows[0]?.max ?? -1) + 1
    await writeRows(trx, ENTITY, catalogId, [[...new Set(ids)]], 'upsert')
    const written = await writeRows(
      trx,
      ENTITY_LIST,
      catalogId,
      [ids.map(() => name), ids.map((_, i) => base + i), ids],
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
  return partialWrite(db, catalogId, async (trx) => {
    await requireHierarchy(trx, catalogId, name, ['EL'], 'removeFromEntityList')
    if (ids.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const deleted = await sql<{
      entity_id: string
    }>`with wanted as (
        select e as entity_id, count(*) as k from unnest(${ids}::uuid[]) as e group by e
      ), ranked as (
        select l.list_order, row_number() over (partition by l.entity_id order by l.list_order) as n, w.k
        from hierarchy_entity_list l join wanted w on w.entity_id = l.entity_id
        where l.catalog_id = ${catalogId}::uuid and l.hierarchy_name = ${name}
      )
      delete from hierarchy_entity_list d using ranked r
      where d.catalog_id = ${catalogId}::uuid and d.hierarchy_name = ${name}
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
  return partialWrite(db, catalogId, async (trx) => {
    await requireHierarchy(trx, catalogId, name, ['ES'], 'addToEntitySet')
    if (ids.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const present = await sql<{
      entity_id: EntityId
    }>`select entity_id from hierarchy_entity_set where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name} and entity_id = any(${ids}::uuid[])`.execute(
      trx,
    )
    const have = new Set(present.rows.map((r) => r.entity_id))
    const added = ids.filter((id) => !have.has(id))
    if (added.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const max = await sql<{
      max: number | null
    }>`select max(set_order) as max from hierarchy_entity_set where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name}`.execute(
      trx,
    )
    const base = (max.rows[0]?.max ?? -1) + 1
    await writeRows(trx, ENTITY, catalogId, [added], 'upsert')
    const written = await writeRows(
      trx,
      ENTITY_SET,
      catalogId,
      [added.map(() => name), added, added.map((_, i) => base + i)],
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
  return partialWrite(db, catalogId, async (trx) => {
    await requireHierarchy(trx, catalogId, name, ['ES'], 'removeFromEntitySet')
    if (ids.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const deleted = await sql<{
      entity_id: string
    }>`delete from hierarchy_entity_set where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name} and entity_id = any(${ids}::uuid[]) returning entity_id`.execute(
      trx,
    )
    return removed(trx, catalogId, deleted.rows)
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
  return partialWrite(db, catalogId, async (trx) => {
    await requireHierarchy(trx, catalogId, name, ['ED'], 'putDirectoryEntries')
    if (keys.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const existing = await sql<{
      entity_key: string
      entity_id: EntityId
      dir_order: number
    }>`select entity_key, entity_id, dir_order from hierarchy_entity_directory where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name} and entity_key = any(${keys}::text[])`.execute(
      trx,
    )
    const stored = new Map(existing.rows.map((r) => [r.entity_key, r]))
    const max = await sql<{
      max: number | null
    }>`select max(dir_order) as max from hierarchy_entity_directory where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name}`.execute(
      trx,
    )
    let next = (max.rows[0]?.max ?? -1) + 1
    const orders = keys.map((key) => stored.get(key)?.dir_order ?? next++)
    const ids = [...put.values()]
    await writeRows(trx, ENTITY, catalogId, [[...new Set(ids)]], 'upsert')
    const written = await writeRows(
      trx,
      ENTITY_DIRECTORY,
      catalogId,
      [keys.map(() => name), keys, ids, orders],
      'upsert',
    )
    // Entities a replaced key pointed to may be referenced by nothing now.
    const replaced = existing.rows.filter((r) => put.get(r.entity_key) !== r.entity_id)
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
  return partialWrite(db, catalogId, async (trx) => {
    await requireHierarchy(trx, catalogId, name, ['ED'], 'removeDirectoryEntries')
    if (unique.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const deleted = await sql<{
      entity_id: string
    }>`delete from hierarchy_entity_directory where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name} and entity_key = any(${unique}::text[]) returning entity_id`.execute(
      trx,
    )
    return removed(trx, catalogId, deleted.rows)
  })
}

/** Collects the entities of deleted rows that nothing refers to any more. */
export async function removed(
  trx: Executor,
  catalogId: string,
  rows: readonly { readonly entity_id: string | null }[],
): Promise<{ result: { affected: number }; rowsWritten: number }> {
  const ids = rows.flatMap((r) => (r.entity_id === null ? [] : [r.entity_id]))
  const collected = await deleteUnreferencedEntities(trx, catalogId, ids)
  return { result: { affected: rows.length }, rowsWritten: rows.length + collected }
}

import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef, AspectDefName } from '../../model/aspect-def.ts'
import type { EntityId } from '../../model/entity.ts'
import {
  loadAspects as load,
  removeAspects as remove,
  upsertAspects as upsert,
  type RemoveAspectsResult,
  type UpsertAspectsResult,
} from '../partial/aspects.ts'
import {
  loadHierarchy as loadPage,
  type HierarchyPage,
  type HierarchyPageOptions,
} from '../partial/hierarchy-page.ts'
import {
  addToEntityList as listAdd,
  addToEntitySet as setAdd,
  putDirectoryEntries as directoryPut,
  removeDirectoryEntries as directoryRemove,
  removeFromEntityList as listRemove,
  removeFromEntitySet as setRemove,
  type DirectoryEntries,
} from '../partial/membership.ts'
import type { MembershipResult } from '../partial/common.ts'
import {
  addTreeNodes as treeAdd,
  removeTreeNodes as treeRemove,
  type TreeNodeInput,
} from '../partial/tree.ts'
import { defName } from './options.ts'
import type { DaoSession } from './session.ts'

/** The parameter and result types of the hierarchy writes, short for the facade's signatures. */
export type Ids = Iterable<string>
export type Nodes = Iterable<TreeNodeInput>
export type Entries = DirectoryEntries
export type Changed = Promise<MembershipResult>

// The partial-access calls of PostgresDao (documented on CheapDao, in cheap-dao.ts). Reads run in
// one read-only REPEATABLE READ transaction. Every write is one transaction that bumps the
// catalog's revision by one and logs a `partial` catalog_revision row, so a catalog object loaded
// before it can no longer be saved without `force` (CheapConflictError).

export function loadHierarchy(
  s: DaoSession,
  catalogId: string,
  name: string,
  options: HierarchyPageOptions = {},
): Promise<HierarchyPage> {
  return s.read(
    `loading hierarchy ${JSON.stringify(name)} of catalog ${catalogId}`,
    catalogId,
    (target) => loadPage(target.db, s.versions, catalogId, name, options),
  )
}

export function loadAspects<D extends AspectDef>(
  s: DaoSession,
  catalogId: string,
  aspectDef: D | AspectDefName<D>,
  entityIds: Iterable<string>,
): Promise<Map<EntityId, Aspect<D>>> {
  const context = `loading aspects '${defName(aspectDef)}' of catalog ${catalogId}`
  return s.read(context, catalogId, (target) =>
    load(target.db, s.versions, catalogId, aspectDef, entityIds, s.smallPartial(target)),
  )
}

export function upsertAspects<D extends AspectDef>(
  s: DaoSession,
  catalogId: string,
  aspectDef: D | AspectDefName<D>,
  aspects: Iterable<Aspect<D>>,
): Promise<UpsertAspectsResult> {
  // Materialised once: the call must see the same aspects whatever the iterable does.
  const list =
    aspects !== null && typeof aspects === 'object' && Symbol.iterator in aspects
      ? [...aspects]
      : aspects
  const context = `upserting aspects '${defName(aspectDef)}' of catalog ${catalogId}`
  return s.write(catalogId, context, () =>
    upsert(s.db, s.versions, catalogId, aspectDef, list, s.smallPartial(s.primary())),
  )
}

export function removeAspects(
  s: DaoSession,
  catalogId: string,
  aspectDef: AspectDef | string,
  entityIds: Iterable<string>,
): Promise<RemoveAspectsResult> {
  const context = `removing aspects '${defName(aspectDef)}' of catalog ${catalogId}`
  return s.write(catalogId, context, () => remove(s.db, catalogId, aspectDef, entityIds))
}

/** The kinds of hierarchy the membership writes change, as their messages name them. */
type MembershipKind = 'entity list' | 'entity set' | 'entity directory' | 'entity tree'

/**
 * One kind-specific hierarchy write (list, set, directory, tree): `what` says what it does, as
 * in "adding to", for its messages; `write` is the partial/membership.ts or partial/tree.ts call.
 */
function membershipWrite(
  s: DaoSession,
  catalogId: string,
  what: `${string} ${MembershipKind}`,
  name: string,
  write: (db: DaoSession['db']) => Promise<MembershipResult>,
): Promise<MembershipResult> {
  const context = `${what} ${JSON.stringify(name)} of catalog ${catalogId}`
  return s.write(catalogId, context, () => write(s.db))
}

export function addToEntityList(
  s: DaoSession,
  catalogId: string,
  name: string,
  entityIds: Iterable<string>,
): Promise<MembershipResult> {
  return membershipWrite(s, catalogId, 'adding to entity list', name, (db) =>
    listAdd(db, catalogId, name, entityIds),
  )
}

export function removeFromEntityList(
  s: DaoSession,
  catalogId: string,
  name: string,
  entityIds: Iterable<string>,
): Promise<MembershipResult> {
  return membershipWrite(s, catalogId, 'removing from entity list', name, (db) =>
    listRemove(db, catalogId, name, entityIds),
  )
}

export function addToEntitySet(
  s: DaoSession,
  catalogId: string,
  name: string,
  entityIds: Iterable<string>,
): Promise<MembershipResult> {
  return membershipWrite(s, catalogId, 'adding to entity set', name, (db) =>
    setAdd(db, catalogId, name, entityIds),
  )
}

export function removeFromEntitySet(
  s: DaoSession,
  catalogId: string,
  name: string,
  entityIds: Iterable<string>,
): Promise<MembershipResult> {
  return membershipWrite(s, catalogId, 'removing from entity set', name, (db) =>
    setRemove(db, catalogId, name, entityIds),
  )
}

export function putDirectoryEntries(
  s: DaoSession,
  catalogId: string,
  name: string,
  entries: DirectoryEntries,
): Promise<MembershipResult> {
  return membershipWrite(s, catalogId, 'putting entries into entity directory', name, (db) =>
    directoryPut(db, catalogId, name, entries),
  )
}

export function removeDirectoryEntries(
  s: DaoSession,
  catalogId: string,
  name: string,
  keys: Iterable<string>,
): Promise<MembershipResult> {
  return membershipWrite(s, catalogId, 'removing entries from entity directory', name, (db) =>
    directoryRemove(db, catalogId, name, keys),
  )
}

export function addTreeNodes(
  s: DaoSession,
  catalogId: string,
  name: string,
  parentPath: string,
  nodes: Iterable<TreeNodeInput>,
): Promise<MembershipResult> {
  return membershipWrite(s, catalogId, 'adding nodes to entity tree', name, (db) =>
    treeAdd(db, catalogId, name, parentPath, nodes),
  )
}

export function removeTreeNodes(
  s: DaoSession,
  catalogId: string,
  name: string,
  paths: Iterable<string>,
): Promise<MembershipResult> {
  return membershipWrite(s, catalogId, 'removing nodes from entity tree', name, (db) =>
    treeRemove(db, catalogId, name, paths),
  )
}

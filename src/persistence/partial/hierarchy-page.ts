import type { Kysely } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { checkUuid, type EntityId } from '../../model/entity.ts'
import { EntityTree, type TreeNode } from '../../model/hierarchy/entity-tree.ts'
import { checkName, describe } from '../../model/names.ts'
import type { CheapDatabase, CheapRow } from '../schema/database.ts'
import { readOnlySnapshot, requireHierarchy } from '../store/catalog-lock.ts'
import type { DefVersionCache } from '../store/def-versions.ts'
import { readAspectsOf, storedMapVersion } from '../store/aspect-maps.ts'

/** Paging of {@link loadHierarchy}: skip `offset` entries, then return at most `limit`. */
export interface HierarchyPageOptions {
  /** Entries to skip (default 0). */
  readonly offset?: number
  /** At most this many entries (default: all the rest). */
  readonly limit?: number
}

interface PageBase {
  readonly name: string
  /** The hierarchy's manual version. */
  readonly version: bigint
  /** All entries of the hierarchy (list items, members, keys, aspects or tree nodes), for paging. */
  readonly total: number
  /** The `offset` this page starts at. */
  readonly offset: number
}

/** One node of an entity tree page, in pre-order (the root first, path `''`). */
export interface TreeNodeEntry {
  /** `''` for the root, else `/a/b`. */
  readonly path: string
  readonly entityId: EntityId | null
  readonly isLeaf: boolean
}

/** A page of an entity list: entity ids in list order, duplicates kept. */
export interface EntityListPage extends PageBase {
  readonly type: 'EL'
  readonly entityIds: EntityId[]
}

/** A page of an entity set: entity ids in insertion order. */
export interface EntitySetPage extends PageBase {
  readonly type: 'ES'
  readonly entityIds: EntityId[]
}

/** A page of an entity directory: `[key, entityId]` pairs in insertion order. */
export interface EntityDirectoryPage extends PageBase {
  readonly type: 'ED'
  readonly entries: [string, EntityId][]
}

/** A page of an AspectMap: aspects of the stored def, in map order. */
export interface AspectMapPage extends PageBase {
  readonly type: 'AM'
  readonly aspectDef: AspectDef
  readonly aspects: Aspect[]
}

/** A page of an entity tree: nodes in pre-order (siblings in their stored order). */
export interface EntityTreePage extends PageBase {
  readonly type: 'ET'
  readonly nodes: TreeNodeEntry[]
  /**
   * The whole tree as a model object when no paging was asked for (neither `offset` nor
   * `limit`), else `null`: a page of a pre-order walk is not a tree.
   */
  readonly tree: EntityTree | null
}

/** One page of a hierarchy; discriminate on `type`. */
export type HierarchyPage =
  EntityListPage | EntitySetPage | EntityDirectoryPage | AspectMapPage | EntityTreePage

function checkPaging(options: HierarchyPageOptions): { offset: number; limit: number | null } {
  if (options === null || typeof options !== 'object') {
    throw new CheapValidationError(
      `loadHierarchy: options must be an object, got ${describe(options)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  const check = (what: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new CheapValidationError(
        `loadHierarchy: ${what} must be a non-negative integer, got ${describe(value)}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    return value
  }
  return {
    offset: options.offset === undefined ? 0 : check('offset', options.offset),
    limit: options.limit === undefined ? null : check('limit', options.limit),
  }
}

/**
 * Loads one hierarchy, or one page of it, in one read-only REPEATABLE READ transaction: the
 * entries in their stored order from `offset`, at most `limit`, with the total count. An
 * AspectMap (named like its AspectDef) loads values only for the page's entities. An entity tree
 * pages over its pre-order walk (computed from the tree's rows in one pass, paths included, so a
 * tree of any depth costs time linear in its size) and also returns the whole
 * {@link EntityTree} when not paged. An unknown catalog or hierarchy is a `CheapNotFoundError`.
 */
export async function loadHierarchy(
  db: Db,
  cache: DefVersionCache,
  catalogId: string,
  name: string,
  options: HierarchyPageOptions = {},
): Promise<HierarchyPage> {
  checkUuid('catalog id', catalogId)
  checkName('hierarchy', name)
  const { offset, limit } = checkPaging(options)
  const paged = options.offset !== undefined || options.limit !== undefined
  return readOnlySnapshot(db, async (trx) => {
    const h = await requireHierarchy(
      trx,
      catalogId,
      name,
      ['EL', 'ES', 'ED', 'ET', 'AM'],
      'loadHierarchy',
    )
    const base = { name, version: h.version, offset }
    const scope = { catalogId, hierarchyId: h.hierarchyId }
    switch (h.type) {
      case 'EL': {
        const rows = await page(trx, 'hierarchy_entity_list', 'list_order', scope, offset, limit)
        return {
          type: 'EL',
          ...base,
          total: rows.total,
          entityIds: rows.rows.map((r) => r.entity_id as EntityId),
        }
      }
      case 'ES': {
        const rows = await page(trx, 'hierarchy_entity_set', 'set_order', scope, offset, limit)
        return {
          type: 'ES',
          ...base,
          total: rows.total,
          entityIds: rows.rows.map((r) => r.entity_id as EntityId),
        }
      }
      case 'ED': {
        const total = await countOf(trx, 'hierarchy_entity_directory', scope)
        const rows = await trx
          .selectFrom('hierarchy_entity_directory')
          .select(['entity_key', 'entity_id'])
          .where('catalog_id', '=', catalogId)
          .where('hierarchy_id', '=', h.hierarchyId)
          .orderBy('dir_order')
          .offset(offset)
          .$if(limit !== null, (q) => q.limit(limit as number))
          .execute()
        return {
          type: 'ED',
          ...base,
          total,
          entries: rows.map((r): [string, EntityId] => [r.entity_key, r.entity_id as EntityId]),
        }
      }
      case 'AM': {
        const version = await storedMapVersion(trx, catalogId, name, 'loadHierarchy', cache)
        const total = Number(
          (
            await trx
              .selectFrom('aspect')
              .select((eb) => eb.fn.countAll<bigint>().as('n'))
              .where('catalog_id', '=', catalogId)
              .where('aspect_def_id', '=', version.defId)
              .executeTakeFirstOrThrow()
          ).n,
        )
        const rows = await trx
          .selectFrom('aspect')
          .select('entity_id')
          .where('catalog_id', '=', catalogId)
          .where('aspect_def_id', '=', version.defId)
          .orderBy('map_order')
          .offset(offset)
          .$if(limit !== null, (q) => q.limit(limit as number))
          .execute()
        const ids = rows.map((r) => r.entity_id as EntityId)
        const def = version.toAspectDef()
        const byEntity = await readAspectsOf(trx, catalogId, version, def, ids)
        const aspects = ids.map((id) => byEntity.get(id) as Aspect)
        return { type: 'AM', ...base, total, aspectDef: def, aspects }
      }
      case 'ET': {
        const rows = await trx
          .selectFrom('hierarchy_entity_tree_node')
          .select(['node_id', 'parent_node_id', 'node_key', 'entity_id', 'is_leaf'])
          .where('catalog_id', '=', catalogId)
          .where('hierarchy_id', '=', h.hierarchyId)
          .orderBy('tree_order')
          .execute()
        const walk = preOrder(rows)
        const end = limit === null ? walk.length : offset + limit
        const nodes = walk.slice(offset, end).map((w) => ({
          path: w.path,
          entityId: w.row.entity_id as EntityId | null,
          isLeaf: w.row.is_leaf,
        }))
        return {
          type: 'ET',
          ...base,
          total: rows.length,
          nodes,
          tree: paged
            ? null
            : buildTree(
                name,
                h.version,
                walk.map((w) => w.row),
              ),
        }
      }
    }
  })
}

type Db = Kysely<CheapDatabase>

interface Scope {
  readonly catalogId: string
  readonly hierarchyId: number
}

async function countOf(
  trx: Db,
  table: 'hierarchy_entity_list' | 'hierarchy_entity_set' | 'hierarchy_entity_directory',
  scope: Scope,
): Promise<number> {
  const row = await trx
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .where('catalog_id', '=', scope.catalogId)
    .where('hierarchy_id', '=', scope.hierarchyId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

async function page(
  trx: Db,
  table: 'hierarchy_entity_list' | 'hierarchy_entity_set',
  order: 'list_order' | 'set_order',
  scope: Scope,
  offset: number,
  limit: number | null,
): Promise<{ total: number; rows: { entity_id: string }[] }> {
  const total = await countOf(trx, table, scope)
  const rows = await trx
    .selectFrom(table)
    .select('entity_id')
    .where('catalog_id', '=', scope.catalogId)
    .where('hierarchy_id', '=', scope.hierarchyId)
    .orderBy(order)
    .offset(offset)
    .$if(limit !== null, (q) => q.limit(limit as number))
    .execute()
  return { total, rows }
}

/** A tree node row as a page reads it: the columns of the manifest's table, not a copy. */
type NodeRow = Readonly<
  Pick<
    CheapRow<'hierarchy_entity_tree_node'>,
    'node_id' | 'parent_node_id' | 'node_key' | 'entity_id' | 'is_leaf'
  >
>

/** The pre-order walk of a tree's rows (siblings in tree_order), with each node's path. */
export function preOrder(
  rows: readonly NodeRow[],
): { readonly row: NodeRow; readonly path: string }[] {
  const children = new Map<string, NodeRow[]>()
  let root: NodeRow | undefined
  for (const r of rows) {
    if (r.parent_node_id === null) root = r
    else {
      const list = children.get(r.parent_node_id)
      if (list === undefined) children.set(r.parent_node_id, [r])
      else list.push(r)
    }
  }
  const out: { row: NodeRow; path: string }[] = []
  if (root === undefined) return out
  const stack: { row: NodeRow; path: string }[] = [{ row: root, path: '' }]
  while (stack.length > 0) {
    const item = stack.pop() as { row: NodeRow; path: string }
    out.push(item)
    const kids = children.get(item.row.node_id) ?? []
    for (let i = kids.length - 1; i >= 0; i--) {
      const kid = kids[i] as NodeRow
      stack.push({ row: kid, path: `${item.path}/${kid.node_key}` })
    }
  }
  return out
}

/** Rebuilds a tree from its nodes in pre-order (every parent comes before its children). */
function buildTree(name: string, version: bigint, rows: readonly NodeRow[]): EntityTree {
  const root = rows[0]
  const tree = new EntityTree(name, {
    version,
    rootEntityId: root?.entity_id ?? null,
    ...(root === undefined ? {} : { rootNodeId: root.node_id }),
  })
  const byId = new Map<string, TreeNode>()
  if (root !== undefined) byId.set(root.node_id, tree.root)
  for (const r of rows) {
    if (r.parent_node_id === null) continue
    const parent = byId.get(r.parent_node_id) as TreeNode
    byId.set(
      r.node_id,
      parent.addChild(r.node_key, { entityId: r.entity_id, isLeaf: r.is_leaf }, r.node_id),
    )
  }
  return tree
}

import { sql, type Kysely, type RawBuilder } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { checkUuid, type EntityId } from '../../model/entity.ts'
import { EntityTree, type TreeNode } from '../../model/hierarchy/entity-tree.ts'
import { checkName, describe } from '../../model/names.ts'
import { loadAspectDefsById } from '../aspect-def-store.ts'
import { partialRead, requireHierarchy } from '../store/catalog-lock.ts'
import { loadAspectsOf } from './aspects.ts'

type Executor = Kysely<unknown>

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

async function count(trx: Executor, query: RawBuilder<unknown>): Promise<number> {
  const rows = await sql<{ n: bigint }>`select count(*) as n from ${query}`.execute(trx)
  return Number(rows.rows[0]?.n ?? 0n)
}

/**
 * Loads one hierarchy, or one page of it, in one read-only REPEATABLE READ transaction: the
 * entries in their stored order from `offset`, at most `limit`, with the total count. An
 * AspectMap (named like its AspectDef) loads values only for the page's entities, one query per
 * value table. An entity tree pages over its pre-order walk, computed in SQL (a recursive CTE
 * ordered by the path of sibling positions), and also returns the whole {@link EntityTree} when
 * not paged. An unknown catalog or hierarchy is a `CheapNotFoundError`.
 */
export async function loadHierarchy(
  db: Executor,
  catalogId: string,
  name: string,
  options: HierarchyPageOptions = {},
): Promise<HierarchyPage> {
  checkUuid('catalog id', catalogId)
  checkName('hierarchy', name)
  const { offset, limit } = checkPaging(options)
  const paged = options.offset !== undefined || options.limit !== undefined
  return partialRead(db, async (trx) => {
    const h = await requireHierarchy(
      trx,
      catalogId,
      name,
      ['EL', 'ES', 'ED', 'ET', 'AM'],
      'loadHierarchy',
    )
    const base = { name, version: h.version, offset }
    const page = sql`offset ${offset} limit ${limit}`
    const where = sql`catalog_id = ${catalogId}::uuid and hierarchy_name = ${name}`
    switch (h.type) {
      case 'EL': {
        const total = await count(trx, sql`hierarchy_entity_list where ${where}`)
        const rows = await sql<{
          entity_id: EntityId
        }>`select entity_id from hierarchy_entity_list where ${where} order by list_order ${page}`.execute(
          trx,
        )
        return { type: 'EL', ...base, total, entityIds: rows.rows.map((r) => r.entity_id) }
      }
      case 'ES': {
        const total = await count(trx, sql`hierarchy_entity_set where ${where}`)
        const rows = await sql<{
          entity_id: EntityId
        }>`select entity_id from hierarchy_entity_set where ${where} order by set_order ${page}`.execute(
          trx,
        )
        return { type: 'ES', ...base, total, entityIds: rows.rows.map((r) => r.entity_id) }
      }
      case 'ED': {
        const total = await count(trx, sql`hierarchy_entity_directory where ${where}`)
        const rows = await sql<{
          entity_key: string
          entity_id: EntityId
        }>`select entity_key, entity_id from hierarchy_entity_directory where ${where} order by dir_order ${page}`.execute(
          trx,
        )
        return {
          type: 'ED',
          ...base,
          total,
          entries: rows.rows.map((r): [string, EntityId] => [r.entity_key, r.entity_id]),
        }
      }
      case 'AM': {
        const defId = h.aspectDefId as string
        const def = (await loadAspectDefsById(trx, [defId])).get(defId) as AspectDef
        const scope = sql`catalog_id = ${catalogId}::uuid and aspect_def_id = ${defId}::uuid`
        const total = await count(trx, sql`aspect where ${scope}`)
        const rows = await sql<{
          entity_id: EntityId
        }>`select entity_id from aspect where ${scope} order by map_order ${page}`.execute(trx)
        const ids = rows.rows.map((r) => r.entity_id)
        const byEntity = await loadAspectsOf(trx, catalogId, def, ids)
        const aspects = ids.map((id) => byEntity.get(id) as Aspect)
        return { type: 'AM', ...base, total, aspectDef: def, aspects }
      }
      case 'ET': {
        const total = await count(trx, sql`hierarchy_entity_tree_node where ${where}`)
        const rows = await sql<{
          node_id: string
          parent_node_id: string | null
          node_key: string
          node_path: string
          entity_id: EntityId | null
          is_leaf: boolean
        }>`with recursive walk as (
            select node_id, parent_node_id, node_key, node_path, entity_id, is_leaf, array[]::int4[] as sort_key
            from hierarchy_entity_tree_node where ${where} and parent_node_id is null
            union all
            select t.node_id, t.parent_node_id, t.node_key, t.node_path, t.entity_id, t.is_leaf, w.sort_key || t.tree_order
            from hierarchy_entity_tree_node t join walk w on t.parent_node_id = w.node_id
            where t.catalog_id = ${catalogId}::uuid and t.hierarchy_name = ${name}
          )
          select node_id, parent_node_id, node_key, node_path, entity_id, is_leaf from walk order by sort_key ${page}`.execute(
          trx,
        )
        const nodes = rows.rows.map((r) => ({
          path: r.node_path,
          entityId: r.entity_id,
          isLeaf: r.is_leaf,
        }))
        return {
          type: 'ET',
          ...base,
          total,
          nodes,
          tree: paged ? null : buildTree(name, h.version, rows.rows),
        }
      }
    }
  })
}

/** Rebuilds a tree from its nodes in pre-order (every parent comes before its children). */
function buildTree(
  name: string,
  version: bigint,
  rows: readonly {
    node_id: string
    parent_node_id: string | null
    node_key: string
    entity_id: EntityId | null
    is_leaf: boolean
  }[],
): EntityTree {
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

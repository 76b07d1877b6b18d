import { randomUUID } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { CheapDatabase } from '../schema/database.ts'
import { CheapNotFoundError, CheapValidationError } from '../../errors.ts'
import { toEntityId, type EntityId } from '../../model/entity.ts'
import { checkNodeName, splitPath } from '../../model/hierarchy/entity-tree.ts'
import { describe } from '../../model/names.ts'
import { invalidTextReason } from '../../model/values/text.ts'
import { writeRows } from '../store/bulk-write.ts'
import { partialWrite, requireHierarchy } from '../store/catalog-lock.ts'
import { deleteUnreferencedEntities } from '../store/entity-gc.ts'
import { checkTarget, removed, type MembershipResult } from './common.ts'
import { ENTITY, ENTITY_TREE_NODE } from '../store/hierarchy-rows.ts'

type Executor = Kysely<CheapDatabase>

/** One node for {@link addTreeNodes}: a child name, its optional entity and leaf flag. */
export interface TreeNodeInput {
  /** Non-empty, without `/`, storable as text. */
  readonly name: string
  readonly entityId?: string | null
  /** A leaf can never have children. Default false. */
  readonly isLeaf?: boolean
}

/**
 * The stored form of a node path: `''` for the root, else `/a/b`. Accepts `'/'`, `'a/b'`,
 * `'/a/b/'` like {@link splitPath} does.
 */
export function normalizeTreePath(tree: string, path: unknown): string {
  if (typeof path !== 'string') {
    throw new CheapValidationError(
      `entity tree '${tree}': a node path must be a string like '/a/b', got ${describe(path)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  const bad = invalidTextReason(path)
  if (bad !== undefined) {
    throw new CheapValidationError(
      `entity tree '${tree}': node path ${JSON.stringify(path)} is not storable: ${bad}`,
      { reason: 'INVALID_NAME' },
    )
  }
  const parts = splitPath(path)
  return parts.length === 0 ? '' : `/${parts.join('/')}`
}

interface CheckedNode {
  readonly entityId: EntityId | null
  readonly isLeaf: boolean
}

function checkNodes(tree: string, nodes: Iterable<TreeNodeInput>): Map<string, CheckedNode> {
  if (nodes === null || typeof nodes !== 'object' || !(Symbol.iterator in nodes)) {
    throw new CheapValidationError(
      `addTreeNodes '${tree}': expected an iterable of nodes, got ${describe(nodes)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  // Like TreeNode.addChild repeated: a later node of the same name replaces an earlier one and
  // takes its position.
  const out = new Map<string, CheckedNode>()
  for (const node of nodes) {
    if (node === null || typeof node !== 'object') {
      throw new CheapValidationError(
        `addTreeNodes '${tree}': each node must be { name, entityId?, isLeaf? }, got ${describe(node)}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    checkNodeName(tree, node.name)
    const isLeaf: unknown = node.isLeaf ?? false
    if (typeof isLeaf !== 'boolean') {
      throw new CheapValidationError(
        `addTreeNodes '${tree}': isLeaf of node ${JSON.stringify(node.name)} must be a boolean, got ${describe(isLeaf)}`,
        { reason: 'WRONG_TYPE' },
      )
    }
    const entityId = node.entityId == null ? null : toEntityId(node.entityId)
    out.set(node.name, { entityId, isLeaf })
  }
  return out
}

/**
 * The nodes at `paths` (normalized, `''` for the root), walked from the root key by key in one
 * recursive statement over the sibling index; paths that lead nowhere are absent.
 */
async function findNodes(
  trx: Executor,
  catalogId: string,
  hierarchyId: number,
  paths: readonly string[],
): Promise<Map<string, { readonly node_id: string; readonly is_leaf: boolean }>> {
  const split = paths.map((p) => splitPath(p))
  const pathNo: number[] = []
  const depth: number[] = []
  const keys: string[] = []
  split.forEach((parts, p) =>
    parts.forEach((key, d) => {
      pathNo.push(p)
      depth.push(d + 1)
      keys.push(key)
    }),
  )
  const rows = await sql<{
    p: number
    d: number
    node_id: string
    is_leaf: boolean
  }>`with recursive k as (
      select * from unnest(${pathNo}::int4[], ${depth}::int4[], ${keys}::text[]) as k(p, d, key)
    ), walk as (
      select p.p, 0 as d, r.node_id, r.is_leaf
      from unnest(${split.map((_, i) => i)}::int4[]) as p(p)
      join hierarchy_entity_tree_node r on r.catalog_id = ${catalogId}::uuid
        and r.hierarchy_id = ${hierarchyId} and r.parent_node_id is null
      union all
      select w.p, w.d + 1, n.node_id, n.is_leaf
      from walk w
      join k on k.p = w.p and k.d = w.d + 1
      join hierarchy_entity_tree_node n on n.catalog_id = ${catalogId}::uuid
        and n.hierarchy_id = ${hierarchyId} and n.parent_node_id = w.node_id
        and md5(n.node_key) = md5(k.key) and n.node_key = k.key
    )
    select p, d, node_id, is_leaf from walk`.execute(trx)
  const out = new Map<string, { node_id: string; is_leaf: boolean }>()
  for (const r of rows.rows) {
    if (r.d === (split[r.p] as string[]).length) out.set(paths[r.p] as string, r)
  }
  return out
}

/** Deletes the nodes `nodeIds` with all their descendants; returns the deleted rows. */
async function deleteSubtrees(
  trx: Executor,
  catalogId: string,
  hierarchyId: number,
  nodeIds: readonly string[],
): Promise<{ entity_id: string | null }[]> {
  if (nodeIds.length === 0) return []
  const result = await sql<{
    entity_id: string | null
  }>`with recursive doomed as (
      select unnest(${[...nodeIds]}::uuid[]) as node_id
      union
      select t.node_id from hierarchy_entity_tree_node t join doomed d on t.parent_node_id = d.node_id
      where t.catalog_id = ${catalogId}::uuid and t.hierarchy_id = ${hierarchyId}
    )
    delete from hierarchy_entity_tree_node x using doomed d
    where x.catalog_id = ${catalogId}::uuid and x.hierarchy_id = ${hierarchyId} and x.node_id = d.node_id
    returning x.entity_id`.execute(trx)
  return result.rows
}

/**
 * Adds children under the node at `parentPath` (`'/'` or `''` is the root) of an entity tree
 * (ET), after its existing children. A child name that already exists is replaced keeping its
 * position, its old subtree removed, as `TreeNode.addChild` does. A missing parent is a
 * {@link CheapNotFoundError}; a leaf parent a {@link CheapValidationError} `INVALID_TREE`.
 */
export async function addTreeNodes(
  db: Executor,
  catalogId: string,
  name: string,
  parentPath: string,
  nodes: Iterable<TreeNodeInput>,
): Promise<MembershipResult> {
  checkTarget(catalogId, name)
  const parent = normalizeTreePath(name, parentPath)
  const children = checkNodes(name, nodes)
  const names = [...children.keys()]
  return partialWrite(db, catalogId, [], 0, async (trx) => {
    const h = await requireHierarchy(trx, catalogId, name, ['ET'], 'addTreeNodes')
    const parentRow = (await findNodes(trx, catalogId, h.hierarchyId, [parent])).get(parent)
    if (parentRow === undefined) {
      throw new CheapNotFoundError(
        `entity tree '${name}' of catalog ${catalogId} has no node at path '${parent === '' ? '/' : parent}'`,
      )
    }
    if (parentRow.is_leaf) {
      throw new CheapValidationError(
        `entity tree '${name}': the node at '${parent}' is a leaf and cannot have children (adding ${names.map((n) => JSON.stringify(n)).join(', ')})`,
        { reason: 'INVALID_TREE' },
      )
    }
    if (names.length === 0) return { result: { affected: 0 }, rowsWritten: 0 }
    const siblings = await trx
      .selectFrom('hierarchy_entity_tree_node')
      .select(['node_id', 'node_key', 'tree_order'])
      .where('catalog_id', '=', catalogId)
      .where('hierarchy_id', '=', h.hierarchyId)
      .where('parent_node_id', '=', parentRow.node_id)
      .execute()
    const replaced = new Map(
      siblings.filter((r) => children.has(r.node_key)).map((r) => [r.node_key, r]),
    )
    let next = siblings.reduce((max, r) => Math.max(max, r.tree_order), -1) + 1
    const old = await deleteSubtrees(
      trx,
      catalogId,
      h.hierarchyId,
      [...replaced.values()].map((r) => r.node_id),
    )
    const checked = [...children.values()]
    const entityIds = [
      ...new Set(checked.flatMap((c) => (c.entityId === null ? [] : [c.entityId]))),
    ]
    await writeRows(
      trx,
      ENTITY,
      catalogId,
      entityIds.map((id) => [id]),
      'upsert-keep',
    )
    const written = await writeRows(
      trx,
      ENTITY_TREE_NODE,
      catalogId,
      names.map((n, i) => [
        h.hierarchyId,
        randomUUID(),
        parentRow.node_id,
        n,
        replaced.get(n)?.tree_order ?? next++,
        checked[i]?.entityId ?? null,
        checked[i]?.isLeaf ?? false,
      ]),
      'insert',
    )
    const orphans = old.flatMap((r) => (r.entity_id === null ? [] : [r.entity_id]))
    const collected = await deleteUnreferencedEntities(trx, catalogId, orphans)
    return {
      result: { affected: names.length },
      rowsWritten: written + old.length + collected,
    }
  })
}

/**
 * Removes the nodes at `paths` of an entity tree (ET) with all their descendants; `affected`
 * counts every node removed. Paths that do not exist are ignored; the root cannot be removed
 * ({@link CheapValidationError} `INVALID_TREE`).
 */
export async function removeTreeNodes(
  db: Executor,
  catalogId: string,
  name: string,
  paths: Iterable<string>,
): Promise<MembershipResult> {
  checkTarget(catalogId, name)
  if (paths === null || typeof paths !== 'object' || !(Symbol.iterator in paths)) {
    throw new CheapValidationError(
      `removeTreeNodes '${name}': expected an iterable of paths, got ${describe(paths)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  const normalized = [...new Set([...paths].map((p) => normalizeTreePath(name, p)))]
  if (normalized.includes('')) {
    throw new CheapValidationError(
      `removeTreeNodes '${name}': the root of an entity tree cannot be removed`,
      { reason: 'INVALID_TREE' },
    )
  }
  return partialWrite(db, catalogId, [], 0, async (trx) => {
    const h = await requireHierarchy(trx, catalogId, name, ['ET'], 'removeTreeNodes')
    const found = await findNodes(trx, catalogId, h.hierarchyId, normalized)
    const nodeIds = [...found.values()].map((n) => n.node_id)
    return removed(trx, catalogId, await deleteSubtrees(trx, catalogId, h.hierarchyId, nodeIds))
  })
}

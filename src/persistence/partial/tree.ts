import { randomUUID } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { CheapNotFoundError, CheapValidationError } from '../../errors.ts'
import { toEntityId, type EntityId } from '../../model/entity.ts'
import { checkNodeName, splitPath } from '../../model/hierarchy/entity-tree.ts'
import { describe } from '../../model/names.ts'
import { invalidTextReason } from '../../model/values/text.ts'
import { writeRows } from '../store/bulk-write.ts'
import { partialWrite, requireHierarchy } from '../store/catalog-lock.ts'
import { deleteUnreferencedEntities } from '../store/entity-gc.ts'
import { checkTarget, removed, type MembershipResult } from './membership.ts'
import { ENTITY, ENTITY_TREE_NODE } from '../write-targets.ts'

type Executor = Kysely<unknown>

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

/** Deletes the nodes at `paths` with all their descendants; returns the deleted rows. */
async function deleteSubtrees(
  trx: Executor,
  catalogId: string,
  name: string,
  paths: readonly string[],
): Promise<{ entity_id: string | null }[]> {
  if (paths.length === 0) return []
  const result = await sql<{
    entity_id: string | null
  }>`with recursive doomed as (
      select node_id from hierarchy_entity_tree_node
      where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name} and node_path = any(${paths}::text[])
      union
      select t.node_id from hierarchy_entity_tree_node t join doomed d on t.parent_node_id = d.node_id
      where t.catalog_id = ${catalogId}::uuid and t.hierarchy_name = ${name}
    )
    delete from hierarchy_entity_tree_node x using doomed d
    where x.catalog_id = ${catalogId}::uuid and x.hierarchy_name = ${name} and x.node_id = d.node_id
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
  return partialWrite(db, catalogId, async (trx) => {
    await requireHierarchy(trx, catalogId, name, ['ET'], 'addTreeNodes')
    const found = await sql<{
      node_id: string
      is_leaf: boolean
    }>`select node_id, is_leaf from hierarchy_entity_tree_node where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name} and node_path = ${parent}`.execute(
      trx,
    )
    const parentRow = found.rows[0]
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
    const siblings = await sql<{
      node_key: string
      tree_order: number
      last: number
    }>`select node_key, tree_order, max(tree_order) over () as last from hierarchy_entity_tree_node where catalog_id = ${catalogId}::uuid and hierarchy_name = ${name} and parent_node_id = ${parentRow.node_id}::uuid`.execute(
      trx,
    )
    const replaced = new Map(
      siblings.rows.filter((r) => children.has(r.node_key)).map((r) => [r.node_key, r.tree_order]),
    )
    let next = (siblings.rows[0]?.last ?? -1) + 1
    const paths = names.map((n) => `${parent}/${n}`)
    const old = await deleteSubtrees(
      trx,
      catalogId,
      name,
      names.flatMap((n, i) => (replaced.has(n) ? [paths[i] as string] : [])),
    )
    const checked = [...children.values()]
    const entityIds = [
      ...new Set(checked.flatMap((c) => (c.entityId === null ? [] : [c.entityId]))),
    ]
    await writeRows(trx, ENTITY, catalogId, [entityIds], 'upsert')
    const written = await writeRows(
      trx,
      ENTITY_TREE_NODE,
      catalogId,
      [
        names.map(() => name),
        names.map(() => randomUUID()),
        names.map(() => parentRow.node_id),
        names,
        paths,
        names.map((n) => replaced.get(n) ?? next++),
        checked.map((c) => c.entityId),
        checked.map((c) => c.isLeaf),
      ],
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
  return partialWrite(db, catalogId, async (trx) => {
    await requireHierarchy(trx, catalogId, name, ['ET'], 'removeTreeNodes')
    return removed(trx, catalogId, await deleteSubtrees(trx, catalogId, name, normalized))
  })
}

import type { Kysely } from 'kysely'
import type { EntityId } from '../../model/entity.ts'
import type { TreeNode } from '../../model/hierarchy/entity-tree.ts'
import type { Hierarchy } from '../../model/hierarchy/index.ts'
import type { CopyIn } from '../connection/held-connection.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { target, writeRows, type RowProgress, type WriteMode } from './bulk-write.ts'

type Db = Kysely<CheapDatabase>

export const ENTITY = target('entity', ['entity_id'], 1)
export const ENTITY_LIST = target(
  'hierarchy_entity_list',
  ['hierarchy_id', 'list_order', 'entity_id'],
  2,
)
export const ENTITY_SET = target(
  'hierarchy_entity_set',
  ['hierarchy_id', 'entity_id', 'set_order'],
  2,
)
export const ENTITY_DIRECTORY = target(
  'hierarchy_entity_directory',
  ['hierarchy_id', 'entity_key', 'entity_id', 'dir_order'],
  2,
  // The key's uniqueness lives in an expression index (a key of any length fits it).
  'catalog_id, hierarchy_id, md5(entity_key)',
)
export const ENTITY_TREE_NODE = target(
  'hierarchy_entity_tree_node',
  ['hierarchy_id', 'node_id', 'parent_node_id', 'node_key', 'tree_order', 'entity_id', 'is_leaf'],
  2,
)

/** The content rows of a non-AspectMap hierarchy stored under `hierarchyId`. */
export function* contentRows(
  hierarchy: Exclude<Hierarchy, { type: 'AM' }>,
  hierarchyId: number,
): Generator<readonly unknown[]> {
  switch (hierarchy.type) {
    case 'EL': {
      let i = 0
      for (const id of hierarchy) yield [hierarchyId, i++, id]
      return
    }
    case 'ES': {
      let i = 0
      for (const id of hierarchy) yield [hierarchyId, id, i++]
      return
    }
    case 'ED': {
      let i = 0
      for (const [key, id] of hierarchy.entries()) yield [hierarchyId, key, id, i++]
      return
    }
    case 'ET':
      yield* treeRows(hierarchy.root, hierarchyId)
      return
  }
}

/**
 * Tree nodes in pre-order (a parent is always written before its children, which the parent
 * check relies on), iteratively: depth costs no stack. No paths are built: a 10,000-level tree's
 * paths alone would be 50 million characters.
 */
function* treeRows(root: TreeNode, hierarchyId: number): Generator<readonly unknown[]> {
  yield [hierarchyId, root.id, null, '', 0, root.entityId, root.isLeaf]
  const stack: (readonly [TreeNode, Iterator<[string, TreeNode]>, number])[] = [
    [root, root.children(), 0],
  ]
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as readonly [TreeNode, Iterator<[string, TreeNode]>, number]
    const next = top[1].next()
    if (next.done === true) {
      stack.pop()
      continue
    }
    const [key, child] = next.value
    const order = top[2]
    stack[stack.length - 1] = [top[0], top[1], order + 1]
    yield [hierarchyId, child.id, top[0].id, key, order, child.entityId, child.isLeaf]
    stack.push([child, child.children(), 0])
  }
}

/** Every node under and including `root`, iteratively and without building paths. */
export function* nodesOf(root: TreeNode): Generator<TreeNode> {
  const stack: TreeNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as TreeNode
    yield node
    for (const [, child] of node.children()) stack.push(child)
  }
}

/** The entities a hierarchy refers to (duplicates possible). */
export function* entitiesOf(hierarchy: Hierarchy): Generator<EntityId> {
  switch (hierarchy.type) {
    case 'EL':
    case 'ES':
      yield* hierarchy
      return
    case 'ED':
      for (const [, id] of hierarchy.entries()) yield id
      return
    case 'ET':
      for (const node of nodesOf(hierarchy.root)) if (node.entityId !== null) yield node.entityId
      return
    case 'AM':
      yield* hierarchy.entityIds()
      return
  }
}

/** Writes a non-AspectMap hierarchy's contents. Returns rows sent. */
export async function writeContents(
  db: Db,
  catalogId: string,
  hierarchy: Exclude<Hierarchy, { type: 'AM' }>,
  hierarchyId: number,
  mode: WriteMode,
  copyIn?: CopyIn,
  progress?: RowProgress,
): Promise<number> {
  const rows = contentRows(hierarchy, hierarchyId)
  switch (hierarchy.type) {
    case 'EL':
      return writeRows(db, ENTITY_LIST, catalogId, rows, mode, copyIn, progress)
    case 'ES':
      return writeRows(db, ENTITY_SET, catalogId, rows, mode, copyIn, progress)
    case 'ED':
      return writeRows(db, ENTITY_DIRECTORY, catalogId, rows, mode, copyIn, progress)
    case 'ET':
      return writeRows(db, ENTITY_TREE_NODE, catalogId, rows, mode, copyIn, progress)
  }
}

/** The content table of each non-AspectMap hierarchy type. */
export const CONTENT_TABLES = {
  EL: 'hierarchy_entity_list',
  ES: 'hierarchy_entity_set',
  ED: 'hierarchy_entity_directory',
  ET: 'hierarchy_entity_tree_node',
} as const

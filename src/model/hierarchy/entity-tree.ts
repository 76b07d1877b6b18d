import { v4 as uuidV4 } from 'uuid'
import { CheapNotFoundError, CheapValidationError } from '../../errors.ts'
import { toEntityId, type EntityId } from '../entity.ts'
import { invalidTextReason } from '../values/text.ts'
import { HierarchyBase, type HierarchyOptions } from './hierarchy-base.ts'

export interface TreeNodeOptions {
  readonly entityId?: EntityId | string | null
  /** A leaf can never have children (Java's `LeafNodeImpl`). */
  readonly isLeaf?: boolean
}

/**
 * One node of an {@link EntityTree}: an optional entity, ordered named children, and a leaf flag.
 * `id` is a stable node id (a UUID) that persistence keeps across saves.
 */
export class TreeNode {
  readonly id: string
  readonly isLeaf: boolean
  #entityId: EntityId | null
  #children = new Map<string, TreeNode>()
  readonly #tree: EntityTree

  /**
   * Nodes are created by {@link EntityTree} and {@link TreeNode.addChild}; do not call this.
   * (Not marked internal: the declarations would then imply a public no-argument constructor.)
   */
  constructor(tree: EntityTree, options: TreeNodeOptions, id: string = uuidV4()) {
    this.#tree = tree
    this.id = id
    this.isLeaf = options.isLeaf ?? false
    this.#entityId = options.entityId == null ? null : toEntityId(options.entityId)
  }

  get entityId(): EntityId | null {
    return this.#entityId
  }

  set entityId(value: EntityId | string | null) {
    this.#entityId = value === null ? null : toEntityId(value)
    this.#tree.touch()
  }

  /** Number of children. */
  get size(): number {
    return this.#children.size
  }

  children(): IterableIterator<[string, TreeNode]> {
    return this.#children.entries()
  }

  child(name: string): TreeNode | undefined {
    return this.#children.get(name)
  }

  /**
   * Adds (or replaces, keeping its position) the child `name`. Names are non-empty, without `/`
   * (paths are `/`-joined names) and storable as text.
   */
  addChild(name: string, options: TreeNodeOptions = {}, id?: string): TreeNode {
    if (this.isLeaf) {
      throw new CheapValidationError(
        `entity tree '${this.#tree.name}': a leaf node cannot have children (adding '${name}')`,
        {
          reason: 'INVALID_TREE',
        },
      )
    }
    checkNodeName(this.#tree.name, name)
    const node = new TreeNode(this.#tree, options, id)
    this.#children.set(name, node)
    this.#tree.touch()
    return node
  }

  /**
   * Adds (or replaces) every `[name, options]` child in order, as {@link addChild} does; all
   * names are checked first. Returns the new nodes in the same order.
   */
  addChildren(children: Iterable<readonly [string, TreeNodeOptions?]>): TreeNode[] {
    if (this.isLeaf) {
      throw new CheapValidationError(
        `entity tree '${this.#tree.name}': a leaf node cannot have children`,
        { reason: 'INVALID_TREE' },
      )
    }
    const checked = Array.from(children, ([name, options]) => {
      checkNodeName(this.#tree.name, name)
      return [name, new TreeNode(this.#tree, options ?? {})] as const
    })
    for (const [name, node] of checked) this.#children.set(name, node)
    this.#tree.touch()
    return checked.map(([, node]) => node)
  }

  removeChild(name: string): boolean {
    const had = this.#children.delete(name)
    if (had) this.#tree.touch()
    return had
  }
}

/** Checks a tree node name: non-empty, no `/`, storable as text ({@link CheapValidationError} `INVALID_NAME`). */
export function checkNodeName(tree: string, name: unknown): void {
  const bad =
    typeof name !== 'string' || name.length === 0
      ? 'it must be a non-empty string'
      : name.includes('/')
        ? "it contains '/', the path separator"
        : invalidTextReason(name)
  if (bad !== undefined) {
    throw new CheapValidationError(
      `entity tree '${tree}': node name ${JSON.stringify(name)} is not allowed: ${bad}`,
      {
        reason: 'INVALID_NAME',
      },
    )
  }
}

export interface EntityTreeOptions extends HierarchyOptions {
  /** The root's entity; a root without one stays without one. */
  readonly rootEntityId?: EntityId | string | null
  /** @internal The stored root node id. */
  readonly rootNodeId?: string
}

/** ET: a rooted tree of named nodes; sibling order round-trips. */
export class EntityTree extends HierarchyBase<'ET'> {
  readonly type = 'ET' as const
  readonly root: TreeNode

  constructor(name: string, options: EntityTreeOptions = {}) {
    super(name, options)
    this.root = new TreeNode(this, { entityId: options.rootEntityId ?? null }, options.rootNodeId)
  }

  /** @internal Called by nodes when they change. */
  touch(): void {
    this.changed()
  }

  /** The node at a `/`-joined path (`''` or `'/'` is the root), or undefined. */
  find(path: string): TreeNode | undefined {
    let node: TreeNode | undefined = this.root
    for (const part of splitPath(path)) {
      node = node.child(part)
      if (node === undefined) return undefined
    }
    return node
  }

  /** Like {@link find} but throws a {@link CheapNotFoundError}. */
  get(path: string): TreeNode {
    const node = this.find(path)
    if (node === undefined)
      throw new CheapNotFoundError(`entity tree '${this.name}' has no node at path '${path}'`)
    return node
  }

  /** Pre-order walk: `[path, node, parent]` with the root first (`path` ''). */
  *walk(): IterableIterator<[string, TreeNode, TreeNode | null]> {
    const stack: [string, TreeNode, TreeNode | null][] = [['', this.root, null]]
    while (stack.length > 0) {
      const item = stack.pop() as [string, TreeNode, TreeNode | null]
      yield item
      const [path, node] = item
      const children = [...node.children()]
      for (let i = children.length - 1; i >= 0; i--) {
        const [name, child] = children[i] as [string, TreeNode]
        stack.push([`${path}/${name}`, child, node])
      }
    }
  }

  /** Number of nodes including the root. */
  get nodeCount(): number {
    // Without paths: walk() builds each node's path, quadratic in the depth of a deep tree.
    let n = 0
    const stack: TreeNode[] = [this.root]
    while (stack.length > 0) {
      const node = stack.pop() as TreeNode
      n++
      for (const [, child] of node.children()) stack.push(child)
    }
    return n
  }
}

/** Splits `/a/b` (or `a/b`) into names; `''` and `/` are the root. */
export function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part.length > 0)
}

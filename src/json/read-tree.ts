import type { EntityId } from '../model/entity.ts'
import type { EntityTree, TreeNode } from '../model/hierarchy/entity-tree.ts'
import { quoteShort, type ReadContext } from './read-context.ts'
import { readEntityId } from './read-entity-id.ts'

const KEYS = ['entityId', 'children', 'isLeaf'] as const
const SEEN = { entityId: 1, isLeaf: 2, children: 4 } as const

/** A node object being read; its TreeNode is created once its isLeaf flag is settled. */
interface Frame {
  readonly parent: TreeNode | null
  readonly name: string
  node: TreeNode | undefined
  entityId: EntityId | null
  isLeaf: boolean
  seen: number
  inChildren: boolean
}

/**
 * ET contents: `{ "entityId"?: uuid | null, "children"?: { name: node, … }, "isLeaf"?: bool }`
 * with keys in any order. Read with an explicit stack of frames, so a tree of any depth reads
 * without recursion. A child's node is added to its parent when its `children` object starts
 * or its object ends, which is after the previous sibling's: sibling order is kept.
 */
export function readTree(ctx: ReadContext, tree: EntityTree): void {
  if (ctx.next() !== 'startObject') ctx.unexpected('a tree node object')
  const stack: Frame[] = [frameOf(null, '', tree.root)]
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame
    const event = ctx.next()
    if (frame.inChildren) {
      if (event === 'endObject') {
        frame.inChildren = false
        ctx.path.pop()
        continue
      }
      const name = ctx.parser.text
      const node = frame.node as TreeNode
      ctx.path.push(name)
      if (node.child(name) !== undefined) {
        ctx.fail(
          'INVALID_JSON',
          `found the child ${quoteShort(name)} a second time, expected unique child names`,
        )
      }
      if (ctx.next() !== 'startObject') ctx.unexpected('a tree node object')
      stack.push(frameOf(node, name, undefined))
      continue
    }
    if (event === 'endObject') {
      ensureNode(ctx, frame)
      stack.pop()
      if (frame.parent !== null) ctx.path.pop()
      continue
    }
    readField(ctx, frame, ctx.parser.text)
  }
}

function readField(ctx: ReadContext, frame: Frame, field: string): void {
  ctx.path.push(field)
  const bit = Object.hasOwn(SEEN, field) ? SEEN[field as keyof typeof SEEN] : undefined
  if (bit === undefined) ctx.unknownKey(field, 'a tree node', KEYS)
  if ((frame.seen & bit) !== 0) {
    ctx.fail(
      'INVALID_JSON',
      `found the key ${quoteShort(field)} a second time, expected each key once per object`,
    )
  }
  frame.seen |= bit
  if (field === 'entityId') {
    const id = ctx.next() === 'null' ? null : readEntityId(ctx)
    if (frame.node === undefined) frame.entityId = id
    else frame.node.entityId = id
  } else if (field === 'isLeaf') {
    frame.isLeaf = ctx.readBoolean()
    if (frame.isLeaf && frame.parent === null) {
      ctx.fail(
        'INVALID_TREE',
        'found true, expected false or no isLeaf: the root of a tree is never a leaf',
      )
    }
    if (frame.isLeaf && (frame.seen & SEEN.children) !== 0) leafWithChildren(ctx)
  } else {
    if (frame.isLeaf) leafWithChildren(ctx)
    if (ctx.next() !== 'startObject') ctx.unexpected('an object of child name → tree node')
    ctx.path.pop()
    ensureNode(ctx, frame)
    ctx.path.push(field)
    frame.inChildren = true
    return
  }
  ctx.path.pop()
}

function leafWithChildren(ctx: ReadContext): never {
  return ctx.fail(
    'INVALID_TREE',
    'found both "isLeaf": true and "children", expected one or the other: a leaf node has no children',
  )
}

function frameOf(parent: TreeNode | null, name: string, node: TreeNode | undefined): Frame {
  return { parent, name, node, entityId: null, isLeaf: false, seen: 0, inChildren: false }
}

function ensureNode(ctx: ReadContext, frame: Frame): void {
  if (frame.node !== undefined) return
  const parent = frame.parent as TreeNode
  frame.node = ctx.wrap(() =>
    parent.addChild(frame.name, { entityId: frame.entityId, isLeaf: frame.isLeaf }),
  )
}

import { Aspect } from '../model/aspect.ts'
import type { Hierarchy } from '../model/hierarchy/index.ts'
import type { AspectMap } from '../model/hierarchy/aspect-map.ts'
import type { EntityTree, TreeNode } from '../model/hierarchy/entity-tree.ts'
import type { JsonEmitter } from './json-emitter.ts'
import { writePropertyValue } from './json-value-writer.ts'

/** `{ "type", "name", "version"?, "contents" }` as the Java HierarchySerializer writes it. */
export function writeHierarchy(out: JsonEmitter, hierarchy: Hierarchy): void {
  out.startObject()
  out.key('type')
  out.string(hierarchy.type)
  out.key('name')
  out.string(hierarchy.name)
  if (hierarchy.version !== 0n) {
    out.key('version')
    out.token(hierarchy.version.toString())
  }
  out.key('contents')
  switch (hierarchy.type) {
    case 'EL':
    case 'ES':
      out.startArray()
      for (const id of hierarchy) out.string(id)
      out.endArray()
      break
    case 'ED':
      out.startObject()
      for (const [key, id] of hierarchy.entries()) {
        out.key(key)
        out.string(id)
      }
      out.endObject()
      break
    case 'ET':
      writeTree(out, hierarchy)
      break
    case 'AM':
      writeAspects(out, hierarchy)
      break
  }
  out.endObject()
}

/**
 * Entity → aspect object with the stored values in AspectDef order. A stored null is written
 * as an explicit `null` (see the note in json-writer.ts); an absent property is left out.
 */
function writeAspects(out: JsonEmitter, map: AspectMap): void {
  const props = map.aspectDef.propertyDefs()
  out.startObject()
  for (const aspect of map.aspects()) {
    out.key(aspect.entityId)
    const values = Aspect.stored(aspect)
    out.startObject()
    for (const prop of props) {
      const value = values.get(prop.name)
      if (value === undefined) continue
      out.key(prop.name)
      writePropertyValue(out, prop.type, value)
    }
    out.endObject()
  }
  out.endObject()
}

/**
 * Tree nodes: `entityId` when the node has one, `isLeaf: true` for leaf nodes (our addition,
 * which the Java reader accepts), `children` when there are any. Written with an explicit
 * stack of child iterators, so a tree of any depth writes without recursion.
 */
function writeTree(out: JsonEmitter, tree: EntityTree): void {
  const stack: Iterator<[string, TreeNode]>[] = []
  const open = (node: TreeNode): void => {
    out.startObject()
    if (node.entityId !== null) {
      out.key('entityId')
      out.string(node.entityId)
    }
    if (node.isLeaf) {
      out.key('isLeaf')
      out.token('true')
    }
    if (node.size === 0) {
      out.endObject()
      return
    }
    out.key('children')
    out.startObject()
    stack.push(node.children())
  }
  open(tree.root)
  while (stack.length > 0) {
    const step = (stack[stack.length - 1] as Iterator<[string, TreeNode]>).next()
    if (step.done === true) {
      stack.pop()
      out.endObject()
      out.endObject()
      continue
    }
    const [name, child] = step.value
    out.key(name)
    open(child)
  }
}

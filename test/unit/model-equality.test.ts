import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { catalogDiff, createCatalog, newEntityId, type EntityTree } from '../../src/model/index.ts'

function deepTree(
  catalog: ReturnType<typeof createCatalog>,
  depth: number,
  leafEntity: string,
): EntityTree {
  const tree = catalog.createEntityTree('deep')
  let node = tree.root
  for (let i = 0; i < depth; i++) node = node.addChild(`n${i}`)
  node.entityId = leafEntity
  return tree
}

describe('catalogDiff', () => {
  it('compares trees 10,000 levels deep without overflowing the stack and finds the deepest difference', () => {
    const id = '6a0b5a6e-8d4c-4d0a-9a4b-2b1c3d4e5f60'
    const a = createCatalog({ globalId: id })
    const b = createCatalog({ globalId: id })
    deepTree(a, 10_000, newEntityId())
    deepTree(b, 10_000, newEntityId())
    const diff = catalogDiff(a, b)
    assert.ok(diff?.includes('/n9999: entity'), diff)
  })
})

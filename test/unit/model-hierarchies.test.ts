import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  AspectMap,
  EntityDirectory,
  EntityList,
  EntitySet,
  EntityTree,
  createAspect,
  createAspectDef,
  createPropertyDef,
  toEntityId,
} from '../../src/model/index.ts'
import { assertCheapError, assertRejected } from '../support/assert-error.ts'

const [A, B, C, D] = ['a', 'b', 'c', 'd'].map((x) =>
  toEntityId(`0000000${x}-0000-4000-8000-000000000000`),
) as [
  ReturnType<typeof toEntityId>,
  ReturnType<typeof toEntityId>,
  ReturnType<typeof toEntityId>,
  ReturnType<typeof toEntityId>,
]

describe('hierarchies', () => {
  describe('common rules', () => {
    it('default to version 0 and keep any int64 version', () => {
      const list = new EntityList('queue')
      assert.equal(list.version, 0n)
      list.version = -(2n ** 63n)
      assert.equal(list.version, -(2n ** 63n))
    })

    it('reject a version outside int64 or not a bigint', () => {
      assertRejected(() => new EntitySet('s', { version: 2n ** 63n }), 'OUT_OF_RANGE', {}, [
        '9223372036854775808',
      ])
      assertRejected(() => {
        new EntityList('l').version = 1 as unknown as bigint
      }, 'WRONG_TYPE')
    })

    it('reject an empty name', () => {
      assertRejected(() => new EntityDirectory(''), 'INVALID_NAME')
    })

    it('reject an entity id that is not a canonical UUID', () => {
      assertRejected(
        () => new EntityList('l').add('A0000000-0000-4000-8000-000000000000'),
        'INVALID_UUID',
      )
      assertRejected(() => new EntitySet('s').add('not-a-uuid'), 'INVALID_UUID')
    })

    it('count their changes', () => {
      const set = new EntitySet('s')
      const before = set.changeCount
      set.add(A)
      set.version = 3n
      assert.ok(set.changeCount >= before + 2)
    })
  })

  describe('EL entity list', () => {
    it('keeps duplicates in order', () => {
      const list = new EntityList('l').add(A, B, A, A)
      assert.deepEqual([...list], [A, B, A, A])
      assert.equal(list.size, 4)
    })

    it('inserts, replaces and removes by position', () => {
      const list = new EntityList('l').add(A, B)
      list.insert(0, C).insert(3, D).insert(1, A)
      assert.deepEqual(list.toArray(), [C, A, A, B, D])
      list.setAt(2, B)
      assert.equal(list.removeAt(0), C)
      assert.deepEqual(list.toArray(), [A, B, B, D])
      assert.equal(list.remove(B), true)
      assert.deepEqual(list.toArray(), [A, B, D])
      assert.equal(list.remove(C), false)
    })

    it('rejects a position outside the list', () => {
      const list = new EntityList('l').add(A)
      assertRejected(() => list.insert(2, B), 'OUT_OF_RANGE', {}, ['2'])
      assertRejected(() => list.removeAt(1), 'OUT_OF_RANGE')
      assertRejected(() => list.removeAt(-1), 'OUT_OF_RANGE')
      assertRejected(() => new EntityList('e').removeAt(0), 'OUT_OF_RANGE')
    })
  })

  describe('ES entity set', () => {
    it('iterates in insertion order and keeps a re-added entity in its place', () => {
      const set = new EntitySet('s').add(C, A, B).add(A, D)
      assert.deepEqual([...set], [C, A, B, D])
    })

    it('deletes members', () => {
      const set = new EntitySet('s').add(A, B)
      assert.equal(set.delete(A), true)
      assert.equal(set.delete(A), false)
      assert.deepEqual(set.toArray(), [B])
    })
  })

  describe('ED entity directory', () => {
    it('keeps keys in insertion order and lets several keys share an entity', () => {
      const dir = new EntityDirectory('d').set('zeta', A).set('alpha', A).set('名前', B).set('', C)
      assert.deepEqual([...dir.keys()], ['zeta', 'alpha', '名前', ''])
      assert.equal(dir.get('alpha'), A)
    })

    it('overwrites an existing key in its position', () => {
      const dir = new EntityDirectory('d').set('x', A).set('y', B).set('x', C)
      assert.deepEqual(
        [...dir.entries()],
        [
          ['x', C],
          ['y', B],
        ],
      )
    })

    it('deletes keys', () => {
      const dir = new EntityDirectory('d').set('x', A)
      assert.equal(dir.delete('x'), true)
      assert.equal(dir.delete('x'), false)
      assert.equal(dir.size, 0)
    })

    it('rejects a key PostgreSQL text cannot store', () => {
      assertRejected(() => new EntityDirectory('d').set('a\u0000', A), 'INVALID_NAME', {}, [
        'U+0000',
      ])
      assertRejected(() => new EntityDirectory('d').set('\udfff', A), 'INVALID_NAME')
    })
  })

  describe('ET entity tree', () => {
    function sample(): EntityTree {
      const tree = new EntityTree('t')
      const docs = tree.root.addChild('docs', { entityId: A })
      docs.addChild('a.txt', { entityId: B, isLeaf: true })
      docs.addChild('b.txt', { entityId: C, isLeaf: true })
      tree.root.addChild('empty')
      return tree
    }

    it('has a root without an entity unless given one', () => {
      assert.equal(new EntityTree('t').root.entityId, null)
      assert.equal(new EntityTree('t', { rootEntityId: D }).root.entityId, D)
    })

    it('finds nodes by slash-joined path, the root at "" and "/"', () => {
      const tree = sample()
      assert.equal(tree.find(''), tree.root)
      assert.equal(tree.find('/'), tree.root)
      assert.equal(tree.find('/docs/b.txt')?.entityId, C)
      assert.equal(tree.find('docs/a.txt')?.isLeaf, true)
      assert.equal(tree.find('/docs/missing'), undefined)
    })

    it('throws NOT_FOUND from get for a missing path', () => {
      assertCheapError(() => sample().get('/nope'), { code: 'NOT_FOUND', message: ['/nope'] })
    })

    it('walks in pre-order with sibling order kept', () => {
      const paths = [...sample().walk()].map(([path]) => path)
      assert.deepEqual(paths, ['', '/docs', '/docs/a.txt', '/docs/b.txt', '/empty'])
      assert.equal(sample().nodeCount, 5)
    })

    it('keeps an interior node without an entity', () => {
      assert.equal(sample().find('/empty')?.entityId, null)
    })

    it('removes a child with its whole subtree', () => {
      const tree = sample()
      assert.equal(tree.root.removeChild('docs'), true)
      assert.equal(tree.root.removeChild('docs'), false)
      assert.deepEqual(
        [...tree.walk()].map(([p]) => p),
        ['', '/empty'],
      )
    })

    it('replaces a child of the same name in its position', () => {
      const tree = sample()
      tree.root.addChild('docs', { entityId: D })
      assert.deepEqual(
        [...tree.root.children()].map(([n, node]) => [n, node.entityId]),
        [
          ['docs', D],
          ['empty', null],
        ],
      )
    })

    it('lets a node change or drop its entity', () => {
      const tree = sample()
      const docs = tree.get('/docs')
      docs.entityId = null
      assert.equal(docs.entityId, null)
      tree.root.entityId = B
      assert.equal(tree.root.entityId, B)
    })

    it('refuses children under a leaf node', () => {
      const leaf = sample().get('/docs/a.txt')
      assertRejected(() => leaf.addChild('x'), 'INVALID_TREE', {}, ['leaf'])
    })

    it("refuses node names with '/', empty names and unstorable names", () => {
      const tree = new EntityTree('t')
      assertRejected(() => tree.root.addChild('a/b'), 'INVALID_NAME', {}, ['a/b'])
      assertRejected(() => tree.root.addChild(''), 'INVALID_NAME')
      assertRejected(() => tree.root.addChild('x\u0000'), 'INVALID_NAME')
    })
  })

  describe('AM aspect map', () => {
    const person = createAspectDef({
      name: 'com.example.person',
      properties: [createPropertyDef({ name: 'name', type: 'STR' })],
    })

    it('is named after its AspectDef', () => {
      assert.equal(new AspectMap(person).name, 'com.example.person')
    })

    it('keeps insertion order and replaces an aspect in its position', () => {
      const map = new AspectMap(person)
      map.add(createAspect(person, B, { name: 'b' })).add(createAspect(person, A, { name: 'a' }))
      map.add(createAspect(person, B, { name: 'b2' }))
      assert.deepEqual([...map.entityIds()], [B, A])
      assert.equal(map.get(B)?.get('name'), 'b2')
      assert.equal(map.size, 2)
    })

    it('deletes aspects', () => {
      const map = new AspectMap(person).add(createAspect(person, A))
      assert.equal(map.delete(A), true)
      assert.equal(map.delete(A), false)
      assert.equal(map.has(A), false)
    })

    it('accepts an aspect of an equal def but rejects one of another def', () => {
      const twin = createAspectDef({
        name: person.name,
        globalId: person.globalId,
        properties: person.propertyDefs(),
      })
      const map = new AspectMap(person).add(createAspect(twin, A))
      assert.equal(map.size, 1)
      const other = createAspectDef({
        name: 'com.example.pet',
        properties: [createPropertyDef({ name: 'name', type: 'STR' })],
      })
      assertRejected(
        // @ts-expect-error an aspect of another def (another name): a compile-time error too
        () => map.add(createAspect(other, B)),
        'WRONG_ASPECT_DEF',
        { aspectDefName: person.name },
        ['com.example.pet'],
      )
    })
  })
})

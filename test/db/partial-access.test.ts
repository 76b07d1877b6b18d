/**
 * Partial access on both backends: loadHierarchy (pages), loadAspects, upsertAspects,
 * removeAspects and the membership edits. The central property: any sequence of partial calls
 * leaves the stored catalog exactly equal to the same edits applied through the model to the
 * catalog loaded before them, with the revision advanced once per call.
 */
import assert from 'node:assert/strict'
import { after, before, beforeEach, it } from 'node:test'
import fc from 'fast-check'
import { sql, type Kysely } from 'kysely'
import { v4 as uuidV4 } from 'uuid'
import { CheapError, CheapValidationError, type CheapErrorCode } from '../../src/errors.ts'
import {
  AspectMap,
  catalogDiff,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  hierarchyDiff,
  newEntityId,
  restoreAspect,
  toEntityId,
  type Aspect,
  type AspectDef,
  type Catalog,
  type EntityId,
  type Hierarchy,
  type PropertyValue,
  type TreeNode,
} from '../../src/model/index.ts'
import type { SmallCatalogPath } from '../../src/persistence/dao/options.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import type { HierarchyPage } from '../../src/persistence/partial/hierarchy-page.ts'
import { catalogArb, nameArb } from '../support/arbitraries.ts'
import { catalogEntityIds } from '../support/edits.ts'
import { assertProperty } from '../support/fast-check.ts'
import { aspectValuesArb, type AspectValuesPlan } from '../support/hierarchy-arbitraries.ts'
import { forEachBackendAndCluster, type TestDatabase } from './backends.ts'

async function rejects(
  action: () => Promise<unknown>,
  code: CheapErrorCode,
  fragments: readonly string[] = [],
  reason?: string,
): Promise<CheapError> {
  let thrown: unknown
  try {
    await action()
  } catch (error) {
    thrown = error
  }
  assert.ok(thrown instanceof CheapError, `expected a CheapError ${code}, got ${String(thrown)}`)
  assert.equal(thrown.code, code, thrown.message)
  if (reason !== undefined) {
    assert.ok(thrown instanceof CheapValidationError)
    assert.equal(thrown.reason, reason, thrown.message)
  }
  for (const f of fragments) assert.ok(thrown.message.includes(f), `${thrown.message} lacks ${f}`)
  return thrown
}

function raw(db: TestDatabase): Kysely<unknown> {
  return db.adapter.db as unknown as Kysely<unknown>
}

async function entityRows(db: TestDatabase, catalogId: string): Promise<string[]> {
  const rows = await sql<{
    entity_id: string
  }>`select entity_id from entity where catalog_id = ${catalogId}::uuid order by entity_id`.execute(
    raw(db),
  )
  return rows.rows.map((r) => r.entity_id)
}

const ids = Array.from({ length: 12 }, (_, i) =>
  toEntityId(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
)
const id = (i: number): EntityId => ids[i] as EntityId

function personDef(): AspectDef {
  return createAspectDef({
    name: `person_${uuidV4().slice(0, 8)}`,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR' }),
      createPropertyDef({ name: 'age', type: 'INT', isNullable: true }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true, isNullable: true }),
      createPropertyDef({ name: 'score', type: 'BGF', isNullable: true }),
    ],
  })
}

/** A catalog with one of every hierarchy type; the tree's siblings are not in name order. */
function sampleCatalog(def: AspectDef): Catalog {
  const catalog = createCatalog()
  const people = catalog.extend(def, { version: 3n })
  for (let i = 0; i < 5; i++) {
    people.add(
      createAspect(def, id(i), {
        name: `p${i}`,
        ...(i % 2 === 0 ? { age: BigInt(20 + i) } : {}),
        tags: i === 1 ? null : ['a', `t${i}`],
      }),
    )
  }
  catalog.createEntityList('queue', { version: 7n }).add(id(0), id(1), id(0), id(2))
  catalog.createEntitySet('members').add(id(3), id(1))
  const dir = catalog.createEntityDirectory('byName')
  dir.set('zed', id(0)).set('amy', id(1))
  const tree = catalog.createEntityTree('places', { rootEntityId: id(9) })
  const z = tree.root.addChild('zurich', { entityId: id(4) })
  z.addChild('oerlikon', { entityId: id(5), isLeaf: true })
  z.addChild('altstetten')
  tree.root.addChild('basel', { entityId: id(6) })
  tree.root.addChild('aarau', { isLeaf: true })
  return catalog
}

const SMALL_PATHS: readonly SmallCatalogPath[] = ['always', 'never']

function treeEntries(tree: Extract<Hierarchy, { type: 'ET' }>) {
  return [...tree.walk()].map(([path, node]) => ({
    path,
    entityId: node.entityId,
    isLeaf: node.isLeaf,
  }))
}

// Every test runs with the few-aspects path of loadAspects/upsertAspects forced on and off
// (smallCatalogs: 'always' / 'never'), so both paths meet the same expectations.
for (const path of SMALL_PATHS)
  forEachBackendAndCluster(`partial access (small path ${path})`, (backend) => {
    let db: TestDatabase
    let dao: PostgresDao
    before(async () => {
      db = await backend.open()
      dao = new PostgresDao(db.adapter, { smallCatalogs: path })
    })
    after(async () => db.close())
    beforeEach(async () => db.reset())

    it('loads every hierarchy type whole and in pages, with totals', async () => {
      const def = personDef()
      const catalog = sampleCatalog(def)
      await dao.saveCatalog(catalog)
      const c = catalog.globalId

      const list = await dao.loadHierarchy(c, 'queue')
      assert.deepEqual(list, {
        type: 'EL',
        name: 'queue',
        version: 7n,
        offset: 0,
        total: 4,
        entityIds: [id(0), id(1), id(0), id(2)],
      })
      const listPage = await dao.loadHierarchy(c, 'queue', { offset: 1, limit: 2 })
      assert.equal(listPage.type, 'EL')
      assert.deepEqual(listPage.type === 'EL' && listPage.entityIds, [id(1), id(0)])
      assert.equal(listPage.total, 4)

      const set = await dao.loadHierarchy(c, 'members', { limit: 1 })
      assert.deepEqual(set.type === 'ES' && [set.entityIds, set.total], [[id(3)], 2])

      const dir = await dao.loadHierarchy(c, 'byName', { offset: 1 })
      assert.deepEqual(dir.type === 'ED' && dir.entries, [['amy', id(1)]])

      const am = await dao.loadHierarchy(c, def.name, { offset: 1, limit: 3 })
      assert.equal(am.type, 'AM')
      if (am.type !== 'AM') return
      assert.equal(am.total, 5)
      assert.equal(am.version, 3n)
      assert.ok(am.aspectDef.equals(def))
      assert.deepEqual(
        am.aspects.map((a) => a.entityId),
        [id(1), id(2), id(3)],
      )
      const one = am.aspects[0] as Aspect
      assert.equal(one.get('name'), 'p1')
      assert.equal(one.has('age'), false)
      assert.equal(one.get('tags'), null)
      assert.deepEqual(am.aspects[1]?.get('tags'), ['a', 't2'])
      const whole = await dao.loadHierarchy(c, def.name)
      assert.ok(whole.type === 'AM')
      const rebuilt = new AspectMap(whole.aspectDef, { version: whole.version })
      for (const a of whole.aspects) rebuilt.add(a)
      assert.equal(hierarchyDiff(rebuilt, catalog.aspects(def.name) as AspectMap), undefined)
    })

    it('pages an entity tree in pre-order with siblings in stored (not name) order', async () => {
      const catalog = sampleCatalog(personDef())
      await dao.saveCatalog(catalog)
      const tree = catalog.hierarchy('places') as Extract<Hierarchy, { type: 'ET' }>
      const whole = await dao.loadHierarchy(catalog.globalId, 'places')
      assert.ok(whole.type === 'ET')
      assert.deepEqual(
        whole.nodes.map((n) => n.path),
        ['', '/zurich', '/zurich/oerlikon', '/zurich/altstetten', '/basel', '/aarau'],
      )
      assert.deepEqual(whole.nodes, treeEntries(tree))
      assert.equal(whole.total, 6)
      assert.ok(whole.tree !== null)
      assert.equal(hierarchyDiff(whole.tree, tree), undefined)
      const page = await dao.loadHierarchy(catalog.globalId, 'places', { offset: 2, limit: 3 })
      assert.ok(page.type === 'ET')
      assert.deepEqual(page.nodes, treeEntries(tree).slice(2, 5))
      assert.equal(page.tree, null)
      assert.equal(page.total, 6)
    })

    it('reports unknown catalogs and hierarchies as NOT_FOUND, wrong types as WRONG_HIERARCHY', async () => {
      const def = personDef()
      const catalog = sampleCatalog(def)
      await dao.saveCatalog(catalog)
      const c = catalog.globalId
      const missing = uuidV4()
      const calls: [string, (catalogId: string) => Promise<unknown>][] = [
        ['loadHierarchy', (x) => dao.loadHierarchy(x, 'queue')],
        ['loadAspects', (x) => dao.loadAspects(x, def.name, [id(0)])],
        ['upsertAspects', (x) => dao.upsertAspects(x, def.name, [createAspect(def, id(0))])],
        ['removeAspects', (x) => dao.removeAspects(x, def.name, [id(0)])],
        ['addToEntityList', (x) => dao.addToEntityList(x, 'queue', [id(0)])],
        ['removeFromEntityList', (x) => dao.removeFromEntityList(x, 'queue', [id(0)])],
        ['addToEntitySet', (x) => dao.addToEntitySet(x, 'members', [id(0)])],
        ['removeFromEntitySet', (x) => dao.removeFromEntitySet(x, 'members', [id(0)])],
        ['putDirectoryEntries', (x) => dao.putDirectoryEntries(x, 'byName', { k: id(0) })],
        ['removeDirectoryEntries', (x) => dao.removeDirectoryEntries(x, 'byName', ['k'])],
        ['addTreeNodes', (x) => dao.addTreeNodes(x, 'places', '/', [{ name: 'n' }])],
        ['removeTreeNodes', (x) => dao.removeTreeNodes(x, 'places', ['/basel'])],
      ]
      for (const [name, call] of calls) {
        await rejects(() => call(missing), 'NOT_FOUND', [missing]).catch((e: unknown) => {
          throw new Error(`${name}: ${String(e)}`)
        })
      }
      await rejects(() => dao.loadHierarchy(c, 'nope'), 'NOT_FOUND', ['"nope"', c])
      await rejects(() => dao.addToEntityList(c, 'nope', [id(0)]), 'NOT_FOUND', ['"nope"'])
      await rejects(() => dao.loadAspects(c, 'other', [id(0)]), 'NOT_FOUND', ["'other'"])
      await rejects(
        () => dao.addToEntityList(c, 'members', [id(0)]),
        'VALIDATION',
        ['members', 'entity set (ES)', 'entity list (EL)'],
        'WRONG_HIERARCHY',
      )
      await rejects(
        () => dao.addTreeNodes(c, 'queue', '/', [{ name: 'x' }]),
        'VALIDATION',
        [],
        'WRONG_HIERARCHY',
      )
      await rejects(() => dao.loadAspects(c, 'queue', [id(0)]), 'VALIDATION', [], 'WRONG_HIERARCHY')
      // A hierarchy is named by a string, so only run time can tell a kind-specific call is on a
      // hierarchy of another kind: the error names the hierarchy, what it is and what was wanted.
      const wrongKind: [() => Promise<unknown>, string, string, string][] = [
        [() => dao.putDirectoryEntries(c, 'queue', { k: id(0) }), 'queue', 'ED', 'EL'],
        [() => dao.removeDirectoryEntries(c, 'members', ['k']), 'members', 'ED', 'ES'],
        [() => dao.addToEntitySet(c, 'byName', [id(0)]), 'byName', 'ES', 'ED'],
        [() => dao.removeFromEntitySet(c, 'places', [id(0)]), 'places', 'ES', 'ET'],
        [() => dao.removeFromEntityList(c, 'byName', [id(0)]), 'byName', 'EL', 'ED'],
        [() => dao.removeTreeNodes(c, 'members', ['/x']), 'members', 'ET', 'ES'],
      ]
      for (const [call, name, wanted, actual] of wrongKind) {
        await rejects(
          call,
          'VALIDATION',
          [`"${name}"`, `(${wanted})`, `(${actual})`],
          'WRONG_HIERARCHY',
        )
      }
      await rejects(() => dao.loadHierarchy(c, 'queue', { limit: -1 }), 'VALIDATION', ['limit'])
      await rejects(() => dao.addToEntitySet(c, 'members', ['not-a-uuid']), 'VALIDATION', [
        'not-a-uuid',
      ])
      await rejects(() => dao.loadHierarchy('x', 'queue'), 'VALIDATION', ['catalog id'])
      // Nothing above changed anything.
      assert.equal(await dao.catalogRevision(c), 1n)
    })

    it('loads aspects of some entities, absent ones left out, in map order', async () => {
      const def = personDef()
      const catalog = sampleCatalog(def)
      await dao.saveCatalog(catalog)
      const found = await dao.loadAspects(catalog.globalId, def.name, [id(3), id(11), id(0), id(3)])
      assert.deepEqual([...found.keys()], [id(0), id(3)])
      assert.equal(found.get(id(0))?.get('age'), 20n)
      assert.deepEqual(found.get(id(3))?.get('tags'), ['a', 't3'])
      assert.equal((await dao.loadAspects(catalog.globalId, def.name, [])).size, 0)
    })

    it('upserts aspects: appends new ones, replaces existing ones in place, bumps the revision', async () => {
      const def = personDef()
      const catalog = sampleCatalog(def)
      await dao.saveCatalog(catalog)
      const c = catalog.globalId
      const stale = await dao.loadCatalog(c)
      assert.ok(stale !== null)
      const result = await dao.upsertAspects(c, def.name, [
        createAspect(def, id(10), { name: 'new', tags: [] }),
        createAspect(def, id(1), { name: 'replaced' }),
        createAspect(def, id(11), { name: 'newer', age: null }),
        createAspect(def, id(10), { name: 'new again' }),
      ])
      assert.deepEqual(result, { revision: 2n, inserted: 2, updated: 1 })
      const loaded = await dao.loadCatalog(c)
      const map = loaded?.aspects(def.name)
      assert.ok(map !== undefined)
      assert.deepEqual([...map.entityIds()], [id(0), id(1), id(2), id(3), id(4), id(10), id(11)])
      assert.equal(map.get(id(1))?.get('name'), 'replaced')
      assert.equal(map.get(id(1))?.has('tags'), false, 'the old list is gone')
      assert.equal(map.get(id(10))?.get('name'), 'new again')
      assert.equal(map.get(id(10))?.has('tags'), false)
      assert.equal(map.get(id(11))?.get('age'), null)
      const log = await sql<{
        revision: bigint
        operation: string
      }>`select revision, operation from catalog_revision where catalog_id = ${c}::uuid order by revision`.execute(
        raw(db),
      )
      assert.deepEqual(
        log.rows.map((r) => [r.revision, r.operation]),
        [
          [1n, 'save'],
          [2n, 'partial'],
        ],
      )
      // Optimistic locking still holds for catalogs loaded before the partial call.
      await rejects(() => dao.saveCatalog(stale), 'CONFLICT', ['expected revision 1'])
      // A catalog loaded afterwards saves fine: unchanged, it writes nothing and keeps the
      // revision; changed, it moves on.
      assert.ok(loaded !== null)
      assert.deepEqual(await dao.saveCatalog(loaded), {
        revision: 2n,
        mode: 'incremental',
        rowsWritten: 0,
        unchanged: true,
      })
      loaded.version = 7n
      assert.equal((await dao.saveCatalog(loaded)).revision, 3n)
    })

    it('rejects aspects of another def before writing anything', async () => {
      const def = personDef()
      const catalog = sampleCatalog(def)
      await dao.saveCatalog(catalog)
      const c = catalog.globalId
      const other = personDef()
      const sameNameOtherId = createAspectDef({
        name: def.name,
        globalId: uuidV4(),
        properties: def.propertyDefs(),
      })
      await rejects(
        () => dao.upsertAspects(c, def.name, [createAspect(other, id(0))]),
        'VALIDATION',
        [other.name],
        'WRONG_ASPECT_DEF',
      )
      await rejects(
        () =>
          dao.upsertAspects(c, def.name, [
            createAspect(def, id(0)),
            createAspect(sameNameOtherId, id(1)),
          ]),
        'VALIDATION',
        [sameNameOtherId.globalId],
        'WRONG_ASPECT_DEF',
      )
      await rejects(
        () => dao.upsertAspects(c, def.name, [createAspect(sameNameOtherId, id(1))]),
        'VALIDATION',
        ['differs from the stored one'],
        'WRONG_ASPECT_DEF',
      )
      await rejects(
        () => dao.upsertAspects(c, other.name, [createAspect(other, id(0))]),
        'NOT_FOUND',
        [other.name],
      )
      assert.equal(await dao.catalogRevision(c), 1n)
      assert.equal(catalogDiff((await dao.loadCatalog(c)) as Catalog, catalog), undefined)
    })

    it('removes aspects and the entity rows nothing refers to any more', async () => {
      const def = personDef()
      const catalog = sampleCatalog(def)
      await dao.saveCatalog(catalog)
      const c = catalog.globalId
      // id(3) is also in the set, id(4) in the tree; id(2) is in the list.
      const result = await dao.removeAspects(c, def.name, [id(2), id(3), id(4), id(11)])
      assert.deepEqual(result, { revision: 2n, removed: 3 })
      const map = catalog.aspects(def.name) as AspectMap
      for (const i of [2, 3, 4]) map.delete(id(i))
      assert.equal(catalogDiff((await dao.loadCatalog(c)) as Catalog, catalog), undefined)
      assert.deepEqual(await entityRows(db, c), catalogEntityIds(catalog).sort())
      const gone = await dao.removeFromEntityList(c, 'queue', [id(2)])
      assert.equal(gone.affected, 1)
      assert.ok(!(await entityRows(db, c)).includes(id(2)), 'id(2) is collected')
    })

    it('edits lists, sets and directories like the model does', async () => {
      const catalog = sampleCatalog(personDef())
      await dao.saveCatalog(catalog)
      const c = catalog.globalId
      const list = catalog.hierarchy('queue') as Extract<Hierarchy, { type: 'EL' }>
      const set = catalog.hierarchy('members') as Extract<Hierarchy, { type: 'ES' }>
      const dir = catalog.hierarchy('byName') as Extract<Hierarchy, { type: 'ED' }>

      assert.equal((await dao.addToEntityList(c, 'queue', [id(7), id(0)])).affected, 2)
      list.add(id(7), id(0))
      // Removes the first two occurrences of id(0) and the first of id(7).
      assert.equal(
        (await dao.removeFromEntityList(c, 'queue', [id(0), id(7), id(0), id(11)])).affected,
        3,
      )
      list.remove(id(0))
      list.remove(id(7))
      list.remove(id(0))
      assert.equal((await dao.addToEntitySet(c, 'members', [id(1), id(8), id(8)])).affected, 1)
      set.add(id(1), id(8))
      assert.equal((await dao.removeFromEntitySet(c, 'members', [id(3), id(11)])).affected, 1)
      set.delete(id(3))
      const put = await dao.putDirectoryEntries(c, 'byName', [
        ['new', id(9)],
        ['zed', id(8)],
        ['', id(7)],
      ])
      assert.equal(put.affected, 3)
      dir.set('new', id(9)).set('zed', id(8)).set('', id(7))
      assert.equal((await dao.putDirectoryEntries(c, 'byName', { amy: id(2) })).affected, 1)
      dir.set('amy', id(2))
      assert.equal((await dao.removeDirectoryEntries(c, 'byName', ['new', 'none'])).affected, 1)
      dir.delete('new')
      assert.equal(await dao.catalogRevision(c), 8n)
      assert.equal(catalogDiff((await dao.loadCatalog(c)) as Catalog, catalog), undefined)
      assert.deepEqual(await entityRows(db, c), catalogEntityIds(catalog).sort())
    })

    it('adds and removes tree nodes like the model does', async () => {
      const catalog = sampleCatalog(personDef())
      await dao.saveCatalog(catalog)
      const c = catalog.globalId
      const tree = catalog.hierarchy('places') as Extract<Hierarchy, { type: 'ET' }>
      const added = await dao.addTreeNodes(c, 'places', '/zurich', [
        { name: 'wipkingen', entityId: id(7) },
        { name: 'altstetten', entityId: id(8), isLeaf: true },
        { name: 'enge' },
      ])
      assert.equal(added.affected, 3)
      const zurich = tree.get('/zurich')
      zurich.addChild('wipkingen', { entityId: id(7) })
      zurich.addChild('altstetten', { entityId: id(8), isLeaf: true })
      zurich.addChild('enge')
      // Replacing a node with children drops its subtree, keeping its position.
      await dao.addTreeNodes(c, 'places', '', [{ name: 'zurich', entityId: id(10) }])
      tree.root.addChild('zurich', { entityId: id(10) })
      await dao.addTreeNodes(c, 'places', 'zurich/', [{ name: 'kreis 1' }])
      tree.get('/zurich').addChild('kreis 1')
      assert.equal((await dao.removeTreeNodes(c, 'places', ['/basel', '/nope'])).affected, 1)
      tree.root.removeChild('basel')
      assert.equal(catalogDiff((await dao.loadCatalog(c)) as Catalog, catalog), undefined)
      assert.deepEqual(await entityRows(db, c), catalogEntityIds(catalog).sort())
      assert.equal(
        (await dao.removeTreeNodes(c, 'places', ['/zurich', '/zurich/kreis 1'])).affected,
        2,
      )
      tree.root.removeChild('zurich')
      assert.equal(catalogDiff((await dao.loadCatalog(c)) as Catalog, catalog), undefined)

      await rejects(() => dao.addTreeNodes(c, 'places', '/nowhere', [{ name: 'x' }]), 'NOT_FOUND', [
        "'/nowhere'",
      ])
      await rejects(
        () => dao.addTreeNodes(c, 'places', '/aarau', [{ name: 'x' }]),
        'VALIDATION',
        ['leaf'],
        'INVALID_TREE',
      )
      for (const bad of ['', 'a/b', 'x\u0000']) {
        await rejects(
          () => dao.addTreeNodes(c, 'places', '/', [{ name: bad }]),
          'VALIDATION',
          [],
          'INVALID_NAME',
        )
      }
      await rejects(
        () => dao.removeTreeNodes(c, 'places', ['/']),
        'VALIDATION',
        ['root'],
        'INVALID_TREE',
      )
      assert.equal(catalogDiff((await dao.loadCatalog(c)) as Catalog, catalog), undefined)
    })

    it('serialises concurrent partial calls on one catalog: one revision each, nothing lost', async () => {
      const catalog = sampleCatalog(personDef())
      await dao.saveCatalog(catalog)
      const c = catalog.globalId
      const calls = [5, 6, 7, 8, 10, 11].map((i) => dao.addToEntityList(c, 'queue', [id(i)]))
      calls.push(dao.putDirectoryEntries(c, 'byName', new Map([['m', id(9)]])))
      const revisions = (await Promise.all(calls)).map((r) => r.revision).sort()
      assert.deepEqual(revisions, [2n, 3n, 4n, 5n, 6n, 7n, 8n])
      const list = await dao.loadHierarchy(c, 'queue')
      assert.ok(list.type === 'EL')
      assert.deepEqual(list.entityIds.slice(0, 4), [id(0), id(1), id(0), id(2)])
      assert.deepEqual(
        [...list.entityIds.slice(4)].sort(),
        [5, 6, 7, 8, 10, 11].map((i) => id(i)),
      )
      const dir = await dao.loadHierarchy(c, 'byName')
      assert.deepEqual(dir.type === 'ED' && dir.entries.at(-1), ['m', id(9)])
    })

    it('upserts 5,000 aspects in one call and reads one back quickly', async (t) => {
      const def = personDef()
      const catalog = createCatalog()
      catalog.extend(def)
      await dao.saveCatalog(catalog)
      const c = catalog.globalId
      const aspects = Array.from({ length: 5000 }, (_, i) =>
        createAspect(def, newEntityId(), {
          name: `person ${i}`,
          age: BigInt(i),
          tags: [`t${i % 7}`, 'x'],
          ...(i % 3 === 0 ? { score: null } : {}),
        }),
      )
      let start = performance.now()
      const result = await dao.upsertAspects(c, def.name, aspects)
      const insertMs = performance.now() - start
      assert.deepEqual(result, { revision: 2n, inserted: 5000, updated: 0 })
      start = performance.now()
      const again = await dao.upsertAspects(c, def.name, aspects)
      const replaceMs = performance.now() - start
      assert.deepEqual(again, { revision: 3n, inserted: 0, updated: 5000 })
      const target = (aspects[4321] as Aspect).entityId
      await dao.loadAspects(c, def.name, [target]) // warm
      const rounds = 20
      start = performance.now()
      for (let i = 0; i < rounds; i++) await dao.loadAspects(c, def.name, [target])
      const readMs = (performance.now() - start) / rounds
      const found = await dao.loadAspects(c, def.name, [target])
      assert.deepEqual(found.get(target)?.get('tags'), ['t2', 'x'])
      start = performance.now()
      const page = await dao.loadHierarchy(c, def.name, { offset: 4000, limit: 100 })
      const pageMs = performance.now() - start
      assert.ok(page.type === 'AM')
      assert.equal(page.aspects[0]?.get('name'), 'person 4000')
      const loaded = await dao.loadCatalog(c)
      const map = loaded?.aspects(def.name)
      assert.equal(map?.size, 5000)
      assert.equal(map?.get(target)?.get('age'), 4321n)
      t.diagnostic(
        `${backend.name}: upsert 5,000 new ${insertMs.toFixed(0)} ms, replace 5,000 ${replaceMs.toFixed(0)} ms, loadAspects(1) ${readMs.toFixed(2)} ms, AM page of 100 ${pageMs.toFixed(1)} ms`,
      )
    })

    it('partial calls equal the same edits applied through the model (property)', async () => {
      await assertProperty(
        fc.asyncProperty(
          catalogArb({
            maxEntities: 12,
            maxHierarchies: 5,
            maxAspectDefs: 2,
            maxTreeNodes: 12,
          }).chain((catalog) =>
            fc.tuple(
              fc.constant(catalog),
              intentsArb(catalog),
              fc.nat({ max: 20 }),
              fc.nat({ max: 20 }),
            ),
          ),
          async ([catalog, intents, pageOffset, pageLimit]) => {
            await dao.saveCatalog(catalog)
            const c = catalog.globalId
            const expected = await dao.loadCatalog(c)
            assert.ok(expected !== null)
            let revision = (await dao.catalogRevision(c)) as bigint
            const start = revision
            for (const intent of intents) {
              const call = resolve(intent, expected)
              const got = await call.dao(dao, c)
              const want = call.model()
              revision += 1n
              assert.deepEqual(got, { revision, ...want }, call.description)
            }
            assert.equal(await dao.catalogRevision(c), start + BigInt(intents.length))
            const loaded = await dao.loadCatalog(c)
            assert.ok(loaded !== null)
            assert.equal(catalogDiff(loaded, expected), undefined)
            assert.deepEqual(await entityRows(db, c), catalogEntityIds(expected).sort())
            for (const h of expected.hierarchies()) {
              await checkPages(dao, c, h, pageOffset, pageLimit)
            }
            if (intents.length > 0) await rejects(() => dao.saveCatalog(expected), 'CONFLICT')
          },
        ),
        { numRuns: 40 },
      )
    })
  })

// ---- the property's edits -------------------------------------------------------------------

/** An edit named by hierarchy and positions; resolved against the current expected catalog. */
type Intent =
  | {
      readonly kind: 'upsert'
      readonly map: string
      readonly items: readonly (readonly [number, string | null, AspectValuesPlan])[]
    }
  | { readonly kind: 'removeAspects'; readonly map: string; readonly picks: readonly number[] }
  | {
      readonly kind: 'elAdd' | 'elRemove' | 'esAdd' | 'esRemove'
      readonly name: string
      readonly picks: readonly number[]
    }
  | {
      readonly kind: 'edPut'
      readonly name: string
      readonly entries: readonly (readonly [number, string, number])[]
    }
  | { readonly kind: 'edRemove'; readonly name: string; readonly picks: readonly number[] }
  | {
      readonly kind: 'etAdd'
      readonly name: string
      readonly parent: number
      readonly nodes: readonly (readonly [number, string, number | null, boolean])[]
    }
  | { readonly kind: 'etRemove'; readonly name: string; readonly picks: readonly number[] }

const picks = fc.array(fc.nat({ max: 1000 }), { minLength: 0, maxLength: 5 })

/** Up to 8 edits of the catalog's hierarchies (none for a catalog without hierarchies). */
function intentsArb(catalog: Catalog): fc.Arbitrary<Intent[]> {
  const options: fc.Arbitrary<Intent>[] = []
  for (const h of catalog.hierarchies()) {
    const name = h.name
    switch (h.type) {
      case 'AM': {
        const item = fc.tuple(
          fc.nat({ max: 1000 }),
          fc.option(fc.uuid(), { nil: null, freq: 3 }),
          aspectValuesArb(h.aspectDef.propertyDefs()),
        )
        options.push(
          fc
            .array(item, { maxLength: 6 })
            .map((items): Intent => ({ kind: 'upsert', map: name, items })),
          picks.map((p): Intent => ({ kind: 'removeAspects', map: name, picks: p })),
        )
        break
      }
      case 'EL':
        options.push(
          picks.map((p): Intent => ({ kind: 'elAdd', name, picks: p })),
          picks.map((p): Intent => ({ kind: 'elRemove', name, picks: p })),
        )
        break
      case 'ES':
        options.push(
          picks.map((p): Intent => ({ kind: 'esAdd', name, picks: p })),
          picks.map((p): Intent => ({ kind: 'esRemove', name, picks: p })),
        )
        break
      case 'ED':
        options.push(
          fc
            .array(
              fc.tuple(
                fc.nat({ max: 1000 }),
                fc.oneof(nameArb, fc.constantFrom('', ' ', '/a/b')),
                fc.nat({ max: 1000 }),
              ),
              { maxLength: 5 },
            )
            .map((entries): Intent => ({ kind: 'edPut', name, entries })),
          picks.map((p): Intent => ({ kind: 'edRemove', name, picks: p })),
        )
        break
      case 'ET':
        options.push(
          fc
            .tuple(
              fc.nat({ max: 1000 }),
              fc.array(
                fc.tuple(
                  fc.nat({ max: 1000 }),
                  nameArb.map((n) => n.replaceAll('/', '_')),
                  fc.option(fc.nat({ max: 1000 }), { nil: null }),
                  fc.boolean(),
                ),
                { maxLength: 4 },
              ),
            )
            .map(([parent, nodes]): Intent => ({ kind: 'etAdd', name, parent, nodes })),
          picks.map((p): Intent => ({ kind: 'etRemove', name, picks: p })),
        )
        break
    }
  }
  return options.length === 0
    ? fc.constant<Intent[]>([])
    : fc.array(fc.oneof(...options), { maxLength: 8 })
}

interface ResolvedCall {
  readonly description: string
  readonly dao: (dao: PostgresDao, catalogId: string) => Promise<unknown>
  /** Applies the edit to the expected catalog; returns the expected result minus the revision. */
  readonly model: () => Record<string, number>
}

const FRESH = toEntityId('ffffffff-ffff-4fff-bfff-ffffffffffff')

function pick<T>(items: readonly T[], index: number, fallback: T): T {
  return items.length === 0 ? fallback : (items[index % items.length] as T)
}

/** Pool of entity ids for an edit: the catalog's entities plus one that is nowhere yet. */
function pool(expected: Catalog): EntityId[] {
  return [...catalogEntityIds(expected), FRESH]
}

function typed<T extends Hierarchy['type']>(
  catalog: Catalog,
  name: string,
  type: T,
): Extract<Hierarchy, { type: T }> {
  const h = catalog.hierarchy(name)
  assert.ok(h?.type === type)
  return h as Extract<Hierarchy, { type: T }>
}

function resolve(intent: Intent, expected: Catalog): ResolvedCall {
  const entities = pool(expected)
  const description = JSON.stringify(intent, (_, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v,
  )
  switch (intent.kind) {
    case 'upsert': {
      const map = expected.aspects(intent.map) as AspectMap
      const def = map.aspectDef
      const aspects = intent.items.map(([slot, fresh, values]) =>
        restoreAspect(
          def,
          fresh === null ? pick(entities, slot, FRESH) : toEntityId(fresh),
          new Map<string, PropertyValue>(values),
        ),
      )
      return {
        description,
        dao: (dao, c) => dao.upsertAspects(c, intent.map, aspects),
        model: () => {
          const seen = new Set<string>()
          let inserted = 0
          let updated = 0
          for (const a of aspects) {
            if (!seen.has(a.entityId)) {
              seen.add(a.entityId)
              if (map.has(a.entityId)) updated++
              else inserted++
            }
            map.add(a)
          }
          return { inserted, updated }
        },
      }
    }
    case 'removeAspects': {
      const map = expected.aspects(intent.map) as AspectMap
      const present = [...map.entityIds()]
      const targets = intent.picks.map((p, i) => (i % 3 === 2 ? FRESH : pick(present, p, FRESH)))
      return {
        description,
        dao: (dao, c) => dao.removeAspects(c, intent.map, targets),
        model: () => ({ removed: targets.filter((t) => map.delete(t)).length }),
      }
    }
    case 'elAdd': {
      const list = typed(expected, intent.name, 'EL')
      const targets = intent.picks.map((p) => pick(entities, p, FRESH))
      return {
        description,
        dao: (dao, c) => dao.addToEntityList(c, intent.name, targets),
        model: () => {
          list.add(...targets)
          return { affected: targets.length }
        },
      }
    }
    case 'elRemove': {
      const list = typed(expected, intent.name, 'EL')
      const targets = intent.picks.map((p) => pick(list.toArray(), p, FRESH))
      return {
        description,
        dao: (dao, c) => dao.removeFromEntityList(c, intent.name, targets),
        model: () => ({ affected: targets.filter((t) => list.remove(t)).length }),
      }
    }
    case 'esAdd': {
      const set = typed(expected, intent.name, 'ES')
      const targets = intent.picks.map((p) => pick(entities, p, FRESH))
      return {
        description,
        dao: (dao, c) => dao.addToEntitySet(c, intent.name, targets),
        model: () => {
          const before = set.size
          set.add(...targets)
          return { affected: set.size - before }
        },
      }
    }
    case 'esRemove': {
      const set = typed(expected, intent.name, 'ES')
      const targets = intent.picks.map((p, i) =>
        i % 3 === 2 ? pick(entities, p, FRESH) : pick(set.toArray(), p, FRESH),
      )
      return {
        description,
        dao: (dao, c) => dao.removeFromEntitySet(c, intent.name, targets),
        model: () => ({ affected: targets.filter((t) => set.delete(t)).length }),
      }
    }
    case 'edPut': {
      const dir = typed(expected, intent.name, 'ED')
      const keys = [...dir.keys()]
      // Even key picks overwrite an existing key when there is one.
      const entries = intent.entries.map(([k, key, e]): [string, EntityId] => [
        k % 2 === 0 ? pick(keys, k, key) : key,
        pick(entities, e, FRESH),
      ])
      return {
        description,
        dao: (dao, c) => dao.putDirectoryEntries(c, intent.name, entries),
        model: () => {
          for (const [key, e] of entries) dir.set(key, e)
          return { affected: new Set(entries.map(([key]) => key)).size }
        },
      }
    }
    case 'edRemove': {
      const dir = typed(expected, intent.name, 'ED')
      const targets = intent.picks.map((p, i) =>
        i % 3 === 2 ? `absent ${p}` : pick([...dir.keys()], p, 'absent'),
      )
      return {
        description,
        dao: (dao, c) => dao.removeDirectoryEntries(c, intent.name, targets),
        model: () => ({ affected: targets.filter((k) => dir.delete(k)).length }),
      }
    }
    case 'etAdd': {
      const tree = typed(expected, intent.name, 'ET')
      const parents = [...tree.walk()].filter(([, node]) => !node.isLeaf)
      const [parentPath, parent] = pick(parents, intent.parent, ['', tree.root, null])
      const existing = [...parent.children()].map(([n]) => n)
      const nodes = intent.nodes.map(([k, name, e, isLeaf]) => ({
        // Every third node takes the name of an existing child (replacing it).
        name: k % 3 === 0 ? pick(existing, k, name) : name,
        entityId: e === null ? null : pick(entities, e, FRESH),
        isLeaf,
      }))
      const path = parentPath === '' ? '/' : parentPath
      return {
        description: `${description} under ${JSON.stringify(path)}`,
        dao: (dao, c) => dao.addTreeNodes(c, intent.name, path, nodes),
        model: () => {
          for (const n of nodes) parent.addChild(n.name, { entityId: n.entityId, isLeaf: n.isLeaf })
          return { affected: new Set(nodes.map((n) => n.name)).size }
        },
      }
    }
    case 'etRemove': {
      const tree = typed(expected, intent.name, 'ET')
      const paths = [...tree.walk()].slice(1).map(([path]) => path)
      const targets = intent.picks.map((p, i) =>
        i % 4 === 3 ? '/absent' : pick(paths, p, '/absent'),
      )
      return {
        description: `${description}: ${JSON.stringify(targets)}`,
        dao: (dao, c) => dao.removeTreeNodes(c, intent.name, targets),
        model: () => {
          let affected = 0
          for (const path of targets) {
            const node = tree.find(path)
            if (node === undefined) continue
            affected += subtreeSize(node)
            const parentPath = path.slice(0, path.lastIndexOf('/'))
            tree.get(parentPath).removeChild(path.slice(path.lastIndexOf('/') + 1))
          }
          return { affected }
        },
      }
    }
  }
}

function subtreeSize(node: TreeNode): number {
  let n = 0
  const stack = [node]
  while (stack.length > 0) {
    const next = stack.pop() as TreeNode
    n++
    for (const [, child] of next.children()) stack.push(child)
  }
  return n
}

/** loadHierarchy, whole and one page, agrees with the model hierarchy. */
async function checkPages(
  dao: PostgresDao,
  catalogId: string,
  h: Hierarchy,
  offset: number,
  limit: number,
): Promise<void> {
  const whole = await dao.loadHierarchy(catalogId, h.name)
  const page = await dao.loadHierarchy(catalogId, h.name, { offset, limit })
  const slice = <T>(items: readonly T[]): T[] => items.slice(offset, offset + limit)
  const common = (p: HierarchyPage, o: number) => {
    assert.equal(p.name, h.name)
    assert.equal(p.version, h.version)
    assert.equal(p.offset, o)
  }
  common(whole, 0)
  common(page, offset)
  switch (h.type) {
    case 'EL':
    case 'ES': {
      assert.ok(whole.type === h.type && page.type === h.type)
      assert.deepEqual(whole.entityIds, h.toArray())
      assert.deepEqual(page.entityIds, slice(h.toArray()))
      assert.equal(page.total, h.size)
      break
    }
    case 'ED': {
      assert.ok(whole.type === 'ED' && page.type === 'ED')
      assert.deepEqual(whole.entries, [...h.entries()])
      assert.deepEqual(page.entries, slice([...h.entries()]))
      assert.equal(page.total, h.size)
      break
    }
    case 'AM': {
      assert.ok(whole.type === 'AM' && page.type === 'AM')
      const rebuilt = new AspectMap(whole.aspectDef, { version: whole.version })
      for (const a of whole.aspects) rebuilt.add(a)
      assert.equal(hierarchyDiff(rebuilt, h), undefined)
      assert.deepEqual(
        page.aspects.map((a) => a.entityId),
        slice([...h.entityIds()]),
      )
      assert.equal(page.total, h.size)
      break
    }
    case 'ET': {
      assert.ok(whole.type === 'ET' && page.type === 'ET')
      assert.deepEqual(whole.nodes, treeEntries(h))
      assert.ok(whole.tree !== null)
      assert.equal(hierarchyDiff(whole.tree, h), undefined)
      assert.deepEqual(page.nodes, slice(treeEntries(h)))
      assert.equal(page.total, h.nodeCount)
      break
    }
  }
}

/**
 * Every shape that saves also loads, at sizes beyond the old cliffs: release 1 saved a
 * 200,000-entity list it could never load again (the loader spread it into `add(...)`), refused
 * trees deeper than about 800 levels (a unique index on each node's full path), and checked tree
 * parents with a hashed NOT IN that went quadratic past work_mem. Sizes here are what CI affords;
 * `npm run bench:scale` goes to a million entities.
 */
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import {
  catalogDiff,
  createCatalog,
  newEntityId,
  type Catalog,
  type EntityId,
  type TreeNode,
} from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

const MANY = 150_000
const DEEP = 10_000

function ids(n: number): EntityId[] {
  return Array.from({ length: n }, () => newEntityId())
}

forEachBackend('no cliffs: large and deep hierarchies round-trip', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())

  async function roundTrip(catalog: Catalog): Promise<Catalog> {
    await dao.saveCatalog(catalog)
    const loaded = await new PostgresDao(db.adapter).loadCatalog(catalog.globalId)
    assert.ok(loaded !== null)
    assert.equal(catalogDiff(loaded, catalog), undefined)
    return loaded
  }

  it(`round-trips an entity list and an entity set of ${MANY.toLocaleString('en')} entries`, async () => {
    const catalog = createCatalog()
    const entities = ids(MANY)
    catalog.createEntityList('big list').addAll(entities).addAll(entities.slice(0, 10))
    catalog.createEntitySet('big set').addAll(entities)
    const loaded = await roundTrip(catalog)
    // The loaded catalog saves again (incrementally, a change at the end).
    const list = loaded.hierarchy('big list')
    assert.ok(list?.type === 'EL')
    list.addAll([newEntityId()])
    await dao.saveCatalog(loaded)
    assert.equal(
      catalogDiff((await dao.loadCatalog(catalog.globalId)) as Catalog, loaded),
      undefined,
    )
  })

  it(`round-trips a tree node with ${MANY.toLocaleString('en')} children`, async () => {
    const catalog = createCatalog()
    const tree = catalog.createEntityTree('wide')
    const folder = tree.root.addChild('folder')
    folder.addChildren(
      ids(MANY).map((id, i) => [`leaf ${i}`, { entityId: id, isLeaf: true }] as const),
    )
    await roundTrip(catalog)
    const page = await dao.loadHierarchy(catalog.globalId, 'wide', { offset: MANY, limit: 2 })
    assert.ok(page.type === 'ET')
    assert.equal(page.total, MANY + 2)
    assert.deepEqual(
      page.nodes.map((n) => n.path),
      [`/folder/leaf ${MANY - 2}`, `/folder/leaf ${MANY - 1}`],
    )
  })

  it(`round-trips a tree ${DEEP.toLocaleString('en')} levels deep, and edits it by path`, async () => {
    const catalog = createCatalog()
    const tree = catalog.createEntityTree('deep')
    let node: TreeNode = tree.root
    const path: string[] = []
    for (let depth = 0; depth < DEEP; depth++) {
      node = node.addChild(`n${depth}`, { entityId: depth % 100 === 0 ? newEntityId() : null })
      path.push(`n${depth}`)
    }
    await roundTrip(catalog)
    // A partial call walks the path from the root, key by key.
    const deepest = `/${path.join('/')}`
    await dao.addTreeNodes(catalog.globalId, 'deep', deepest, [{ name: 'below', isLeaf: true }])
    const loaded = await dao.loadCatalog(catalog.globalId)
    const found = loaded?.hierarchy('deep')
    assert.ok(found?.type === 'ET')
    assert.equal(found.nodeCount, DEEP + 2)
    await dao.removeTreeNodes(catalog.globalId, 'deep', [`/${path.slice(0, DEEP / 2).join('/')}`])
    const cut = await dao.loadHierarchy(catalog.globalId, 'deep')
    assert.ok(cut.type === 'ET')
    assert.equal(cut.total, DEEP / 2)
  })
})

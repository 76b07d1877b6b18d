/**
 * The DAO caches AspectDef versions (they are immutable), but a def can be deleted and stored
 * again with the same id, version numbers and shape and new property slots: by
 * `PostgresSchema.truncate`, or by another process's `deleteAspectDef` and save. A stale entry
 * once made the next save fail with a foreign-key error and would have made a load miss values;
 * the cache now keys every entry to the generation of its def's identity row.
 */
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { sql } from 'kysely'
import {
  catalogDiff,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  type Catalog,
} from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

const person = createAspectDef({
  name: 'com.example.cache.person',
  properties: [
    createPropertyDef({ name: 'name', type: 'STR' }),
    createPropertyDef({ name: 'age', type: 'INT' }),
  ],
})

function sample(): Catalog {
  const catalog = createCatalog()
  const map = catalog.extend(person)
  for (let i = 0; i < 3; i++)
    map.add(createAspect(person, newEntityId(), { name: `p${i}`, age: BigInt(i) }))
  return catalog
}

forEachBackend('the AspectDef version cache', (backend) => {
  let db: TestDatabase
  before(async () => {
    db = await backend.open()
  })
  after(async () => db.close())

  it('stays right after PostgresSchema.truncate stores the same def again', async () => {
    const dao = new PostgresDao(db.adapter)
    const first = sample()
    await dao.saveCatalog(first)
    assert.ok((await dao.loadCatalog(first.globalId)) !== null) // the cache holds the version
    await PostgresSchema.truncate(db.adapter)
    const again = sample()
    await dao.saveCatalog(again)
    const loaded = await dao.loadCatalog(again.globalId)
    assert.equal(loaded === null ? 'not stored' : catalogDiff(loaded, again), undefined)
  })

  it('stays right when another process deletes the def and stores it again', async () => {
    await db.reset()
    const mine = new PostgresDao(db.adapter)
    const first = sample()
    await mine.saveCatalog(first)
    assert.ok((await mine.loadCatalog(first.globalId)) !== null) // the cache holds the version
    // Another process deletes the def (in SQL here: this adapter's DAOs share one cache, and a
    // deleteAspectDef through them would tell it) and stores it again through its own DAO.
    const other = new PostgresDao(db.adapter)
    assert.equal(await other.deleteCatalog(first.globalId), true)
    await sql`delete from aspect_def where name = ${person.name}`.execute(db.adapter.db)
    const second = sample()
    await other.saveCatalog(second)
    // This DAO reads and writes through the new property slots.
    const loaded = await mine.loadCatalog(second.globalId)
    assert.equal(loaded === null ? 'not stored' : catalogDiff(loaded, second), undefined)
    const third = sample()
    await mine.saveCatalog(third)
    const back = await other.loadCatalog(third.globalId)
    assert.equal(back === null ? 'not stored' : catalogDiff(back, third), undefined)
    const found = await mine.findEntities(third.globalId, person.name, (p) => p('name').eq('p1'))
    assert.equal(found.length, 1)
  })
})

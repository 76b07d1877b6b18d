import assert from 'node:assert/strict'
import { after, before, beforeEach, it } from 'node:test'
import { isCheapError } from '../../src/errors.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
} from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

forEachBackend('store statistics', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())
  beforeEach(async () => db.reset())

  it('counts catalogs, defs, entities, aspects and values, and lists the largest catalogs', async () => {
    const def = createAspectDef({
      name: 'stats.item',
      properties: [
        createPropertyDef({ name: 'label', type: 'STR' }),
        createPropertyDef({ name: 'n', type: 'INT' }),
      ],
    })
    const big = createCatalog()
    const items = big.extend(def)
    for (let i = 0; i < 3; i++) {
      const id = newEntityId()
      items.add(createAspect(def, id, { label: `x${i}`, n: BigInt(i) }))
    }
    await dao.saveCatalog(big)
    await dao.saveCatalog(createCatalog())
    await dao.saveCatalog(createCatalog(), { expiresAt: new Date(Date.now() - 1000) })
    const stats = await dao.stats({ largest: 1 })
    assert.deepEqual(stats.catalogs, { total: 2, bySpecies: { SINK: 2 }, expiredUnpurged: 1 })
    assert.equal(stats.aspectDefs, 1)
    assert.equal(stats.aspectDefVersions, 1)
    assert.equal(stats.entities, 3)
    assert.equal(stats.aspects, 3)
    assert.equal(stats.valuesByType['STR'], 3)
    assert.equal(stats.valuesByType['INT'], 3)
    assert.equal(stats.largest.length, 1)
    const [first] = stats.largest
    assert.equal(first?.catalogId, big.globalId)
    assert.equal(first?.rows, 12)
    assert.equal(first?.revision, 1n)
    assert.ok(
      first?.lastSaved instanceof Date && Math.abs(first.lastSaved.getTime() - Date.now()) < 60_000,
    )
    const catalogTable = stats.tables.find((t) => t.table === 'catalog')
    assert.ok(catalogTable !== undefined)
    assert.ok((catalogTable.tableBytes ?? 0) > 0)
    assert.ok((catalogTable.indexBytes ?? 0) > 0)
  })

  it('refuses a bad largest before any statement', async () => {
    await assert.rejects(
      dao.stats({ largest: -1 }),
      (e) => isCheapError(e) && e.code === 'VALIDATION',
    )
  })
})

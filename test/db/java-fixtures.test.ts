/**
 * The Java fixtures (test/fixtures/json, written by the Java serializer) through the database:
 * each is read, saved, loaded back by another DAO, and must equal what was read and write out
 * byte for byte as the Java serializer wrote it. On every backend, PgBouncer and the Citus
 * cluster included when they are configured.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { after, before, it } from 'node:test'
import { catalogFromJson, catalogToJson } from '../../src/json/index.ts'
import { catalogDiff } from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { forEachBackendAndCluster, type TestDatabase } from './backends.ts'

const FIXTURES = new URL('../fixtures/json/', import.meta.url)
/** The pretty form of each fixture (the compact one reads the same; test/unit checks that). */
const NAMES = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json') && !file.endsWith('-compact.json'))
  .map((file) => file.slice(0, -'.json'.length))
  .sort()

forEachBackendAndCluster('the Java fixtures round-trip through the database', (backend) => {
  let db: TestDatabase
  before(async () => {
    db = await backend.open()
  })
  after(async () => db.close())

  it('finds the fixtures', () => {
    assert.ok(NAMES.includes('full-catalog'), `no full-catalog among ${NAMES.join(', ')}`)
  })

  for (const name of NAMES) {
    it(`${name}: loads as read and writes the Java serializer's bytes`, async () => {
      // The fixtures share catalog ids and AspectDef names: each starts from an empty store.
      await db.reset()
      const text = readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')
      const catalog = catalogFromJson(text)
      await new PostgresDao(db.adapter).saveCatalog(catalog)
      const loaded = await new PostgresDao(db.adapter).loadCatalog(catalog.globalId)
      assert.ok(loaded !== null, `${name} was not found after its save`)
      assert.equal(catalogDiff(loaded, catalog), undefined)
      assert.equal(catalogToJson(loaded, { pretty: true }), text)
    })
  }
})

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import fc from 'fast-check'
import { catalogDiff } from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { catalogArb } from '../support/catalog-arbitraries.ts'
import { applyEdits, catalogWithEditsArb } from '../support/edits.ts'
import { assertProperty } from '../support/fast-check.ts'
import { forEachBackendAndCluster, type TestDatabase } from './backends.ts'

// CI runs 200 per backend (CHEAP_FC_RUNS overrides both).
const RUNS = 200
const EDIT_RUNS = 100
/**
 * On the Citus cluster, at most this many (CHEAP_FC_RUNS still overrides): each run there costs
 * several distributed round trips on a cluster sharing the machine's two cores.
 */
const CITUS_RUNS = 50

forEachBackendAndCluster('catalog round-trips through the database', (backend) => {
  const runs = (n: number): number => (backend.name === 'citus' ? Math.min(n, CITUS_RUNS) : n)
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())

  it('loads every generated catalog exactly as it was saved', async () => {
    await assertProperty(
      fc.asyncProperty(catalogArb(), async (catalog) => {
        // Shrinking replays catalogs with the same ids and def names: start from an empty store.
        await db.reset()
        await dao.saveCatalog(catalog)
        const loaded = await new PostgresDao(db.adapter).loadCatalog(catalog.globalId)
        assert.ok(loaded !== null)
        assert.equal(catalogDiff(loaded, catalog), undefined)
      }),
      { numRuns: runs(RUNS) },
    )
  })

  it('saves random edits of a loaded catalog so that a reload equals the edited catalog', async () => {
    await assertProperty(
      fc.asyncProperty(catalogWithEditsArb(), async ([catalog, edits]) => {
        await db.reset()
        await dao.saveCatalog(catalog)
        const loaded = await dao.loadCatalog(catalog.globalId)
        assert.ok(loaded !== null)
        applyEdits(loaded, edits)
        await dao.saveCatalog(loaded)
        const reloaded = await new PostgresDao(db.adapter).loadCatalog(catalog.globalId)
        assert.ok(reloaded !== null)
        assert.equal(catalogDiff(reloaded, loaded), undefined)
        // And the saved original, edited in place, re-saves incrementally after a forced save.
        applyEdits(catalog, edits)
        await dao.saveCatalog(catalog, { force: true })
        const again = await dao.loadCatalog(catalog.globalId)
        assert.ok(again !== null)
        assert.equal(catalogDiff(again, catalog), undefined)
      }),
      { numRuns: runs(EDIT_RUNS) },
    )
  })

  it('writes only what changed when a loaded catalog is edited and saved again', async () => {
    await assertProperty(
      fc.asyncProperty(catalogWithEditsArb(), async ([catalog, edits]) => {
        await db.reset()
        await dao.saveCatalog(catalog)
        const loaded = await dao.loadCatalog(catalog.globalId)
        assert.ok(loaded !== null)
        const unchanged = await dao.saveCatalog(loaded)
        assert.equal(unchanged.mode, 'incremental')
        assert.equal(unchanged.unchanged, true)
        assert.equal(unchanged.rowsWritten, 0, `an unchanged catalog wrote rows`)
        assert.equal(unchanged.revision, 1n, 'an unchanged save keeps the revision')
        assert.equal(await dao.catalogRevision(catalog.globalId), 1n)
        applyEdits(loaded, edits)
        await dao.saveCatalog(loaded)
        const reloaded = await dao.loadCatalog(catalog.globalId)
        assert.equal(catalogDiff(reloaded ?? loaded, loaded), undefined)
      }),
      { numRuns: 30 },
    )
  })
})

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import fc from 'fast-check'
import { sql } from 'kysely'
import { DateTime } from 'luxon'
import { CheapConflictError } from '../../src/errors.ts'
import {
  catalogDiff,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  type Catalog,
} from '../../src/model/index.ts'
import type { QueryLogEvent } from '../../src/persistence/connection/query-log.ts'
import {
  SMALL_LOAD_ROWS,
  SMALL_SAVE_ROWS,
  type SmallCatalogPath,
} from '../../src/persistence/dao/options.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { TABLE_NAMES, TABLES } from '../../src/persistence/schema/tables.ts'
import { catalogArb } from '../support/catalog-arbitraries.ts'
import { applyEdits, catalogWithEditsArb } from '../support/edits.ts'
import { assertProperty } from '../support/fast-check.ts'
import { forEachBackendAndPgbouncer, type TestDatabase } from './backends.ts'

// The full round-trip properties (roundtrip.prop.test.ts) run with CHEAP_SMALL_PATH=always or
// never as well; these run both paths side by side in every run.
const RUNS = 15
const PATHS: readonly SmallCatalogPath[] = ['always', 'never']

/** Every stored row of one catalog, table by table, without the clocks (audit, saved_at). */
async function storedRows(db: TestDatabase, catalogId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const table of TABLE_NAMES) {
    if (TABLES[table].group !== 'catalog') continue
    const rows = await sql<{
      r: string
    }>`select (to_jsonb(t) - 'created_at' - 'updated_at' - 'saved_at')::text as r from ${sql.id(table)} t where t.catalog_id = ${catalogId}::uuid order by 1`.execute(
      db.adapter.db,
    )
    out[table] = rows.rows.map((x) => x.r)
  }
  return out
}

forEachBackendAndPgbouncer('small-catalog path, forced on and off', (backend) => {
  let db: TestDatabase
  const events: QueryLogEvent[] = []
  let counting = false
  before(async () => {
    db = await backend.open({
      includeAudit: true,
      log: (event) => {
        if (counting) events.push(event)
      },
    })
  })
  after(async () => db.close())

  /** The statements `action` sends. */
  async function statements(action: () => Promise<unknown>): Promise<string[]> {
    events.length = 0
    counting = true
    try {
      await action()
    } finally {
      counting = false
    }
    return events.map((e) => e.sql.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '')
  }

  for (const path of PATHS) {
    it(`${path}: loads every generated catalog exactly as it was saved`, async () => {
      await assertProperty(
        fc.asyncProperty(catalogArb(), async (catalog) => {
          await db.reset()
          await new PostgresDao(db.adapter, { smallCatalogs: path }).saveCatalog(catalog)
          const loaded = await new PostgresDao(db.adapter, { smallCatalogs: path }).loadCatalog(
            catalog.globalId,
          )
          assert.ok(loaded !== null)
          assert.equal(catalogDiff(loaded, catalog), undefined)
        }),
        { numRuns: RUNS },
      )
    })

    it(`${path}: saves random edits (incremental, then forced full) so that a reload equals them`, async () => {
      const dao = new PostgresDao(db.adapter, { smallCatalogs: path })
      await assertProperty(
        fc.asyncProperty(catalogWithEditsArb(), async ([catalog, edits]) => {
          await db.reset()
          await dao.saveCatalog(catalog)
          const loaded = await dao.loadCatalog(catalog.globalId)
          assert.ok(loaded !== null)
          applyEdits(loaded, edits)
          const edited = await dao.saveCatalog(loaded)
          const reloaded = await dao.loadCatalog(catalog.globalId)
          assert.equal(catalogDiff(reloaded ?? loaded, loaded), undefined)
          applyEdits(catalog, edits)
          const forced = await dao.saveCatalog(catalog, { force: true })
          // Edits that changed nothing left the stored revision where `catalog` saw it: then the
          // forced save has nothing to overwrite and writes only what changed.
          assert.equal(forced.mode, edited.unchanged ? 'incremental' : 'full')
          const again = await dao.loadCatalog(catalog.globalId)
          assert.equal(catalogDiff(again ?? catalog, catalog), undefined)
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      )
    })
  }

  it('both paths store exactly the same rows (insert, then a forced full save with an expiry)', async () => {
    await assertProperty(
      fc.asyncProperty(catalogArb(), async (catalog) => {
        await db.reset()
        const dumps: Record<string, string[]>[] = []
        const results: unknown[] = []
        for (const path of PATHS) {
          const dao = new PostgresDao(db.adapter, { smallCatalogs: path })
          await dao.deleteCatalog(catalog.globalId)
          results.push(await dao.saveCatalog(catalog, { force: true }))
          results.push(
            await dao.saveCatalog(catalog, {
              force: true,
              expiresAt: DateTime.fromISO('2999-01-02T03:04:05.678Z'),
            }),
          )
          dumps.push(await storedRows(db, catalog.globalId))
        }
        assert.deepEqual(results.slice(2), results.slice(0, 2))
        assert.deepEqual(dumps[1], dumps[0])
      }),
      { numRuns: RUNS },
    )
  })

  function smallCatalog(def: ReturnType<typeof createAspectDef>, n: number): Catalog {
    const catalog = createCatalog()
    const map = catalog.extend(def)
    const ids = Array.from({ length: n }, () => newEntityId())
    for (const id of ids) map.add(createAspect(def, id, { label: `x${id.slice(0, 4)}` }))
    catalog.createEntityList('recent').addAll(ids)
    return catalog
  }

  const item = createAspectDef({
    name: 'test.small.item',
    properties: [createPropertyDef({ name: 'label', type: 'STR' })],
  })

  it('always: a new catalog is saved in 5 statements and loaded in 1; never: one per table', async () => {
    await db.reset()
    const warm = new PostgresDao(db.adapter, { smallCatalogs: 'never' })
    // The first save stores the def, the second caches its version (a cold cache reads it).
    await warm.saveCatalog(smallCatalog(item, 3))
    await warm.saveCatalog(smallCatalog(item, 3))
    const small = new PostgresDao(db.adapter, { smallCatalogs: 'always' })
    const a = smallCatalog(item, 10)
    // begin, the def locks (docs/LOCKING.md), the def versions, the one write, commit.
    assert.deepEqual(await statements(() => small.saveCatalog(a)), [
      'begin',
      'select',
      'select',
      'with',
      'commit',
    ])
    const loaded = await statements(() => small.loadCatalog(a.globalId))
    assert.deepEqual(loaded, ['with'])
    const b = smallCatalog(item, 10)
    const bulkSave = await statements(() => warm.saveCatalog(b))
    assert.ok(bulkSave.length >= 10, `the bulk path sent ${bulkSave.length} statements`)
    const bulkLoad = await statements(() => warm.loadCatalog(b.globalId))
    assert.ok(bulkLoad.length >= 5, `the bulk load sent ${bulkLoad.length} statements`)
  })

  it('auto: a catalog over the thresholds takes the bulk path, a small one the small path', async () => {
    await db.reset()
    const dao = new PostgresDao(db.adapter, { smallCatalogs: 'auto' })
    await dao.saveCatalog(smallCatalog(item, 3))
    await dao.saveCatalog(smallCatalog(item, 3))
    const small = smallCatalog(item, 10)
    assert.equal((await statements(() => dao.saveCatalog(small))).length, 5)
    assert.equal((await statements(() => dao.loadCatalog(small.globalId))).length, 1)
    // 1 aspect + 1 value + 1 list row + 1 entity per entity: over both thresholds.
    const large = smallCatalog(item, Math.max(SMALL_SAVE_ROWS, SMALL_LOAD_ROWS))
    assert.ok((await statements(() => dao.saveCatalog(large))).length > 5)
    const load = await statements(() => dao.loadCatalog(large.globalId))
    // The small statement stops after SMALL_LOAD_ROWS + 1 rows, then the bulk path reads.
    assert.ok(load.length > 1)
    const reloaded = await new PostgresDao(db.adapter, { smallCatalogs: 'never' }).loadCatalog(
      large.globalId,
    )
    assert.equal(catalogDiff(reloaded ?? createCatalog(), large), undefined)
  })

  it('always: the same conflicts as the bulk path (a stored id, a stale revision)', async () => {
    await db.reset()
    const messages: string[] = []
    for (const path of PATHS) {
      const dao = new PostgresDao(db.adapter, { smallCatalogs: path })
      const catalog = smallCatalog(item, 2)
      await dao.saveCatalog(catalog)
      const twin = createCatalog({ globalId: catalog.globalId })
      const error = await dao.saveCatalog(twin).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(error instanceof CheapConflictError, `${path}: ${String(error)}`)
      const id = catalog.globalId
      messages.push(error.message.replaceAll(id, '<id>'))
      const stale = await dao.saveCatalog(twin, { expectedRevision: 7n }).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(stale instanceof CheapConflictError)
      messages.push(stale.message.replaceAll(id, '<id>'))
      // Nothing half-written: the stored catalog is the first one.
      const loaded = await dao.loadCatalog(catalog.globalId)
      assert.equal(catalogDiff(loaded ?? twin, catalog), undefined)
    }
    assert.deepEqual(messages.slice(2), messages.slice(0, 2))
  })

  it('always: a def stored in a dedicated table is saved and loaded by the bulk path', async () => {
    await db.reset()
    const dao = new PostgresDao(db.adapter, { smallCatalogs: 'always' })
    const mapped = createAspectDef({
      name: 'test.small.mapped',
      properties: [createPropertyDef({ name: 'label', type: 'STR' })],
    })
    await dao.saveCatalog(smallCatalog(mapped, 2))
    await dao.mapAspectDef(mapped, { table: 'small_mapped' })
    const catalog = smallCatalog(mapped, 5)
    await dao.saveCatalog(catalog)
    const rows = await sql<{
      n: string
    }>`select count(*)::text as n from small_mapped where catalog_id = ${catalog.globalId}::uuid`.execute(
      db.adapter.db,
    )
    assert.equal(rows.rows[0]?.n, '5')
    const loaded = await dao.loadCatalog(catalog.globalId)
    assert.equal(catalogDiff(loaded ?? createCatalog(), catalog), undefined)
    await dao.saveCatalog(catalog, { force: true })
    const again = await dao.loadCatalog(catalog.globalId)
    assert.equal(catalogDiff(again ?? createCatalog(), catalog), undefined)
  })

  it('rejects an unknown path name', () => {
    assert.throws(
      () => new PostgresDao(db.adapter, { smallCatalogs: 'sometimes' as SmallCatalogPath }),
      /smallCatalogs \(or CHEAP_SMALL_PATH\) must be one of auto, always, never/,
    )
  })
})

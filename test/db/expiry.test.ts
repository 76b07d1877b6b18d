import assert from 'node:assert/strict'
import { after, before, beforeEach, it } from 'node:test'
import fc from 'fast-check'
import { sql, type Kysely } from 'kysely'
import { DateTime } from 'luxon'
import { isCheapError } from '../../src/errors.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
} from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { assertProperty } from '../support/fast-check.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

async function storedRows(db: TestDatabase): Promise<number> {
  const raw = db.adapter.db as unknown as Kysely<unknown>
  const r = await sql<{ n: bigint }>`select count(*) as n from catalog`.execute(raw)
  return Number(r.rows[0]?.n ?? 0n)
}

function withAspect() {
  const def = createAspectDef({
    name: `expiry.note`,
    properties: [createPropertyDef({ name: 'text', type: 'STR' })],
  })
  const catalog = createCatalog()
  const id = newEntityId()
  catalog.extend(def).add(createAspect(def, id, { text: 'hello' }))
  return { catalog, def }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

forEachBackend('catalog expiry', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())
  beforeEach(async () => db.reset())

  it('hides a catalog from every read once it expired, before any purge', async () => {
    const { catalog, def } = withAspect()
    // Long enough that a busy machine still sees it alive first; then wait out the stored expiry.
    await dao.saveCatalog(catalog, { ttlMs: 3_000 })
    assert.ok(await dao.catalogExists(catalog.globalId))
    const [summary] = await dao.listCatalogs()
    assert.ok(summary?.expiresAt instanceof Date)
    await sleep(Math.max(0, summary.expiresAt.getTime() - Date.now()) + 200)
    assert.equal(await dao.loadCatalog(catalog.globalId), null)
    assert.equal(await dao.catalogExists(catalog.globalId), false)
    assert.equal(await dao.catalogRevision(catalog.globalId), null)
    assert.deepEqual(await dao.listCatalogs(), [])
    await assert.rejects(dao.loadAspects(catalog.globalId, def.name, []), (e) => isCheapError(e))
    await assert.rejects(dao.findEntities(catalog.globalId, def), (e) => isCheapError(e))
    assert.equal(await storedRows(db), 1, 'still stored until purged')
    assert.equal(await dao.purgeExpired(), 1)
    assert.equal(await storedRows(db), 0)
  })

  it('keeps the expiry across re-saves, changes it when given, and clears it with null', async () => {
    const { catalog } = withAspect()
    const at = DateTime.utc().plus({ days: 1 }).startOf('second')
    await dao.saveCatalog(catalog, { expiresAt: at })
    catalog.uri = 'https://example.com/a'
    await dao.saveCatalog(catalog)
    assert.equal((await dao.listCatalogs())[0]?.expiresAt?.getTime(), at.toMillis())
    const later = new Date(at.toMillis() + 3_600_000)
    await dao.saveCatalog(catalog, { expiresAt: later })
    assert.equal((await dao.listCatalogs())[0]?.expiresAt?.getTime(), later.getTime())
    await dao.saveCatalog(catalog, { expiresAt: null })
    assert.equal((await dao.listCatalogs())[0]?.expiresAt, null)
  })

  it('saves a new catalog over an expired one of the same id as an insert', async () => {
    const { catalog } = withAspect()
    await dao.saveCatalog(catalog, { expiresAt: new Date(Date.now() - 1000) })
    assert.equal(await dao.loadCatalog(catalog.globalId), null)
    const fresh = createCatalog({ globalId: catalog.globalId })
    const result = await dao.saveCatalog(fresh)
    assert.equal(result.mode, 'insert')
    assert.equal(result.revision, 1n)
    assert.ok(await dao.loadCatalog(catalog.globalId))
  })

  it('refuses bad expiry options before any statement', async () => {
    const { catalog } = withAspect()
    for (const options of [
      { ttlMs: -1 },
      { ttlMs: Number.NaN },
      { expiresAt: new Date(Number.NaN) },
      { expiresAt: new Date(), ttlMs: 5 },
    ]) {
      await assert.rejects(
        dao.saveCatalog(catalog, options),
        (e) => isCheapError(e) && e.code === 'VALIDATION',
      )
    }
    await assert.rejects(dao.purgeExpired({ batchSize: 0 }), (e) => isCheapError(e))
    assert.equal(await storedRows(db), 0)
  })

  it('property: nothing expired is ever returned, nothing unexpired is ever purged', async () => {
    // Expiries relative to the database's now(): far past, far future, or soon (races a read).
    const step = fc.oneof(
      fc.record({
        op: fc.constant('save' as const),
        slot: fc.nat(4),
        offsetMs: fc.constantFrom(-60_000, -10_000, 40, 120, 60_000, null),
      }),
      fc.record({ op: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ op: fc.constant('purge' as const), limit: fc.integer({ min: 1, max: 3 }) }),
    )
    await assertProperty(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        await db.reset()
        const ids = Array.from({ length: 5 }, () => createCatalog().globalId)
        for (const s of steps) {
          if (s.op === 'save') {
            const c = createCatalog({ globalId: ids[s.slot] as string })
            const options =
              s.offsetMs === null
                ? { expiresAt: null }
                : s.offsetMs > 0
                  ? { ttlMs: s.offsetMs }
                  : { expiresAt: new Date(Date.now() + s.offsetMs) }
            await dao.saveCatalog(c, { force: true, ...options })
          } else if (s.op === 'sleep') {
            await sleep(s.ms)
          } else {
            // Unexpired by the database's clock before the purge: all must survive it.
            const raw = db.adapter.db as unknown as Kysely<unknown>
            const live = await sql<{
              catalog_id: string
            }>`select catalog_id from catalog where expires_at is null or expires_at > now() + interval '5 seconds'`.execute(
              raw,
            )
            await dao.purgeExpired({ limit: s.limit, batchSize: 1 })
            const after = await sql<{ catalog_id: string }>`select catalog_id from catalog`.execute(
              raw,
            )
            const left = new Set(after.rows.map((r) => r.catalog_id))
            for (const r of live.rows)
              assert.ok(left.has(r.catalog_id), `unexpired ${r.catalog_id} was purged`)
          }
          // Whatever a read returns was unexpired by the database's clock when it was read.
          for (const id of ids) {
            const raw = db.adapter.db as unknown as Kysely<unknown>
            const before = await sql<{
              expired: boolean
            }>`select expires_at <= now() as expired from catalog where catalog_id = ${id}::uuid`.execute(
              raw,
            )
            const loaded = await dao.loadCatalog(id)
            if (before.rows[0]?.expired === true)
              assert.equal(loaded, null, `expired ${id} was loaded`)
          }
          for (const summary of await dao.listCatalogs()) {
            if (summary.expiresAt !== null)
              assert.ok(summary.expiresAt.getTime() > Date.now() - 5_000)
          }
        }
      }),
      { numRuns: 25 },
    )
  })
})

/**
 * `signal` and `onProgress` of saveCatalog and loadCatalog, on the small-catalog path and the
 * bulk path (COPY on a server), on both backends: an aborted signal sends no statement, an
 * abort or a throwing onProgress mid-call rolls everything back, and the events count up to
 * their total.
 */
import assert from 'node:assert/strict'
import { after, before, beforeEach, it } from 'node:test'
import { v4 as uuidV4 } from 'uuid'
import { CheapAbortError, CheapValidationError, isCheapError } from '../../src/errors.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  toEntityId,
  type AspectDef,
  type Catalog,
  type EntityId,
} from '../../src/model/index.ts'
import { catalogEquals } from '../../src/model/equality.ts'
import type { CatalogProgress } from '../../src/persistence/catalog/progress.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

const id = (i: number): EntityId =>
  toEntityId(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)

function personDef(): AspectDef {
  return createAspectDef({
    name: `person_${uuidV4().slice(0, 8)}`,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR' }),
      createPropertyDef({ name: 'age', type: 'INT', isNullable: true }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true, isNullable: true }),
    ],
  })
}

function people(def: AspectDef, n: number, globalId?: string): Catalog {
  const catalog = createCatalog(globalId === undefined ? {} : { globalId })
  const map = catalog.extend(def)
  const list = catalog.createEntityList('members')
  for (let i = 0; i < n; i++) {
    map.add(createAspect(def, id(i), { name: `p${i}`, age: BigInt(i), tags: ['a', `t${i % 7}`] }))
    if (i % 3 === 0) list.add(id(i))
  }
  return catalog
}

class Boom extends Error {}

/** Events are in order: rowsDone never goes back, a total never shrinks below what is done. */
function assertMonotone(events: readonly CatalogProgress[]): void {
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [events[i - 1] as CatalogProgress, events[i] as CatalogProgress]
    assert.ok(b.rowsDone >= a.rowsDone, `event ${i}: ${b.rowsDone} after ${a.rowsDone}`)
  }
  for (const e of events) {
    if (e.rowsTotal !== undefined) assert.ok(e.rowsDone <= e.rowsTotal, JSON.stringify(e))
  }
}

async function rejectsAborted(call: Promise<unknown>, reason: unknown): Promise<CheapAbortError> {
  try {
    await call
  } catch (error) {
    assert.ok(error instanceof CheapAbortError, `expected a CheapAbortError, got ${String(error)}`)
    assert.ok(isCheapError(error, 'ABORTED'))
    assert.equal(error.name, 'AbortError')
    assert.equal(error.cause, reason)
    assert.match(error.message, /aborted/)
    return error
  }
  assert.fail('expected the call to reject')
}

for (const path of ['always', 'never'] as const) {
  forEachBackend(
    `saveCatalog / loadCatalog signal and onProgress (${path === 'always' ? 'small' : 'bulk'} path)`,
    (backend) => {
      let db: TestDatabase
      let dao: PostgresDao
      let statements = 0
      before(async () => {
        db = await backend.open({ log: () => void statements++ })
        dao = new PostgresDao(db.adapter, { smallCatalogs: path })
      })
      after(async () => db.close())
      beforeEach(async () => db.reset())

      it('an aborted signal rejects before any statement, with the reason as cause', async () => {
        const catalog = people(personDef(), 10)
        await dao.listCatalogs() // the schema check is behind us
        const controller = new AbortController()
        const reason = new Error('user gave up')
        controller.abort(reason)
        statements = 0
        const error = await rejectsAborted(
          dao.saveCatalog(catalog, { signal: controller.signal }),
          reason,
        )
        assert.match(
          error.message,
          /^saving catalog [-0-9a-f]+: aborted: user gave up; nothing was written$/,
        )
        await rejectsAborted(
          dao.loadCatalog(catalog.globalId, { signal: controller.signal }),
          reason,
        )
        assert.equal(statements, 0, 'no statement was sent')
        assert.equal(await dao.catalogExists(catalog.globalId), false)
      })

      it('bad options are INVALID_ARGUMENT before any statement', async () => {
        const catalog = people(personDef(), 1)
        await dao.listCatalogs()
        statements = 0
        const bad: unknown[] = [
          { signal: 'stop' },
          { signal: {} },
          { onProgress: 42 },
          { onProgress: 'log' },
        ]
        for (const options of bad) {
          for (const call of [
            () => dao.saveCatalog(catalog, options as never),
            () => dao.loadCatalog(catalog.globalId, options as never),
          ]) {
            await assert.rejects(call(), (error: unknown) => {
              assert.ok(error instanceof CheapValidationError, String(error))
              assert.equal(error.reason, 'INVALID_ARGUMENT')
              assert.match(error.message, /(saveCatalog|loadCatalog): (signal|onProgress) must be/)
              return true
            })
          }
        }
        await assert.rejects(
          dao.loadCatalog(catalog.globalId, 5 as never),
          /options must be an object/,
        )
        assert.equal(statements, 0)
      })

      it('a save reports rows up to its total, which is rowsWritten', async () => {
        const catalog = people(personDef(), 3000)
        const events: CatalogProgress[] = []
        const result = await dao.saveCatalog(catalog, { onProgress: (e) => events.push(e) })
        assert.ok(events.length >= 2, `${events.length} events`)
        assertMonotone(events)
        for (const e of events) {
          assert.equal(e.phase, 'write')
          assert.equal(e.catalogId, catalog.globalId)
        }
        assert.equal(events[0]?.rowsTotal, result.rowsWritten, 'the total is known from the start')
        const last = events.at(-1) as CatalogProgress
        assert.equal(last.rowsDone, result.rowsWritten)
        assert.equal(last.rowsTotal, result.rowsWritten)
        if (path === 'never') {
          const tables = new Set(events.flatMap((e) => (e.table === undefined ? [] : [e.table])))
          for (const t of ['catalog', 'entity', 'aspect', 'hierarchy_entity_list'])
            assert.ok(tables.has(t), `reports ${t}: ${[...tables].join(', ')}`)
        }
      })

      it('a forced full rewrite knows its total from the start too', async () => {
        const def = personDef()
        await dao.saveCatalog(people(def, 100))
        const stored = (await dao.listCatalogs())[0]
        assert.ok(stored !== undefined)
        const copy = people(def, 2100, stored.catalogId)
        const events: CatalogProgress[] = []
        const result = await dao.saveCatalog(copy, {
          force: true,
          onProgress: (e) => events.push(e),
        })
        assert.equal(result.mode, 'full')
        assertMonotone(events)
        assert.equal(events[0]?.rowsTotal, result.rowsWritten)
        assert.equal(events.at(-1)?.rowsDone, result.rowsWritten)
      })

      it('a load reports the rows it read, and ends at its total', async () => {
        const catalog = people(personDef(), 500)
        await dao.saveCatalog(catalog)
        const events: CatalogProgress[] = []
        const loaded = await dao.loadCatalog(catalog.globalId, {
          onProgress: (e) => events.push(e),
        })
        assert.ok(loaded !== null && catalogEquals(loaded, catalog))
        assertMonotone(events)
        const last = events.at(-1) as CatalogProgress
        assert.equal(last.phase, 'read')
        assert.ok(last.rowsDone > 500)
        assert.equal(last.rowsTotal, last.rowsDone)
      })

      it('an abort from onProgress mid-save rolls the new catalog back', async () => {
        const catalog = people(personDef(), 3000)
        const controller = new AbortController()
        const events: CatalogProgress[] = []
        await rejectsAborted(
          dao.saveCatalog(catalog, {
            signal: controller.signal,
            onProgress: (e) => {
              events.push(e)
              controller.abort('stop')
            },
          }),
          'stop',
        )
        assert.equal(events.length, 1, 'nothing is reported after the abort')
        assert.equal(await dao.catalogExists(catalog.globalId), false)
        // The DAO and its connections are fine: the same catalog saves now.
        assert.equal((await dao.saveCatalog(catalog)).revision, 1n)
      })

      it('an abort mid-rewrite keeps the stored revision and contents', async () => {
        const def = personDef()
        const original = people(def, 2500)
        await dao.saveCatalog(original)
        const copy = people(def, 2600, original.globalId)
        const controller = new AbortController()
        const reason = new Error('changed my mind')
        let seen = 0
        await rejectsAborted(
          dao.saveCatalog(copy, {
            force: true,
            signal: controller.signal,
            onProgress: () => {
              // After some rows went out on the bulk path; at the first event on the small one.
              if (++seen === (path === 'never' ? 3 : 1)) controller.abort(reason)
            },
          }),
          reason,
        )
        assert.equal(await dao.catalogRevision(original.globalId), 1n)
        const loaded = await dao.loadCatalog(original.globalId)
        assert.ok(loaded !== null && catalogEquals(loaded, original), 'the old revision is intact')
      })

      it('an abort from outside (an event handler, a timer) is seen at the next statement', async () => {
        // On PGlite the database answers in this thread: the save lets the event loop turn
        // between statements, or a SIGINT handler would only run once the save is over.
        const catalog = people(personDef(), 3000)
        const controller = new AbortController()
        const reason = new Error('from a handler')
        let events = 0
        await rejectsAborted(
          dao.saveCatalog(catalog, {
            signal: controller.signal,
            onProgress: () => {
              if (++events === 1) setImmediate(() => controller.abort(reason))
            },
          }),
          reason,
        )
        assert.equal(await dao.catalogExists(catalog.globalId), false)
      })

      it('a throw from onProgress rolls the save back and is the rejection', async () => {
        const catalog = people(personDef(), 3000)
        const boom = new Boom('progress bar broke')
        let calls = 0
        await assert.rejects(
          dao.saveCatalog(catalog, {
            onProgress: () => {
              if (++calls === 2) throw boom
            },
          }),
          (error: unknown) => error === boom,
        )
        assert.equal(await dao.catalogExists(catalog.globalId), false)
      })

      it('a throw from onProgress at the last event still rolls the save back', async () => {
        const catalog = people(personDef(), 20)
        const boom = new Boom('late')
        await assert.rejects(
          dao.saveCatalog(catalog, {
            onProgress: (e) => {
              if (e.rowsTotal !== undefined && e.rowsDone === e.rowsTotal) throw boom
            },
          }),
          (error: unknown) => error === boom,
        )
        assert.equal(await dao.catalogExists(catalog.globalId), false)
      })

      it('an abort mid-load rejects it', async () => {
        const catalog = people(personDef(), 500)
        await dao.saveCatalog(catalog)
        const controller = new AbortController()
        const reason = new Error('enough')
        await rejectsAborted(
          dao.loadCatalog(catalog.globalId, {
            signal: controller.signal,
            onProgress: () => controller.abort(reason),
          }),
          reason,
        )
        // A later load is unaffected.
        assert.ok((await dao.loadCatalog(catalog.globalId)) !== null)
      })

      it('in dao.transaction, an aborted save undoes its own step; the caller decides the rest', async () => {
        const def = personDef()
        const kept = people(def, 10)
        const aborted = people(def, 10)
        const controller = new AbortController()
        controller.abort('not this one')
        await dao.transaction(async (tx) => {
          await tx.saveCatalog(kept)
          await rejectsAborted(
            tx.saveCatalog(aborted, { signal: controller.signal }),
            'not this one',
          )
          const live = new AbortController()
          await rejectsAborted(
            tx.saveCatalog(aborted, {
              signal: live.signal,
              onProgress: () => live.abort('mid-step'),
            }),
            'mid-step',
          )
        })
        assert.equal(await dao.catalogExists(kept.globalId), true)
        assert.equal(await dao.catalogExists(aborted.globalId), false)
      })

      it('an incremental re-save learns its total at the end', async () => {
        const def = personDef()
        const catalog = people(def, 50)
        await dao.saveCatalog(catalog)
        const loaded = (await dao.loadCatalog(catalog.globalId)) as Catalog
        loaded
          .aspects(def.name)
          ?.add(createAspect(def, id(999), { name: 'new', age: 1n, tags: null }))
        const events: CatalogProgress[] = []
        const result = await dao.saveCatalog(loaded, { onProgress: (e) => events.push(e) })
        assert.equal(result.mode, 'incremental')
        assertMonotone(events)
        assert.equal(events.at(-1)?.rowsDone, result.rowsWritten)
        assert.equal(events.at(-1)?.rowsTotal, result.rowsWritten)
      })
    },
  )
}

forEachBackend('saveCatalog signal: an abort inside a COPY (bulk path)', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter, { smallCatalogs: 'never' })
  })
  after(async () => db.close())

  it('ends the COPY, rolls back, and leaves the connection usable', async () => {
    // 12,000 entities: one COPY on a server, which reports (and checks) after 10,000 lines.
    const catalog = people(personDef(), 12_000)
    const controller = new AbortController()
    const events: CatalogProgress[] = []
    await rejectsAborted(
      dao.saveCatalog(catalog, {
        signal: controller.signal,
        onProgress: (e) => {
          events.push(e)
          if (e.table === 'entity') controller.abort('mid-copy')
        },
      }),
      'mid-copy',
    )
    const entity = events.find((e) => e.table === 'entity')
    // The catalog row, one pin, two hierarchies, then 10,000 of the 12,000 entities: mid-COPY.
    assert.equal(entity?.rowsDone, 4 + 10_000, JSON.stringify(entity))
    assert.equal(await dao.catalogExists(catalog.globalId), false)
    assert.equal((await dao.saveCatalog(catalog)).revision, 1n)
    const loaded = await dao.loadCatalog(catalog.globalId)
    assert.ok(loaded !== null && catalogEquals(loaded, catalog))
  })
})

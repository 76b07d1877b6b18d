/**
 * Optimistic concurrency on both backends: a save of a catalog loaded (or last saved) at
 * revision r fails with CONFLICT once the stored revision moved on, unless forced; every partial
 * write bumps the revision by exactly one; two DAOs (two pools on the server) racing on one
 * catalog never lose an update; the revision log stays consistent.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, it } from 'node:test'
import fc from 'fast-check'
import { sql } from 'kysely'
import { v4 as uuidV4 } from 'uuid'
import { CheapConflictError } from '../../src/errors.ts'
import { catalogFromJson, catalogToJson } from '../../src/json/index.ts'
import {
  catalogDiff,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  type AspectDef,
  type Catalog,
  type EntityId,
} from '../../src/model/index.ts'
import type { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import {
  citusRacingWritersTodo,
  forEachBackendAndCluster,
  type TestDatabase,
} from '../db/backends.ts'
import { assertProperty } from '../support/fast-check.ts'
import { assertSameFingerprint, entityNumber, fingerprint, raw, rejectsWith } from './support.ts'
import { assertNoOrphans } from '../support/integrity.ts'

function counterDef(): AspectDef {
  return createAspectDef({
    name: `counter_${uuidV4().slice(0, 8)}`,
    properties: [
      createPropertyDef({ name: 'a', type: 'INT' }),
      createPropertyDef({ name: 'b', type: 'STR' }),
    ],
  })
}

const e = (i: number): EntityId => entityNumber(7, i)

/** A small catalog with one hierarchy of each type. */
function smallCatalog(def: AspectDef): Catalog {
  const catalog = createCatalog()
  const map = catalog.extend(def)
  for (let i = 0; i < 4; i++) map.add(createAspect(def, e(i), { a: BigInt(i), b: `v${i}` }))
  catalog.createEntityList('list').add(e(0), e(1))
  catalog.createEntitySet('set').add(e(2))
  catalog.createEntityDirectory('dir').set('k0', e(0))
  catalog.createEntityTree('tree').root.addChild('n0', { entityId: e(0) })
  return catalog
}

function clone(catalog: Catalog): Catalog {
  return catalogFromJson(catalogToJson(catalog))
}

function assertSame(actual: Catalog | null, expected: Catalog, what: string): void {
  assert.ok(actual !== null, `${what}: the catalog is gone`)
  assert.equal(catalogDiff(actual, expected), undefined, what)
}

/** catalog_revision holds exactly revisions 1..stored, and the catalog row agrees. */
async function assertRevisionLog(db: TestDatabase, catalogId: string): Promise<bigint> {
  const stored = await sql<{
    revision: bigint
  }>`select revision from catalog where catalog_id = ${catalogId}::uuid`.execute(raw(db.adapter))
  const log = await sql<{
    revision: bigint
  }>`select revision from catalog_revision where catalog_id = ${catalogId}::uuid order by revision`.execute(
    raw(db.adapter),
  )
  const revision = stored.rows[0]?.revision ?? 0n
  assert.deepEqual(
    log.rows.map((r) => r.revision),
    Array.from({ length: Number(revision) }, (_, i) => BigInt(i + 1)),
    'catalog_revision must hold one row per write, revisions 1..r',
  )
  return revision
}

forEachBackendAndCluster('reliability: optimistic concurrency', (backend) => {
  const racing = { todo: citusRacingWritersTodo(backend) }
  let db: TestDatabase
  let dao: PostgresDao
  /** A second DAO: on the server through its own adapter (its own pool), on PGlite the same one. */
  let other: PostgresDao
  let otherAdapter: PostgresAdapter | undefined
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
    if (db.connect !== undefined) {
      otherAdapter = await db.connect({ poolSize: 4 })
      other = new PostgresDao(otherAdapter)
    } else {
      other = new PostgresDao(db.adapter)
    }
  })
  after(async () => {
    await otherAdapter?.close()
    await db.close()
  })
  beforeEach(async () => db.reset())
  afterEach(async () => {
    await assertNoOrphans(db.adapter.db)
  })

  it('a stale save fails with CONFLICT, changes nothing, and succeeds with force', async () => {
    const def = counterDef()
    const original = smallCatalog(def)
    assert.equal((await dao.saveCatalog(original)).revision, 1n)
    const first = await dao.loadCatalog(original.globalId)
    const second = await other.loadCatalog(original.globalId)
    assert.ok(first !== null && second !== null)
    first.aspects(def.name)?.get(e(0))?.set('a', 100n)
    second.aspects(def.name)?.get(e(1))?.set('a', 200n)
    assert.equal((await dao.saveCatalog(first)).revision, 2n)
    const before = await fingerprint(db.adapter)
    const conflict = await rejectsWith(() => other.saveCatalog(second), {
      code: 'CONFLICT',
      message: [original.globalId, 'expected revision 1', 'stored revision 2', 'force: true'],
    })
    assert.ok(conflict instanceof CheapConflictError)
    assert.equal(conflict.storedRevision, 2n)
    assert.equal(conflict.expectedRevision, 1n)
    assertSameFingerprint(await fingerprint(db.adapter), before, 'a rejected stale save')
    assertSame(await dao.loadCatalog(original.globalId), first, 'after the rejected save')
    // The rejected object is still usable: forcing overwrites the first writer's change.
    assert.equal((await other.saveCatalog(second, { force: true })).revision, 3n)
    assertSame(await dao.loadCatalog(original.globalId), second, 'after the forced save')
    // After a successful save the object is current again; the other one is now stale.
    second.aspects(def.name)?.get(e(2))?.set('a', 300n)
    assert.equal((await other.saveCatalog(second)).revision, 4n)
    await rejectsWith(() => dao.saveCatalog(first), {
      code: 'CONFLICT',
      message: ['expected revision 2'],
    })
    assert.equal(await assertRevisionLog(db, original.globalId), 4n)
  })

  it('expectedRevision states the revision a save expects', async () => {
    const def = counterDef()
    const catalog = smallCatalog(def)
    await dao.saveCatalog(catalog)
    catalog.aspects(def.name)?.get(e(3))?.set('b', 'second')
    await dao.saveCatalog(catalog)
    assert.equal(await dao.catalogRevision(catalog.globalId), 2n)
    const fresh = clone(catalog)
    fresh.aspects(def.name)?.get(e(3))?.set('b', 'expected')
    await rejectsWith(() => dao.saveCatalog(fresh, { expectedRevision: 1n }), {
      code: 'CONFLICT',
      message: ['expected revision 1', 'stored revision 2'],
    })
    assert.equal((await dao.saveCatalog(fresh, { expectedRevision: 2n })).revision, 3n)
    assertSame(await dao.loadCatalog(catalog.globalId), fresh, 'saved with expectedRevision')
  })

  it('revisionOf tells the revision a load or save read, without asking the database', async () => {
    const def = counterDef()
    const catalog = smallCatalog(def)
    assert.equal(dao.revisionOf(catalog), undefined, 'never saved')
    await dao.saveCatalog(catalog)
    assert.equal(dao.revisionOf(catalog), 1n)
    const loaded = await other.loadCatalog(catalog.globalId)
    assert.ok(loaded !== null)
    assert.equal(other.revisionOf(loaded), 1n)
    catalog.aspects(def.name)?.get(e(1))?.set('b', 'moved on')
    await dao.saveCatalog(catalog)
    assert.equal(dao.revisionOf(catalog), 2n)
    // The copy loaded earlier still holds revision 1: what its next save expects.
    assert.equal(other.revisionOf(loaded), 1n)
    assert.equal(await other.catalogRevision(catalog.globalId), 2n)
  })

  it('an object the DAO never saw cannot overwrite, and a deleted catalog is not resurrected', async () => {
    const def = counterDef()
    const catalog = smallCatalog(def)
    await dao.saveCatalog(catalog)
    const stranger = clone(catalog)
    stranger.aspects(def.name)?.get(e(0))?.set('b', 'stranger')
    await rejectsWith(() => other.saveCatalog(stranger), {
      code: 'CONFLICT',
      message: [catalog.globalId, 'already stored (revision 1)'],
    })
    const loaded = await other.loadCatalog(catalog.globalId)
    assert.ok(loaded !== null)
    assert.equal(await dao.deleteCatalog(catalog.globalId), true)
    await rejectsWith(() => other.saveCatalog(loaded), {
      code: 'CONFLICT',
      message: ['no longer stored', 'deleted by another writer'],
    })
    assert.equal(await dao.catalogExists(catalog.globalId), false)
    assert.equal((await other.saveCatalog(loaded, { force: true })).revision, 1n)
    assertSame(await dao.loadCatalog(catalog.globalId), loaded, 'forced after delete')
    assert.equal(await assertRevisionLog(db, catalog.globalId), 1n)
  })

  it('every partial write bumps the revision once and makes an older copy stale', async () => {
    const def = counterDef()
    const catalog = smallCatalog(def)
    await dao.saveCatalog(catalog)
    const id = catalog.globalId
    const writes: [string, () => Promise<{ readonly revision: bigint }>, (c: Catalog) => void][] = [
      [
        'upsertAspects',
        () => other.upsertAspects(id, def.name, [createAspect(def, e(9), { a: 9n, b: 'nine' })]),
        (c) => void c.aspects(def.name)?.add(createAspect(def, e(9), { a: 9n, b: 'nine' })),
      ],
      [
        'removeAspects',
        () => other.removeAspects(id, def.name, [e(3)]),
        (c) => void c.aspects(def.name)?.delete(e(3)),
      ],
      [
        'addToEntityList',
        () => other.addToEntityList(id, 'list', [e(2)]),
        (c) => list(c).add(e(2)),
      ],
      [
        'removeFromEntityList',
        () => other.removeFromEntityList(id, 'list', [e(0)]),
        (c) => void list(c).remove(e(0)),
      ],
      ['addToEntitySet', () => other.addToEntitySet(id, 'set', [e(1)]), (c) => set(c).add(e(1))],
      [
        'removeFromEntitySet',
        () => other.removeFromEntitySet(id, 'set', [e(2)]),
        (c) => void set(c).delete(e(2)),
      ],
      [
        'putDirectoryEntries',
        () => other.putDirectoryEntries(id, 'dir', [['k1', e(1)]]),
        (c) => dir(c).set('k1', e(1)),
      ],
      [
        'removeDirectoryEntries',
        () => other.removeDirectoryEntries(id, 'dir', ['k0']),
        (c) => void dir(c).delete('k0'),
      ],
      [
        'addTreeNodes',
        () => other.addTreeNodes(id, 'tree', '/', [{ name: 'n1', entityId: e(1) }]),
        (c) => void tree(c).root.addChild('n1', { entityId: e(1) }),
      ],
      [
        'removeTreeNodes',
        () => other.removeTreeNodes(id, 'tree', ['/n0']),
        (c) => void tree(c).root.removeChild('n0'),
      ],
    ]
    const expected = clone(catalog)
    let revision = 1n
    for (const [name, write, model] of writes) {
      const stale = await dao.loadCatalog(id)
      assert.ok(stale !== null)
      stale.aspects(def.name)?.get(e(1))?.set('b', `stale before ${name}`)
      const result = await write()
      revision++
      assert.equal(result.revision, revision, `${name} returns the bumped revision`)
      assert.equal(await dao.catalogRevision(id), revision, `${name} bumps the revision once`)
      model(expected)
      const before = await fingerprint(db.adapter)
      await rejectsWith(() => dao.saveCatalog(stale), {
        code: 'CONFLICT',
        message: [`expected revision ${revision - 1n}`, `stored revision ${revision}`],
      })
      assertSameFingerprint(await fingerprint(db.adapter), before, `a stale save after ${name}`)
      assertSame(await dao.loadCatalog(id), expected, `after ${name}`)
    }
    // A failed partial write leaves the revision alone.
    await rejectsWith(() => other.addToEntityList(id, 'no such list', [e(0)]), {
      code: 'NOT_FOUND',
    })
    await rejectsWith(() => other.addToEntitySet(id, 'list', [e(0)]), {
      code: 'VALIDATION',
      reason: 'WRONG_HIERARCHY',
    })
    assert.equal(await dao.catalogRevision(id), revision)
    assert.equal(await assertRevisionLog(db, id), revision)
  })

  it(
    'racing writers: exactly one of several saves from the same revision wins',
    racing,
    async () => {
      const def = counterDef()
      const catalog = smallCatalog(def)
      await dao.saveCatalog(catalog)
      const daos = [dao, other, dao, other]
      let expected = clone(catalog)
      for (let round = 0; round < 12; round++) {
        const copies = await Promise.all(daos.map((d) => d.loadCatalog(catalog.globalId)))
        copies.forEach((c, k) => {
          assert.ok(c !== null)
          c.aspects(def.name)
            ?.get(e(k))
            ?.set('a', BigInt(round * 10 + k))
          list(c).add(e(k))
        })
        const results = await Promise.allSettled(
          daos.map((d, k) => d.saveCatalog(copies[k] as Catalog)),
        )
        const winners = results.flatMap((r, k) => (r.status === 'fulfilled' ? [k] : []))
        assert.equal(winners.length, 1, `round ${round}: one winner, got ${winners.length}`)
        for (const r of results) {
          if (r.status === 'rejected') {
            assert.ok(r.reason instanceof CheapConflictError, String(r.reason))
            assert.equal(r.reason.storedRevision, BigInt(round + 2))
          }
        }
        expected = clone(copies[winners[0] as number] as Catalog)
        assertSame(await other.loadCatalog(catalog.globalId), expected, `round ${round}`)
      }
      assert.equal(await assertRevisionLog(db, catalog.globalId), 13n)
    },
  )

  it('racing a save with partial writes: the partial write is never lost', async () => {
    const def = counterDef()
    const catalog = smallCatalog(def)
    await dao.saveCatalog(catalog)
    const id = catalog.globalId
    let saved = 0
    let conflicts = 0
    let expectedA = 0n
    for (let round = 0; round < 12; round++) {
      const copy = await dao.loadCatalog(id)
      assert.ok(copy !== null)
      copy.aspects(def.name)?.get(e(0))?.set('a', BigInt(round))
      const marker = entityNumber(8, round)
      const [save, partial] = await Promise.allSettled([
        dao.saveCatalog(copy),
        other.addToEntityList(id, 'list', [marker]),
      ])
      assert.equal(partial.status, 'fulfilled', 'a partial write only waits for the row lock')
      if (save.status === 'fulfilled') {
        saved++
        expectedA = BigInt(round)
      } else {
        assert.ok(save.reason instanceof CheapConflictError, String(save.reason))
        conflicts++
      }
      const stored = await other.loadCatalog(id)
      assert.ok(stored !== null)
      assert.ok(list(stored).includes(marker), `round ${round}: the appended entity is there`)
      assert.equal(stored.aspects(def.name)?.get(e(0))?.get('a'), expectedA)
    }
    assert.equal(saved + conflicts, 12)
    assert.equal(await assertRevisionLog(db, id), BigInt(1 + saved + 12))
  })

  it('racing first saves of one new catalog: one is stored, the others get CONFLICT', async () => {
    for (let round = 0; round < 5; round++) {
      const def = counterDef()
      const catalog = smallCatalog(def)
      const copies = [catalog, clone(catalog), clone(catalog)]
      copies.forEach((c, k) => list(c).add(e(k)))
      const results = await Promise.allSettled([
        dao.saveCatalog(copies[0] as Catalog),
        other.saveCatalog(copies[1] as Catalog),
        other.saveCatalog(copies[2] as Catalog),
      ])
      const winners = results.flatMap((r, k) => (r.status === 'fulfilled' ? [k] : []))
      assert.equal(winners.length, 1)
      for (const r of results) {
        if (r.status === 'rejected')
          assert.ok(r.reason instanceof CheapConflictError, String(r.reason))
      }
      assertSame(
        await dao.loadCatalog(catalog.globalId),
        copies[winners[0] as number] as Catalog,
        'winner',
      )
    }
  })

  it(
    'racing first saves of different catalogs sharing a new AspectDef all succeed',
    racing,
    async () => {
      for (let round = 0; round < 5; round++) {
        const def = counterDef()
        const catalogs = [smallCatalog(def), smallCatalog(def), smallCatalog(def)]
        await Promise.all([
          dao.saveCatalog(catalogs[0] as Catalog),
          other.saveCatalog(catalogs[1] as Catalog),
          other.saveCatalog(catalogs[2] as Catalog),
        ])
        for (const c of catalogs) assertSame(await dao.loadCatalog(c.globalId), c, 'shared def')
      }
    },
  )

  it('interleaved loads, saves, forced saves and partial writes of two DAOs lose nothing (property)', async () => {
    const def = counterDef()
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('load' as const), h: fc.integer({ min: 0, max: 1 }) }),
      fc.record({
        kind: fc.constant('edit' as const),
        h: fc.integer({ min: 0, max: 1 }),
        entity: fc.integer({ min: 0, max: 3 }),
        value: fc.bigInt({ min: -1000n, max: 1000n }),
      }),
      fc.record({ kind: fc.constant('save' as const), h: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ kind: fc.constant('force' as const), h: fc.integer({ min: 0, max: 1 }) }),
      fc.record({
        kind: fc.constant('upsert' as const),
        entity: fc.integer({ min: 0, max: 5 }),
        value: fc.bigInt({ min: -1000n, max: 1000n }),
      }),
      fc.record({ kind: fc.constant('append' as const), entity: fc.integer({ min: 0, max: 5 }) }),
    )
    let runs = 0
    await assertProperty(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        runs++
        const catalog = smallCatalog(def)
        await dao.saveCatalog(catalog)
        const id = catalog.globalId
        const handles: (Catalog | null)[] = [null, null]
        /** The revision each handle's copy was loaded or saved at. */
        const seen: bigint[] = [0n, 0n]
        /** Whether each handle's copy was edited since it was loaded or saved. */
        const dirty: boolean[] = [false, false]
        let stored = clone(catalog)
        let revision = 1n
        const daoOf = (h: number) => (h === 0 ? dao : other)
        for (const op of ops) {
          switch (op.kind) {
            case 'load': {
              handles[op.h] = await daoOf(op.h).loadCatalog(id)
              seen[op.h] = revision
              dirty[op.h] = false
              assertSame(handles[op.h] ?? null, stored, 'a load sees the last write')
              break
            }
            case 'edit': {
              const c = handles[op.h]
              if (c === null || c === undefined) break
              c.aspects(def.name)?.get(e(op.entity))?.set('a', op.value)
              dirty[op.h] = true
              break
            }
            case 'save':
            case 'force': {
              const c = handles[op.h]
              if (c === null || c === undefined) break
              const force = op.kind === 'force'
              if (!force && !dirty[op.h] && seen[op.h] === revision) {
                // Nothing changed since this copy was loaded or saved: nothing is written.
                const result = await daoOf(op.h).saveCatalog(c)
                assert.equal(result.unchanged, true)
                assert.equal(result.revision, revision)
              } else if (force || seen[op.h] === revision) {
                const result = await daoOf(op.h).saveCatalog(c, { force })
                revision++
                assert.equal(result.revision, revision)
                seen[op.h] = revision
                dirty[op.h] = false
                stored = clone(c)
              } else {
                await rejectsWith(() => daoOf(op.h).saveCatalog(c), { code: 'CONFLICT' })
              }
              break
            }
            case 'upsert': {
              const aspect = createAspect(def, e(op.entity), { a: op.value, b: 'upserted' })
              const result = await other.upsertAspects(id, def.name, [aspect])
              revision++
              assert.equal(result.revision, revision)
              const map = stored.aspects(def.name)
              map?.add(createAspect(def, e(op.entity), { a: op.value, b: 'upserted' }))
              break
            }
            case 'append': {
              const result = await dao.addToEntityList(id, 'list', [e(op.entity)])
              revision++
              assert.equal(result.revision, revision)
              list(stored).add(e(op.entity))
              break
            }
          }
          assert.equal(await dao.catalogRevision(id), revision)
        }
        assertSame(await other.loadCatalog(id), stored, 'at the end')
        assert.equal(await assertRevisionLog(db, id), revision)
      }),
      { numRuns: 20 },
    )
    assert.ok(runs >= 20)
  })
})

function list(c: Catalog) {
  const h = c.hierarchy('list')
  if (h?.type !== 'EL') throw new Error('no list')
  return h
}
function set(c: Catalog) {
  const h = c.hierarchy('set')
  if (h?.type !== 'ES') throw new Error('no set')
  return h
}
function dir(c: Catalog) {
  const h = c.hierarchy('dir')
  if (h?.type !== 'ED') throw new Error('no dir')
  return h
}
function tree(c: Catalog) {
  const h = c.hierarchy('tree')
  if (h?.type !== 'ET') throw new Error('no tree')
  return h
}

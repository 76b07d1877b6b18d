/**
 * The three reproductions of issue 19 (online schema operations), on the server only: each needs
 * two or more sessions open at once, which PGlite's single connection cannot give (there, calls
 * run one at a time and cannot interleave inside a transaction). A plain session holds a lock to
 * pause a call before it commits, and the schema operation runs from a second adapter meanwhile.
 * After every test the orphan check of test/support/integrity.ts finds nothing.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, it } from 'node:test'
import { sql, type Kysely } from 'kysely'
import type pg from 'pg'
import { v4 as uuidV4 } from 'uuid'
import { isCheapError } from '../../src/errors.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  type AspectDef,
  type Catalog,
} from '../../src/model/index.ts'
import { catalogDiff } from '../../src/model/equality.ts'
import type { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import type { CheapDatabase } from '../../src/persistence/schema/database.ts'
import { readOnlySnapshot } from '../../src/persistence/store/catalog-lock.ts'
import { readMappings } from '../../src/persistence/store/dedicated/table.ts'
import { BACKENDS, type TestDatabase } from '../db/backends.ts'
import { assertNoOrphans } from '../support/integrity.ts'
import { describeOnServer } from './on-server.ts'
import { blockerSession, otherAdapter, outcome, untilWaiting, valueOf } from './online-support.ts'
import { budget, entityNumber, rowCount } from './support.ts'

function personDef(): AspectDef {
  return createAspectDef({
    name: `p_${uuidV4().slice(0, 8)}`,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR' }),
      createPropertyDef({ name: 'n', type: 'INT' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
    ],
  })
}

function personCatalog(def: AspectDef, entities: number): Catalog {
  const catalog = createCatalog()
  const map = catalog.extend(def)
  const list = catalog.createEntityList('all')
  for (let i = 0; i < entities; i++) {
    const id = entityNumber(7, i)
    map.add(createAspect(def, id, { name: `e${i}`, n: BigInt(i), tags: [`t${i % 3}`, 'x'] }))
    if (i > 0) list.add(id) // entity 0 is referenced by its aspect only
  }
  return catalog
}

const tableOf = (def: AspectDef): string => `${def.name}_tab`

describeOnServer('online schema operations (issue 19, needs concurrent sessions)', () => {
  let db: TestDatabase
  let second: PostgresAdapter
  let third: PostgresAdapter
  let blocker: pg.Client
  before(async () => {
    const server = BACKENDS.find((b) => b.name === 'pg')
    assert.ok(server !== undefined)
    db = await server.open()
    second = await otherAdapter(db, 'second')
    third = await otherAdapter(db, 'third')
    blocker = await blockerSession(db)
  })
  afterEach(async () => {
    await assertNoOrphans(db.adapter.db)
  })
  after(async () => {
    await blocker.end()
    await second.close()
    await third.close()
    await db.close()
  })

  it('reproduction 1: removeAspects paused before commit while unmapAspectDef runs leaves no orphan value', async () => {
    const dao = new PostgresDao(db.adapter)
    const def = personDef()
    const catalog = personCatalog(def, 3)
    await dao.saveCatalog(catalog)
    await dao.mapAspectDef(def, { table: tableOf(def) })
    const e0 = entityNumber(7, 0)

    // Another session holds a row lock on the entity: removeAspects blocks collecting it.
    await blocker.query('begin')
    await blocker.query(
      'select 1 from entity where catalog_id = $1 and entity_id = $2 for update',
      [catalog.globalId, e0],
    )
    const remove = outcome(new PostgresDao(third).removeAspects(catalog.globalId, def.name, [e0]))
    assert.equal(await untilWaiting(blocker, 'third', remove), 'waiting')
    const unmap = outcome(new PostgresDao(second).unmapAspectDef(def.name))
    // The unmap must wait for the removal (they serialise on the def), not run past it.
    assert.equal(await untilWaiting(blocker, 'second', unmap), 'waiting')
    await blocker.query('commit')
    assert.equal(valueOf(await remove, 'removeAspects').removed, 1)
    const unmapped = valueOf(await unmap, 'unmapAspectDef')
    assert.equal(unmapped.aspectsMoved, 2)

    const loaded = await dao.loadCatalog(catalog.globalId)
    assert.ok(loaded !== null)
    catalog.aspects(def.name)?.delete(e0)
    assert.equal(catalogDiff(loaded, catalog), undefined)
    assert.equal(await rowCount(db.adapter, 'property_value_string', catalog.globalId), 2 + 4)
    assert.deepEqual(await dao.aspectTableMappings(), [])
  })

  it('reproduction 1, the other way round: removeAspects waits for an unmap paused before commit', async () => {
    const dao = new PostgresDao(db.adapter)
    const def = personDef()
    const catalog = personCatalog(def, 3)
    await dao.saveCatalog(catalog)
    await dao.mapAspectDef(def, { table: tableOf(def) })
    const e0 = entityNumber(7, 0)

    // The unmap has copied the rows out and waits to delete them from the table.
    await blocker.query('begin')
    await blocker.query(`lock table "${tableOf(def)}" in share mode`)
    const unmap = outcome(new PostgresDao(second).unmapAspectDef(def.name))
    assert.equal(await untilWaiting(blocker, 'second', unmap), 'waiting')
    const remove = outcome(new PostgresDao(third).removeAspects(catalog.globalId, def.name, [e0]))
    assert.equal(await untilWaiting(blocker, 'third', remove), 'waiting')
    await blocker.query('commit')
    assert.equal(valueOf(await unmap, 'unmapAspectDef').aspectsMoved, 3)
    assert.equal(valueOf(await remove, 'removeAspects').removed, 1)

    const loaded = await dao.loadCatalog(catalog.globalId)
    catalog.aspects(def.name)?.delete(e0)
    assert.ok(loaded !== null)
    assert.equal(catalogDiff(loaded, catalog), undefined)
    assert.equal(await rowCount(db.adapter, 'property_value_string', catalog.globalId), 2 + 4)
  })

  it('reproduction 1 for deleteCatalog and for a save that drops the AspectMap: the unmap waits, nothing is left behind', async () => {
    const dao = new PostgresDao(db.adapter)
    for (const how of ['deleteCatalog', 'save without the map'] as const) {
      const def = personDef()
      const keep = personCatalog(def, 2) // another catalog of the def: its values must move back
      const catalog = personCatalog(def, 3)
      await dao.saveCatalog(keep)
      await dao.saveCatalog(catalog)
      await dao.mapAspectDef(def, { table: tableOf(def) })

      // Every writer logs its revision last: holding that table pauses the writer before commit.
      await blocker.query('begin')
      await blocker.query('lock table catalog_revision in exclusive mode')
      const writerDao = new PostgresDao(third)
      let write: Promise<unknown>
      if (how === 'deleteCatalog') {
        write = outcome(writerDao.deleteCatalog(catalog.globalId))
      } else {
        const loaded = await writerDao.loadCatalog(catalog.globalId)
        assert.ok(loaded !== null)
        loaded.removeHierarchy(def.name)
        write = outcome(writerDao.saveCatalog(loaded))
      }
      assert.equal(await untilWaiting(blocker, 'third', write), 'waiting', how)
      const unmap = outcome(new PostgresDao(second).unmapAspectDef(def.name))
      assert.equal(await untilWaiting(blocker, 'second', unmap), 'waiting', how)
      await blocker.query('commit')
      valueOf(await (write as Promise<Awaited<ReturnType<typeof outcome>>>), how)
      assert.equal(valueOf(await unmap, `unmapAspectDef after ${how}`).aspectsMoved, 2, how)
      await assertNoOrphans(db.adapter.db)
      assert.equal(await rowCount(db.adapter, 'property_value_string', catalog.globalId), 0, how)
      const kept = await dao.loadCatalog(keep.globalId)
      assert.ok(kept !== null)
      assert.equal(catalogDiff(kept, keep), undefined, how)
    }
  })

  it('a read whose snapshot predates an unmap and a map to the same table reads again instead of finding nothing', async () => {
    const dao = new PostgresDao(db.adapter)
    const def = personDef()
    const catalog = personCatalog(def, 3)
    await dao.saveCatalog(catalog)
    await dao.mapAspectDef(def, { table: tableOf(def) })
    const { aspect_def_id: defId } = await db.adapter.db
      .selectFrom('aspect_def')
      .select('aspect_def_id')
      .where('name', '=', def.name)
      .executeTakeFirstOrThrow()
    const count = async (trx: Kysely<CheapDatabase>) =>
      (
        await sql<{ n: number }>`select count(*)::int as n from ${sql.table(tableOf(def))}`.execute(
          trx,
        )
      ).rows[0]?.n
    let attempts = 0
    const read = await readOnlySnapshot(db.adapter.db, async (trx) => {
      attempts++
      await sql`select 1 from catalog limit 1`.execute(trx) // the snapshot begins here
      if (attempts === 1) {
        const other = new PostgresDao(second)
        await other.unmapAspectDef(def.name)
        await other.mapAspectDef(def, { table: tableOf(def) })
        // The hazard: the name now means the new table, whose rows this snapshot cannot see.
        assert.equal(await count(trx), 0)
      }
      const mappings = await readMappings(trx, { defIds: [defId] })
      return { table: mappings[0]?.table, rows: await count(trx) }
    })
    assert.equal(attempts, 2, 'the first snapshot was given up')
    assert.deepEqual(read, { table: tableOf(def), rows: 3 })
    const found = await dao.findEntities(catalog.globalId, def.name, (p) => p('n').ge(0n))
    assert.equal(found.length, 3)
  })

  it('reproductions 2 and 3: loads, partial reads and queries never fail while another adapter maps and unmaps the def, and never make it fail', async (t) => {
    const dao = new PostgresDao(db.adapter)
    const def = personDef()
    const catalog = personCatalog(def, 2000)
    await dao.saveCatalog(catalog)
    const cycles = budget(10)
    const mapper = new PostgresDao(second)
    const readers = await Promise.all(
      [0, 1, 2].map(async (i) => new PostgresDao(await otherAdapter(db, `reader-${i}`, 1))),
    )
    let done = false
    const failures: string[] = []
    const counts = { loads: 0, partial: 0, queries: 0 }
    const some = [entityNumber(7, 5), entityNumber(7, 1500)]
    async function read(reader: PostgresDao, i: number): Promise<void> {
      while (!done) {
        try {
          if (i === 0 || counts.loads % 3 !== 0) {
            const loaded = await reader.loadCatalog(catalog.globalId)
            assert.ok(loaded !== null)
            const diff = catalogDiff(loaded, catalog)
            if (diff !== undefined) failures.push(`load: ${diff}`)
            counts.loads++
          } else if (i === 1) {
            const aspects = await reader.loadAspects(catalog.globalId, def, some)
            if (aspects.get(some[1] as never)?.get('name') !== 'e1500')
              failures.push('partial read')
            counts.partial++
          } else {
            const ids = await reader.findEntities(catalog.globalId, def, (p) => p('n').lt(10n))
            if (ids.length !== 10) failures.push(`query found ${ids.length} of 10`)
            counts.queries++
          }
        } catch (error) {
          failures.push(isCheapError(error) ? `${error.code}: ${error.message}` : String(error))
        }
      }
    }
    const started = performance.now()
    const reading = readers.map((r, i) => read(r, i))
    const schemaErrors: string[] = []
    try {
      for (let k = 0; k < cycles; k++) {
        for (const call of [
          () => mapper.mapAspectDef(def.name, { table: tableOf(def) }),
          () => mapper.unmapAspectDef(def.name),
        ]) {
          try {
            await call()
          } catch (error) {
            schemaErrors.push(
              isCheapError(error) ? `${error.code}: ${error.message}` : String(error),
            )
          }
        }
      }
    } finally {
      done = true
      await Promise.all(reading)
      for (const r of readers) await r.adapter.close()
    }
    const elapsed = performance.now() - started
    assert.deepEqual(failures, [], 'no read fails or differs')
    assert.deepEqual(schemaErrors, [], 'no map or unmap fails')
    assert.ok(counts.loads > 0)
    t.diagnostic(
      `${cycles} map/unmap cycles in ${Math.round(elapsed)} ms under ${counts.loads} loads, ` +
        `${counts.partial} partial reads, ${counts.queries} queries: 0 failures`,
    )
  })
})

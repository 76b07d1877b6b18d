/**
 * Eight concurrent clients on three shared catalogs, for a bounded time: load-modify-save with
 * retry on CONFLICT, partial upserts, list appends and loads. Every acknowledged write leaves a
 * trace only its client can make (its own counters in its own aspect, unique entities appended
 * to a list), so a lost update cannot hide: at the end every trace is there exactly once, the
 * revision is one plus the number of acknowledged writes, and catalog_revision agrees.
 *
 * On the server every client has its own adapter (its own pool); on PGlite the clients share
 * the one embedded connection, so their calls interleave but run one at a time.
 * CHEAP_RELIABILITY_SCALE scales the running time; CHEAP_RELIABILITY_SEED replays a run.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, it } from 'node:test'
import { sql } from 'kysely'
import { v4 as uuidV4 } from 'uuid'
import { CheapConflictError, isCheapError } from '../../src/errors.ts'
import {
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
import { Random, budget, entityNumber, raw, sleep } from './support.ts'
import { assertNoOrphans } from '../support/integrity.ts'

const CLIENTS = 8
const CATALOGS = 3

interface Tally {
  saves: bigint
  upserts: bigint
}

interface Client {
  readonly index: number
  readonly dao: PostgresDao
  /** Per catalog: this client's counters as it last wrote them. */
  readonly tallies: Tally[]
  /** Per catalog: the entities this client appended, acknowledged. */
  readonly appended: EntityId[][]
  next: number
}

interface Stats {
  fullSaves: number[]
  partialWrites: number[]
  loads: number
  conflicts: number
  gaveUp: number
  unexpected: unknown[]
}

const ownEntity = (client: number): EntityId => entityNumber(0x100, client)

function counterDef(): AspectDef {
  return createAspectDef({
    name: `tally_${uuidV4().slice(0, 8)}`,
    properties: [
      createPropertyDef({ name: 'saves', type: 'INT', isNullable: false }),
      createPropertyDef({ name: 'upserts', type: 'INT', isNullable: false }),
      createPropertyDef({ name: 'owner', type: 'STR' }),
    ],
  })
}

function bump(counts: number[], k: number): void {
  counts[k] = (counts[k] ?? 0) + 1
}

function logOf(catalog: Catalog) {
  const log = catalog.hierarchy('log')
  if (log?.type !== 'EL') throw new Error('no log list')
  return log
}

forEachBackendAndCluster('reliability: concurrent clients', (backend) => {
  const racing = { todo: citusRacingWritersTodo(backend) }
  let db: TestDatabase
  const adapters: PostgresAdapter[] = []
  before(async () => {
    db = await backend.open()
  })
  afterEach(async () => {
    await assertNoOrphans(db.adapter.db)
  })
  after(async () => {
    for (const a of adapters) await a.close()
    await db.close()
  })

  it(`${CLIENTS} clients on ${CATALOGS} catalogs lose no update`, racing, async (t) => {
    const random = new Random()
    const seconds = budget(db.adapter.kind === 'pg' ? 20 : 8)
    const def = counterDef()
    const setupDao = new PostgresDao(db.adapter)
    const catalogIds: string[] = []
    for (let k = 0; k < CATALOGS; k++) {
      const catalog = createCatalog()
      const map = catalog.extend(def)
      for (let c = 0; c < CLIENTS; c++) {
        map.add(createAspect(def, ownEntity(c), { saves: 0n, upserts: 0n, owner: `client ${c}` }))
      }
      catalog.createEntityList('log')
      await setupDao.saveCatalog(catalog)
      catalogIds.push(catalog.globalId)
    }
    const clients: Client[] = []
    for (let c = 0; c < CLIENTS; c++) {
      let dao = setupDao
      if (db.connect !== undefined) {
        const adapter = await db.connect({
          poolSize: 2,
          applicationName: `cheap-concurrency-${c}`,
        })
        adapters.push(adapter)
        dao = new PostgresDao(adapter)
      } else {
        dao = new PostgresDao(db.adapter)
      }
      clients.push({
        index: c,
        dao,
        tallies: catalogIds.map(() => ({ saves: 0n, upserts: 0n })),
        appended: catalogIds.map(() => []),
        next: 0,
      })
    }
    const stats: Stats = {
      fullSaves: catalogIds.map(() => 0),
      partialWrites: catalogIds.map(() => 0),
      loads: 0,
      conflicts: 0,
      gaveUp: 0,
      unexpected: [],
    }
    const deadline = performance.now() + seconds * 1000

    /** Read-your-writes: the client's own aspect and appends are exactly as it left them. */
    function checkOwn(client: Client, k: number, catalog: Catalog): void {
      const own = catalog.aspects(def.name)?.get(ownEntity(client.index))
      const tally = client.tallies[k] as Tally
      assert.equal(own?.get('saves'), tally.saves, `client ${client.index} lost a save`)
      assert.equal(own?.get('upserts'), tally.upserts, `client ${client.index} lost an upsert`)
      const log = new Set(logOf(catalog).toArray())
      for (const id of client.appended[k] as EntityId[]) {
        assert.ok(log.has(id), `client ${client.index} lost the append of ${id}`)
      }
    }

    async function fullSave(client: Client, k: number): Promise<void> {
      const id = catalogIds[k] as string
      const unique = entityNumber(0x200 + client.index, client.next++)
      for (let attempt = 0; attempt < 100; attempt++) {
        const catalog = await client.dao.loadCatalog(id)
        assert.ok(catalog !== null)
        checkOwn(client, k, catalog)
        const tally = client.tallies[k] as Tally
        catalog
          .aspects(def.name)
          ?.get(ownEntity(client.index))
          ?.set('saves', tally.saves + 1n)
        logOf(catalog).add(unique)
        try {
          await client.dao.saveCatalog(catalog)
        } catch (error) {
          if (error instanceof CheapConflictError && error.storedRevision !== undefined) {
            stats.conflicts++
            await sleep(random.int(3))
            continue
          }
          throw error
        }
        tally.saves++
        client.appended[k]?.push(unique)
        bump(stats.fullSaves, k)
        return
      }
      stats.gaveUp++
    }

    async function step(client: Client): Promise<void> {
      const k = random.int(CATALOGS)
      const id = catalogIds[k] as string
      const roll = random.next()
      if (roll < 0.35) {
        await fullSave(client, k)
      } else if (roll < 0.6) {
        const tally = client.tallies[k] as Tally
        const aspect = createAspect(def, ownEntity(client.index), {
          saves: tally.saves,
          upserts: tally.upserts + 1n,
          owner: `client ${client.index}`,
        })
        await client.dao.upsertAspects(id, def.name, [aspect])
        tally.upserts++
        bump(stats.partialWrites, k)
      } else if (roll < 0.8) {
        const unique = entityNumber(0x200 + client.index, client.next++)
        await client.dao.addToEntityList(id, 'log', [unique])
        client.appended[k]?.push(unique)
        bump(stats.partialWrites, k)
      } else {
        const catalog = await client.dao.loadCatalog(id)
        assert.ok(catalog !== null)
        checkOwn(client, k, catalog)
        stats.loads++
      }
    }

    async function run(client: Client): Promise<void> {
      while (performance.now() < deadline) {
        try {
          await step(client)
        } catch (error) {
          stats.unexpected.push(error)
          if (!isCheapError(error)) return // an assertion failed: stop this client
        }
      }
    }

    const started = performance.now()
    await Promise.all(clients.map(run))
    const elapsed = performance.now() - started
    assert.deepEqual(
      stats.unexpected.map((e) => (e instanceof Error ? e.message : String(e))),
      [],
      'no errors but the expected conflicts',
    )

    // Every acknowledged write is there, exactly once; the revision counts them all.
    let writes = 0
    for (let k = 0; k < CATALOGS; k++) {
      const id = catalogIds[k] as string
      const catalog = await setupDao.loadCatalog(id)
      assert.ok(catalog !== null)
      for (const client of clients) checkOwn(client, k, catalog)
      const log = logOf(catalog).toArray()
      const acknowledged = clients.flatMap((c) => c.appended[k] as EntityId[])
      assert.equal(
        log.length,
        acknowledged.length,
        'the log holds exactly the acknowledged appends',
      )
      assert.deepEqual([...log].sort(), [...acknowledged].sort())
      const full = stats.fullSaves[k] as number
      const partial = stats.partialWrites[k] as number
      writes += full + partial
      const revision = BigInt(1 + full + partial)
      assert.equal(
        await setupDao.catalogRevision(id),
        revision,
        'revision = 1 + acknowledged writes',
      )
      const rows = await sql<{
        revision: bigint
        operation: string
      }>`select revision, operation from catalog_revision where catalog_id = ${id}::uuid order by revision`.execute(
        raw(db.adapter),
      )
      assert.deepEqual(
        rows.rows.map((r) => r.revision),
        Array.from({ length: Number(revision) }, (_, i) => BigInt(i + 1)),
      )
      assert.equal(rows.rows.filter((r) => r.operation === 'partial').length, partial)
      assert.equal(rows.rows.filter((r) => r.operation !== 'partial').length, full + 1)
    }
    t.diagnostic(
      `${db.adapter.kind}: ${CLIENTS} clients, ${CATALOGS} catalogs, ${Math.round(elapsed)} ms: ` +
        `${writes} acknowledged writes (${stats.fullSaves.reduce((a, b) => a + b)} full saves, ` +
        `${stats.partialWrites.reduce((a, b) => a + b)} partial writes), ${stats.loads} loads, ` +
        `${stats.conflicts} conflicts retried, ${stats.gaveUp} saves gave up after 100 conflicts, ` +
        `0 updates lost, seed ${random.seed}`,
    )
  })
})

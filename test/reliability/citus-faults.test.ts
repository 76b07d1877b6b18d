/**
 * Faults of a distributed system on the real Citus cluster (issue 12): a worker stopped
 * (`pg_ctlcluster … stop -m immediate`) in the middle of a save of a catalog whose shard it
 * holds, and a catalog's shard group moved to the other worker (`citus_move_shard_placement`)
 * while clients read and write it. `CHEAP_TEST_CITUS_URL` names the coordinator.
 *
 * It stops a worker, so it must not run beside other Citus tests: scripts/test-files.sh leaves it
 * out of `npm test` and `.ci/run` runs it alone afterwards. The worker is always started again
 * (in a finally), and the throw-away schema is dropped: the cluster is left as it was found.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import pgDriver from 'pg'
import { isCheapError } from '../../src/errors.ts'
import { catalogDiff, type AspectDef, type Catalog } from '../../src/model/index.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import type { QueryLogEvent } from '../../src/persistence/connection/query-log.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { TABLE_NAMES, TABLES } from '../../src/persistence/schema/tables.ts'
import { randomSchemaName } from '../db/backends.ts'
import { bigCatalogDef, buildBigCatalog, editBigCatalog, sleep } from './support.ts'

const CITUS_URL = process.env['CHEAP_TEST_CITUS_URL']?.trim() || undefined
const PG_VERSION = process.env['CITUS_PG_VERSION'] ?? '15'
const CATALOG_TABLES = TABLE_NAMES.filter((name) => TABLES[name].group === 'catalog')
const SHARD_COUNT = 4
/** The worker clusters of ../shared/tools/citus-cluster, by port. */
const WORKER_CLUSTERS: Readonly<Record<number, string>> = { 5442: 'citus2', 5443: 'citus3' }
/**
 * The errors a client may see while a shard group moves and should simply retry: a CONFLICT
 * from the server (40001 serialization failure, 40P01 deadlock; not an optimistic-locking
 * conflict, which means someone else saved) and a lost CONNECTION. Anything else fails.
 */
const RETRYABLE = 'CONFLICT (40001, 40P01) and CONNECTION'

function retryable(error: unknown): boolean {
  if (isCheapError(error, 'CONNECTION')) return true
  if (!isCheapError(error, 'CONFLICT')) return false
  const code = (error.cause as { code?: unknown } | undefined)?.code
  return code === '40001' || code === '40P01'
}

if (CITUS_URL === undefined) {
  it('Citus: faults of a distributed system', {
    skip:
      'CHEAP_TEST_CITUS_URL is not set: no Citus coordinator to test against ' +
      '(.ci/run sets it when ../shared/tools/citus-cluster starts a cluster)',
  })
} else {
  const url: string = CITUS_URL
  describe('Citus: faults of a distributed system', () => {
    const schema = randomSchemaName('cheap_citus_faults')
    let adapter: PostgresAdapter
    let client: pgDriver.Client
    let dao: PostgresDao
    let def: AspectDef
    const statements: QueryLogEvent[] = []

    before(async () => {
      adapter = await PostgresAdapter.create(
        { connectionString: url },
        { schema, poolSize: 6, log: (event) => statements.push(event) },
      )
      client = new pgDriver.Client({ connectionString: url })
      await client.connect()
      await PostgresSchema.createSchema(adapter, { distribution: 'citus', shardCount: SHARD_COUNT })
      dao = new PostgresDao(adapter)
      def = bigCatalogDef('citus_faults')
    })
    after(async () => {
      try {
        // Whatever happened, both workers run again before the schema is dropped.
        for (const port of Object.keys(WORKER_CLUSTERS)) startWorker(Number(port))
        await waitForWorkers()
        await PostgresSchema.dropSchema(adapter)
      } finally {
        await adapter.close()
        await client.end()
      }
    })

    /** The port of the worker holding `table`'s shard of a catalog, and the shard's name. */
    async function placement(
      catalogId: string,
      table = 'catalog',
    ): Promise<{ port: number; shardId: string; shardName: string }> {
      const { rows } = await client.query<{ port: number; shardid: string; shard_name: string }>(
        `SELECT s.nodeport AS port, s.shardid::text AS shardid, s.shard_name::text AS shard_name
         FROM citus_shards s
         WHERE s.shardid = get_shard_id_for_distribution_column($1::regclass, $2::text)`,
        [`"${schema}"."${table}"`, catalogId],
      )
      const row = rows[0]
      assert.ok(row !== undefined && rows.length === 1, `no single placement for ${catalogId}`)
      return { port: row.port, shardId: row.shardid, shardName: row.shard_name }
    }

    /** Big catalogs until one lands on each worker. */
    async function catalogsPerWorker(entities: number): Promise<Map<number, Catalog>> {
      const found = new Map<number, Catalog>()
      for (let i = 0; i < 64 && found.size < 2; i++) {
        const catalog = buildBigCatalog(def, entities)
        const { port } = await placement(catalog.globalId)
        if (!found.has(port)) found.set(port, catalog)
      }
      assert.equal(found.size, 2, 'the shards do not cover both workers')
      return found
    }

    /** The stored catalog, with its revision: the one to edit and save again. */
    async function loaded(id: string): Promise<Catalog> {
      const catalog = await dao.loadCatalog(id)
      assert.ok(catalog !== null, `catalog ${id} is not stored`)
      return catalog
    }

    async function rowsOf(catalogId: string): Promise<number> {
      let total = 0
      for (const table of CATALOG_TABLES) {
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM "${schema}"."${table}" WHERE catalog_id = $1`,
          [catalogId],
        )
        total += Number(rows[0]?.n ?? 0)
      }
      return total
    }

    it('a worker stopped during a save of its catalog: the save fails with CONNECTION, nothing of it is visible after the restart, and a catalog on the other worker keeps loading', async (t) => {
      const [[victimPort, stored], [otherPort, other]] = [...(await catalogsPerWorker(400))] as [
        [number, Catalog],
        [number, Catalog],
      ]
      await dao.saveCatalog(stored)
      await dao.saveCatalog(other)
      const before = await rowsOf(stored.globalId)
      // A second, new catalog on the same worker: its save must leave no row at all.
      let fresh: Catalog | undefined
      for (let i = 0; i < 64 && fresh === undefined; i++) {
        const candidate = buildBigCatalog(def, 100)
        if ((await placement(candidate.globalId)).port === victimPort) fresh = candidate
      }
      assert.ok(fresh !== undefined)

      // The save is held in the middle of its transaction: a lock taken on the worker itself on
      // the catalog's shard of the tree-node table (written after the catalog row, entities and
      // aspects) makes it wait there, so the worker stops while the save is provably under way.
      const edited = await loaded(stored.globalId)
      editBigCatalog(edited, def, 1)
      const tree = await placement(stored.globalId, 'hierarchy_entity_tree_node')
      assert.equal(tree.port, victimPort)
      const locker = new pgDriver.Client({
        connectionString: `postgres://postgres@127.0.0.1:${victimPort}/postgres`,
      })
      locker.on('error', () => {})
      await locker.connect()
      let saving: Promise<unknown> | undefined
      try {
        // citus_shards names the shard with its schema.
        // Citus guards shards against direct statements unless told this one is on purpose.
        await locker.query('SET citus.enable_manual_changes_to_shards = on')
        await locker.query('BEGIN')
        await locker.query(`LOCK TABLE ${tree.shardName} IN SHARE MODE`)
        saving = dao.saveCatalog(edited).then(
          () => 'saved',
          (error: unknown) => error,
        )
        await waitFor(async () => {
          const { rows } = await locker.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM pg_locks
             WHERE NOT granted AND relation = $1::regclass`,
            [tree.shardName],
          )
          return rows[0]?.n !== '0'
        }, 'the save never reached the locked shard')
        stopWorker(victimPort)
        const error = await saving
        assert.ok(
          isCheapError(error, 'CONNECTION'),
          `the save did not fail with a CONNECTION error: ${String(error)}`,
        )
        // A save of the new catalog while the worker is down fails the same way.
        const down = await dao.saveCatalog(fresh).then(
          () => 'saved',
          (e: unknown) => e,
        )
        assert.ok(isCheapError(down, 'CONNECTION'), `saving to a stopped worker: ${String(down)}`)

        // Meanwhile the catalog on the other worker keeps loading, and finding its entities.
        assert.notEqual(otherPort, victimPort)
        assertSame(await dao.loadCatalog(other.globalId), other)
        assert.equal(await dao.catalogExists(other.globalId), true)
        // Saving it does not work yet: every save share-locks the AspectDef rows it writes for
        // (`FOR KEY SHARE` on aspect_def, docs/LOCKING.md), and aspect_def is a reference table,
        // whose row locks Citus takes on every node holding a copy, the stopped worker too.
        await t.test(
          'a catalog on the other worker keeps saving',
          {
            todo:
              'saves share-lock aspect_def, a reference table locked on every worker: a ' +
              'stopped worker stops every save (issue 12)',
          },
          async () => {
            statements.length = 0
            const otherEdited = await loaded(other.globalId)
            editBigCatalog(otherEdited, def, 2)
            try {
              assert.equal((await dao.saveCatalog(otherEdited)).unchanged, false)
            } catch (error) {
              const failed = statements.find((e) => e.level === 'error')
              throw new Error(
                `${String(error)}; the failing statement: ${failed?.sql.slice(0, 300) ?? '?'}`,
              )
            }
            assertSame(await dao.loadCatalog(other.globalId), otherEdited)
          },
        )
      } finally {
        await locker.end().catch(() => {})
        startWorker(victimPort)
        await waitForWorkers()
      }

      // Nothing of the failed saves is visible: the old version, row for row, and no new catalog.
      assertSame(await retry(() => dao.loadCatalog(stored.globalId)), stored)
      assert.equal(await rowsOf(stored.globalId), before)
      assert.equal(await dao.loadCatalog(fresh.globalId), null)
      assert.equal(await rowsOf(fresh.globalId), 0)
      // And the worker takes saves again.
      await dao.saveCatalog(edited)
      assertSame(await dao.loadCatalog(stored.globalId), edited)
    })

    it(`a shard group moved to the other worker while clients read and write it: no error but retryable ones (${RETRYABLE}), every catalog equal after`, async () => {
      const catalogs = [...(await catalogsPerWorker(200)).values()]
      for (const catalog of catalogs) await dao.saveCatalog(catalog)
      const moving = catalogs[0] as Catalog
      const from = await placement(moving.globalId)
      const to = Number(Object.keys(WORKER_CLUSTERS).find((p) => Number(p) !== from.port))

      // The last version each client saved, per catalog; clients edit only their own catalog.
      const latest = new Map(catalogs.map((c) => [c.globalId, c]))
      const retried: string[] = []
      let moved = false
      const client = async (catalog: Catalog, seed: number): Promise<number> => {
        let rounds = 0
        for (let round = 0; !moved || round < 2; round++) {
          let next: Catalog
          for (;;) {
            try {
              next = await loaded(catalog.globalId)
              break
            } catch (error) {
              if (!retryable(error)) throw error
              retried.push(String(error))
            }
          }
          editBigCatalog(next, def, seed * 1000 + round)
          for (;;) {
            try {
              await dao.saveCatalog(next)
              break
            } catch (error) {
              if (!retryable(error)) throw error
              retried.push(String(error))
              trace(String(error))
            }
          }
          const version = next
          latest.set(catalog.globalId, version)
          for (;;) {
            try {
              assertSame(await dao.loadCatalog(catalog.globalId), version)
              break
            } catch (error) {
              if (!retryable(error)) throw error
              retried.push(String(error))
              trace(String(error))
            }
          }
          rounds++
          trace(`client ${seed} round ${round}`)
        }
        return rounds
      }
      // A reader of the moving catalog besides its writer: it sees a catalog every time.
      const reader = async (): Promise<number> => {
        let reads = 0
        while (!moved) {
          try {
            assert.ok((await dao.loadCatalog(moving.globalId)) !== null)
            reads++
          } catch (error) {
            if (!retryable(error)) throw error
            retried.push(String(error))
          }
        }
        return reads
      }
      const running = [client(moving, 1), client(catalogs[1] as Catalog, 2)]
      const reading = reader()
      try {
        await sleep(200)
        trace(`moving shard ${from.shardId} from ${from.port} to ${to}`)
        const mover = new pgDriver.Client({ connectionString: url })
        await mover.connect()
        try {
          await mover.query(
            `SELECT citus_move_shard_placement($1::bigint, '127.0.0.1', $2::int, '127.0.0.1', $3::int,
               shard_transfer_mode => 'block_writes')`,
            [from.shardId, from.port, to],
          )
        } finally {
          await mover.end()
        }
        trace('moved')
      } finally {
        moved = true
      }
      const rounds = await Promise.all(running)
      assert.ok(rounds.every((n) => n >= 2))
      assert.ok((await reading) > 0)
      assert.equal((await placement(moving.globalId)).port, to)
      for (const table of CATALOG_TABLES) {
        assert.equal((await placement(moving.globalId, table)).port, to, `${table} did not move`)
      }
      for (const [id, version] of latest) assertSame(await dao.loadCatalog(id), version)
      if (retried.length > 0) console.log(`retried during the move: ${retried.join('; ')}`)
    })
  })
}

function stopWorker(port: number): void {
  const cluster = WORKER_CLUSTERS[port]
  assert.ok(cluster !== undefined, `no worker on port ${port}`)
  execFileSync('pg_ctlcluster', [PG_VERSION, cluster, 'stop', '-m', 'immediate'], {
    stdio: 'ignore',
  })
}

/** Starts a worker cluster; does nothing when it already runs. */
function startWorker(port: number): void {
  const cluster = WORKER_CLUSTERS[port]
  if (cluster === undefined) return
  try {
    execFileSync('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port)])
    return
  } catch {
    execFileSync('pg_ctlcluster', [PG_VERSION, cluster, 'start'], { stdio: 'ignore' })
  }
}

async function waitForWorkers(): Promise<void> {
  await waitFor(async () => {
    try {
      for (const port of Object.keys(WORKER_CLUSTERS)) {
        execFileSync('pg_isready', ['-q', '-h', '127.0.0.1', '-p', port])
      }
      return true
    } catch {
      return false
    }
  }, 'the workers did not come back')
}

async function waitFor(check: () => Promise<boolean>, why: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(why)
    await sleep(50)
  }
}

/**
 * The first statements after a worker restarts may still meet the coordinator's cached
 * connection to the dead server: a CONNECTION error, retried a few times.
 */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (attempt >= 5 || !isCheapError(error, 'CONNECTION')) throw error
      await sleep(200)
    }
  }
}

function assertSame(actual: Catalog | null, expected: Catalog): void {
  assert.ok(actual !== null, 'the catalog was not found')
  assert.equal(catalogDiff(actual, expected), undefined)
}

function trace(line: string): void {
  if (process.env['CHEAP_TEST_TRACE'] !== undefined) console.error(line)
}

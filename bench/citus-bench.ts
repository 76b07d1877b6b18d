import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'
import pgDriver from 'pg'
import { isCheapError } from '../src/errors.ts'
import type { Catalog } from '../src/model/catalog.ts'
import { buildSampleCatalog } from '../src/cli/sample-catalog.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'
import { TABLE_NAMES, TABLES } from '../src/persistence/schema/tables.ts'
import { measureLatency, type Latency } from './latency.ts'

/**
 * Issue 12's numbers: the same workload on a single PostgreSQL server and on a Citus cluster
 * (through its coordinator). One client saving and loading one catalog after another (latency),
 * then `clients` clients at once, each saving and then loading its own distinct catalogs
 * (throughput), and on the cluster how the stored rows spread over the workers.
 */
export interface CitusTargetResult {
  readonly target: 'single' | 'citus'
  readonly saveMs: Latency
  readonly loadMs: Latency
  readonly concurrent: {
    readonly clients: number
    readonly catalogs: number
    readonly savesPerSec: number
    readonly loadsPerSec: number
    readonly rowsSavedPerSec: number
    /** Saves retried after a CONFLICT (a deadlock or serialization failure). */
    readonly retries: number
  }
}

export interface CitusBenchResult {
  readonly entities: number
  readonly rowsPerCatalog: number
  readonly shardCount: number
  readonly targets: readonly CitusTargetResult[]
  /** Rows of the benchmark's schema per worker (counted on every shard), by "host:port". */
  readonly rowsPerWorker: Readonly<Record<string, number>>
  /** (max − min) / max of rowsPerWorker; the goal is ≤ 20%. */
  readonly imbalance: number
  /** Cluster p50 over single-node p50 for one catalog's save and load (> 1: slower). */
  readonly ratio: { readonly save: number; readonly load: number }
}

export interface CitusBenchOptions {
  readonly singleUrl: string
  readonly citusUrl: string
  readonly entities?: number
  readonly clients?: number
  readonly catalogsPerClient?: number
  readonly samples?: number
  readonly shardCount?: number
  readonly log?: (line: string) => void
}

const CATALOG_TABLES = TABLE_NAMES.filter((name) => TABLES[name].group === 'catalog')

export async function runCitusBench(options: CitusBenchOptions): Promise<CitusBenchResult> {
  const entities = options.entities ?? 50
  const clients = options.clients ?? 8
  const perClient = options.catalogsPerClient ?? 10
  const samples = options.samples ?? 30
  const shardCount = options.shardCount ?? 32
  const log = options.log ?? (() => {})
  const targets: CitusTargetResult[] = []
  let rowsPerWorker: Record<string, number> = {}
  let rowsPerCatalog = 0
  for (const target of ['single', 'citus'] as const) {
    const url = target === 'single' ? options.singleUrl : options.citusUrl
    const schema = `cheap_bench_citus_${randomBytes(4).toString('hex')}`
    const adapter = await PostgresAdapter.create(
      { connectionString: url },
      { schema, poolSize: clients },
    )
    try {
      await PostgresSchema.createSchema(
        adapter,
        target === 'citus' ? { distribution: 'citus', shardCount } : {},
      )
      const dao = new PostgresDao(adapter)
      const fresh = (i: number): Catalog =>
        buildSampleCatalog({ entities, namespace: `bench_citus_${i}` })
      // The definitions first, so every measured save writes only catalog rows.
      const first = fresh(0)
      rowsPerCatalog = (await dao.saveCatalog(first)).rowsWritten ?? 0
      const ids: string[] = []
      const saveMs = await measureLatency(samples, async () => {
        const catalog = fresh(2)
        ids.push(catalog.globalId)
        await dao.saveCatalog(catalog)
      })
      const loadMs = await measureLatency(samples, (i) =>
        dao.loadCatalog(ids[i % ids.length] as string),
      )
      log(
        `${target}: one catalog of ${entities} entities, save p50 ${saveMs.p50} ms, load p50 ${loadMs.p50} ms`,
      )
      const batches = Array.from({ length: clients }, (_, c) =>
        Array.from({ length: perClient }, (_, i) => fresh(100 + c * perClient + i)),
      )
      let retries = 0
      let started = performance.now()
      await Promise.all(
        batches.map(async (batch) => {
          for (const catalog of batch) {
            // Concurrent saves on Citus can deadlock on the reference table aspect_def (each
            // save share-locks its definitions' rows on every worker): retried, and counted.
            for (;;) {
              try {
                await dao.saveCatalog(catalog)
                break
              } catch (error) {
                if (!isCheapError(error, 'CONFLICT')) throw error
                retries++
              }
            }
          }
        }),
      )
      const saveSeconds = (performance.now() - started) / 1000
      started = performance.now()
      await Promise.all(
        batches.map(async (batch) => {
          for (const catalog of batch) await dao.loadCatalog(catalog.globalId)
        }),
      )
      const loadSeconds = (performance.now() - started) / 1000
      const catalogs = clients * perClient
      const concurrent = {
        clients,
        catalogs,
        savesPerSec: round(catalogs / saveSeconds),
        loadsPerSec: round(catalogs / loadSeconds),
        rowsSavedPerSec: round((catalogs * rowsPerCatalog) / saveSeconds),
        retries,
      }
      log(
        `${target}: ${clients} clients, ${catalogs} catalogs: ${concurrent.savesPerSec} saves/s, ${concurrent.loadsPerSec} loads/s`,
      )
      targets.push({ target, saveMs, loadMs, concurrent })
      if (target === 'citus') rowsPerWorker = await countPerWorker(url, schema)
    } finally {
      await PostgresSchema.dropSchema(adapter).catch(() => {})
      await adapter.close()
    }
  }
  const counts = Object.values(rowsPerWorker)
  const max = counts.reduce((a, b) => Math.max(a, b), -Infinity)
  const min = counts.reduce((a, b) => Math.min(a, b), Infinity)
  const [single, citus] = targets as [CitusTargetResult, CitusTargetResult]
  return {
    entities,
    rowsPerCatalog,
    shardCount,
    targets,
    rowsPerWorker,
    imbalance: max === 0 ? 0 : round((max - min) / max, 3),
    ratio: {
      save: round(citus.saveMs.p50 / single.saveMs.p50, 2),
      load: round(citus.loadMs.p50 / single.loadMs.p50, 2),
    },
  }
}

/** Counts every catalog-scoped table's rows on each shard, summed per worker. */
async function countPerWorker(url: string, schema: string): Promise<Record<string, number>> {
  const client = new pgDriver.Client({ connectionString: url })
  await client.connect()
  try {
    const perWorker: Record<string, number> = {}
    for (const table of CATALOG_TABLES) {
      const { rows } = await client.query<{ node: string; n: string }>(
        `SELECT s.nodename || ':' || s.nodeport AS node, sum(r.result::bigint)::text AS n
         FROM run_command_on_shards($1::regclass, 'SELECT count(*) FROM %s') r
         JOIN citus_shards s ON s.shardid = r.shardid
         WHERE r.success
         GROUP BY 1`,
        [`"${schema}"."${table}"`],
      )
      for (const row of rows) perWorker[row.node] = (perWorker[row.node] ?? 0) + Number(row.n)
    }
    return perWorker
  } finally {
    await client.end()
  }
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

export function citusReport(
  result: CitusBenchResult,
  info: { date: string; command: string; runtime: string },
): string {
  const lines = [
    `# cheap-db-postgres benchmark — single node against Citus, ${info.date}`,
    '',
    `Command: \`${info.command}\` on ${info.runtime}. One machine with two cores runs the single ` +
      'server, the Citus coordinator and both workers, so the cluster cannot be faster here: this ' +
      'measures what distribution costs, not what it gains.',
    '',
    `Catalogs of ${result.entities} entities (${result.rowsPerCatalog} rows each, the sample ` +
      `catalog); ${result.shardCount} shards.`,
    '',
    '| target | save p50 / p95 ms | load p50 / p95 ms | clients | catalogs | saves/s | loads/s | rows saved/s | saves retried |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...result.targets.map(
      (t) =>
        `| ${t.target} | ${t.saveMs.p50} / ${t.saveMs.p95} | ${t.loadMs.p50} / ${t.loadMs.p95} | ` +
        `${t.concurrent.clients} | ${t.concurrent.catalogs} | ${t.concurrent.savesPerSec} | ` +
        `${t.concurrent.loadsPerSec} | ${t.concurrent.rowsSavedPerSec} | ${t.concurrent.retries} |`,
    ),
    '',
    `Single-catalog ratio, cluster over single node (p50): save ${result.ratio.save}×, load ` +
      `${result.ratio.load}×.`,
    '',
    '| worker | rows |',
    '|---|---:|',
    ...Object.entries(result.rowsPerWorker)
      .sort()
      .map(([node, n]) => `| ${node} | ${n} |`),
    '',
    `Imbalance (max − min) / max: ${(result.imbalance * 100).toFixed(1)}% (goal ≤ 20%).`,
    '',
  ]
  return lines.join('\n')
}

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { catalogFromJson, catalogToJson } from '../json/index.ts'
import { catalogDiff } from '../model/equality.ts'
import { PostgresAdapter } from '../persistence/connection/adapter.ts'
import { PostgresDao } from '../persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../persistence/schema/postgres-schema.ts'
import { TABLE_NAMES, TABLES } from '../persistence/schema/tables.ts'
import { buildSampleCatalog } from './sample-catalog.ts'

export interface DemoOptions {
  /** A server to use; the embedded database (a temporary directory) when absent. */
  readonly url?: string | undefined
  readonly entities?: number
  readonly log?: (line: string) => void
}

export interface DemoResult {
  readonly equal: boolean
  readonly rowsByTable: Readonly<Record<string, number>>
  readonly timingsMs: Readonly<Record<string, number>>
}

/**
 * The main job end to end: create the schema, build a catalog that uses every type and
 * hierarchy, save it, load it through a fresh adapter, check equality, and report rows and
 * timings. On a server it works in a throw-away PostgreSQL schema and drops it afterwards.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line))
  const timings: Record<string, number> = {}
  const time = async <T>(label: string, work: () => Promise<T> | T): Promise<T> => {
    const started = performance.now()
    const result = await work()
    timings[label] = Math.round((performance.now() - started) * 10) / 10
    return result
  }
  const dataDir =
    options.url === undefined ? await mkdtemp(join(tmpdir(), 'cheap-demo-')) : undefined
  const schema = options.url === undefined ? 'public' : `cheap_demo_${process.pid}`
  const open = () =>
    options.url === undefined
      ? PostgresAdapter.embedded({ dataDir })
      : PostgresAdapter.create({ connectionString: options.url }, { schema })
  try {
    const first = await time('open database', open)
    log(`database: ${first.target}${options.url === undefined ? '' : ` (schema ${schema})`}`)
    let rowsByTable: Record<string, number> = {}
    const catalog = await time('build catalog', () =>
      buildSampleCatalog({ entities: options.entities ?? 2000, namespace: `demo${process.pid}` }),
    )
    try {
      await time('create schema', () => PostgresSchema.createSchema(first, { includeAudit: true }))
      const saved = await time('save catalog', () => new PostgresDao(first).saveCatalog(catalog))
      rowsByTable = await countRows(first, catalog.globalId)
      log(
        `saved catalog ${catalog.globalId} at revision ${saved.revision}: ${saved.rowsWritten} rows`,
      )
    } finally {
      await first.close()
    }
    const second = await time('reopen database', open)
    let equal = false
    try {
      const loaded = await time('load catalog', () =>
        new PostgresDao(second).loadCatalog(catalog.globalId),
      )
      const diff = loaded === null ? 'the catalog was not found' : catalogDiff(loaded, catalog)
      equal = diff === undefined
      log(
        equal
          ? 'loaded through a fresh adapter: equal to the saved catalog'
          : `loaded catalog differs: ${diff}`,
      )
      const json = await time('write JSON', () => catalogToJson(catalog, { pretty: true }))
      const back = await time('read JSON', () => catalogFromJson(json))
      const jsonDiff = catalogDiff(back, catalog)
      equal &&= jsonDiff === undefined
      log(
        jsonDiff === undefined
          ? `JSON (${json.length} characters): read back equal`
          : `JSON read back differs: ${jsonDiff}`,
      )
      if (options.url !== undefined) await PostgresSchema.dropSchema(second)
    } finally {
      await second.close()
    }
    log('rows per table:')
    for (const [table, n] of Object.entries(rowsByTable))
      if (n > 0) log(`  ${table.padEnd(28)} ${n}`)
    log('timings (ms):')
    for (const [label, ms] of Object.entries(timings)) log(`  ${label.padEnd(28)} ${ms}`)
    log(equal ? 'demo OK' : 'demo FAILED')
    return { equal, rowsByTable, timingsMs: timings }
  } finally {
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  }
}

async function countRows(
  adapter: PostgresAdapter,
  catalogId: string,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const table of TABLE_NAMES.filter((t) => TABLES[t].group === 'catalog')) {
    const result = await sql<{
      n: bigint
    }>`select count(*) as n from ${sql.id(table)} where catalog_id = ${catalogId}::uuid`.execute(
      adapter.db,
    )
    counts[table] = Number(result.rows[0]?.n ?? 0n)
  }
  return counts
}

/**
 * Where the small-catalog path stops paying (SMALL_SAVE_ROWS, SMALL_LOAD_ROWS in
 * src/persistence/dao/options.ts): saves and loads of catalogs of growing size by both
 * paths, interleaved so a busy machine weighs on both alike. Medians of `--samples` each.
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/small-threshold.ts [--entities 10,50,100,150,200,400] [--samples 15]
 *   (without DATABASE_URL: embedded PGlite)
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import type { SmallCatalogPath } from '../src/persistence/dao/options.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'
import { smallCatalog, smallCatalogDefs } from './small-catalogs.ts'

const { values } = parseArgs({
  options: {
    entities: { type: 'string', default: '10,50,100,150,200,400' },
    samples: { type: 'string', default: '15' },
  },
})
const url = process.env['DATABASE_URL'] === '' ? undefined : process.env['DATABASE_URL']
const adapter =
  url === undefined
    ? await PostgresAdapter.embedded()
    : await PostgresAdapter.create(
        { connectionString: url },
        { schema: `cheap_bench_threshold_${process.pid}`, poolSize: 2 },
      )
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
try {
  await PostgresSchema.createSchema(adapter, { includeAudit: true })
  const defs = smallCatalogDefs(`threshold${process.pid}`)
  const paths: SmallCatalogPath[] = ['always', 'never']
  const daos = new Map(paths.map((p) => [p, new PostgresDao(adapter, { smallCatalogs: p })]))
  console.log('| entities | rows | save small / bulk ms | load small / bulk ms |')
  console.log('|---:|---:|---:|---:|')
  for (const n of values.entities.split(',').map(Number)) {
    const times = new Map(paths.map((p) => [p, { save: [] as number[], load: [] as number[] }]))
    let rows = 0
    for (let i = 0; i < Number(values.samples) + 2; i++) {
      for (const path of paths) {
        const dao = daos.get(path) as PostgresDao
        const catalog = smallCatalog(defs, n, i)
        let t = performance.now()
        rows = (await dao.saveCatalog(catalog)).rowsWritten
        const save = performance.now() - t
        t = performance.now()
        await dao.loadCatalog(catalog.globalId)
        const load = performance.now() - t
        if (i < 2) continue // warm-up
        times.get(path)?.save.push(save)
        times.get(path)?.load.push(load)
      }
    }
    const s = times.get('always') as { save: number[]; load: number[] }
    const b = times.get('never') as { save: number[]; load: number[] }
    console.log(
      `| ${n} | ${rows} | ${median(s.save).toFixed(1)} / ${median(b.save).toFixed(1)} | ${median(s.load).toFixed(1)} / ${median(b.load).toFixed(1)} |`,
    )
  }
} finally {
  if (url !== undefined) await PostgresSchema.dropSchema(adapter).catch(() => undefined)
  await adapter.close()
}

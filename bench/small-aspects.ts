/**
 * Where the few-aspects path of loadAspects/upsertAspects stops paying (SMALL_ASPECT_LOAD_IDS,
 * SMALL_ASPECT_UPSERTS in src/persistence/dao/options.ts): calls of 1, 10, 100, 1,000
 * aspects by both paths (`smallCatalogs: 'always'` / `'never'`), interleaved so a busy machine
 * weighs on both alike, on one catalog (audit columns on). Per call: a load of n ids, an upsert
 * replacing n stored aspects (new values), an upsert appending n new ones. Medians, and p50/p95
 * for the sizes with `--p95-samples` (one aspect by default).
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/small-aspects.ts [--sizes 1,10,100,1000] [--samples 15] [--p95-samples 200] [--entities 2000]
 *   (without DATABASE_URL: embedded PGlite)
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { createAspect } from '../src/model/aspect.ts'
import { newEntityId, type EntityId } from '../src/model/entity.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import type { SmallCatalogPath } from '../src/persistence/dao/options.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'
import { smallCatalog, smallCatalogDefs } from './small-catalogs.ts'

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1,10,100,1000' },
    samples: { type: 'string', default: '15' },
    'p95-samples': { type: 'string', default: '200' },
    'p95-sizes': { type: 'string', default: '1' },
    entities: { type: 'string', default: '2000' },
  },
})
const url = process.env['DATABASE_URL'] === '' ? undefined : process.env['DATABASE_URL']
const adapter =
  url === undefined
    ? await PostgresAdapter.embedded()
    : await PostgresAdapter.create(
        { connectionString: url },
        { schema: `cheap_bench_aspects_${process.pid}`, poolSize: 2 },
      )
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const pct = (xs: number[], p: number) =>
  sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0
try {
  await PostgresSchema.createSchema(adapter, { includeAudit: true })
  const defs = smallCatalogDefs(`aspects${process.pid}`)
  const catalog = smallCatalog(defs, Number(values.entities), 0)
  const c = catalog.globalId
  const ids = [...(catalog.aspects(defs.session.name)?.entityIds() ?? [])] as EntityId[]
  const paths: SmallCatalogPath[] = ['always', 'never']
  const daos = new Map(paths.map((p) => [p, new PostgresDao(adapter, { smallCatalogs: p })]))
  await (daos.get('never') as PostgresDao).saveCatalog(catalog)
  const session = (id: EntityId, k: number) =>
    createAspect(defs.session, id, {
      user: `user-${k}`,
      started: null,
      requests: BigInt(k),
      tags: ['web', `k${k % 5}`],
    })
  let round = 0
  /** One sample of each call for n aspects by `path`: [load, replace, append] ms. */
  const sample = async (path: SmallCatalogPath, n: number): Promise<number[]> => {
    const dao = daos.get(path) as PostgresDao
    round++
    const start = (round * 7919) % Math.max(1, ids.length - n)
    const some = ids.slice(start, start + n)
    let t = performance.now()
    await dao.loadAspects(c, defs.session, some)
    const load = performance.now() - t
    const replaced = some.map((id) => session(id, round))
    t = performance.now()
    await dao.upsertAspects(c, defs.session, replaced)
    const replace = performance.now() - t
    const added = Array.from({ length: n }, () => session(newEntityId(), round))
    t = performance.now()
    await dao.upsertAspects(c, defs.session, added)
    const append = performance.now() - t
    return [load, replace, append]
  }
  const p95Sizes = new Set(values['p95-sizes'].split(',').map(Number))
  console.log(
    '| aspects | load small / set-based ms | replace small / set-based ms | append small / set-based ms |',
  )
  console.log('|---:|---:|---:|---:|')
  const tails: string[] = []
  for (const n of values.sizes.split(',').map(Number)) {
    const count = p95Sizes.has(n) ? Number(values['p95-samples']) : Number(values.samples)
    const times = new Map(paths.map((p) => [p, [[], [], []] as number[][]]))
    for (let i = 0; i < count + 2; i++) {
      for (const path of i % 2 === 0 ? paths : [...paths].reverse()) {
        const got = await sample(path, n)
        if (i < 2) continue // warm-up
        got.forEach((ms, k) => times.get(path)?.[k]?.push(ms))
      }
    }
    const s = times.get('always') as number[][]
    const b = times.get('never') as number[][]
    const cell = (k: number) =>
      `${pct(s[k] as number[], 0.5).toFixed(2)} / ${pct(b[k] as number[], 0.5).toFixed(2)}`
    console.log(`| ${n} | ${cell(0)} | ${cell(1)} | ${cell(2)} |`)
    if (p95Sizes.has(n)) {
      const tail = (k: number, xs: number[][]) =>
        `${pct(xs[k] as number[], 0.5).toFixed(2)} / ${pct(xs[k] as number[], 0.95).toFixed(2)}`
      for (const [name, xs] of [
        ['small', s],
        ['set-based', b],
      ] as const) {
        tails.push(`| ${n} | ${name} | ${tail(0, xs)} | ${tail(1, xs)} | ${tail(2, xs)} |`)
      }
    }
  }
  if (tails.length > 0) {
    console.log(
      '\n| aspects | path | load p50 / p95 ms | replace p50 / p95 ms | append p50 / p95 ms |',
    )
    console.log('|---:|---|---:|---:|---:|')
    for (const line of tails) console.log(line)
  }
} finally {
  if (url !== undefined) await PostgresSchema.dropSchema(adapter).catch(() => undefined)
  await adapter.close()
}

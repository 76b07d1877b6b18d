/**
 * Query and dedicated-table benchmark.
 *
 *   node --import tsx bench/query-bench.ts [--url URL] [--aspects 100000] [--runs 30]
 *
 * Builds one catalog of N aspects of an AspectDef stored in the generic value tables and one of
 * N aspects of an identical AspectDef mapped to a dedicated table; times their save and load;
 * then times `findEntities` queries (p50/p95 over `--runs` runs after warm-up) on both, before and
 * after `indexProperty` on the queried properties. Prints Markdown tables and writes
 * `bench/results/query-<date>-<backend>.json`. Without `--url` it runs on in-memory PGlite; with
 * it, in a throw-away schema of that server (dropped at the end).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DateTime } from 'luxon'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  toEntityId,
  type Catalog,
} from '../src/model/index.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import type { Predicate, WhereBuilder } from '../src/persistence/query/predicate.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    aspects: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '30' },
  },
})
const N = Number(args.aspects)
const RUNS = Number(args.runs)
if (!Number.isInteger(N) || N < 1000 || !Number.isInteger(RUNS) || RUNS < 1) {
  throw new Error('--aspects must be an integer ≥ 1000 and --runs ≥ 1')
}

function personDef(name: string) {
  return createAspectDef({
    name,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'age', type: 'INT' }),
      createPropertyDef({ name: 'score', type: 'FLT' }),
      createPropertyDef({ name: 'city', type: 'STR' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
      createPropertyDef({ name: 'born', type: 'DAT' }),
      createPropertyDef({ name: 'active', type: 'BLN' }),
    ],
  })
}
type Person = ReturnType<typeof personDef>

/** A small deterministic generator, so both catalogs hold the same data. */
function lcg(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

function fill(catalog: Catalog, def: Person): void {
  const next = lcg(42)
  const map = catalog.extend(def)
  const base = DateTime.fromISO('1950-01-01T00:00:00Z', { setZone: true })
  for (let i = 0; i < N; i++) {
    const id = toEntityId(`00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`)
    map.add(
      createAspect(def, id, {
        name: `person ${i}`,
        age: BigInt(Math.floor(next() * 100)),
        score: next(),
        city: `city ${Math.floor(next() * 1000)}`,
        tags: [`tag ${Math.floor(next() * 500)}`, `tag ${Math.floor(next() * 500)}`],
        born: base.plus({ days: Math.floor(next() * 25_000) }),
        active: next() < 0.5,
      }),
    )
  }
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}

async function time<T>(action: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now()
  const result = await action()
  return { ms: round(performance.now() - started), result }
}

interface Latency {
  readonly p50: number
  readonly p95: number
  readonly results: number
}

async function latency(run: () => Promise<readonly unknown[]>): Promise<Latency> {
  let results = 0
  for (let i = 0; i < Math.min(3, RUNS); i++) results = (await run()).length
  const samples: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    await run()
    samples.push(performance.now() - started)
  }
  samples.sort((a, b) => a - b)
  return { p50: round(percentile(samples, 0.5)), p95: round(percentile(samples, 0.95)), results }
}

interface QuerySpec {
  readonly title: string
  readonly where: (p: WhereBuilder<Person>) => Predicate
  readonly orderBy?: { readonly property: 'age' | 'score'; readonly direction: 'asc' | 'desc' }
  readonly limit?: number
  readonly select?: 'aspects'
}

const QUERIES: readonly QuerySpec[] = [
  { title: "name = 'person 4242' (1 row)", where: (p) => p('name').eq('person 4242') },
  {
    title: "age = 42 and city = 'city 7'",
    where: (p) => p.and(p('age').eq(42n), p('city').eq('city 7')),
  },
  { title: "city startsWith 'city 12' (~1%)", where: (p) => p('city').startsWith('city 12') },
  { title: "tags contains 'tag 7' (~0.4%)", where: (p) => p('tags').contains('tag 7') },
  { title: 'score > 0.999 (~0.1%)', where: (p) => p('score').gt(0.999) },
  {
    title: 'age >= 90, orderBy score desc, limit 50',
    where: (p) => p('age').ge(90n),
    orderBy: { property: 'score', direction: 'desc' },
    limit: 50,
  },
  {
    title: "city = 'city 7', select aspects (~100)",
    where: (p) => p('city').eq('city 7'),
    select: 'aspects',
  },
]
const INDEXED = ['name', 'age', 'city', 'tags', 'score'] as const

async function main(): Promise<void> {
  const backend = args.url === undefined ? 'pglite' : 'pg'
  const schema = `cheap_qbench_${randomBytes(4).toString('hex')}`
  const adapter =
    args.url === undefined
      ? await PostgresAdapter.embedded()
      : await PostgresAdapter.create({ connectionString: args.url }, { schema, poolSize: 2 })
  try {
    await PostgresSchema.createSchema(adapter)
    const dao = new PostgresDao(adapter)
    const version = (await adapter.healthCheck()).serverVersion
    console.error(`backend ${backend} (${version}), ${N} aspects per catalog, ${RUNS} runs`)

    const generic = personDef('bench.person.generic')
    const dedicated = personDef('bench.person.dedicated')
    const catalogs = { generic: createCatalog(), dedicated: createCatalog() }
    fill(catalogs.generic, generic)
    fill(catalogs.dedicated, dedicated)
    await dao.mapAspectDef(dedicated, { table: 'bench_person' })

    const saveLoad: Record<string, { saveMs: number; loadMs: number; aspectsPerSecond: number }> =
      {}
    for (const [label, catalog] of Object.entries(catalogs)) {
      const save = await time(() => dao.saveCatalog(catalog))
      const load = await time(() => new PostgresDao(adapter).loadCatalog(catalog.globalId))
      saveLoad[label] = {
        saveMs: save.ms,
        loadMs: load.ms,
        aspectsPerSecond: Math.round((N * 1000) / save.ms),
      }
      console.error(`${label}: save ${save.ms} ms, load ${load.ms} ms`)
    }
    await adapter.execScript('analyze')

    const sources = [
      ['generic', generic, catalogs.generic],
      ['dedicated', dedicated, catalogs.dedicated],
    ] as const
    const results: Record<string, Record<string, Latency & { indexUsed?: boolean }>> = {}
    const runQueries = async (phase: 'noIndex' | 'indexed', indexes: ReadonlySet<string>) => {
      for (const [label, def, catalog] of sources) {
        for (const q of QUERIES) {
          const options = {
            ...(q.orderBy === undefined ? {} : { orderBy: q.orderBy }),
            limit: q.limit ?? 10_000,
          }
          const run =
            q.select === 'aspects'
              ? () =>
                  dao.findEntities(catalog.globalId, def, q.where, {
                    ...options,
                    select: 'aspects',
                  })
              : () => dao.findEntities(catalog.globalId, def, q.where, options)
          const measured = await latency(run)
          const key = `${label}/${phase}`
          results[key] ??= {}
          const plan =
            phase === 'indexed'
              ? await dao.explainFindEntities(catalog.globalId, def, q.where, options)
              : ''
          results[key][q.title] = {
            ...measured,
            ...(phase === 'indexed'
              ? { indexUsed: [...indexes].some((name) => plan.includes(name)) }
              : {}),
          }
          console.error(
            `${key} ${q.title}: p50 ${measured.p50} ms, p95 ${measured.p95} ms (${measured.results} rows)`,
          )
        }
      }
    }
    await runQueries('noIndex', new Set())
    const indexes = new Set<string>()
    const indexMs: Record<string, number> = {}
    for (const [label, def] of sources) {
      for (const property of INDEXED) {
        const made = await time(() => dao.indexProperty(def.name, property))
        indexes.add(made.result.indexName)
        indexMs[`${label}.${property}`] = made.ms
      }
    }
    await adapter.execScript('analyze')
    await runQueries('indexed', indexes)

    const lines: string[] = []
    lines.push(
      `### Queries: ${backend} (${version}), ${N.toLocaleString('en')} aspects, ${RUNS} runs, p50 / p95 ms`,
    )
    lines.push('')
    lines.push('| query | generic | generic + index | dedicated | dedicated + index | rows |')
    lines.push('|---|---:|---:|---:|---:|---:|')
    for (const q of QUERIES) {
      const cell = (key: string) => {
        const r = results[key]?.[q.title]
        if (r === undefined) return '–'
        return `${r.p50} / ${r.p95}${r.indexUsed === false ? ' (no index)' : ''}`
      }
      const rows = results['generic/noIndex']?.[q.title]?.results ?? 0
      lines.push(
        `| ${q.title} | ${cell('generic/noIndex')} | ${cell('generic/indexed')} | ${cell('dedicated/noIndex')} | ${cell('dedicated/indexed')} | ${rows} |`,
      )
    }
    lines.push('')
    lines.push(
      `### Save and load of ${N.toLocaleString('en')} aspects (7 properties, one multivalued)`,
    )
    lines.push('')
    lines.push('| storage | save ms | aspects/s saved | load ms |')
    lines.push('|---|---:|---:|---:|')
    for (const [label, r] of Object.entries(saveLoad)) {
      lines.push(
        `| ${label} | ${r.saveMs} | ${r.aspectsPerSecond.toLocaleString('en')} | ${r.loadMs} |`,
      )
    }
    const markdown = lines.join('\n')
    console.log(markdown)

    const here = dirname(fileURLToPath(import.meta.url))
    const date = new Date().toISOString().slice(0, 10)
    const file = join(here, 'results', `query-${date}-${backend}.json`)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(
      file,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          backend,
          serverVersion: version,
          node: process.version,
          aspects: N,
          runs: RUNS,
          saveLoad,
          indexBuildMs: indexMs,
          queries: results,
          markdown,
        },
        null,
        2,
      )}\n`,
    )
    console.error(`wrote ${file}`)
  } finally {
    if (args.url !== undefined) await PostgresSchema.dropSchema(adapter).catch(() => {})
    await adapter.close()
  }
}

await main()

/**
 * Full-text search and aspects-as-JSON benchmark.
 *
 *   node --import tsx bench/full-text-json.ts [--url URL] [--aspects 100000] [--runs 30]
 *
 * Builds one catalog of N aspects in the generic value tables and one of N aspects of an
 * identical AspectDef mapped to a dedicated table (titles and tag lists of English words); makes
 * the full-text GIN indexes with `indexProperty(…, { fullText })`; shows the plan of an indexed
 * `matches` query (it must name the index); times `findEntities` with `matches` (p50/p95 over
 * `--runs` runs after warm-up); and times `cheap_aspects_json` (dao.aspectsJson) against
 * `loadAspects` for the same rows (the whole map). Prints Markdown and writes
 * `bench/results/fts-json-<date>-<backend>.json`. Without `--url` it runs on in-memory PGlite;
 * with it, in a throw-away schema of that server (dropped at the end).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
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
import { latencyOf, round } from './latency.ts'

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

function docDef(name: string) {
  return createAspectDef({
    name,
    properties: [
      createPropertyDef({ name: 'title', type: 'STR' }),
      createPropertyDef({ name: 'body', type: 'TXT' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
      createPropertyDef({ name: 'year', type: 'INT' }),
    ],
  })
}
type Doc = ReturnType<typeof docDef>

// 400 words: 'w0'…'w399' would not stem; real English forms do, so the index holds stems.
const STEMS = [
  'run',
  'jump',
  'walk',
  'talk',
  'build',
  'paint',
  'write',
  'read',
  'cook',
  'play',
  'sing',
  'dance',
  'swim',
  'climb',
  'drive',
  'fly',
  'sail',
  'plant',
  'grow',
  'teach',
]
const WORDS = STEMS.flatMap((s) => [s, `${s}s`, `${s}er`, `${s}ing`]).flatMap((w) =>
  ['red', 'blue', 'green', 'old', 'new'].map((a) => `${a} ${w}`),
)

function lcg(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

function fill(catalog: Catalog, def: Doc): void {
  const next = lcg(7)
  const pick = () => WORDS[Math.floor(next() * WORDS.length)] as string
  const map = catalog.extend(def)
  for (let i = 0; i < N; i++) {
    const id = toEntityId(`00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`)
    map.add(
      createAspect(def, id, {
        // One title in 10,000 holds the rare word: an indexed query finds ~N/10,000 rows.
        title: `${pick()} ${pick()} ${i % 10_000 === 17 ? 'zeppelins' : pick()} number ${i}`,
        body: `the ${pick()} and the ${pick()} of ${pick()}, ${pick()} and ${pick()}`,
        tags: [pick(), pick(), ...(i % 10_000 === 33 ? ['kayaking'] : [])],
        year: BigInt(1900 + (i % 125)),
      }),
    )
  }
}

async function time<T>(action: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now()
  const result = await action()
  return { ms: round(performance.now() - started), result }
}

async function latency(
  run: () => Promise<readonly unknown[]>,
  runs = RUNS,
): Promise<{ p50: number; p95: number; results: number }> {
  let results = 0
  for (let i = 0; i < Math.min(3, runs); i++) results = (await run()).length
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await run()
    samples.push(performance.now() - started)
  }
  const { p50, p95 } = latencyOf(samples)
  return { p50, p95, results }
}

const QUERIES: readonly {
  title: string
  where: (p: WhereBuilder<Doc>) => Predicate
  relevance?: boolean
}[] = [
  {
    title: "title matches 'zeppelin' (rare, N/10,000 rows)",
    where: (p) => p('title').matches('zeppelin'),
  },
  {
    title: 'title matches \'"green painting" zeppelin\' (phrase + word)',
    where: (p) => p('title').matches('"green painting" zeppelin'),
  },
  { title: "tags matches 'kayak' (list, rare)", where: (p) => p('tags').matches('kayak') },
  {
    title: "title matches 'zeppelin', orderBy relevance",
    where: (p) => p('title').matches('zeppelin'),
    relevance: true,
  },
]

async function main(): Promise<void> {
  const backend = args.url === undefined ? 'pglite' : 'pg'
  const schema = `cheap_ftsbench_${randomBytes(4).toString('hex')}`
  const adapter =
    args.url === undefined
      ? await PostgresAdapter.embedded()
      : await PostgresAdapter.create({ connectionString: args.url }, { schema, poolSize: 2 })
  try {
    await PostgresSchema.createSchema(adapter)
    const dao = new PostgresDao(adapter)
    const version = (await adapter.healthCheck()).serverVersion
    console.error(`backend ${backend} (${version}), ${N} aspects per catalog, ${RUNS} runs`)
    const defs = { generic: docDef('bench.doc.generic'), dedicated: docDef('bench.doc.dedicated') }
    const catalogs = { generic: createCatalog(), dedicated: createCatalog() }
    fill(catalogs.generic, defs.generic)
    fill(catalogs.dedicated, defs.dedicated)
    await dao.mapAspectDef(defs.dedicated, { table: 'bench_doc' })
    const lines: string[] = []
    const results: Record<string, unknown> = {}
    for (const source of ['generic', 'dedicated'] as const) {
      const def = defs[source]
      const catalog = catalogs[source]
      const saved = await time(() => dao.saveCatalog(catalog))
      const indexed = await time(async () => {
        const title = await dao.indexProperty(def.name, 'title', { fullText: {} })
        const tags = await dao.indexProperty(def.name, 'tags', { fullText: {} })
        return [title.indexName, tags.indexName]
      })
      await adapter.execScript('analyze')
      const plan = await dao.explainFindEntities(
        catalog.globalId,
        def,
        (p) => p('title').matches('zeppelin'),
        { analyze: true },
      )
      const usesIndex = plan.includes(indexed.result[0] as string)
      const queries: Record<string, unknown> = {}
      lines.push(
        `### ${source} (${N.toLocaleString('en')} aspects; save ${Math.round(saved.ms)} ms, full-text indexes ${Math.round(indexed.ms)} ms)`,
        '',
        `Plan of \`title matches 'zeppelin'\` (EXPLAIN ANALYZE) names the GIN index: **${usesIndex ? 'yes' : 'NO'}**`,
        '',
        '```',
        plan,
        '```',
        '',
        '| query | rows | p50 ms | p95 ms |',
        '| --- | ---: | ---: | ---: |',
      )
      for (const q of QUERIES) {
        const l = await latency(() =>
          dao.findEntities(
            catalog.globalId,
            def,
            q.where,
            q.relevance === true ? { orderBy: { relevance: true } } : {},
          ),
        )
        queries[q.title] = l
        lines.push(`| ${q.title} | ${l.results} | ${l.p50} | ${l.p95} |`)
      }
      // The whole map, both ways: model aspects (loadAspects) and JSONB (cheap_aspects_json).
      const ids = [...catalog.extend(def).aspects()].map((a) => a.entityId)
      const jsonRuns = Math.max(3, Math.min(RUNS, 5))
      const load = await latency(
        async () => [...(await dao.loadAspects(catalog.globalId, def, ids)).values()],
        jsonRuns,
      )
      const json = await latency(() => dao.aspectsJson(catalog.globalId, def), jsonRuns)
      queries['loadAspects (all)'] = load
      queries['aspectsJson (all)'] = json
      lines.push(
        '',
        `| whole map (${N.toLocaleString('en')} aspects) | p50 ms | p95 ms | aspects/s (p50) |`,
        '| --- | ---: | ---: | ---: |',
        `| loadAspects | ${load.p50} | ${load.p95} | ${Math.round((N / load.p50) * 1000).toLocaleString('en')} |`,
        `| cheap_aspects_json (dao.aspectsJson) | ${json.p50} | ${json.p95} | ${Math.round((N / json.p50) * 1000).toLocaleString('en')} |`,
        '',
      )
      results[source] = { saveMs: saved.ms, indexMs: indexed.ms, usesIndex, plan, queries }
    }
    const markdown = lines.join('\n')
    console.log(markdown)
    const here = dirname(fileURLToPath(import.meta.url))
    const date = new Date().toISOString().slice(0, 10)
    const file = join(here, 'results', `fts-json-${date}-${backend}.json`)
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
          results,
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

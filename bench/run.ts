import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { currentRuntime } from '../src/cli/runtime.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import { citusReport, runCitusBench } from './citus-bench.ts'
import { markdownReport, shapesReport, smallReport, svgChart, type RunInfo } from './report.ts'
import { runBench } from './run-bench.ts'
import { runShapes, type ShapeResult } from './shape-bench.ts'
import { parseShapes, SHAPES } from './shapes.ts'
import { measureSmallCatalogs, type SmallCatalogResult } from './small-catalogs.ts'

// npm run bench -- [--entities 1000,10000,100000] [--url postgres://…] [--samples 200] [--out bench/results]
//                  [--small-catalogs 300] (0 skips issue #16's many-small-catalogs workload)
//                  [--shapes all|none|sample,audit,strings,wide,manydefs,multivalued] (issue #20's
//                  shapes with the JSONB and dedicated-table stores beside them; default none)
//                  [--citus postgres://…coordinator] (issue 12: only the single-node-against-Citus
//                  run, 8 clients on distinct catalogs; the single node is --url, else DATABASE_URL,
//                  else postgres://postgres@127.0.0.1:5432/test; sizes --citus-entities 100 and
//                  --citus-catalogs 10 per client)
const { values } = parseArgs({
  options: {
    entities: { type: 'string', default: '1000,10000,100000' },
    url: { type: 'string' },
    samples: { type: 'string', default: '200' },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
    'small-catalogs': { type: 'string', default: '300' },
    shapes: { type: 'string', default: 'none' },
    citus: { type: 'string' },
    'citus-entities': { type: 'string', default: '100' },
    'citus-catalogs': { type: 'string', default: '10' },
  },
})
if (values.citus !== undefined) {
  const singleUrl =
    values.url || process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/test'
  const entities = Number(values['citus-entities'])
  const perClient = Number(values['citus-catalogs'])
  const result = await runCitusBench({
    singleUrl,
    citusUrl: values.citus,
    entities,
    catalogsPerClient: perClient,
    log: (line) => console.log(line),
  })
  const date = new Date().toISOString().slice(0, 10)
  const info = {
    date,
    runtime: currentRuntime().label,
    command: `npm run bench -- --citus <coordinator> --citus-entities ${entities} --citus-catalogs ${perClient}`,
  }
  await mkdir(values.out, { recursive: true })
  const base = join(values.out, `citus-${date}`)
  await writeFile(`${base}.json`, `${JSON.stringify({ ...info, ...result }, null, 2)}\n`)
  const report = citusReport(result, info)
  await writeFile(`${base}.md`, report)
  console.log(report)
  console.log(`wrote ${base}.json and ${base}.md`)
  process.exit(0)
}
const url =
  values.url ?? (process.env['DATABASE_URL'] === '' ? undefined : process.env['DATABASE_URL'])
const sizes = values.entities.split(',').map((s) => Number(s.trim()))
if (sizes.some((n) => !Number.isInteger(n) || n < 10))
  throw new Error(`--entities takes integers ≥ 10, got ${values.entities}`)
const shapes = parseShapes(values.shapes)

const probe =
  url === undefined
    ? await PostgresAdapter.embedded()
    : await PostgresAdapter.create({ connectionString: url })
const health = await probe.healthCheck()
await probe.close()
const backend = url === undefined ? 'pglite' : 'pg'
const runtime = currentRuntime()
const info: RunInfo = {
  date: new Date().toISOString().slice(0, 10),
  backend,
  serverVersion: health.serverVersion,
  runtime: runtime.label,
  command: `npm run bench -- --entities ${sizes.join(',')}${
    shapes.length === 0
      ? ''
      : ` --shapes ${shapes.length === SHAPES.length ? 'all' : shapes.join(',')}`
  }${url === undefined ? '' : ' --url <server>'}`,
}
console.log(
  `benchmark on ${backend} (${health.serverVersion}), ${runtime.label}, sizes ${sizes.join(', ')}`,
)
const results = await runBench({
  url,
  sizes,
  samples: Number(values.samples),
  log: (line) => console.log(line),
  onProgress: (label) => {
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K… ${label}`)
  },
})
if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K')
// Many small catalogs: the small-catalog path and the bulk path in the same run, on this backend
// and (for a server run) on PGlite beside it.
const smallCount = Number(values['small-catalogs'])
const small: SmallCatalogResult[] = []
if (smallCount > 0) {
  for (const on of url === undefined ? [undefined] : [url, undefined]) {
    const measured = await measureSmallCatalogs({
      url: on,
      catalogs: smallCount,
      paths: ['auto', 'never'],
      log: (line) => console.log(line),
    })
    for (const result of measured) small.push(result)
  }
}
// Issue #20's shapes, each with its JSONB and dedicated-table comparison stores.
let shaped: ShapeResult[] = []
if (shapes.length > 0) {
  shaped = await runShapes({
    url,
    shapes,
    sizes,
    log: (line) => console.log(line),
    onProgress: (label) => {
      if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K… ${label}`)
    },
  })
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K')
}
await mkdir(values.out, { recursive: true })
// Node's results keep their historical name; other runtimes' sit beside them, named.
const base = join(
  values.out,
  `${info.date}-${backend}${runtime.name === 'node' ? '' : `-${runtime.name}`}`,
)
await writeFile(
  `${base}.json`,
  `${JSON.stringify({ ...info, results, small, shapes: shaped }, null, 2)}\n`,
)
const report = markdownReport(info, results) + smallReport(small) + shapesReport(shaped)
await writeFile(`${base}.md`, report)
await writeFile(`${base}.svg`, svgChart(info, results))
console.log(report)
console.log(`wrote ${base}.json, ${base}.md and ${base}.svg`)

import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { typeScriptCommand } from '../src/cli/runtime.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'
import { openTarget, type BenchTarget } from './open-backend.ts'

// npm run bench:scale -- [--entities 10000,100000,300000,1000000] [--url postgres://…] [--out bench/results]
//
// Save and load at growing sizes, each in a fresh process (time and peak RSS), to show the cost
// per stored row stays flat: the per-row cost at each size is reported against the one at 100k.
const run = promisify(execFile)
const { values } = parseArgs({
  options: {
    entities: { type: 'string', default: '10000,100000,300000,1000000' },
    url: { type: 'string' },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
  },
})
const url =
  values.url ?? (process.env['DATABASE_URL'] === '' ? undefined : process.env['DATABASE_URL'])
const sizes = values.entities.split(',').map((s) => Number(s.trim()))
if (sizes.some((n) => !Number.isInteger(n) || n < 100))
  throw new Error(`--entities takes integers ≥ 100, got ${values.entities}`)
const backend = url === undefined ? 'pglite' : 'pg'

interface ScaleRow {
  readonly entities: number
  readonly rows: number
  readonly saveMs: number
  readonly saveRssMb: number
  readonly loadMs: number
  readonly loadRssMb: number
  readonly error?: string
}

async function child(script: string, args: readonly string[]): Promise<Record<string, unknown>> {
  const child = typeScriptCommand(join(import.meta.dirname, script), args, {
    nodeOptions: ['--max-old-space-size=16384'],
  })
  const { stdout } = await run(child.command, [...child.args], {
    maxBuffer: 1 << 24,
    env: { ...process.env, TZ: 'UTC' },
  })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
}

async function measure(entities: number): Promise<ScaleRow> {
  const dataDir = url === undefined ? await mkdtemp(join(tmpdir(), 'cheap-scale-')) : undefined
  const target: BenchTarget = { url, dataDir, schema: `cheap_scale_${process.pid}_${entities}` }
  try {
    const saved = await child('scale-save-child.ts', [JSON.stringify(target), String(entities)])
    const loaded = await child('load-child.ts', [
      JSON.stringify(target),
      String(saved['catalogId']),
    ])
    if (loaded['found'] !== true) throw new Error('the saved catalog did not load')
    return {
      entities,
      rows: Number(saved['rows']),
      saveMs: Number(saved['saveMs']),
      saveRssMb: Number(saved['maxRssMb']),
      loadMs: Number(loaded['loadMs']),
      loadRssMb: Number(loaded['maxRssMb']),
    }
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    const last =
      text
        .trim()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .at(-1) ?? text
    return { entities, rows: 0, saveMs: 0, saveRssMb: 0, loadMs: 0, loadRssMb: 0, error: last }
  } finally {
    if (url !== undefined) {
      const adapter = await openTarget(target)
      await PostgresSchema.dropSchema(adapter).finally(() => adapter.close())
    }
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  }
}

const probe =
  url === undefined
    ? await PostgresAdapter.embedded()
    : await PostgresAdapter.create({ connectionString: url })
const health = await probe.healthCheck()
await probe.close()
console.log(`scale run on ${backend} (${health.serverVersion}), sizes ${sizes.join(', ')}`)
const rows: ScaleRow[] = []
for (const n of sizes) {
  const row = await measure(n)
  rows.push(row)
  console.log(JSON.stringify(row))
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const perRow = (ms: number, rowCount: number) => (ms * 1000) / rowCount
const reference = rows.find((r) => r.entities === 100_000 && r.error === undefined)
const lines = [
  `# cheap-db-postgres scale run — ${backend} (${health.serverVersion}), ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Command: \`npm run bench:scale -- --entities ${sizes.join(',')}${url === undefined ? '' : ' --url <server>'}\` on Node ${process.version}. ` +
    'The benchmark catalog plus a list and a set of every entity, a tree of 100 folders × N/100 leaves and a tree N/100 levels deep (at most 10,000). ' +
    'Save and load each run in a fresh process; peak RSS is that process’s. µs/row is per stored row; "vs 100k" compares it with the 100,000-entity run.',
  '',
  '| entities | stored rows | save | save µs/row | vs 100k | save peak RSS | load | load µs/row | vs 100k | load peak RSS |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => {
    if (r.error !== undefined)
      return `| ${fmt(r.entities)} | failed: ${r.error.replaceAll('|', '\\|')} ||||||||`
    const save = perRow(r.saveMs, r.rows)
    const load = perRow(r.loadMs, r.rows)
    const vs = (v: number, ref: number | undefined) =>
      ref === undefined ? '-' : `${fmt((v / ref) * 100)}%`
    return (
      `| ${fmt(r.entities)} | ${fmt(r.rows)} | ${fmt(r.saveMs / 1000, 1)} s | ${fmt(save, 2)} | ` +
      `${vs(save, reference && perRow(reference.saveMs, reference.rows))} | ${fmt(r.saveRssMb)} MB | ` +
      `${fmt(r.loadMs / 1000, 1)} s | ${fmt(load, 2)} | ` +
      `${vs(load, reference && perRow(reference.loadMs, reference.rows))} | ${fmt(r.loadRssMb)} MB |`
    )
  }),
  '',
]
await mkdir(values.out, { recursive: true })
const base = join(values.out, `scale-${new Date().toISOString().slice(0, 10)}-${backend}`)
await writeFile(
  `${base}.json`,
  `${JSON.stringify({ backend, server: health.serverVersion, rows }, null, 2)}\n`,
)
await writeFile(`${base}.md`, lines.join('\n'))
console.log(lines.join('\n'))
console.log(`wrote ${base}.json and ${base}.md`)

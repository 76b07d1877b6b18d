import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { typeScriptCommand } from '../src/cli/runtime.ts'
import { buildSampleCatalog } from '../src/cli/sample-catalog.ts'
import { Aspect } from '../src/model/aspect.ts'
import type { AspectMap } from '../src/model/hierarchy/aspect-map.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'
import { measureBaseline, type BaselineResult } from './baseline.ts'
import { measureLatency, round, type Latency } from './latency.ts'
import { openTarget, type BenchTarget } from './open-backend.ts'

const run = promisify(execFile)

export interface SizeResult {
  readonly entities: number
  readonly storedRows: number
  readonly values: number
  readonly saveMs: number
  readonly saveRowsPerSec: number
  readonly loadMs: number
  readonly loadRowsPerSec: number
  readonly loadPeakRssMb: number
  readonly incremental: {
    readonly changedAspects: number
    readonly ms: number
    readonly rowsWritten: number
    readonly shareOfFullSave: number
  }
  readonly loadAspectLatencyMs: Latency
  readonly upsertAspectLatencyMs: Latency
  readonly baseline: BaselineResult
  readonly ratios: {
    readonly saveVsCopy: number | null
    readonly saveVsUnnest: number
    readonly loadVsSelect: number
  }
}

export interface BenchOptions {
  readonly url?: string | undefined
  readonly sizes: readonly number[]
  readonly samples: number
  readonly log: (line: string) => void
  readonly onProgress?: (label: string) => void
}

/** Counts stored property values (multivalued elements count one each). */
export function countValues(catalogAspects: Iterable<AspectMap>): number {
  let n = 0
  for (const map of catalogAspects) {
    for (const aspect of map.aspects()) {
      for (const value of Aspect.stored(aspect).values())
        n += Array.isArray(value) ? value.length : 1
    }
  }
  return n
}

async function measureSize(entities: number, options: BenchOptions): Promise<SizeResult> {
  const dataDir =
    options.url === undefined ? await mkdtemp(join(tmpdir(), 'cheap-bench-')) : undefined
  const target: BenchTarget = {
    url: options.url,
    dataDir,
    schema: `cheap_bench_${process.pid}_${entities}`,
  }
  const progress = options.onProgress ?? (() => undefined)
  try {
    progress(`N=${entities}: building the catalog`)
    const catalog = buildSampleCatalog({ entities, namespace: `bench${process.pid}n${entities}` })
    const maps = [...catalog.hierarchies()].filter((h): h is AspectMap => h.type === 'AM')
    const values = countValues(maps)
    let adapter = await openTarget(target)
    await PostgresSchema.createSchema(adapter)
    progress(`N=${entities}: full save`)
    let started = performance.now()
    const saved = await new PostgresDao(adapter).saveCatalog(catalog)
    const saveMs = performance.now() - started
    progress(`N=${entities}: baseline COPY / unnest / SELECT of ${saved.rowsWritten} rows`)
    const baseline = await measureBaseline(adapter, saved.rowsWritten)
    await adapter.close()

    progress(`N=${entities}: full load in a fresh process`)
    // On the runtime that runs the benchmark: Node through tsx, Bun and Deno natively.
    const loader = typeScriptCommand(join(import.meta.dirname, 'load-child.ts'), [
      JSON.stringify(target),
      catalog.globalId,
    ])
    const child = await run(loader.command, [...loader.args], {
      maxBuffer: 1 << 24,
      env: { ...process.env, TZ: 'UTC' },
    })
    const loadStats = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
      loadMs: number
      maxRssMb: number
    }

    adapter = await openTarget(target)
    const dao = new PostgresDao(adapter)
    const loaded = await dao.loadCatalog(catalog.globalId)
    if (loaded === null) throw new Error('the saved catalog did not load')
    const person = [...loaded.hierarchies()].find(
      (h): h is AspectMap => h.type === 'AM' && h.name.endsWith('.person'),
    )
    if (person === undefined) throw new Error('no person aspect map')
    const changed = Math.max(1, Math.round(person.size / 1000))
    let i = 0
    for (const aspect of person.aspects()) {
      if (i++ % Math.floor(person.size / changed) !== 0) continue
      aspect.set('height', 2.5)
    }
    progress(`N=${entities}: incremental re-save of ${changed} aspects`)
    started = performance.now()
    const incremental = await dao.saveCatalog(loaded)
    const incrementalMs = performance.now() - started

    progress(`N=${entities}: single-aspect latency`)
    const ids = [...person.entityIds()]
    const defName = person.aspectDef.name
    const pick = (k: number) => ids[(k * 7919) % ids.length] as string
    const loadAspectLatencyMs = await measureLatency(options.samples, (k) =>
      dao.loadAspects(catalog.globalId, defName, [pick(k)]),
    )
    const upsertAspectLatencyMs = await measureLatency(options.samples, async (k) => {
      const aspect = person.get(pick(k))
      if (aspect === undefined) return
      aspect.set('age', BigInt(k))
      await dao.upsertAspects(catalog.globalId, defName, [aspect])
    })
    if (options.url !== undefined) await PostgresSchema.dropSchema(adapter)
    await adapter.close()

    const saveRowsPerSec = saved.rowsWritten / (saveMs / 1000)
    const loadRowsPerSec = saved.rowsWritten / (loadStats.loadMs / 1000)
    return {
      entities,
      storedRows: saved.rowsWritten,
      values,
      saveMs: round(saveMs),
      saveRowsPerSec: Math.round(saveRowsPerSec),
      loadMs: round(loadStats.loadMs),
      loadRowsPerSec: Math.round(loadRowsPerSec),
      loadPeakRssMb: Math.round(loadStats.maxRssMb),
      incremental: {
        changedAspects: changed,
        ms: round(incrementalMs),
        rowsWritten: incremental.rowsWritten,
        shareOfFullSave: round(incrementalMs / saveMs, 4),
      },
      loadAspectLatencyMs,
      upsertAspectLatencyMs,
      baseline: {
        ...baseline,
        copyRowsPerSec:
          baseline.copyRowsPerSec === null ? null : Math.round(baseline.copyRowsPerSec),
        unnestRowsPerSec: Math.round(baseline.unnestRowsPerSec),
        selectRowsPerSec: Math.round(baseline.selectRowsPerSec),
      },
      ratios: {
        saveVsCopy:
          baseline.copyRowsPerSec === null
            ? null
            : round(saveRowsPerSec / baseline.copyRowsPerSec, 3),
        saveVsUnnest: round(saveRowsPerSec / baseline.unnestRowsPerSec, 3),
        loadVsSelect: round(loadRowsPerSec / baseline.selectRowsPerSec, 3),
      },
    }
  } finally {
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  }
}

/** Runs the whole benchmark for each size and returns one result per size. */
export async function runBench(options: BenchOptions): Promise<SizeResult[]> {
  const results: SizeResult[] = []
  for (const entities of options.sizes) {
    const result = await measureSize(entities, options)
    options.log(
      `N=${entities}: ${result.storedRows} rows; save ${result.saveRowsPerSec} rows/s (${result.ratios.saveVsCopy ?? '-'} of COPY, ${result.ratios.saveVsUnnest} of unnest); load ${result.loadRowsPerSec} rows/s (${result.ratios.loadVsSelect} of SELECT), peak RSS ${result.loadPeakRssMb} MB; incremental ${result.incremental.ms} ms (${round(result.incremental.shareOfFullSave * 100)}% of full save); loadAspects p95 ${result.loadAspectLatencyMs.p95} ms, upsertAspects p95 ${result.upsertAspectLatencyMs.p95} ms`,
    )
    results.push(result)
  }
  return results
}

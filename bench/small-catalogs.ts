import { performance } from 'node:perf_hooks'
import { DateTime } from 'luxon'
import { createAspect } from '../src/model/aspect.ts'
import { createAspectDef, type AspectDef } from '../src/model/aspect-def.ts'
import { createCatalog, type Catalog } from '../src/model/catalog.ts'
import { newEntityId } from '../src/model/entity.ts'
import { createPropertyDef } from '../src/model/property-def.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import type { SmallCatalogPath } from '../src/persistence/dao/options.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'
import { latencyOf, type Latency } from './latency.ts'

/**
 * Issue #16's workload: many small catalogs (a catalog per session, per document, per user),
 * each of 10 entities with two AspectDefs, an entity list, set, directory and tree, saved one
 * after another as new catalogs and loaded back; then 8 clients on distinct catalogs at once.
 */
export interface SmallCatalogResult {
  readonly backend: 'pg' | 'pglite'
  readonly path: SmallCatalogPath
  readonly catalogs: number
  readonly entities: number
  /** Rows one catalog stores (as `rowsWritten` counts them). */
  readonly rowsPerCatalog: number
  readonly saveMs: Latency
  readonly loadMs: Latency
  /** 8 concurrent clients, each saving then loading its own catalogs. */
  readonly concurrent: {
    readonly clients: number
    readonly savesPerSec: number
    readonly loadsPerSec: number
  }
  /** `new PostgresDao(adapter)` plus its first call (a load), on a warm adapter; ms. */
  readonly newDaoFirstCallMs: Latency
}

export interface SmallCatalogOptions {
  readonly url?: string | undefined
  readonly catalogs?: number
  readonly entities?: number
  readonly clients?: number
  /** Audit columns and triggers on (the seeds' setting), default true. */
  readonly audit?: boolean
  readonly paths: readonly SmallCatalogPath[]
  readonly log?: (line: string) => void
}

export function smallCatalogDefs(ns: string): { session: AspectDef; note: AspectDef } {
  const session = createAspectDef({
    name: `com.example.${ns}.session`,
    properties: [
      createPropertyDef({ name: 'user', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'started', type: 'DAT' }),
      createPropertyDef({ name: 'requests', type: 'INT' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
    ],
  })
  const note = createAspectDef({
    name: `com.example.${ns}.note`,
    properties: [
      createPropertyDef({ name: 'title', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'body', type: 'TXT' }),
      createPropertyDef({ name: 'score', type: 'FLT' }),
      createPropertyDef({ name: 'pinned', type: 'BLN', defaultValue: false }),
    ],
  })
  return { session, note }
}

/** One small catalog of `n` entities: two AspectMaps, a list, a set, a directory and a tree. */
export function smallCatalog(
  defs: { session: AspectDef; note: AspectDef },
  n: number,
  k: number,
): Catalog {
  const catalog = createCatalog()
  const sessions = catalog.extend(defs.session)
  const notes = catalog.extend(defs.note)
  const ids = Array.from({ length: n }, () => newEntityId())
  const at = DateTime.fromISO('2026-12-04T10:00:00Z', { setZone: true })
  ids.forEach((id, i) => {
    sessions.add(
      createAspect(defs.session, id, {
        user: `user-${k}-${i}`,
        started: at.plus({ minutes: i }),
        requests: BigInt(i * 7),
        tags: ['web', `t${i % 3}`],
      }),
    )
    if (i % 2 === 0)
      notes.add(
        createAspect(defs.note, id, { title: `note ${i}`, body: 'x'.repeat(40), score: i / 3 }),
      )
  })
  catalog.createEntityList('recent').addAll(ids.slice(0, Math.ceil(n / 2)))
  catalog.createEntitySet('flagged').addAll(ids.filter((_, i) => i % 3 === 0))
  catalog
    .createEntityDirectory('by-user')
    .setAll(ids.map((id, i) => [`user-${k}-${i}`, id] as [string, typeof id]))
  const tree = catalog.createEntityTree('folders', { rootEntityId: ids[0] ?? null })
  const folder = tree.root.addChild('inbox')
  ids.slice(1).forEach((id, i) => folder.addChild(`item-${i}`, { entityId: id, isLeaf: true }))
  return catalog
}

async function timeEach<T>(
  items: readonly T[],
  op: (item: T) => Promise<unknown>,
): Promise<number[]> {
  const times: number[] = []
  for (const item of items) {
    const started = performance.now()
    await op(item)
    times.push(performance.now() - started)
  }
  return times
}

/**
 * Runs the workload for each path on one adapter (a server schema of its own, or a fresh
 * PGlite): sequential saves and loads interleaved catalog by catalog, then per path 8 clients at
 * once and `new PostgresDao(adapter)` + a first load.
 */
export async function measureSmallCatalogs(
  options: SmallCatalogOptions,
): Promise<SmallCatalogResult[]> {
  const n = options.entities ?? 10
  const count = options.catalogs ?? 300
  const clients = options.clients ?? 8
  const schema = `cheap_bench_small_${process.pid}`
  const adapter =
    options.url === undefined
      ? await PostgresAdapter.embedded()
      : await PostgresAdapter.create(
          { connectionString: options.url },
          { schema, poolSize: clients + 2 },
        )
  const log = options.log ?? (() => undefined)
  try {
    await PostgresSchema.createSchema(adapter, { includeAudit: options.audit ?? true })
    const defs = smallCatalogDefs(`small${process.pid}`)
    const results: SmallCatalogResult[] = []
    const daos = options.paths.map((path) => new PostgresDao(adapter, { smallCatalogs: path }))
    // Warm-up: the defs stored, caches and pool filled, on every path.
    for (const dao of daos) {
      for (let k = 0; k < 20; k++) {
        const c = smallCatalog(defs, n, k)
        await dao.saveCatalog(c)
        await dao.loadCatalog(c.globalId)
      }
    }
    // Sequential saves and loads, the paths taking turns catalog by catalog: a machine busy with
    // other work weighs on every path alike.
    const catalogs = options.paths.map(() =>
      Array.from({ length: count }, (_, k) => smallCatalog(defs, n, k)),
    )
    const saves = options.paths.map(() => [] as number[])
    const loads = options.paths.map(() => [] as number[])
    let rowsPerCatalog = 0
    for (let k = 0; k < count; k++) {
      for (const [p, dao] of daos.entries()) {
        const c = catalogs[p]?.[k] as Catalog
        const started = performance.now()
        rowsPerCatalog = (await dao.saveCatalog(c)).rowsWritten
        saves[p]?.push(performance.now() - started)
      }
    }
    for (let k = 0; k < count; k++) {
      for (const [p, dao] of daos.entries()) {
        const c = catalogs[p]?.[k] as Catalog
        const started = performance.now()
        await dao.loadCatalog(c.globalId)
        loads[p]?.push(performance.now() - started)
      }
    }
    for (const [p, path] of options.paths.entries()) {
      const perClient = Math.max(1, Math.floor(count / clients))
      const batches = Array.from({ length: clients }, (_, w) =>
        Array.from({ length: perClient }, (_, k) => smallCatalog(defs, n, w * perClient + k)),
      )
      let started = performance.now()
      await Promise.all(
        batches.map(async (batch) => {
          const mine = new PostgresDao(adapter, { smallCatalogs: path })
          for (const c of batch) await mine.saveCatalog(c)
        }),
      )
      const savesPerSec = (clients * perClient) / ((performance.now() - started) / 1000)
      started = performance.now()
      await Promise.all(
        batches.map(async (batch) => {
          const mine = new PostgresDao(adapter, { smallCatalogs: path })
          for (const c of batch) await mine.loadCatalog(c.globalId)
        }),
      )
      const loadsPerSec = (clients * perClient) / ((performance.now() - started) / 1000)
      const fresh = await timeEach((catalogs[p] ?? []).slice(0, 100), async (c) => {
        await new PostgresDao(adapter, { smallCatalogs: path }).loadCatalog(c.globalId)
      })
      const result: SmallCatalogResult = {
        backend: adapter.kind,
        path,
        catalogs: count,
        entities: n,
        rowsPerCatalog,
        saveMs: latencyOf(saves[p] ?? []),
        loadMs: latencyOf(loads[p] ?? []),
        concurrent: {
          clients,
          savesPerSec: Math.round(savesPerSec),
          loadsPerSec: Math.round(loadsPerSec),
        },
        newDaoFirstCallMs: latencyOf(fresh),
      }
      log(
        `small catalogs (${adapter.kind}, path ${path}): ${count} × ${n} entities (${rowsPerCatalog} rows each): save p50/p95 ${result.saveMs.p50}/${result.saveMs.p95} ms, load p50/p95 ${result.loadMs.p50}/${result.loadMs.p95} ms; ${clients} clients ${result.concurrent.savesPerSec} saves/s, ${result.concurrent.loadsPerSec} loads/s; new dao + first load p50/p95 ${result.newDaoFirstCallMs.p50}/${result.newDaoFirstCallMs.p95} ms`,
      )
      results.push(result)
    }
    return results
  } finally {
    if (options.url !== undefined) await PostgresSchema.dropSchema(adapter).catch(() => undefined)
    await adapter.close()
  }
}

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { sql, type Kysely } from 'kysely'
import { DateTime } from 'luxon'
import { Aspect } from '../src/model/aspect.ts'
import { createCatalog, type Catalog } from '../src/model/catalog.ts'
import type { AspectMap } from '../src/model/hierarchy/aspect-map.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import type { EmbeddedPglite } from '../src/persistence/connection/pglite-backend.ts'
import { preparePgliteRuntime } from '../src/persistence/connection/pglite-runtime.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'
import { copyLine } from '../src/persistence/store/copy-text.ts'
import { measureBaseline, type BaselineResult } from './baseline.ts'
import { round } from './latency.ts'
import { countValues } from './run-bench.ts'
import { SHAPE_SPECS, type ShapeName } from './shapes.ts'

/** One shape at one N: the library's generic tables, and the two comparison stores. */
export interface ShapeResult {
  readonly shape: ShapeName
  readonly entities: number
  readonly audit: boolean
  readonly aspects: number
  readonly storedRows: number
  /** Stored property values (multivalued elements count one each). */
  readonly values: number
  readonly saveMs: number
  readonly loadMs: number
  readonly saveRowsPerSec: number
  readonly saveValuesPerSec: number
  readonly loadRowsPerSec: number
  readonly loadValuesPerSec: number
  /** Growth of the schema's tables (pg_total_relation_size: heap, TOAST, indexes) by the save. */
  readonly bytes: number | null
  readonly bytesPerValue: number | null
  /** PostgreSQL's ceiling for the same row count (bench/baseline.ts). */
  readonly baseline: BaselineResult
  readonly ratios: {
    readonly saveVsCopy: number | null
    readonly saveVsUnnest: number
    readonly loadVsSelect: number
  }
  /** One JSONB document per aspect, same keys; aspects only (no hierarchies). */
  readonly jsonb: {
    readonly method: 'copy' | 'unnest'
    readonly rows: number
    readonly saveMs: number
    readonly loadMs: number
    readonly bytes: number | null
    readonly bytesPerValue: number | null
    /** Our save time / the JSONB store's save time (issue #20's target: ≤ 8). */
    readonly saveFactor: number
    readonly loadFactor: number
  }
  /** The same catalog after `dao.mapAspectDef` of each of its AspectDefs. */
  readonly dedicated: {
    readonly tables: number
    readonly mapMs: number
    readonly saveMs: number
    readonly loadMs: number
    readonly storedRows: number
    readonly bytes: number | null
    readonly bytesPerValue: number | null
    /** Dedicated time / generic time (below 1: the dedicated tables are faster). */
    readonly saveVsGeneric: number
    readonly loadVsGeneric: number
  }
}

export interface ShapeBenchOptions {
  readonly url?: string | undefined
  readonly shapes: readonly ShapeName[]
  readonly sizes: readonly number[]
  readonly log: (line: string) => void
  readonly onProgress?: (label: string) => void
}

const JSONB_TABLE = 'bench_jsonb'
const EXCLUDED = ['bench_jsonb', 'bench_baseline']

/** Bytes of the current schema's tables with their TOAST and indexes; null when unsupported. */
async function schemaBytes(db: Kysely<unknown>): Promise<number | null> {
  try {
    const { rows } = await sql<{ bytes: string | null }>`
      select sum(pg_total_relation_size(c.oid))::text as bytes
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r'
        and c.relname <> all(${EXCLUDED}::text[])`.execute(db)
    return Number(rows[0]?.bytes ?? 0)
  } catch {
    return null
  }
}

async function tableBytes(db: Kysely<unknown>, table: string): Promise<number | null> {
  try {
    const { rows } = await sql<{
      bytes: string
    }>`select pg_total_relation_size(${table}::regclass)::text as bytes`.execute(db)
    return Number(rows[0]?.bytes ?? 0)
  } catch {
    return null
  }
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
)

function jsonScalar(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : value.toString()
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (value instanceof DateTime) return value.toISO()
  if (value instanceof Uint8Array) {
    let hex = ''
    for (const byte of value) hex += HEX[byte] ?? ''
    return hex
  }
  return value
}

/** The aspect's stored values as one JSON document (what a document store would keep). */
function jsonDocument(aspect: Aspect): string {
  const doc: Record<string, unknown> = {}
  for (const [name, value] of Aspect.stored(aspect)) {
    doc[name] = Array.isArray(value)
      ? (value as readonly unknown[]).map(jsonScalar)
      : jsonScalar(value)
  }
  return JSON.stringify(doc)
}

function* jsonRows(maps: readonly AspectMap[]): Generator<[string, string, string]> {
  for (const map of maps) {
    const defId = map.aspectDef.globalId
    for (const aspect of map.aspects()) yield [defId, aspect.entityId, jsonDocument(aspect)]
  }
}

/** Saves one JSONB row per aspect (COPY on a server, 10,000-row `unnest` on PGlite), reads it back. */
async function measureJsonb(
  adapter: PostgresAdapter,
  catalogId: string,
  maps: readonly AspectMap[],
): Promise<{
  method: 'copy' | 'unnest'
  rows: number
  saveMs: number
  loadMs: number
  bytes: number | null
}> {
  const db = adapter.db as unknown as Kysely<unknown>
  await sql`drop table if exists ${sql.id(JSONB_TABLE)}`.execute(db)
  await sql`create table ${sql.id(JSONB_TABLE)} (catalog_id uuid, aspect_def_id uuid, entity_id uuid, doc jsonb, primary key (catalog_id, aspect_def_id, entity_id))`.execute(
    db,
  )
  let rows = 0
  const started = performance.now()
  const method = await adapter.withConnection(async (connection) => {
    const copyIn = connection.copyIn
    if (copyIn === undefined) return 'unnest' as const
    await connection.db.transaction().execute(async () => {
      const lines = function* (): Generator<string> {
        for (const row of jsonRows(maps)) {
          rows++
          yield copyLine(catalogId, row, 3)
        }
      }
      await copyIn(JSONB_TABLE, ['catalog_id', 'aspect_def_id', 'entity_id', 'doc'], lines())
    })
    return 'copy' as const
  })
  if (method === 'unnest') {
    await db.transaction().execute(async (trx) => {
      let defs: string[] = []
      let entities: string[] = []
      let docs: string[] = []
      const flush = async () => {
        if (defs.length === 0) return
        await sql`insert into ${sql.id(JSONB_TABLE)} select ${catalogId}::uuid, * from unnest(${defs}::uuid[], ${entities}::uuid[], ${docs}::jsonb[])`.execute(
          trx,
        )
        rows += defs.length
        defs = []
        entities = []
        docs = []
      }
      for (const [def, entity, doc] of jsonRows(maps)) {
        defs.push(def)
        entities.push(entity)
        docs.push(doc)
        if (defs.length === 10_000) await flush()
      }
      await flush()
    })
  }
  const saveMs = performance.now() - started
  const readStarted = performance.now()
  const read =
    await sql`select aspect_def_id, entity_id, doc from ${sql.id(JSONB_TABLE)} where catalog_id = ${catalogId}::uuid`.execute(
      db,
    )
  const loadMs = performance.now() - readStarted
  if (read.rows.length !== rows) throw new Error(`JSONB store read ${read.rows.length} of ${rows}`)
  const bytes = await tableBytes(db, JSONB_TABLE)
  await sql`drop table ${sql.id(JSONB_TABLE)}`.execute(db)
  return { method, rows, saveMs, loadMs, bytes }
}

function aspectMaps(catalog: Catalog): AspectMap[] {
  return [...catalog.hierarchies()].filter((h): h is AspectMap => h.type === 'AM')
}

const perSec = (count: number, ms: number) => Math.round(count / (ms / 1000))
const perValue = (bytes: number | null, values: number) =>
  bytes === null || values === 0 ? null : round(bytes / values, 1)
const grown = (before: number | null, after: number | null) =>
  before === null || after === null ? null : after - before

/**
 * One PGlite database (a data directory on disk, as the main benchmark's) shared by every shape,
 * each in its own schema: opening a new data directory takes seconds. Its adapters' `close()`
 * leaves it open; {@link runShapes} closes it at the end.
 */
interface SharedPglite {
  readonly pglite: EmbeddedPglite
  /** Forgets the last adapter's prepared statements (their names would clash in the next). */
  readonly reset: () => Promise<void>
  readonly close: () => Promise<void>
}

async function sharedPglite(dataDir: string): Promise<SharedPglite> {
  await preparePgliteRuntime()
  const { PGlite: Pglite } = await import('@electric-sql/pglite')
  const instance = new Pglite(dataDir)
  const pglite = new Proxy(instance, {
    get(target, property) {
      if (property === 'close') return () => Promise.resolve()
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value
    },
  })
  return {
    pglite,
    reset: async () => {
      await instance.exec('DEALLOCATE ALL')
    },
    close: () => instance.close(),
  }
}

/**
 * Stores the AspectDefs (and warms the connection) by saving an empty catalog that uses them,
 * before either store's timed save: both then measure the catalog's data only.
 */
async function storeDefs(
  adapter: PostgresAdapter,
  maps: readonly AspectMap[],
  ns: string,
): Promise<void> {
  const defsOnly = createCatalog({ species: 'SINK', uri: `https://example.com/${ns}/defs` })
  for (const map of maps) defsOnly.extend(map.aspectDef)
  await new PostgresDao(adapter).saveCatalog(defsOnly)
}

/**
 * Runs `work` on a fresh schema (audit columns as the shape says), then drops it. On PGlite the
 * schemas share one instance, one adapter at a time (`search_path` is the session's).
 */
async function inSchema<T>(
  schema: string,
  audit: boolean,
  options: ShapeBenchOptions,
  shared: SharedPglite | undefined,
  work: (adapter: PostgresAdapter, db: Kysely<unknown>) => Promise<T>,
): Promise<T> {
  const adapter =
    options.url === undefined
      ? await PostgresAdapter.embedded({ pglite: shared?.pglite, schema })
      : await PostgresAdapter.create({ connectionString: options.url }, { schema, poolSize: 2 })
  try {
    await PostgresSchema.createSchema(adapter, { includeAudit: audit })
    const result = await work(adapter, adapter.db as unknown as Kysely<unknown>)
    await PostgresSchema.dropSchema(adapter)
    return result
  } finally {
    await adapter.close()
    await shared?.reset()
  }
}

async function measureShape(
  shape: ShapeName,
  entities: number,
  options: ShapeBenchOptions,
  shared: SharedPglite | undefined,
): Promise<ShapeResult> {
  const spec = SHAPE_SPECS[shape]
  const schema = `cheap_shape_${process.pid}_${shape}_${entities}`
  const progress = (step: string) => options.onProgress?.(`${shape} N=${entities}: ${step}`)
  const ns = `sh${process.pid}${shape}n${entities}`

  const generic = await inSchema(schema, spec.audit, options, shared, async (adapter, db) => {
    progress('building the catalog')
    const catalog = spec.build(entities, ns)
    const maps = aspectMaps(catalog)
    const values = countValues(maps)
    const aspects = maps.reduce((n, m) => n + m.size, 0)
    await storeDefs(adapter, maps, ns)
    const emptyBytes = await schemaBytes(db)
    progress('save')
    let started = performance.now()
    const saved = await new PostgresDao(adapter).saveCatalog(catalog)
    const saveMs = performance.now() - started
    const bytes = grown(emptyBytes, await schemaBytes(db))
    progress('load')
    started = performance.now()
    const loaded = await new PostgresDao(adapter).loadCatalog(catalog.globalId)
    const loadMs = performance.now() - started
    if (loaded === null) throw new Error(`${shape}: the saved catalog did not load`)

    progress(`baseline COPY / unnest / SELECT of ${saved.rowsWritten} rows`)
    const baseline = await measureBaseline(adapter, saved.rowsWritten)

    progress('JSONB store')
    const jsonb = await measureJsonb(adapter, catalog.globalId, maps)
    return { values, aspects, rows: saved.rowsWritten, saveMs, loadMs, bytes, baseline, jsonb }
  })

  // Dedicated tables in a schema of their own, so that its growth is theirs alone.
  const dedicated = await inSchema(
    `${schema}_d`,
    spec.audit,
    options,
    shared,
    async (adapter, db) => {
      progress('dedicated tables')
      const catalog = spec.build(entities, ns)
      const maps = aspectMaps(catalog)
      const dao = new PostgresDao(adapter)
      let started = performance.now()
      let k = 0
      for (const map of maps) await dao.mapAspectDef(map.aspectDef, { table: `bench_ded_${k++}` })
      const mapMs = performance.now() - started
      await storeDefs(adapter, maps, ns)
      const before = await schemaBytes(db)
      started = performance.now()
      const saved = await dao.saveCatalog(catalog)
      const saveMs = performance.now() - started
      const bytes = grown(before, await schemaBytes(db))
      started = performance.now()
      const loaded = await new PostgresDao(adapter).loadCatalog(catalog.globalId)
      const loadMs = performance.now() - started
      if (loaded === null) throw new Error(`${shape}: the dedicated catalog did not load`)
      return { tables: maps.length, mapMs, saveMs, loadMs, rows: saved.rowsWritten, bytes }
    },
  )

  const { values, saveMs, loadMs, baseline, jsonb } = generic
  const saveRowsPerSec = generic.rows / (saveMs / 1000)
  const loadRowsPerSec = generic.rows / (loadMs / 1000)
  return {
    shape,
    entities,
    audit: spec.audit,
    aspects: generic.aspects,
    storedRows: generic.rows,
    values,
    saveMs: round(saveMs),
    loadMs: round(loadMs),
    saveRowsPerSec: Math.round(saveRowsPerSec),
    saveValuesPerSec: perSec(values, saveMs),
    loadRowsPerSec: Math.round(loadRowsPerSec),
    loadValuesPerSec: perSec(values, loadMs),
    bytes: generic.bytes,
    bytesPerValue: perValue(generic.bytes, values),
    baseline: {
      rows: baseline.rows,
      copyRowsPerSec: baseline.copyRowsPerSec === null ? null : Math.round(baseline.copyRowsPerSec),
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
    jsonb: {
      method: jsonb.method,
      rows: jsonb.rows,
      saveMs: round(jsonb.saveMs),
      loadMs: round(jsonb.loadMs),
      bytes: jsonb.bytes,
      bytesPerValue: perValue(jsonb.bytes, values),
      saveFactor: round(saveMs / jsonb.saveMs, 2),
      loadFactor: round(loadMs / jsonb.loadMs, 2),
    },
    dedicated: {
      tables: dedicated.tables,
      mapMs: round(dedicated.mapMs),
      saveMs: round(dedicated.saveMs),
      loadMs: round(dedicated.loadMs),
      storedRows: dedicated.rows,
      bytes: dedicated.bytes,
      bytesPerValue: perValue(dedicated.bytes, values),
      saveVsGeneric: round(dedicated.saveMs / saveMs, 3),
      loadVsGeneric: round(dedicated.loadMs / loadMs, 3),
    },
  }
}

/** Measures every shape at every size, in that order (each in its own schema or database). */
export async function runShapes(options: ShapeBenchOptions): Promise<ShapeResult[]> {
  const results: ShapeResult[] = []
  const dataDir =
    options.url === undefined ? await mkdtemp(join(tmpdir(), 'cheap-shapes-')) : undefined
  const shared = dataDir === undefined ? undefined : await sharedPglite(dataDir)
  try {
    for (const entities of options.sizes) {
      for (const shape of options.shapes) {
        const r = await measureShape(shape, entities, options, shared)
        options.log(
          `${shape} N=${entities}: ${r.storedRows} rows, ${r.values} values; save ${r.saveValuesPerSec} values/s (${r.ratios.saveVsCopy ?? '-'} of COPY, ${r.ratios.saveVsUnnest} of unnest); load ${r.ratios.loadVsSelect} of SELECT; ${r.bytesPerValue ?? '-'} B/value; JSONB save ×${r.jsonb.saveFactor}; dedicated save ×${r.dedicated.saveVsGeneric}, load ×${r.dedicated.loadVsGeneric} of generic`,
        )
        results.push(r)
      }
    }
  } finally {
    await shared?.close()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  }
  return results
}

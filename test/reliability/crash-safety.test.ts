/**
 * Crash safety on the real server: the backend of a saving connection is terminated
 * (`pg_terminate_backend`) at random moments of large saves, and a child process is SIGKILLed in
 * the middle of one. Afterwards the stored catalog is always exactly the old or the new version
 * (and when it is the old one, every table is byte for byte as before), every failed save is a
 * CheapConnectionError, and the pool replaces the dead connections: the next save works.
 *
 * Registered only when the pg backend is tested. CHEAP_RELIABILITY_SCALE scales the trials;
 * CHEAP_RELIABILITY_SEED replays the random delays.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { inspect } from 'node:util'
import { after, afterEach, before, it } from 'node:test'
import { sql } from 'kysely'
import { inheritedNodeFlags } from '../../src/cli/runtime.ts'
import { CheapError } from '../../src/errors.ts'
import { catalogFromJson, catalogToJson } from '../../src/json/index.ts'
import { catalogDiff, type AspectDef, type Catalog } from '../../src/model/index.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { randomSchemaName } from '../db/backends.ts'
import { describeOnServer } from './on-server.ts'
import {
  Random,
  assertSameFingerprint,
  bigCatalogDef,
  budget,
  buildBigCatalog,
  editBigCatalog,
  fingerprint,
  raw,
  sleep,
  type DatabaseFingerprint,
} from './support.ts'
import { assertNoOrphans } from '../support/integrity.ts'

const ENTITIES = 2000
/** A new catalog this big is written with COPY on the server (COPY_MIN_ROWS rows a table). */
const INSERT_ENTITIES = 2500
const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url))

type Outcome = 'old' | 'new'

describeOnServer('reliability: crash safety', (url) => {
  const random = new Random()
  const application = `cheap-crash-${random.seed}-${process.pid}`
  const schema = randomSchemaName('cheap_crash')
  let victim: PostgresAdapter
  let killer: PostgresAdapter
  let dao: PostgresDao
  let def: AspectDef
  let catalogId: string

  before(async () => {
    victim = await PostgresAdapter.create(
      { connectionString: url },
      { schema, poolSize: 3, applicationName: application },
    )
    killer = await PostgresAdapter.create({ connectionString: url }, { schema, poolSize: 1 })
    await PostgresSchema.createSchema(victim)
    dao = new PostgresDao(victim)
    def = bigCatalogDef(`crash_${random.seed}`)
    const catalog = buildBigCatalog(def, ENTITIES)
    catalogId = catalog.globalId
    await dao.saveCatalog(catalog)
  })
  afterEach(async () => {
    await assertNoOrphans(victim.db)
  })
  after(async () => {
    try {
      await PostgresSchema.dropSchema(killer)
    } finally {
      await victim?.close()
      await killer?.close()
    }
  })

  async function load(): Promise<Catalog> {
    const loaded = await dao.loadCatalog(catalogId)
    assert.ok(loaded !== null, 'the catalog must still be stored')
    return loaded
  }

  /** What is stored: a catalog, its revision and the fingerprint of every table. */
  interface Stored {
    readonly catalog: Catalog
    readonly revision: bigint
    readonly print: DatabaseFingerprint
  }

  async function stored(): Promise<Stored> {
    const catalog = await load()
    const revision = (await dao.catalogRevision(catalogId)) ?? 0n
    return { catalog, revision, print: await fingerprint(victim) }
  }

  /**
   * The stored catalog is exactly the old one (and every table is exactly as before) or exactly
   * `next` at the next revision; returns which, and what is stored now.
   */
  async function storedVersion(
    old: Stored,
    next: Catalog,
    what: string,
  ): Promise<[Outcome, Stored]> {
    const now = await stored()
    if (catalogDiff(now.catalog, old.catalog) === undefined) {
      assertSameFingerprint(now.print, old.print, `${what}: the old version`)
      assert.equal(now.revision, old.revision)
      return ['old', now]
    }
    const diff = catalogDiff(now.catalog, next)
    assert.equal(diff, undefined, `${what}: the stored catalog is neither the old nor the new one`)
    assert.equal(now.revision, old.revision + 1n)
    return ['new', now]
  }

  /**
   * Terminates every backend of the victim pool (the saving one and the idle ones) and waits
   * until they are gone, so the pool has seen its idle connections close before the next call
   * (a call that checks out an idle connection in the instant before that fails with CONNECTION:
   * see 'the pool replaces connections the server terminated' in connection-faults.test.ts).
   */
  /**
   * A new catalog is either not stored at all (every table exactly as before) or stored exactly;
   * then it is deleted again, which must also leave every table exactly as before.
   */
  async function insertedVersion(
    old: Stored,
    next: Catalog,
    what: string,
  ): Promise<[Outcome, Stored]> {
    const loaded = await dao.loadCatalog(next.globalId)
    if (loaded === null) {
      assertSameFingerprint(await fingerprint(victim), old.print, `${what}: not stored`)
      return ['old', old]
    }
    assert.equal(catalogDiff(loaded, next), undefined, `${what}: the new catalog is not complete`)
    assert.equal(await dao.deleteCatalog(next.globalId), true)
    assertSameFingerprint(await fingerprint(victim), old.print, `${what}: deleted again`)
    return ['new', old]
  }

  async function terminateSavers(): Promise<number> {
    // Two statements on purpose: in one WHERE clause the planner may call pg_terminate_backend
    // before the other conditions, i.e. on every backend of the server.
    const victims = await sql<{
      pid: number
    }>`select pid from pg_stat_activity where application_name = ${application} and datname = current_database() and pid <> pg_backend_pid()`.execute(
      raw(killer),
    )
    const pids = victims.rows.map((r) => r.pid)
    if (pids.length === 0) return 0
    await sql`select pg_terminate_backend(p) from unnest(${pids}::int[]) as p`.execute(raw(killer))
    for (let wait = 0; wait < 200 && pids.length > 0; wait++) {
      const alive = await sql<{
        n: number
      }>`select count(*)::int as n from pg_stat_activity where pid = any(${pids}::int[])`.execute(
        raw(killer),
      )
      if ((alive.rows[0]?.n ?? 0) === 0) break
      await sleep(5)
    }
    await sleep(5)
    return pids.length
  }

  async function timedSave(catalog: Catalog, force: boolean): Promise<number> {
    const started = performance.now()
    await dao.saveCatalog(catalog, { force })
    return performance.now() - started
  }

  it('terminating the saving backend at random moments never leaves a mix', async (t) => {
    // Calibrate: how long do an incremental and a full (forced) save of this catalog take?
    const warm = await load()
    editBigCatalog(warm, def, 900)
    const incremental = await timedSave(warm, false)
    const full = await timedSave(clone(await load()), true)
    const probe = buildBigCatalog(def, INSERT_ENTITIES)
    const insert = await timedSave(probe, false)
    await dao.deleteCatalog(probe.globalId)
    const window = Math.ceil(Math.max(incremental, full) * 1.3)
    const insertWindow = Math.ceil(insert * 1.3)
    const trials = budget(50)
    const counts = { old: 0, new: 0, failed: 0, succeeded: 0, committedButFailed: 0, killed: 0 }
    const started = performance.now()
    let current = await stored()
    const hits = {
      incremental: { trials: 0, failed: 0 },
      full: { trials: 0, failed: 0 },
      insert: { trials: 0, failed: 0 },
    }
    for (let trial = 1; trial <= trials; trial++) {
      // Every fifth trial stores a new catalog (its big tables go by COPY on this backend), the
      // others rewrite the stored one: incrementally, or in full from a fresh copy with force.
      const kind = trial % 5 === 0 ? 'insert' : trial % 3 === 0 ? 'full' : 'incremental'
      const force = kind === 'full'
      const next =
        kind === 'insert'
          ? buildBigCatalog(def, INSERT_ENTITIES)
          : force
            ? clone(current.catalog)
            : await load()
      if (kind !== 'insert') editBigCatalog(next, def, trial)
      const delay = random.int((kind === 'insert' ? insertWindow : window) + 1)
      const saving = dao.saveCatalog(next, { force }).then(
        () => undefined,
        (error: unknown) => error,
      )
      await sleep(delay)
      counts.killed += await terminateSavers()
      const error = await saving
      hits[kind].trials++
      if (error === undefined) counts.succeeded++
      else {
        counts.failed++
        hits[kind].failed++
        assert.ok(
          error instanceof CheapError,
          `a failed save must be a CheapError: ${inspect(error)}`,
        )
        assert.equal(error.code, 'CONNECTION', error.message)
        assert.match(error.message, /saving catalog .*lost the connection to postgres:\/\//)
      }
      const [outcome, now] =
        kind === 'insert'
          ? await insertedVersion(current, next, `trial ${trial}`)
          : await storedVersion(current, next, `trial ${trial}`)
      current = now
      counts[outcome]++
      if (error === undefined) assert.equal(outcome, 'new', 'an acknowledged save must be stored')
      else if (outcome === 'new') counts.committedButFailed++
    }
    // The pool replaced the dead connections: the next save and a health check work.
    const last = await load()
    editBigCatalog(last, def, 999)
    await dao.saveCatalog(last)
    assert.equal(catalogDiff(await load(), last), undefined)
    assert.equal((await victim.healthCheck()).ok, true)
    assert.ok(counts.failed >= Math.min(10, trials / 4), `too few saves were hit: ${counts.failed}`)
    t.diagnostic(
      `terminate trials: ${trials}, backends terminated: ${counts.killed}, saves failed: ${counts.failed} ` +
        `(all CONNECTION), saves completed before the kill: ${counts.succeeded}, stored old: ${counts.old}, ` +
        `stored new: ${counts.new} (committed but unacknowledged: ${counts.committedButFailed}), ` +
        `mixed: 0; trials/failed by kind: ${JSON.stringify(hits)}; kill window 0-${window} ms (inserts by COPY 0-${insertWindow} ms), seed ${random.seed}, ` +
        `${Math.round(performance.now() - started)} ms`,
    )
  })

  it('SIGKILL of a process in the middle of a save never leaves a mix', async (t) => {
    const trials = budget(5)
    const counts = { old: 0, new: 0, killedBeforeSaved: 0, savedBeforeKill: 0 }
    const started = performance.now()
    // How long a child's save takes once it has announced it (measured by a child left alone).
    const calibration = await runChild(1000, false, undefined)
    const window = Math.ceil(Math.max(50, calibration.saveMs) * 1.3)
    for (let trial = 1; trial <= trials; trial++) {
      const round = 1000 + trial
      const force = trial % 2 === 0
      const old = await stored()
      const next = force ? clone(old.catalog) : await load()
      editBigCatalog(next, def, round)
      const result = await runChild(round, force, random.int(window + 1))
      if (result.saved) counts.savedBeforeKill++
      else counts.killedBeforeSaved++
      const [outcome] = await storedVersion(old, next, `child ${trial}`)
      counts[outcome]++
      if (result.saved) assert.equal(outcome, 'new')
      // The parent's pool is unaffected, and the catalog saves fine after the crash.
      const after = await load()
      editBigCatalog(after, def, round + 500)
      await dao.saveCatalog(after)
    }
    t.diagnostic(
      `SIGKILL trials: ${trials}, killed mid-save: ${counts.killedBeforeSaved}, finished before the kill: ` +
        `${counts.savedBeforeKill}, stored old: ${counts.old}, stored new: ${counts.new}, mixed: 0, ` +
        `kill window 0-${window} ms, ${Math.round(performance.now() - started)} ms`,
    )
  })

  /** Runs crash-child.ts; kills it `killAfterMs` after it announced the save (never if undefined). */
  function runChild(
    round: number,
    force: boolean,
    killAfterMs: number | undefined,
  ): Promise<{ readonly saved: boolean; readonly saveMs: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...inheritedNodeFlags(), '--import', 'tsx', CHILD], {
        env: {
          ...process.env,
          TZ: 'UTC',
          CHEAP_CRASH_URL: url,
          CHEAP_CRASH_SCHEMA: schema,
          CHEAP_CRASH_CATALOG: catalogId,
          CHEAP_CRASH_DEF: def.name,
          CHEAP_CRASH_ROUND: String(round),
          CHEAP_CRASH_FORCE: force ? '1' : '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      let err = ''
      let savingAt = 0
      let savedAt = 0
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
        if (savingAt === 0 && out.includes('saving\n')) {
          savingAt = performance.now()
          if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs)
        }
        if (savedAt === 0 && out.includes('saved ')) savedAt = performance.now()
      })
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.on('error', reject)
      child.on('exit', (code, signal) => {
        clearTimeout(timer)
        const saved = out.includes('saved ')
        if (killAfterMs === undefined && code !== 0) {
          reject(new Error(`the child failed (${code ?? signal}): ${err}`))
        } else if (savingAt === 0) {
          reject(new Error(`the child never started its save (${code ?? signal}): ${err}`))
        } else if (!saved && signal !== 'SIGKILL') {
          reject(new Error(`the child's save failed (${code ?? signal}): ${err}`))
        } else {
          resolve({ saved, saveMs: saved ? savedAt - savingAt : 0 })
        }
      })
    })
  }
})

function clone(catalog: Catalog): Catalog {
  return catalogFromJson(catalogToJson(catalog))
}

import { sql, type Kysely } from 'kysely'
import type { Backend, PoolUse } from './backend.ts'
import { describeTarget, type PostgresTarget } from './connection-target.ts'
import type { DedicatedConnection } from './held-connection.ts'
import type { PostgresAdapterOptions } from './pg-adapter-config.ts'
import { openPgBackend } from './pg-backend.ts'
import { mapDatabaseError } from './sql-errors.ts'
import { CheapValidationError, isCheapError } from '../../errors.ts'
import { describe } from '../../model/names.ts'
import type { CheapDatabase } from '../schema/database.ts'

/** Read replicas of a server adapter (streaming hot standbys of its primary). */
export interface ReplicaOptions {
  /**
   * Hot standbys of the primary, as URLs or connection parts. Pure reads (loads, partial reads,
   * queries, listings) go to them round-robin; writes and `dao.transaction` stay on the primary.
   */
  readonly replicas?: readonly (string | PostgresTarget)[] | undefined
  /**
   * How long a read of a catalog this process has seen at revision R waits for a replica that
   * has not replayed R yet before it reads from the primary instead (default 100 ms; 0: never).
   */
  readonly replicaWaitMs?: number | undefined
  /** A replica replaying more than this far behind (seconds of WAL) gets no reads (default 10 000). */
  readonly replicaLagBoundMs?: number | undefined
  /** How long a replica that failed stays out before a read tries it again (default 5 000). */
  readonly replicaRetryMs?: number | undefined
  /** Connect timeout of the replicas' connections (default 2 000): a down replica costs at most this, once per `replicaRetryMs`. */
  readonly replicaConnectTimeoutMs?: number | undefined
}

export const DEFAULT_REPLICA_WAIT_MS = 100
export const DEFAULT_REPLICA_LAG_BOUND_MS = 10_000
export const DEFAULT_REPLICA_RETRY_MS = 5_000
export const DEFAULT_REPLICA_CONNECT_TIMEOUT_MS = 2_000
/** How often a replica's lag is measured (in the background of the reads that use it). */
const LAG_PROBE_MS = 1_000
/** How often a replica that has not replayed a revision yet is asked again while a read waits. */
const POLL_MS = 5

export type ReplicaState = 'up' | 'down' | 'lagging'

/** One replica in `healthCheck().replicas`. */
export interface ReplicaHealth {
  /** The replica, password masked. */
  readonly target: string
  /**
   * `up`: gets reads; `down`: failed (connection refused, terminated, a recovery conflict…) and
   * is tried again after `replicaRetryMs`; `lagging`: replays more than `replicaLagBoundMs`
   * behind (or is no standby of the primary any more) and gets no reads until it catches up.
   */
  readonly state: ReplicaState
  /** WAL bytes the primary has written that the replica has not replayed; null when unknown. */
  readonly lagBytes: number | null
  /** Seconds since the replica replayed a transaction while WAL is outstanding (0 when none is). */
  readonly lagSeconds: number | null
  /** Reads this replica answered. */
  readonly reads: number
  /** Reads routed to it that the primary answered instead (stale for the read, or failed). */
  readonly fallbacks: number
  /** Of these, reads that found the catalog at an older revision than this process had seen. */
  readonly staleFallbacks: number
  /** The last failure, for people; null when none since it was last up. */
  readonly lastError: string | null
  /** Its pool's clients; null while it has no pool (never reached). */
  readonly pool: PoolUse | null
}

/** Where a read runs: a Kysely, and one connection of the same node for the small-load path. */
export interface ReadTarget {
  readonly db: Kysely<CheapDatabase>
  withConnection<T>(work: (connection: DedicatedConnection) => Promise<T>): Promise<T>
}

/**
 * What this process (its adapter and schema) knows of a catalog: the highest revision it saved
 * or read, or that it deleted it. A replica read must find at least that.
 */
export type SeenRevision = { readonly revision: bigint } | { readonly deleted: true }

/**
 * The revisions one adapter and schema has seen, by catalog id (StoreContext holds it), each with
 * when it was recorded. An entry recorded before every replica had caught up with the primary
 * (ReplicaSet.caughtUpAt) is covered by replay itself and is dropped ({@link trim}), so a
 * long-lived process that touches many catalogs keeps only its recent ones.
 */
export class SeenRevisions {
  readonly #seen = new Map<string, { readonly seen: SeenRevision; readonly at: number }>()
  #trimmedTo = 0

  get(catalogId: string): SeenRevision | undefined {
    return this.#seen.get(catalogId)?.seen
  }

  /** How many catalogs are tracked. */
  get size(): number {
    return this.#seen.size
  }

  /** Records revision `revision` (never lowering what is recorded; replaces a deletion). */
  saw(catalogId: string, revision: bigint, now = Date.now()): void {
    const known = this.#seen.get(catalogId)?.seen
    if (known !== undefined && 'revision' in known && known.revision >= revision) return
    this.#seen.set(catalogId, { seen: { revision }, at: now })
  }

  deleted(catalogId: string, now = Date.now()): void {
    this.#seen.set(catalogId, { seen: { deleted: true }, at: now })
  }

  /**
   * Forgets what was recorded before `horizon` (ms): every replica has replayed all the primary
   * had written by then, so a replica read finds those revisions without being told. One pass,
   * only when the horizon has moved.
   */
  trim(horizon: number): void {
    if (horizon <= this.#trimmedTo) return
    this.#trimmedTo = horizon
    for (const [catalogId, entry] of this.#seen) {
      if (entry.at < horizon) this.#seen.delete(catalogId)
    }
  }

  /**
   * The catalogs this process saw stored that a listing page (ids after `after`, `complete`
   * when the last page) does not show: an answer the caller trusts says they are gone.
   */
  missingFrom(
    listed: readonly { readonly catalogId: string }[],
    after: string | null,
    complete: boolean,
  ): string[] {
    if (this.#seen.size === 0) return []
    const ids = new Set(listed.map((r) => r.catalogId))
    const last = listed.at(-1)?.catalogId
    const missing: string[] = []
    for (const [catalogId, { seen }] of this.#seen) {
      if ('deleted' in seen || ids.has(catalogId)) continue
      if (after !== null && catalogId <= after) continue
      if (!complete && (last === undefined || catalogId > last)) continue
      missing.push(catalogId)
    }
    return missing
  }

  /**
   * True when a page of a catalog listing (ids after `after`, in id order, `complete` when it
   * is the last page) shows every catalog this process has seen at least at that revision, none
   * it deleted, and misses none it has seen in the page's range. One pass over what was seen.
   */
  listingIsFresh(
    listed: readonly { readonly catalogId: string; readonly revision: bigint }[],
    after: string | null,
    complete: boolean,
  ): boolean {
    if (this.#seen.size === 0) return true
    const byId = new Map(listed.map((r) => [r.catalogId, r.revision]))
    const last = listed.at(-1)?.catalogId
    for (const [catalogId, { seen }] of this.#seen) {
      if (after !== null && catalogId <= after) continue
      if (!complete && (last === undefined || catalogId > last)) continue
      if (!satisfies(byId.get(catalogId) ?? null, seen)) return false
    }
    return true
  }
}

/**
 * One replica's replay progress against the primary, from its lag probes: each probe notes the
 * primary's WAL insert position at its start time, and once the replica has replayed up to a
 * noted position, everything committed before that time is on the replica. Positions not yet
 * reached wait (the oldest are dropped past a few dozen, which only delays trimming).
 */
export class ReplayCheckpoints {
  readonly #pending: { readonly lsn: bigint; readonly at: number }[] = []
  /** Everything the primary committed before this time (ms) is replayed; 0: not known yet. */
  caughtUpAt = 0

  record(primaryInsertLsn: bigint, at: number, replayLsn: bigint): void {
    this.#pending.push({ lsn: primaryInsertLsn, at })
    if (this.#pending.length > 64) this.#pending.shift()
    while (this.#pending.length > 0 && (this.#pending[0]?.lsn ?? 0n) <= replayLsn) {
      const reached = this.#pending.shift()
      if (reached !== undefined) this.caughtUpAt = Math.max(this.caughtUpAt, reached.at)
    }
  }
}

/** True when a replica's stored revision `stored` (null: no such catalog) satisfies `seen`. */
export function satisfies(stored: bigint | null, seen: SeenRevision): boolean {
  return 'deleted' in seen ? stored === null : stored !== null && stored >= seen.revision
}

/** Thrown inside a replica read that found the catalog older than seen: the primary answers. */
class StaleReplica extends Error {}

interface Settings {
  readonly waitMs: number
  readonly lagBoundMs: number
  readonly retryMs: number
}

/** One replica: its pool (opened lazily, so a replica down at start-up fails nothing), state, counters. */
class ReplicaNode {
  readonly target: string
  readonly #open: () => Promise<Backend>
  #backend: Backend | undefined
  #opening: Promise<Backend> | undefined
  state: ReplicaState = 'up'
  downUntil = 0
  lagBytes: number | null = null
  lagSeconds: number | null = null
  reads = 0
  fallbacks = 0
  staleFallbacks = 0
  lastError: string | null = null
  lastProbe = 0
  probing: Promise<void> | undefined
  /** Replay progress: when this replica last had everything the primary had written. */
  readonly replay = new ReplayCheckpoints()

  constructor(target: string, open: () => Promise<Backend>) {
    this.target = target
    this.#open = open
  }

  backend(): Promise<Backend> {
    if (this.#backend !== undefined) return Promise.resolve(this.#backend)
    this.#opening ??= this.#open().then(
      (backend) => {
        this.#backend = backend
        return backend
      },
      (error: unknown) => {
        this.#opening = undefined
        throw error
      },
    )
    return this.#opening
  }

  poolUse(): PoolUse | null {
    return this.#backend?.poolUse() ?? null
  }

  /** Usable for a read now: up, or down with its retry time come (that read is the retry). */
  usable(now: number): boolean {
    if (this.state === 'lagging') return false
    return this.state === 'up' || now >= this.downUntil
  }

  markDown(error: unknown, retryMs: number): void {
    this.state = 'down'
    this.downUntil = Date.now() + retryMs
    this.lastError = error instanceof Error ? error.message : String(error)
  }

  markUp(): void {
    if (this.state === 'down') this.state = 'up'
    this.lastError = null
  }

  async close(): Promise<void> {
    await this.probing?.catch(() => undefined)
    const backend = await this.#opening?.catch(() => undefined)
    await backend?.close()
  }
}

/**
 * The replicas of one adapter and the routing of pure reads to them. Every decision is here: the
 * DAO hands each read to {@link read} with what the process has seen of the catalog, and gets
 * the answer of a replica that has that revision, or of the primary.
 *
 * Freshness is checked per catalog, on the replica, in the session that then runs the read:
 * `select revision from catalog` must find at least the revision the process saw (or no row,
 * for a catalog it deleted). A standby replays WAL in commit order and never goes back, so a
 * read started after that check in the same session sees that revision or a newer one; a
 * restart of the standby in between ends the session, which fails the read over to the primary.
 */
export class ReplicaSet {
  readonly #nodes: ReplicaNode[]
  readonly #settings: Settings
  readonly #primary: () => ReadTarget
  #next = 0
  /** Reads the primary answered because no replica was usable or fresh. */
  primaryReads = 0

  private constructor(nodes: ReplicaNode[], settings: Settings, primary: () => ReadTarget) {
    this.#nodes = nodes
    this.#settings = settings
    this.#primary = primary
  }

  /** The replicas of `options`, or undefined when there are none. Opens their pools (a failure marks one down). */
  static async open(
    options: ReplicaOptions & PostgresAdapterOptions,
    schema: string,
    primary: () => ReadTarget,
  ): Promise<ReplicaSet | undefined> {
    const settings = checkReplicaOptions(options)
    const list = options.replicas
    if (list === undefined || list.length === 0) return undefined
    const connectTimeoutMs = options.replicaConnectTimeoutMs ?? DEFAULT_REPLICA_CONNECT_TIMEOUT_MS
    const nodes = list.map((entry) => {
      const target: PostgresTarget = typeof entry === 'string' ? { connectionString: entry } : entry
      return new ReplicaNode(describeTarget(target), () =>
        openPgBackend(target, { ...options, connectTimeoutMs }, schema),
      )
    })
    const set = new ReplicaSet(nodes, settings, primary)
    await Promise.all(
      nodes.map((n) =>
        n.backend().then(
          () => set.#probe(n).catch(() => undefined),
          (e: unknown) => n.markDown(e, settings.retryMs),
        ),
      ),
    )
    return set
  }

  /**
   * Runs `read` on the next usable replica, or on the primary when none is usable, the chosen
   * one has not replayed `seen` (of `catalogId`) within `replicaWaitMs`, its answer fails
   * `fresh` (a result older than what the process has seen), or it fails as a node (connection,
   * recovery conflict, tables not replayed yet): the caller never sees a replica's fault.
   */
  async read<R>(
    catalogId: string | undefined,
    seen: SeenRevision | undefined,
    read: (target: ReadTarget) => Promise<R>,
    fresh?: (result: R) => boolean,
  ): Promise<R> {
    const node = this.#pick()
    if (node === undefined) {
      this.primaryReads++
      return read(this.#primary())
    }
    try {
      const backend = await node.backend()
      const result = await backend.withConnection(async (connection) => {
        if (catalogId !== undefined && seen !== undefined) {
          if (!(await this.#waitFor(connection.db, catalogId, seen))) throw new StaleReplica()
        }
        const answer = await read({ db: connection.db, withConnection: (work) => work(connection) })
        if (fresh !== undefined && !fresh(answer)) throw new StaleReplica()
        return answer
      })
      node.reads++
      node.markUp()
      return result
    } catch (error) {
      if (error instanceof StaleReplica || isCheapError(error, 'NOT_FOUND')) node.staleFallbacks++
      else if (isNodeFault(error)) node.markDown(error, this.#settings.retryMs)
      else if (!isBehind(error)) throw error
      node.fallbacks++
      this.primaryReads++
      return read(this.#primary())
    }
  }

  /** Round-robin over usable replicas; starts a lag probe of the one chosen when it is due. */
  #pick(): ReplicaNode | undefined {
    const now = Date.now()
    for (let i = 0; i < this.#nodes.length; i++) {
      const node = this.#nodes[(this.#next + i) % this.#nodes.length] as ReplicaNode
      if (now - node.lastProbe >= LAG_PROBE_MS && node.probing === undefined) {
        // In the background: a read never waits for a lag measurement.
        node.probing = this.#probe(node)
          .catch(() => undefined)
          .finally(() => (node.probing = undefined))
      }
      if (node.usable(now)) {
        // A down replica's retry is this read's alone: concurrent reads keep to the primary
        // instead of all waiting on the same connect attempt.
        if (node.state === 'down') node.downUntil = now + this.#settings.retryMs
        this.#next = (this.#next + i + 1) % this.#nodes.length
        return node
      }
    }
    return undefined
  }

  /** Polls the catalog's revision on this session until it satisfies `seen` or the wait is over. */
  async #waitFor(
    db: Kysely<CheapDatabase>,
    catalogId: string,
    seen: SeenRevision,
  ): Promise<boolean> {
    const deadline = performance.now() + this.#settings.waitMs
    for (;;) {
      // An expired catalog still has the revision the process saw (the read then finds it
      // expired); for one the process saw deleted (or expired), an expired row is as good as none.
      const row = await db
        .selectFrom('catalog')
        // store/expiry.ts's notExpired(), spelt out: connection/ sits below store/.
        .select(['revision', sql<boolean>`(expires_at is null or expires_at > now())`.as('live')])
        .where('catalog_id', '=', catalogId)
        .executeTakeFirst()
      const stored = row === undefined || ('deleted' in seen && !row.live) ? null : row.revision
      if (satisfies(stored, seen)) return true
      const left = deadline - performance.now()
      if (left <= 0) return false
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)))
    }
  }

  /**
   * Measures a replica's lag against the primary: WAL bytes not yet replayed, and the age of
   * the last replayed transaction while any are outstanding (a replica of an idle primary is not
   * behind, however old its last transaction). Beyond `replicaLagBoundMs` it gets no reads; a
   * server that is not in recovery is no standby of ours any more and gets none either.
   */
  async #probe(node: ReplicaNode): Promise<void> {
    const started = Date.now()
    node.lastProbe = started
    try {
      const backend = await node.backend()
      // The insert position covers every commit that has returned, flushed or not
      // (synchronous_commit = off); the write position may still be behind one.
      const primary = await sql<{ lsn: string; inserted: string }>`select
          pg_current_wal_lsn()::text as lsn, pg_current_wal_insert_lsn()::text as inserted`.execute(
        this.#primary().db,
      )
      const replica = await sql<{
        recovery: boolean
        lsn: string | null
        age: number | null
      }>`select pg_is_in_recovery() as recovery, pg_last_wal_replay_lsn()::text as lsn,
          extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as age`.execute(
        backend.db,
      )
      const row = replica.rows[0]
      const primaryLsn = lsnValue(primary.rows[0]?.lsn ?? null)
      const replayLsn = lsnValue(row?.lsn ?? null)
      const inserted = lsnValue(primary.rows[0]?.inserted ?? null)
      if (row?.recovery === true && inserted !== null && replayLsn !== null) {
        node.replay.record(inserted, started, replayLsn)
      }
      const bytes =
        primaryLsn === null || replayLsn === null
          ? null
          : Number(primaryLsn > replayLsn ? primaryLsn - replayLsn : 0n)
      node.lagBytes = bytes
      node.lagSeconds = bytes === 0 ? 0 : (row?.age ?? null)
      const behind =
        row?.recovery !== true ||
        (node.lagSeconds !== null && node.lagSeconds * 1000 > this.#settings.lagBoundMs)
      if (behind) {
        node.state = 'lagging'
        node.lastError =
          row?.recovery !== true
            ? 'not in recovery: no standby of the primary'
            : `replaying ${node.lagSeconds?.toFixed(1)} s behind (replicaLagBoundMs = ${this.#settings.lagBoundMs})`
      } else if (node.state === 'lagging' || node.state === 'down') {
        node.state = 'up'
        node.lastError = null
      }
    } catch (error) {
      node.markDown(error, this.#settings.retryMs)
    }
  }

  /**
   * A time (ms) before which everything the primary wrote has been replayed by every replica
   * (0 until each has shown it): what this process recorded before it needs no freshness check.
   */
  caughtUpAt(): number {
    let horizon = Infinity
    for (const node of this.#nodes) horizon = Math.min(horizon, node.replay.caughtUpAt)
    return horizon === Infinity ? 0 : horizon
  }

  /** Every replica's state, lag and counters, measured now (a down replica is tried again). */
  async health(): Promise<ReplicaHealth[]> {
    await Promise.all(this.#nodes.map((n) => (n.probing ?? this.#probe(n)).catch(() => undefined)))
    return this.#nodes.map((n) => ({
      target: n.target,
      state: n.state,
      lagBytes: n.lagBytes,
      lagSeconds: n.lagSeconds,
      reads: n.reads,
      fallbacks: n.fallbacks,
      staleFallbacks: n.staleFallbacks,
      lastError: n.lastError,
      pool: n.poolUse(),
    }))
  }

  async close(): Promise<void> {
    await Promise.all(this.#nodes.map((n) => n.close()))
  }
}

/** `16/B374D848` as a number of bytes. */
function lsnValue(text: string | null): bigint | null {
  if (text === null) return null
  const [high, low] = text.split('/')
  if (high === undefined || low === undefined) return null
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`)
}

/** A failure of the node rather than of the read: the replica is marked down and retried later. */
function isNodeFault(error: unknown): boolean {
  const mapped = mapDatabaseError(error)
  if (isCheapError(mapped, 'CONNECTION') || isCheapError(mapped, 'TIMEOUT')) return true
  const code = sqlState(error)
  return (
    code.startsWith('08') || code.startsWith('57P') || code.startsWith('53') || code.startsWith('E')
  )
}

/**
 * A replica that is behind in a way the read cannot wait out: a query cancelled by a conflict
 * with recovery (40001), tables or a schema the primary has and it has not replayed yet, or a
 * catalog (or hierarchy, or AspectDef) not found there: the primary, which has the last word,
 * answers instead (a catalog created by another process a moment ago is found).
 */
function isBehind(error: unknown): boolean {
  const code = sqlState(error)
  if (code === '40001' || code === '42P01' || code === '3F000') return true
  return isCheapError(error, 'SCHEMA_MISMATCH') || isCheapError(error, 'NOT_FOUND')
}

function sqlState(error: unknown): string {
  const code =
    typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : ''
}

/** Checks the replica options' values; returns the settings with defaults. */
export function checkReplicaOptions(options: ReplicaOptions): Settings {
  const list: unknown = options.replicas
  if (list !== undefined && !Array.isArray(list)) {
    throw new CheapValidationError(
      `replicas must be an array of URLs or connection settings, got ${describe(list)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  for (const entry of (list ?? []) as unknown[]) {
    if (typeof entry === 'string' ? entry === '' : typeof entry !== 'object' || entry === null) {
      throw new CheapValidationError(
        `replicas: each replica must be a postgres:// URL or connection settings, got ${describe(entry)}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
  }
  for (const name of [
    'replicaWaitMs',
    'replicaLagBoundMs',
    'replicaRetryMs',
    'replicaConnectTimeoutMs',
  ] as const) {
    const value: unknown = options[name]
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isFinite(value) && value >= 0)
    ) {
      throw new CheapValidationError(
        `${name} must be a number of milliseconds, 0 or more, got ${describe(value)}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
  }
  return {
    waitMs: options.replicaWaitMs ?? DEFAULT_REPLICA_WAIT_MS,
    lagBoundMs: options.replicaLagBoundMs ?? DEFAULT_REPLICA_LAG_BOUND_MS,
    retryMs: options.replicaRetryMs ?? DEFAULT_REPLICA_RETRY_MS,
  }
}

/** `DATABASE_REPLICA_URLS`: comma-separated URLs; empty entries ignored. */
export function replicaUrlsOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

import type { QueryLogOptions } from './query-log.ts'
import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import type { Backend, PoolUse } from './backend.ts'
import { readSchemaSteps } from '../schema/steps.ts'
import { quoteIdentifier } from '../schema/identifiers.ts'
import type { PostgresTarget } from './connection-target.ts'
import type { CheapDatabase } from '../schema/database.ts'
import type { DedicatedConnection } from './held-connection.ts'
import { validateSchemaName } from '../schema/identifiers.ts'
import { openPgBackend } from './pg-backend.ts'
import type { PostgresAdapterOptions } from './pg-adapter-config.ts'
import { openPgliteBackend, type EmbeddedPglite } from './pglite-backend.ts'
import { mapDatabaseError } from './sql-errors.ts'
import {
  checkReplicaOptions,
  ReplicaSet,
  replicaUrlsOf,
  type ReplicaHealth,
  type ReplicaOptions,
} from './replicas.ts'
import { CheapValidationError } from '../../errors.ts'

export type { ReplicaHealth, ReplicaOptions, ReplicaState } from './replicas.ts'

/** Options of {@link PostgresAdapter.create}: the connection's, and read replicas. */
export type ServerAdapterOptions = PostgresAdapterOptions & ReplicaOptions

/** Options of {@link PostgresAdapter.embedded}. */
export interface EmbeddedAdapterOptions extends QueryLogOptions {
  /** Where PGlite keeps its files; in memory (gone on close) when absent. */
  readonly dataDir?: string | undefined
  /** The PostgreSQL schema to use (its `search_path`), default `public`. */
  readonly schema?: string | undefined
  /**
   * An existing PGlite instance to use (e.g. with extensions loaded); `close()` closes it. Any
   * `PGlite` from '@electric-sql/pglite' fits {@link EmbeddedPglite}.
   */
  readonly pglite?: EmbeddedPglite | undefined
}

/** Options of {@link PostgresAdapter.fromEnv}: those of a server connection, or of PGlite. */
export type EnvAdapterOptions = ServerAdapterOptions & Pick<EmbeddedAdapterOptions, 'dataDir'>

export interface HealthCheckResult {
  readonly ok: true
  readonly latencyMs: number
  /** `server_version`, e.g. `15.20 (Debian 15.20-0+deb12u1)` or `18.6` (PGlite). */
  readonly serverVersion: string
  /** The adapter's schema against this library's schema steps (schema/NNN-*.sql). */
  readonly schema: {
    /** Highest step recorded in the schema's ledger; null when the schema has no ledger. */
    readonly version: number | null
    /** The highest step this library has. */
    readonly libraryVersion: number
    /** Steps of this library the ledger does not record (`PostgresSchema.migrate` applies them). */
    readonly pendingSteps: number
  }
  /** The pool's clients on a server; null on PGlite, which has one connection and no pool. */
  readonly pool: PoolUse | null
  /**
   * The read replicas (`replicas` option): each one's state, lag, reads and fallbacks, measured
   * by this call; null without replicas.
   */
  readonly replicas: {
    /** Reads the primary answered because no replica was usable, fresh enough, or working. */
    readonly primaryReads: number
    readonly nodes: readonly ReplicaHealth[]
  } | null
}

type Env = Readonly<Record<string, string | undefined>>

const PG_ENV_VARS = ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD'] as const

/**
 * A connection to a CHEAP database: a pg pool on a real server, or embedded PGlite. Both give a
 * `Kysely<CheapDatabase>` with identical type parsing, so everything above runs on either.
 *
 * @example
 * ```ts
 * const adapter = await PostgresAdapter.create({ connectionString: process.env.DATABASE_URL! })
 * await PostgresSchema.createSchema(adapter)
 * const rows = await adapter.db.selectFrom('catalog').selectAll().execute()
 * await adapter.close()
 * ```
 */
export class PostgresAdapter {
  readonly kind: 'pg' | 'pglite'
  readonly db: Kysely<CheapDatabase>
  /** The PostgreSQL schema (search_path) every connection uses. */
  readonly schema: string
  /** Where the database is, for messages: password masked, or `embedded (memory)`. */
  readonly target: string
  readonly #backend: Backend
  #replicas: ReplicaSet | undefined
  #closed: Promise<void> | undefined

  private constructor(backend: Backend, schema: string) {
    this.#backend = backend
    this.kind = backend.kind
    this.db = backend.db
    this.target = backend.target
    this.schema = schema
  }

  /**
   * The read replicas and their routing, or undefined without replicas. For the DAO, which
   * sends pure reads through it; not part of the public API.
   * @internal
   */
  get replicaSet(): ReplicaSet | undefined {
    return this.#replicas
  }

  /**
   * Connects to a PostgreSQL server and checks that it answers within `connectTimeoutMs`;
   * a server that cannot be reached fails with a {@link CheapConnectionError} naming the target.
   * Options may also be given in the first argument (`create({ connectionString, poolSize })`).
   *
   * @example
   * ```ts
   * const adapter = await PostgresAdapter.create(
   *   { connectionString: 'postgres://app:secret@db:5432/cheap' },
   *   { poolSize: 10, schema: 'cheap', statementTimeoutMs: 30_000 },
   * )
   * // Reads on two hot standbys, writes on the primary (README: "Read replicas and PgBouncer"):
   * const scaled = await PostgresAdapter.create(
   *   { connectionString: 'postgres://app:secret@primary:5432/cheap' },
   *   { replicas: ['postgres://app:secret@standby1:5432/cheap', 'postgres://app:secret@standby2:5432/cheap'] },
   * )
   * ```
   */
  static async create(
    target: PostgresTarget & ServerAdapterOptions,
    options: ServerAdapterOptions = {},
  ): Promise<PostgresAdapter> {
    const merged = { ...target, ...options }
    const schema = validateSchemaName(merged.schema ?? 'public')
    const { replicas, ...connection } = merged
    // Before connecting: a bad replica option is the caller's mistake, whatever the network does.
    checkReplicaOptions(merged)
    const adapter = new PostgresAdapter(await openPgBackend(target, connection, schema), schema)
    try {
      adapter.#replicas = await ReplicaSet.open({ ...connection, replicas }, schema, () => ({
        db: adapter.db,
        withConnection: (work) => adapter.withConnection(work),
      }))
    } catch (error) {
      await adapter.close()
      throw error
    }
    return adapter
  }

  /**
   * Embedded PostgreSQL (PGlite, in process): no server needed. In memory unless `dataDir` is
   * given. A new database takes 2–5 s and about 850 MB resident to start (PGlite runs initdb),
   * an existing `dataDir` about 400 MB; PGlite is loaded on the first call.
   *
   * @example
   * ```ts
   * const adapter = await PostgresAdapter.embedded({ dataDir: '.cheap-data' })
   * ```
   */
  static async embedded(options: EmbeddedAdapterOptions = {}): Promise<PostgresAdapter> {
    refuseReplicas((options as ReplicaOptions).replicas)
    const schema = validateSchemaName(options.schema ?? 'public')
    return new PostgresAdapter(await openPgliteBackend(options, schema), schema)
  }

  /**
   * `DATABASE_URL` if set; otherwise the libpq variables (`PGHOST`, `PGPORT`, `PGDATABASE`,
   * `PGUSER`, `PGPASSWORD`) if any is set; otherwise embedded PGlite (`options.dataDir`).
   * `DATABASE_REPLICA_URLS` (comma-separated) adds read replicas to a server (`options.replicas`
   * wins); with embedded PGlite it is refused.
   *
   * @example
   * ```ts
   * const adapter = await PostgresAdapter.fromEnv() // a server in production, PGlite on a laptop
   * ```
   */
  static async fromEnv(
    env: Env = process.env,
    options: EnvAdapterOptions = {},
  ): Promise<PostgresAdapter> {
    const { dataDir, ...given } = options
    const envReplicas = replicaUrlsOf(env['DATABASE_REPLICA_URLS'])
    const serverOptions: ServerAdapterOptions =
      given.replicas === undefined && envReplicas.length > 0
        ? { ...given, replicas: envReplicas }
        : given
    const url = env['DATABASE_URL']
    if (url !== undefined && url !== '') {
      return PostgresAdapter.create({ connectionString: url }, serverOptions)
    }
    if (PG_ENV_VARS.some((name) => (env[name] ?? '') !== '')) {
      const port = env['PGPORT']
      return PostgresAdapter.create(
        {
          ...optionalEntry('host', env['PGHOST']),
          ...optionalEntry('port', port === undefined || port === '' ? undefined : Number(port)),
          ...optionalEntry('database', env['PGDATABASE']),
          ...optionalEntry('user', env['PGUSER']),
          ...optionalEntry('password', env['PGPASSWORD']),
        },
        serverOptions,
      )
    }
    refuseReplicas(
      serverOptions.replicas,
      given.replicas === undefined ? 'DATABASE_REPLICA_URLS is set, but' : undefined,
    )
    return PostgresAdapter.embedded({
      dataDir,
      schema: options.schema,
      log: options.log,
      logParameters: options.logParameters,
    })
  }

  /**
   * Holds one pooled connection for `work`: a Kysely bound to it and, on a server, COPY on the
   * same connection (so both run in one transaction). Used by saves; `db` suffices elsewhere.
   */
  withConnection<T>(work: (connection: DedicatedConnection) => Promise<T>): Promise<T> {
    return this.#backend.withConnection(work)
  }

  /** Runs a multi-statement SQL script (no parameters) outside any transaction of `db`. */
  async execScript(sqlText: string): Promise<void> {
    try {
      await this.#backend.execScript(sqlText)
    } catch (error) {
      throw this.mapError(error, 'running a SQL script')
    }
  }

  /** One round trip: proves the database answers, and says how fast and which version. */
  async healthCheck(): Promise<HealthCheckResult> {
    const started = performance.now()
    try {
      const steps = await readSchemaSteps()
      const ledger = `${quoteIdentifier(this.schema)}.schema_migration`
      const result = await sql<{
        server_version: string
        has_ledger: boolean
      }>`SELECT current_setting('server_version') AS server_version, to_regclass(${ledger}) IS NOT NULL AS has_ledger`.execute(
        this.db,
      )
      const serverVersion = result.rows[0]?.server_version ?? 'unknown'
      const latencyMs = performance.now() - started
      let recorded: number[] | null = null
      if (result.rows[0]?.has_ledger === true) {
        const rows = await sql<{
          version: number
        }>`SELECT version FROM ${sql.id(this.schema, 'schema_migration')}`.execute(this.db)
        recorded = rows.rows.map((r) => r.version)
      }
      const known = new Set(recorded ?? [])
      // Steps are in version order; the ledger's version is its highest step this library knows.
      const libraryVersion = steps.at(-1)?.version ?? 0
      const schema = {
        version:
          recorded === null
            ? null
            : steps.reduce((v, s) => (known.has(s.version) ? Math.max(v, s.version) : v), 0),
        libraryVersion,
        pendingSteps: steps.filter((s) => !known.has(s.version)).length,
      }
      const replicas =
        this.#replicas === undefined
          ? null
          : { primaryReads: this.#replicas.primaryReads, nodes: await this.#replicas.health() }
      return {
        ok: true,
        latencyMs,
        serverVersion,
        schema,
        pool: this.#backend.poolUse(),
        replicas,
      }
    } catch (error) {
      throw this.mapError(error, 'health check')
    }
  }

  /** {@link mapDatabaseError} with this adapter's target in connection messages. */
  mapError(error: unknown, context?: string): unknown {
    return mapDatabaseError(error, context, this.target)
  }

  /** Closes the pool (and PGlite), and the replicas' pools. Calling it again is harmless. */
  close(): Promise<void> {
    this.#closed ??= Promise.all([this.#backend.close(), this.#replicas?.close()]).then(
      () => undefined,
    )
    return this.#closed
  }
}

/** Replicas are streaming standbys of a server: embedded PGlite has none. */
function refuseReplicas(replicas: unknown, prefix = 'replicas were given, but'): void {
  if (replicas === undefined || (Array.isArray(replicas) && replicas.length === 0)) return
  throw new CheapValidationError(
    `${prefix} the embedded database (PGlite) cannot have read replicas: they are streaming ` +
      'standbys of a PostgreSQL server; set DATABASE_URL to the primary server, or drop the replicas',
    { reason: 'INVALID_ARGUMENT' },
  )
}

function optionalEntry<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: V }
}
export type { PoolUse } from './backend.ts'

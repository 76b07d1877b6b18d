import { sql, type Kysely, type Transaction } from 'kysely'
import { CheapSchemaMismatchError } from '../../errors.ts'
import type { CheapDatabase } from './database.ts'
import { quoteIdentifier, validateSchemaName } from './identifiers.ts'
import { AUDITED_TABLE_NAMES, TABLE_NAMES, TABLES } from './tables.ts'
import { hasAuditColumns, listTables, mappedTables, readLedger, schemaExists } from './inspect.ts'
import type { AppliedSchemaFile } from './inspect.ts'
import { readSchemaSteps, RETIRED_STEPS, type SchemaStep } from './steps.ts'
import {
  allowRowTriggers,
  distributeSchema,
  isDistributed,
  readDistribution,
  type Distribution,
} from './citus.ts'

/**
 * What the schema operations need of a database: a `PostgresAdapter` (declared here, not
 * imported, so that the schema room sits below the connection room that uses its table types).
 */
export interface SchemaAdapter {
  readonly db: Kysely<CheapDatabase>
  /** The PostgreSQL schema the adapter's connections use. */
  readonly schema: string
  /** Holds one connection for `work` (the migration's session lock needs one). */
  withConnection<T>(
    work: (connection: { readonly db: Kysely<CheapDatabase> }) => Promise<T>,
  ): Promise<T>
  /** Runs a multi-statement script. */
  execScript(sqlText: string): Promise<void>
  /** Maps a driver error to a CheapError, with context. */
  mapError(error: unknown, context?: string): unknown
}

export interface SchemaOptions {
  /** The PostgreSQL schema to act on; default `adapter.schema`. */
  readonly schema?: string | undefined
}

export interface CreateSchemaOptions extends SchemaOptions {
  /** Also add created_at/updated_at and their triggers to every audited table. */
  readonly includeAudit?: boolean | undefined
  /**
   * `citus`: on the coordinator of a Citus cluster, make lookups and definitions reference tables
   * and distribute every catalog-scoped table by `catalog_id`, colocated with `catalog` (done
   * once; a distributed schema stays so). Default `single-node`: plain tables.
   */
  readonly distribution?: Distribution | undefined
  /** Shards per distributed table (`citus` only); default the cluster's `citus.shard_count`. */
  readonly shardCount?: number | undefined
}

export interface CreateSchemaResult {
  /** Steps recorded in the ledger by this call (empty when the schema was already current). */
  readonly applied: readonly string[]
  /** The schema version afterwards: the highest applied step. */
  readonly version: number
  /** True when this call added the audit columns. */
  readonly addedAudit: boolean
  /** True when this call distributed the tables over a Citus cluster. */
  readonly distributed: boolean
}

export interface MigrateOptions extends SchemaOptions {
  /** Called before each step runs (the CLI prints progress with it). */
  readonly onStep?:
    ((step: { readonly version: number; readonly name: string }) => void) | undefined
}

export interface MigrateResult {
  /** The version before: null when the schema did not exist (migrate then creates it). */
  readonly from: number | null
  readonly to: number
  /** The steps applied, in order. */
  readonly applied: readonly string[]
}

/**
 * How the schema's tables are placed: plain tables, or distributed over a Citus cluster with
 * the number of distributed (by `catalog_id`) and reference tables.
 */
export type SchemaDistribution =
  | { readonly kind: 'single-node' }
  | { readonly kind: 'citus'; readonly distributedTables: number; readonly referenceTables: number }

/**
 * Where a schema stands against this library: `absent` (no ledger), `current`, `outdated` (steps
 * pending: run `migrate`), `newer` (made by a newer cheap-db-postgres: refused), `conflict` (a
 * recorded step's text differs from this library's), `damaged` (current, but tables are missing).
 */
export type SchemaState = 'absent' | 'current' | 'outdated' | 'newer' | 'conflict' | 'damaged'

export interface SchemaStatus {
  readonly exists: boolean
  readonly state: SchemaState
  /** The schema's version (highest applied step), or null when it has no ledger. */
  readonly version: number | null
  /** The version this library creates and migrates to. */
  readonly libraryVersion: number
  readonly applied: readonly Omit<AppliedSchemaFile, 'checksum'>[]
  /** Steps this library would apply (`migrate`), in order. */
  readonly pending: readonly { readonly version: number; readonly name: string }[]
  /** Why the schema is `newer` or in `conflict`, one line each. */
  readonly problems: readonly string[]
  /** Manifest tables the schema lacks. */
  readonly missingTables: readonly string[]
  /** Tables in the schema the manifest does not know. */
  readonly unexpectedTables: readonly string[]
  readonly hasAudit: boolean
  readonly distribution: SchemaDistribution
}

// pg_advisory lock key shared by createSchema and migrate ('CHEAPSCH' in ASCII): concurrent calls
// queue instead of racing on CREATE SCHEMA / CREATE TABLE / a step.
const SCHEMA_LOCK = 0x4348454150534348n

type Executor = Kysely<CheapDatabase>

/** What the ledger says about a schema, against this library's steps. */
interface LedgerReading {
  readonly version: number | null
  readonly pending: readonly SchemaStep[]
  readonly problems: readonly string[]
  /** A release-1 ledger row for the retired audit step. */
  readonly auditStep: boolean
}

function readLedgerAgainst(
  ledger: readonly AppliedSchemaFile[],
  steps: readonly SchemaStep[],
  schema: string,
): LedgerReading {
  const byVersion = new Map(steps.map((step) => [step.version, step]))
  const retired = new Map(RETIRED_STEPS.map((step) => [step.version, step]))
  const problems: string[] = []
  let version: number | null = null
  let auditStep = false
  for (const row of ledger) {
    const step = byVersion.get(row.version)
    const gone = retired.get(row.version)
    const known = step ?? gone
    if (known === undefined) {
      problems.push(
        `schema "${schema}" has step ${row.version} (${row.name}), which this version of ` +
          'cheap-db-postgres does not know: it was created or migrated by a newer version',
      )
      continue
    }
    if (known.checksum !== row.checksum) {
      problems.push(
        `schema "${schema}" was created from a different ${known.name} (checksum ` +
          `${row.checksum.slice(0, 12)}…, this version has ${known.checksum.slice(0, 12)}…): ` +
          'a released schema file was edited after it was applied',
      )
      continue
    }
    if (gone !== undefined) auditStep = true
    else version = Math.max(version ?? 0, row.version)
  }
  const recorded = new Set(ledger.map((row) => row.version))
  const pending = ledger.length === 0 ? steps : steps.filter((s) => !recorded.has(s.version))
  return { version, pending, problems, auditStep }
}

function outdatedError(schema: string, reading: LedgerReading, latest: number): Error {
  return new CheapSchemaMismatchError(
    `schema "${schema}" is at version ${reading.version ?? 0} and this version of ` +
      `cheap-db-postgres needs version ${latest}: migrate it with \`cheap schema migrate\` or ` +
      `PostgresSchema.migrate(adapter) (pending: ${reading.pending.map((s) => s.name).join(', ')})`,
  )
}

/**
 * Creates, upgrades, inspects, empties and drops the CHEAP tables. `schema/*.sql` are the steps
 * of the schema's history, each recorded in `schema_migration` with its checksum.
 *
 * @example
 * ```ts
 * await PostgresSchema.createSchema(adapter, { includeAudit: true }) // safe at every start-up
 * await PostgresSchema.migrate(adapter)                              // after upgrading the library
 * const status = await PostgresSchema.status(adapter)
 * ```
 */
export class PostgresSchema {
  private constructor() {}

  /**
   * Creates the schema (and the PostgreSQL schema itself) in one transaction, or does nothing
   * when it is current. A schema made by an earlier version of this library is not touched: the
   * call fails with a {@link CheapSchemaMismatchError} that says to {@link migrate}; so does one
   * made by a newer version, or from an edited schema file. `includeAudit` on a current schema
   * without audit columns adds them.
   */
  static async createSchema(
    adapter: SchemaAdapter,
    options: CreateSchemaOptions = {},
  ): Promise<CreateSchemaResult> {
    const schema = validateSchemaName(options.schema ?? adapter.schema)
    const steps = await readSchemaSteps()
    try {
      return await adapter.db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`.execute(trx)
        // Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
        // schema exists, which an application role often lacks.
        if (!(await schemaExists(trx, schema))) {
          await sql.raw(`CREATE SCHEMA ${quoteIdentifier(schema)}`).execute(trx)
        }
        await sql.raw(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`).execute(trx)
        const reading = readLedgerAgainst(await readLedger(trx, schema), steps, schema)
        if (reading.problems.length > 0)
          throw new CheapSchemaMismatchError(reading.problems[0] as string)
        const fresh = reading.version === null
        if (!fresh && reading.pending.length > 0)
          throw outdatedError(schema, reading, latestOf(steps))
        if (fresh) await applySteps(trx, steps)
        else await requireTables(trx, schema)
        const audited = !fresh && (reading.auditStep || (await hasAuditColumns(trx, schema)))
        const addedAudit = options.includeAudit === true && !audited
        const citus = options.distribution === 'citus'
        if (addedAudit) {
          // On a schema distributed already, the touch triggers go onto distributed tables.
          if (!fresh && (await isDistributed(trx, schema))) await allowRowTriggers(trx)
          await enableAudit(trx)
        }
        const distributed = citus
          ? await distributeSchema(trx, schema, { shardCount: options.shardCount })
          : false
        return {
          applied: fresh ? steps.map((s) => s.name) : [],
          version: latestOf(steps),
          addedAudit,
          distributed,
        }
      })
    } catch (error) {
      throw adapter.mapError(error, `creating the CHEAP schema in "${schema}"`)
    }
  }

  /**
   * Brings a schema made by any earlier version of this library to the current version: each
   * pending step runs in its own transaction and is recorded when it commits, so an interrupted
   * migration resumes where it stopped. Data stays. A missing schema is created; a schema made by
   * a newer version, or from an edited schema file, is refused ({@link CheapSchemaMismatchError}).
   * Audit columns, when the schema has them, are added to the tables the steps created.
   */
  static async migrate(
    adapter: SchemaAdapter,
    options: MigrateOptions = {},
  ): Promise<MigrateResult> {
    const schema = validateSchemaName(options.schema ?? adapter.schema)
    const steps = await readSchemaSteps()
    try {
      return await adapter.withConnection(async ({ db }) => {
        // One transaction per step, each under the transaction-scoped schema lock and reading
        // the ledger afresh: concurrent migrations serialise and apply each step once, and no
        // lock outlives its transaction, so this also runs through a transaction pooler
        // (PgBouncer), where consecutive transactions may get different server sessions.
        let from: number | null | undefined
        const applied: string[] = []
        for (;;) {
          const done = await db.transaction().execute(async (trx) => {
            await sql`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`.execute(trx)
            const exists = await schemaExists(trx, schema)
            const reading = readLedgerAgainst(
              exists ? await readLedger(trx, schema) : [],
              steps,
              schema,
            )
            if (reading.problems.length > 0)
              throw new CheapSchemaMismatchError(reading.problems[0] as string)
            if (from === undefined) from = reading.version
            if (reading.version === null) {
              if (!exists) await sql.raw(`CREATE SCHEMA ${quoteIdentifier(schema)}`).execute(trx)
              await sql.raw(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`).execute(trx)
              for (const step of steps) options.onStep?.(step)
              await applySteps(trx, steps)
              for (const step of steps) applied.push(step.name)
              return true
            }
            await sql.raw(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`).execute(trx)
            const step = reading.pending[0]
            if (step === undefined) {
              // Last: audit columns on the tables the steps created, when the schema has them.
              if (reading.auditStep || (await hasAuditColumns(trx, schema))) await enableAudit(trx)
              return true
            }
            options.onStep?.(step)
            await applySteps(trx, [step])
            applied.push(step.name)
            return false
          })
          if (done) break
        }
        return { from: from ?? null, to: latestOf(steps), applied }
      })
    } catch (error) {
      throw adapter.mapError(error, `migrating the CHEAP schema in "${schema}"`)
    }
  }

  /**
   * Drops everything `createSchema` made: the whole PostgreSQL schema when it is not `public`
   * (`DROP SCHEMA … CASCADE`), else the manifest's tables and our functions only.
   */
  static async dropSchema(adapter: SchemaAdapter, options: SchemaOptions = {}): Promise<void> {
    const schema = validateSchemaName(options.schema ?? adapter.schema)
    const q = quoteIdentifier(schema)
    try {
      let statement = `DROP SCHEMA IF EXISTS ${q} CASCADE`
      if (schema === 'public') {
        // Dedicated tables (mapAspectDef) reference `aspect`: drop them first (adopted tables stay).
        const dedicated = await dropDedicatedTablesSql(adapter.db, schema)
        const functions = await cheapFunctions(adapter.db, schema)
        statement = [
          dedicated,
          `DROP TABLE IF EXISTS ${qualifiedTables(schema, TABLE_NAMES).reverse().join(', ')}`,
          functions.length === 0 ? '' : `DROP FUNCTION IF EXISTS ${functions.join(', ')}`,
        ]
          .filter((s) => s !== '')
          .join('; ')
      }
      await adapter.execScript(statement)
    } catch (error) {
      throw adapter.mapError(error, `dropping the CHEAP schema in "${schema}"`)
    }
  }

  /**
   * Empties every definition and catalog table in one TRUNCATE (lookups and the ledger stay).
   * Needs only TRUNCATE privilege, no superuser.
   */
  static async truncate(adapter: SchemaAdapter, options: SchemaOptions = {}): Promise<void> {
    const schema = validateSchemaName(options.schema ?? adapter.schema)
    const names = TABLE_NAMES.filter((name) => {
      const group = TABLES[name].group
      return group === 'definition' || group === 'catalog'
    })
    try {
      // The mappings go with the definitions: their dedicated tables would be orphans (and their
      // foreign keys would block the TRUNCATE), so they are dropped first.
      const dedicated = await dropDedicatedTablesSql(adapter.db, schema)
      if (dedicated !== '') await sql.raw(dedicated).execute(adapter.db)
      await sql.raw(`TRUNCATE ${qualifiedTables(schema, names).join(', ')}`).execute(adapter.db)
    } catch (error) {
      throw adapter.mapError(error, `truncating the CHEAP tables in "${schema}"`)
    }
  }

  /** Where the schema stands: version, pending steps, missing and unknown tables. Changes nothing. */
  static async status(adapter: SchemaAdapter, options: SchemaOptions = {}): Promise<SchemaStatus> {
    const schema = validateSchemaName(options.schema ?? adapter.schema)
    const steps = await readSchemaSteps()
    try {
      return await adapter.db.connection().execute(async (db) => {
        const exists = await schemaExists(db, schema)
        const tables = exists ? await listTables(db, schema) : []
        const ledger = exists ? await readLedger(db, schema) : []
        const reading = readLedgerAgainst(ledger, steps, schema)
        // Tables holding AspectDefs (mapAspectDef, adoptTable) are expected too.
        const mapped = exists ? await mappedTables(db, schema) : []
        const known = new Set<string>([...TABLE_NAMES, ...mapped])
        const present = new Set(tables)
        const missingTables = TABLE_NAMES.filter((name) => !present.has(name))
        const state: SchemaState = reading.problems.some((p) => p.includes('newer version'))
          ? 'newer'
          : reading.problems.length > 0
            ? 'conflict'
            : reading.version === null
              ? 'absent'
              : reading.pending.length > 0
                ? 'outdated'
                : missingTables.length > 0
                  ? 'damaged'
                  : 'current'
        return {
          exists,
          state,
          version: reading.version,
          libraryVersion: latestOf(steps),
          applied: ledger.map(({ version, name, appliedAt }) => ({ version, name, appliedAt })),
          pending:
            reading.version === null || reading.problems.length > 0
              ? []
              : reading.pending.map(({ version, name }) => ({ version, name })),
          problems: reading.problems,
          missingTables,
          unexpectedTables: tables.filter((name) => !known.has(name)),
          hasAudit: exists && (reading.auditStep || (await hasAuditColumns(db, schema))),
          distribution: await distributionOf(db, schema, exists),
        }
      })
    } catch (error) {
      throw adapter.mapError(error, `reading the status of the CHEAP schema in "${schema}"`)
    }
  }
}

async function distributionOf(
  db: Executor,
  schema: string,
  exists: boolean,
): Promise<SchemaDistribution> {
  const counts = exists ? await readDistribution(db, schema) : undefined
  return counts === undefined
    ? { kind: 'single-node' }
    : {
        kind: 'citus',
        distributedTables: counts.distributed,
        referenceTables: counts.reference,
      }
}

function latestOf(steps: readonly SchemaStep[]): number {
  return steps.reduce((max, s) => Math.max(max, s.version), 0)
}

/** Runs steps in the caller's transaction (search_path already set) and records them. */
async function applySteps(
  trx: Transaction<CheapDatabase>,
  steps: readonly SchemaStep[],
): Promise<void> {
  for (const step of steps) {
    // No parameters: both pg and the PGlite bridge send a simple Query message, so a whole
    // file runs as one call, inside this transaction.
    await sql.raw(step.sql).execute(trx)
  }
  if (steps.length === 0) return
  await trx
    .insertInto('schema_migration')
    .values(steps.map(({ version, name, checksum }) => ({ version, name, checksum })))
    .execute()
}

async function enableAudit(trx: Transaction<CheapDatabase>): Promise<void> {
  await sql`SELECT cheap_enable_audit(${[...AUDITED_TABLE_NAMES]}::text[])`.execute(trx)
}

/** A current schema must have every manifest table: a missing one was dropped by hand. */
async function requireTables(trx: Executor, schema: string): Promise<void> {
  const present = new Set(await listTables(trx, schema))
  const missing = TABLE_NAMES.filter((name) => !present.has(name))
  if (missing.length === 0) return
  throw new CheapSchemaMismatchError(
    `schema "${schema}" is current but lacks the table${missing.length === 1 ? '' : 's'} ` +
      `${missing.join(', ')} (dropped by hand?): restore it from a backup, or export the ` +
      'catalogs, drop the schema and create it again',
  )
}

function qualifiedTables(schema: string, names: readonly string[]): string[] {
  return names.map((name) => `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`)
}

/** Our functions in `schema` (named cheap_…), as qualified signatures for DROP FUNCTION. */
async function cheapFunctions(db: Executor, schema: string): Promise<string[]> {
  const { rows } = await sql<{ signature: string }>`
    SELECT p.oid::regprocedure::text AS signature
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = ${schema} AND p.proname LIKE 'cheap\\_%'
  `.execute(db)
  // regprocedure text is qualified only when the schema is not on the search_path.
  return rows.map((r) =>
    r.signature.includes('.') ? r.signature : `${quoteIdentifier(schema)}.${r.signature}`,
  )
}

/**
 * DROP of the dedicated (not adopted) tables of every mapping in `schema`, for truncate and
 * dropSchema, which remove the mappings: a dedicated table without its mapping is an orphan.
 * Empty when there is nothing to drop or no mapping table yet.
 */
async function dropDedicatedTablesSql(db: Executor, schema: string): Promise<string> {
  const tables = await mappedTables(db, schema, { writableOnly: true })
  if (tables.length === 0) return ''
  return `DROP TABLE IF EXISTS ${qualifiedTables(schema, tables).join(', ')}`
}

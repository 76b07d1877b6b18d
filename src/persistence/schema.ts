import { sql, type Kysely } from 'kysely'
import { CheapSchemaMismatchError } from '../errors.ts'
import type { PostgresAdapter } from './adapter.ts'
import { quoteIdentifier, validateSchemaName } from './identifiers.ts'
import { AUDIT_VERSION, readSchemaFiles } from './schema-files.ts'
import type { SchemaFile } from './schema-files.ts'
import { dropDedicatedTablesSql, mappedTables } from './mapping/map-aspect-def.ts'
import { hasAuditColumns, listTables, readLedger, schemaExists } from './schema-inspection.ts'
import type { AppliedSchemaFile } from './schema-inspection.ts'
import { TABLE_NAMES, TABLES } from './tables.ts'

export interface SchemaOptions {
  /** The PostgreSQL schema to act on; default `adapter.schema`. */
  readonly schema?: string | undefined
}

export interface CreateSchemaOptions extends SchemaOptions {
  /** Also add created_at/updated_at and their triggers (`schema/900-audit.sql`). */
  readonly includeAudit?: boolean | undefined
}

export interface CreateSchemaResult {
  /** Files recorded in the ledger by this call (empty when the schema was already complete). */
  readonly applied: readonly string[]
  /** The highest applied version afterwards. */
  readonly version: number
}

export interface SchemaStatus {
  readonly exists: boolean
  readonly version: number | null
  readonly applied: readonly Omit<AppliedSchemaFile, 'checksum'>[]
  /** Manifest tables the schema lacks. */
  readonly missingTables: readonly string[]
  /** Tables in the schema the manifest does not know. */
  readonly unexpectedTables: readonly string[]
  readonly hasAudit: boolean
}

// pg_advisory_xact_lock key shared by every createSchema ('CHEAPSCH' in ASCII): concurrent
// calls queue instead of racing on CREATE SCHEMA / CREATE TABLE IF NOT EXISTS.
const CREATE_SCHEMA_LOCK = 0x4348454150534348n

/**
 * Creates, inspects, empties and drops the CHEAP tables. `schema/*.sql` is the only DDL; every
 * file is idempotent and recorded in `schema_migration` with its checksum.
 *
 * @example
 * ```ts
 * await PostgresSchema.createSchema(adapter, { includeAudit: true }) // safe at every start-up
 * const status = await PostgresSchema.status(adapter)
 * ```
 */
export class PostgresSchema {
  private constructor() {}

  /**
   * Creates the schema (and the PostgreSQL schema itself) in one transaction. Files already in
   * the ledger are skipped, unless manifest tables are missing, in which case every recorded
   * file runs again (they are idempotent) to repair the schema. A recorded file whose text
   * changed since fails with {@link CheapSchemaMismatchError}.
   */
  static async createSchema(
    adapter: PostgresAdapter,
    options: CreateSchemaOptions = {},
  ): Promise<CreateSchemaResult> {
    const schema = validateSchemaName(options.schema ?? adapter.schema)
    const files = await readSchemaFiles()
    try {
      return await adapter.db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${CREATE_SCHEMA_LOCK})`.execute(trx)
        // Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
        // schema exists, which an application role often lacks.
        if (!(await schemaExists(trx, schema))) {
          await sql.raw(`CREATE SCHEMA ${quoteIdentifier(schema)}`).execute(trx)
        }
        await sql.raw(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`).execute(trx)
        const ledger = await readLedger(trx, schema)
        checkLedger(ledger, files, schema)
        const recorded = new Set(ledger.map((row) => row.version))
        const tables = new Set(await listTables(trx, schema))
        const repair = recorded.size > 0 && TABLE_NAMES.some((name) => !tables.has(name))
        const wanted = files.filter(
          (file) =>
            (options.includeAudit === true || file.version !== AUDIT_VERSION) &&
            (!recorded.has(file.version) || repair),
        )
        for (const file of wanted) {
          // No parameters: both pg and the PGlite bridge send a simple Query message, so a
          // whole file runs as one call, inside this transaction.
          await sql.raw(file.sql).execute(trx)
        }
        const added = wanted.filter((file) => !recorded.has(file.version))
        if (added.length > 0) {
          await trx
            .insertInto('schema_migration')
            .values(added.map(({ version, name, checksum }) => ({ version, name, checksum })))
            .execute()
        }
        const versions = [...recorded, ...added.map((file) => file.version)]
        return { applied: added.map((file) => file.name), version: Math.max(0, ...versions) }
      })
    } catch (error) {
      throw adapter.mapError(error, `creating the CHEAP schema in "${schema}"`)
    }
  }

  /**
   * Drops everything `createSchema` made: the whole PostgreSQL schema when it is not `public`
   * (`DROP SCHEMA … CASCADE`), else the manifest's tables and our trigger functions only.
   */
  static async dropSchema(adapter: PostgresAdapter, options: SchemaOptions = {}): Promise<void> {
    const schema = validateSchemaName(options.schema ?? adapter.schema)
    const q = quoteIdentifier(schema)
    const statement =
      schema === 'public'
        ? `DROP TABLE IF EXISTS ${qualifiedTables(schema, TABLE_NAMES).reverse().join(', ')};` +
          ` DROP FUNCTION IF EXISTS ${CHEAP_FUNCTIONS.map((f) => `${q}.${f}()`).join(', ')}`
        : `DROP SCHEMA IF EXISTS ${q} CASCADE`
    try {
      // Dedicated tables (mapAspectDef) reference `aspect`: drop them first (adopted tables stay).
      const dedicated =
        schema === 'public'
          ? await dropDedicatedTablesSql(adapter.db as unknown as Kysely<unknown>, schema)
          : ''
      await adapter.execScript(dedicated === '' ? statement : `${dedicated}; ${statement}`)
    } catch (error) {
      throw adapter.mapError(error, `dropping the CHEAP schema in "${schema}"`)
    }
  }

  /**
   * Empties every definition and catalog table in one TRUNCATE (lookups and the ledger stay).
   * Needs only TRUNCATE privilege, no superuser.
   */
  static async truncate(adapter: PostgresAdapter, options: SchemaOptions = {}): Promise<void> {
    const schema = validateSchemaName(options.schema ?? adapter.schema)
    const names = TABLE_NAMES.filter((name) => {
      const group = TABLES[name].group
      return group === 'definition' || group === 'catalog'
    })
    try {
      // The mappings go with the definitions: their dedicated tables would be orphans (and their
      // foreign keys would block the TRUNCATE), so they are dropped first.
      const dedicated = await dropDedicatedTablesSql(
        adapter.db as unknown as Kysely<unknown>,
        schema,
      )
      if (dedicated !== '') await sql.raw(dedicated).execute(adapter.db)
      await sql.raw(`TRUNCATE ${qualifiedTables(schema, names).join(', ')}`).execute(adapter.db)
    } catch (error) {
      throw adapter.mapError(error, `truncating the CHEAP tables in "${schema}"`)
    }
  }

  /** What is there: ledger, missing and unknown tables, audit columns. Changes nothing. */
  static async status(
    adapter: PostgresAdapter,
    options: SchemaOptions = {},
  ): Promise<SchemaStatus> {
    const schema = validateSchemaName(options.schema ?? adapter.schema)
    try {
      return await adapter.db.connection().execute(async (db) => {
        const exists = await schemaExists(db, schema)
        const tables = exists ? await listTables(db, schema) : []
        const ledger = await readLedger(db, schema)
        // Tables holding AspectDefs (mapAspectDef, adoptTable) are expected too.
        const mapped = exists ? await mappedTables(db as unknown as Kysely<unknown>, schema) : []
        const known = new Set<string>([...TABLE_NAMES, ...mapped])
        const present = new Set(tables)
        return {
          exists,
          version: ledger.length === 0 ? null : Math.max(...ledger.map((row) => row.version)),
          applied: ledger.map(({ version, name, appliedAt }) => ({ version, name, appliedAt })),
          missingTables: TABLE_NAMES.filter((name) => !present.has(name)),
          unexpectedTables: tables.filter((name) => !known.has(name)),
          hasAudit: exists && (await hasAuditColumns(db, schema)),
        }
      })
    } catch (error) {
      throw adapter.mapError(error, `reading the status of the CHEAP schema in "${schema}"`)
    }
  }
}

function checkLedger(
  ledger: readonly AppliedSchemaFile[],
  files: readonly SchemaFile[],
  schema: string,
): void {
  const byVersion = new Map(files.map((file) => [file.version, file]))
  for (const row of ledger) {
    const file = byVersion.get(row.version)
    if (file === undefined) {
      throw new CheapSchemaMismatchError(
        `schema "${schema}" has migration ${row.version} (${row.name}), which this version of ` +
          'cheap-db-postgres does not know: it was created by a newer version',
      )
    }
    if (file.checksum !== row.checksum) {
      throw new CheapSchemaMismatchError(
        `schema "${schema}" was created from a different ${file.name} (checksum ` +
          `${row.checksum.slice(0, 12)}…, this version has ${file.checksum.slice(0, 12)}…): ` +
          'the schema files were edited after they were applied',
      )
    }
  }
}

function qualifiedTables(schema: string, names: readonly string[]): string[] {
  return names.map((name) => `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`)
}

/** The trigger functions of schema/008-bulk-integrity.sql and 900-audit.sql. */
const CHEAP_FUNCTIONS = [
  'cheap_touch_updated_at',
  'cheap_check_value_rows',
  'cheap_check_aspect_rows',
  'cheap_check_content_rows',
  'cheap_cascade_aspect_delete',
  'cheap_cascade_hierarchy_delete',
  'cheap_cascade_property_def_delete',
  'cheap_check_entity_delete',
  'cheap_check_tree_parent_rows',
  'cheap_cascade_tree_delete',
] as const

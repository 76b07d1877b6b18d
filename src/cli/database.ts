import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { isCheapError } from '../errors.ts'
import { PostgresAdapter } from '../persistence/connection/adapter.ts'
import { describeTarget } from '../persistence/connection/connection-target.ts'
import { PostgresSchema } from '../persistence/schema/postgres-schema.ts'
import {
  DEFAULT_DATA_DIR,
  type CommandContext,
  type DatabaseChoice,
  type GlobalOptions,
} from './context.ts'
import { lockDataDir } from './data-dir-lock.ts'
import { CliError, EXIT, exitCodeOf } from './exit-codes.ts'

/**
 * When a command creates the CHEAP schema by itself:
 * - `never`: the `schema` commands, which manage it explicitly;
 * - `embedded`: on the embedded database only (reading commands: a server's schema is an
 *   administrator's decision, and a missing one is reported with exit code 7);
 * - `always`: also on a server (`import`: the first write into an empty database just works).
 */
export type SchemaPolicy = 'never' | 'embedded' | 'always'

export interface OpenDatabase {
  readonly adapter: PostgresAdapter
  /** Closes the adapter and releases the embedded database's lock. */
  close(): Promise<void>
}

/** Opens the chosen database, taking the embedded directory's lock, and applies the policy. */
export async function openDatabase(
  ctx: CommandContext,
  policy: SchemaPolicy,
): Promise<OpenDatabase> {
  const choice = ctx.global.database
  const schema = ctx.global.schema
  let adapter: PostgresAdapter
  let release = async (): Promise<void> => {}
  ctx.remark(`using ${describeDatabase(ctx.global)}`)
  if (choice.kind === 'server') {
    ctx.progress.phase(`connecting to ${describeServer(choice)}`)
    try {
      adapter = await PostgresAdapter.create(choice.target, { schema, replicas: choice.replicas })
    } catch (error) {
      throw annotateConnection(error, choice)
    }
  } else {
    const fresh = !existsSync(resolve(ctx.io.cwd, choice.dataDir, 'PG_VERSION'))
    const dir = resolve(ctx.io.cwd, choice.dataDir)
    release = await lockDataDir(dir, {
      onWait: (pid) =>
        ctx.progress.phase(`waiting for cheap process ${pid} to finish with ${choice.dataDir}`),
    })
    ctx.progress.phase(
      fresh
        ? `creating the embedded database in ${choice.dataDir} (first use, about 10 s)`
        : `opening the embedded database in ${choice.dataDir}`,
    )
    try {
      // As given (relative to the working directory), so messages show what the user typed.
      const dataDir = ctx.io.cwd === process.cwd() ? choice.dataDir : dir
      adapter = await PostgresAdapter.embedded({ dataDir, schema })
    } catch (error) {
      await release()
      if (isCheapError(error)) throw error
      throw new CliError(
        EXIT.CONNECTION,
        `cannot open the embedded database in ${choice.dataDir}: ${messageOf(error)}`,
        `if the directory is damaged, move it away (its catalogs are lost) and try again; ` +
          `or use a server with --url or DATABASE_URL`,
        { cause: error },
      )
    }
  }
  const close = async (): Promise<void> => {
    try {
      await adapter.close()
    } finally {
      await release()
    }
  }
  try {
    if (policy === 'always' || (policy === 'embedded' && adapter.kind === 'pglite')) {
      await ensureSchema(ctx, adapter)
    }
  } catch (error) {
    await close()
    throw error
  }
  return { adapter, close }
}

/**
 * Creates the CHEAP schema when it is missing; on the embedded database (the user's own local
 * store) an outdated schema is also migrated, saying so on stderr. A server's outdated schema is
 * an administrator's decision: createSchema then fails and says to run `cheap schema migrate`.
 */
async function ensureSchema(ctx: CommandContext, adapter: PostgresAdapter): Promise<void> {
  const status = await PostgresSchema.status(adapter)
  if (status.state === 'current') return
  if (status.state === 'outdated' && adapter.kind === 'pglite') {
    const result = await PostgresSchema.migrate(adapter, {
      onStep: (step) => ctx.progress.phase(`migrating the embedded database: ${step.name}`),
    })
    ctx.info(
      `migrated the embedded database ${adapter.target} from schema version ${result.from} to ${result.to}`,
    )
    return
  }
  ctx.progress.phase('creating the CHEAP schema')
  await PostgresSchema.createSchema(adapter, { includeAudit: status.hasAudit })
}

/** The server for messages: the URL with its password masked, and where it came from. */
export function describeServer(choice: Extract<DatabaseChoice, { kind: 'server' }>): string {
  return `${describeTarget(choice.target)} (from ${choice.source})`
}

/**
 * The database a command uses, for its `using …` line: `PostgreSQL postgres://u:***@h:5432/db,
 * schema public (from --url)` or `embedded (.cheap-data)`.
 */
export function describeDatabase(global: GlobalOptions): string {
  const choice = global.database
  if (choice.kind === 'embedded') {
    return `embedded (${choice.dataDir})${global.schema === undefined ? '' : `, schema ${global.schema}`}`
  }
  return (
    `PostgreSQL ${describeTarget(choice.target)}, schema ${global.schema ?? 'public'} ` +
    `(from ${choice.source})`
  )
}

/** `cheap schema <action>` with the options that chose this database, for hints. */
export function schemaCommandFor(action: 'create' | 'migrate', global: GlobalOptions): string {
  const choice = global.database
  const options: string[] = []
  if (choice.kind === 'embedded' && choice.dataDir !== DEFAULT_DATA_DIR)
    options.push(`--data-dir ${choice.dataDir}`)
  if (global.schema !== undefined) options.push(`--schema ${global.schema}`)
  const command = `\`cheap ${[...options, 'schema', action].join(' ')}\``
  return choice.kind === 'server' && choice.source === '--url'
    ? `${command} (with the same --url)`
    : command
}

/**
 * A library message worded for a CLI user: the CLI command instead of the TypeScript API, and
 * connection advice that fits where the server came from.
 */
export function forCliUser(message: string, global: GlobalOptions): string {
  const choice = global.database
  const advice =
    choice.kind === 'embedded'
      ? 'check the database'
      : choice.source === '--url'
        ? 'check --url, or leave it out to use the embedded database'
        : choice.source === 'DATABASE_URL'
          ? 'fix DATABASE_URL, or unset it to use the embedded database'
          : 'fix the PG* variables, or unset them to use the embedded database'
  return message
    .replace('set DATABASE_URL, or leave it unset to use the embedded database', advice)
    .replace(
      /run PostgresSchema\.createSchema or `cheap schema create`/,
      `create it with ${schemaCommandFor('create', global)}`,
    )
    .replace(
      /migrate it with `cheap schema migrate` or PostgresSchema\.migrate\(adapter\)/,
      `migrate it with ${schemaCommandFor('migrate', global)}`,
    )
}

/** A connection failure, with a hint about where the URL came from. */
export function annotateConnection(
  error: unknown,
  choice: Extract<DatabaseChoice, { kind: 'server' }>,
): unknown {
  if (exitCodeOf(error) !== EXIT.CONNECTION) return error
  const hint =
    choice.source === 'DATABASE_URL'
      ? 'the server comes from DATABASE_URL: fix it, or unset it to use the PG* variables or the embedded database in ./.cheap-data'
      : choice.source === 'PG* variables'
        ? 'the server comes from the PG* variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD): fix them, or unset them to use the embedded database in ./.cheap-data'
        : 'the server comes from --url: check it, or leave it out to use DATABASE_URL, the PG* variables or the embedded database'
  return new CliError(EXIT.CONNECTION, messageOf(error), hint, { cause: error })
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

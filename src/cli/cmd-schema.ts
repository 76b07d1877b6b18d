import { PostgresSchema, type SchemaStatus } from '../persistence/schema/postgres-schema.ts'
import { booleanOption } from './args.ts'
import { YES_OPTION, confirm, requireConsent } from './confirm.ts'
import type { CommandSpec } from './command.ts'
import type { CommandContext } from './context.ts'
import { openDatabase } from './database.ts'
import { EXIT, UsageError } from './exit-codes.ts'
import { table } from './table.ts'

const ACTIONS = ['create', 'migrate', 'drop', 'status'] as const
type Action = (typeof ACTIONS)[number]

export const schemaCommand: CommandSpec = {
  name: 'schema',
  summary: 'create, upgrade, drop or inspect the CHEAP tables',
  synopsis: 'create|migrate|drop|status',
  usage: [
    'cheap schema create [--audit | --citus]',
    'cheap schema migrate',
    'cheap schema drop [--yes]',
    'cheap schema status',
  ],
  description: [
    'create   creates the CHEAP tables (does nothing when they are current); --audit adds',
    '         created_at/updated_at columns maintained by triggers. A schema made by an',
    '         earlier version of cheap-db-postgres is left alone: migrate it.',
    '         --citus (on the coordinator of a Citus cluster) makes lookups and definitions',
    '         reference tables and distributes every catalog-scoped table by catalog_id.',
    'migrate  upgrades a schema made by an earlier version to this one, one step (one',
    '         transaction) at a time, keeping every catalog; creates a missing schema.',
    'drop     drops them, and every catalog with them (a schema other than public is',
    '         dropped whole). Asks for confirmation on a terminal; needs --yes otherwise.',
    'status   reports the schema version, pending steps and missing or unexpected tables;',
    '         exits with 0 when the schema is current, 7 otherwise.',
    '',
    'The embedded database gets its schema automatically on first use (and is migrated',
    'automatically), and `cheap import` creates it on a server too; other commands on a',
    'server without a current schema exit with 7.',
  ],
  options: {
    audit: { type: 'boolean', description: 'create: also add the audit columns and triggers' },
    citus: {
      type: 'boolean',
      description: 'create: distribute the tables over the Citus cluster (by catalog_id)',
    },
    yes: YES_OPTION,
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'cheap schema create --audit',
    'cheap schema migrate',
    'cheap schema status --json',
    'cheap --url postgres://localhost/cheap --schema cheap_app schema create',
  ],
  async run(ctx, { positionals, values }) {
    const action = positionals[0] ?? ''
    if (!isAction(action)) {
      throw new UsageError(
        `unknown schema action '${action}': expected create, migrate, drop or status`,
        'see `cheap schema --help`',
      )
    }
    if (booleanOption(values, 'audit') && action !== 'create') {
      throw new UsageError('--audit belongs to `cheap schema create`')
    }
    if (booleanOption(values, 'citus') && action !== 'create') {
      throw new UsageError('--citus belongs to `cheap schema create`')
    }
    if (booleanOption(values, 'citus') && booleanOption(values, 'audit')) {
      throw new UsageError('--audit is not supported with --citus yet')
    }
    if (booleanOption(values, 'yes') && action !== 'drop') {
      throw new UsageError('--yes belongs to `cheap schema drop`')
    }
    if (action === 'drop') requireConsent(ctx, values, 'cheap schema drop')
    const db = await openDatabase(ctx, 'never')
    try {
      const { adapter } = db
      const where = `schema "${adapter.schema}" of ${adapter.target}`
      if (action === 'create') {
        ctx.progress.phase('creating the CHEAP schema')
        const result = await PostgresSchema.createSchema(adapter, {
          includeAudit: booleanOption(values, 'audit'),
          distribution: booleanOption(values, 'citus') ? 'citus' : 'single-node',
        })
        if (ctx.global.json)
          ctx.json({ schema: adapter.schema, database: adapter.target, ...result })
        else if (result.applied.length > 0)
          ctx.out(
            `created the CHEAP schema in ${where}: version ${result.version}` +
              (result.distributed ? ', distributed over the Citus cluster' : ''),
          )
        else if (result.distributed)
          ctx.out(`distributed the CHEAP schema in ${where} over the Citus cluster`)
        else if (result.addedAudit)
          ctx.out(`added audit columns to the CHEAP schema in ${where} (version ${result.version})`)
        else ctx.out(`the CHEAP schema in ${where} is up to date (version ${result.version})`)
        return EXIT.OK
      }
      if (action === 'migrate') {
        const result = await PostgresSchema.migrate(adapter, {
          onStep: (step) => ctx.progress.phase(`applying ${step.name}`),
        })
        if (ctx.global.json)
          ctx.json({ schema: adapter.schema, database: adapter.target, ...result })
        else if (result.from === null)
          ctx.out(`created the CHEAP schema in ${where}: version ${result.to}`)
        else if (result.applied.length === 0)
          ctx.out(`the CHEAP schema in ${where} is up to date (version ${result.to})`)
        else
          ctx.out(
            `migrated the CHEAP schema in ${where} from version ${result.from} to ${result.to}: ` +
              `applied ${result.applied.join(', ')}`,
          )
        return EXIT.OK
      }
      if (action === 'drop') {
        await confirm(
          ctx,
          values,
          `drop the CHEAP schema "${adapter.schema}" of ${adapter.target} and every catalog in it?`,
          'nothing was dropped',
        )
        ctx.progress.phase('dropping the CHEAP schema')
        await PostgresSchema.dropSchema(adapter)
        if (ctx.global.json)
          ctx.json({ schema: adapter.schema, database: adapter.target, dropped: true })
        else ctx.out(`dropped the CHEAP schema in ${where}`)
        return EXIT.OK
      }
      const status = await PostgresSchema.status(adapter)
      const complete = status.state === 'current'
      if (ctx.global.json)
        ctx.json({ schema: adapter.schema, database: adapter.target, complete, ...status })
      else printStatus(ctx, where, status, complete)
      return complete ? EXIT.OK : EXIT.SCHEMA
    } finally {
      await db.close()
    }
  },
}

function isAction(text: string): text is Action {
  return (ACTIONS as readonly string[]).includes(text)
}

function printStatus(
  ctx: CommandContext,
  where: string,
  status: SchemaStatus,
  complete: boolean,
): void {
  if (status.state === 'absent') {
    ctx.out(`the CHEAP schema is not created in ${where}`)
    ctx.out('create it with `cheap schema create`')
    return
  }
  const words: Record<SchemaStatus['state'], string> = {
    absent: 'absent',
    current: 'current',
    outdated: `OUTDATED (this cheap-db-postgres needs version ${status.libraryVersion})`,
    newer: 'NEWER than this cheap-db-postgres',
    conflict: 'in CONFLICT with this cheap-db-postgres',
    damaged: 'DAMAGED',
  }
  ctx.out(
    `the CHEAP schema in ${where} is ${words[status.state]}: ` +
      `version ${status.version ?? '-'}, audit columns ${status.hasAudit ? 'on' : 'off'}` +
      // A single-node schema says nothing more: that is every schema but a Citus one.
      (status.distribution.kind === 'citus'
        ? `, distributed over Citus (${status.distribution.distributedTables} distributed, ` +
          `${status.distribution.referenceTables} reference tables)`
        : ''),
  )
  const rows = [
    ...status.applied.map((file) => ['applied', file.name, file.appliedAt]),
    ...status.pending.map((step) => ['pending', step.name, '']),
    ...status.missingTables.map((table) => ['missing table', table, '']),
    ...status.unexpectedTables.map((table) => ['unexpected table', table, '']),
  ]
  for (const line of table(['', 'NAME', 'APPLIED AT'], rows)) ctx.out(`  ${line}`)
  for (const problem of status.problems) ctx.out(problem)
  if (status.state === 'outdated') ctx.out('upgrade it with `cheap schema migrate`')
  if (status.state === 'damaged')
    ctx.out(
      'back the catalogs up (`cheap export --all --out DIR`), `cheap schema drop`, `cheap schema create`, `cheap import DIR`',
    )
  if (!complete && status.state !== 'outdated' && status.state !== 'damaged')
    ctx.out('use the version of cheap-db-postgres that made it')
}

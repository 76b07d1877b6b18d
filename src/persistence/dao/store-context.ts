import { CheapSchemaMismatchError } from '../../errors.ts'
import type { PostgresAdapter } from '../connection/adapter.ts'
import { DefVersionCache } from '../store/def-versions.ts'
import { SeenRevisions } from '../connection/replicas.ts'
import { readSchemaSteps, RETIRED_STEPS } from '../schema/steps.ts'

/**
 * What every DAO of one adapter and schema shares, so a DAO made per request pays no set-up:
 * the cache of stored AspectDef versions (immutable rows) and whether the schema was found
 * current.
 */
export class StoreContext {
  readonly versions = new DefVersionCache()
  /**
   * The revision of each catalog this adapter and schema last saved or read (kept only with
   * read replicas): a replica read must find at least that one (read-your-writes).
   */
  readonly seen = new SeenRevisions()
  #checked: Promise<void> | undefined

  /**
   * Checks once per adapter that the schema is this library's current one (a failed check is
   * not remembered: after `PostgresSchema.migrate` the next call passes). An outdated schema
   * would fail every statement in some obscure way; this says what to do instead.
   */
  ensureSchema(adapter: PostgresAdapter): Promise<void> {
    this.#checked ??= checkSchema(adapter).catch((error: unknown) => {
      this.#checked = undefined
      throw error
    })
    return this.#checked
  }
}

const contexts = new WeakMap<PostgresAdapter, Map<string, StoreContext>>()

export function storeContextOf(adapter: PostgresAdapter): StoreContext {
  let bySchema = contexts.get(adapter)
  if (bySchema === undefined) {
    bySchema = new Map()
    contexts.set(adapter, bySchema)
  }
  let context = bySchema.get(adapter.schema)
  if (context === undefined) {
    context = new StoreContext()
    bySchema.set(adapter.schema, context)
  }
  return context
}

async function checkSchema(adapter: PostgresAdapter): Promise<void> {
  const steps = await readSchemaSteps()
  let applied: { version: number }[]
  try {
    applied = await adapter.db.selectFrom('schema_migration').select('version').execute()
  } catch (error) {
    // No ledger: the tables are missing; mapped below to "schema not created".
    throw adapter.mapError(error, `using the CHEAP schema "${adapter.schema}"`)
  }
  const known = new Set([...steps.map((s) => s.version), ...RETIRED_STEPS.map((s) => s.version)])
  const recorded = new Set(applied.map((r) => r.version))
  const newer = applied.filter((r) => !known.has(r.version))
  if (newer.length > 0) {
    throw new CheapSchemaMismatchError(
      `schema "${adapter.schema}" of ${adapter.target} was migrated by a newer version of cheap-db-postgres (it has step ${newer[0]?.version}); use that version`,
    )
  }
  const pending = steps.filter((s) => !recorded.has(s.version))
  if (pending.length > 0) {
    throw new CheapSchemaMismatchError(
      `schema "${adapter.schema}" of ${adapter.target} is from an earlier version of cheap-db-postgres: migrate it with \`cheap schema migrate\` or PostgresSchema.migrate(adapter) (pending: ${pending.map((s) => s.name).join(', ')})`,
    )
  }
}

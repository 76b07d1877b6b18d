import { sql, type Kysely } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import type { CheapDatabase } from './database.ts'
import { quoteIdentifier } from './identifiers.ts'
import { mappedTables } from './inspect.ts'
import { TABLE_NAMES, TABLES } from './tables.ts'

/**
 * How a schema's tables are placed: on one server (`single-node`), or spread over a Citus
 * cluster (`citus`): lookups and definitions as reference tables (a copy on every node), every
 * catalog-scoped table distributed by `catalog_id` and colocated with `catalog`, so that one
 * catalog's rows all live on one worker.
 */
export type Distribution = 'single-node' | 'citus'

type Executor = Kysely<CheapDatabase>

/** The value tables and `property_list`: rows of one aspect, by `(catalog_id, aspect_id)`. */
const VALUE_TABLES = TABLE_NAMES.filter(
  (name) => name === 'property_list' || name.startsWith('property_value_'),
)
/** The hierarchy contents: rows of one hierarchy, by `(catalog_id, hierarchy_id)`. */
const CONTENT_TABLES = [
  'hierarchy_entity_list',
  'hierarchy_entity_set',
  'hierarchy_entity_directory',
  'hierarchy_entity_tree_node',
] as const

/**
 * Citus refuses statement triggers on distributed tables, and a trigger's query on another
 * distributed table cannot run on a shard (docs CITUS-FACTS). The statement-level integrity
 * triggers of schema/008 (and their successors in 012, 013) are replaced, on a distributed
 * schema, by colocated composite foreign keys that include `catalog_id`: they hold the same
 * references and cascades. What they do not hold is a value row's property belonging to its
 * aspect's definition with the table's type, and a content row's hierarchy type: those the DAO
 * writes correctly and the single-node triggers double-check.
 */
function replacementForeignKeys(): string[] {
  const fk = (table: string, name: string, body: string): string =>
    `ALTER TABLE ${quoteIdentifier(table)} ADD CONSTRAINT ${quoteIdentifier(name)} ${body}`
  return [
    fk(
      'aspect',
      'aspect_hierarchy_fkey',
      'FOREIGN KEY (catalog_id, aspect_def_id) REFERENCES hierarchy (catalog_id, aspect_def_id) ON DELETE CASCADE',
    ),
    fk('aspect', 'aspect_entity_fkey', ENTITY_REFERENCE),
    ...VALUE_TABLES.flatMap((table) => [
      fk(
        table,
        `${table}_aspect_fkey`,
        'FOREIGN KEY (catalog_id, aspect_id) REFERENCES aspect (catalog_id, aspect_id) ON DELETE CASCADE',
      ),
      fk(
        table,
        `${table}_property_fkey`,
        'FOREIGN KEY (property_id) REFERENCES property (property_id)',
      ),
    ]),
    ...CONTENT_TABLES.flatMap((table) => [
      fk(
        table,
        `${table}_hierarchy_fkey`,
        'FOREIGN KEY (catalog_id, hierarchy_id) REFERENCES hierarchy (catalog_id, hierarchy_id) ON DELETE CASCADE',
      ),
      fk(table, `${table}_entity_fkey`, ENTITY_REFERENCE),
    ]),
    fk(
      'hierarchy_entity_tree_node',
      'hierarchy_entity_tree_node_parent_fkey',
      'FOREIGN KEY (catalog_id, hierarchy_id, parent_node_id) REFERENCES hierarchy_entity_tree_node (catalog_id, hierarchy_id, node_id) ON DELETE CASCADE',
    ),
  ]
}

/**
 * A row's entity must exist; checked at commit, not per statement: deleting a catalog cascades
 * to its entities and (through its hierarchies) to the rows that name them, in an order of
 * PostgreSQL's choosing, and the single-node trigger, too, lets a catalog's delete through.
 */
const ENTITY_REFERENCE =
  'FOREIGN KEY (catalog_id, entity_id) REFERENCES entity (catalog_id, entity_id) ' +
  'DEFERRABLE INITIALLY DEFERRED'

/** Is the `citus` extension installed in this database? */
export async function citusInstalled(db: Executor): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') AS found
  `.execute(db)
  return rows[0]?.found === true
}

export interface DistributionCounts {
  readonly distributed: number
  readonly reference: number
}

/**
 * How many tables of `schema` Citus distributes and replicates, or undefined when the database
 * has no Citus or the schema's `catalog` is not distributed (a single-node schema).
 */
export async function readDistribution(
  db: Executor,
  schema: string,
): Promise<DistributionCounts | undefined> {
  if (!(await citusInstalled(db))) return undefined
  const { rows } = await sql<{ method: string; count: string }>`
    SELECT p.partmethod::text AS method, count(*)::text AS count
    FROM pg_dist_partition p
    JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema}
    GROUP BY p.partmethod
  `.execute(db)
  const count = (method: string): number =>
    Number(rows.find((r) => r.method === method)?.count ?? 0)
  const distributed = count('h')
  if (distributed === 0) return undefined
  return { distributed, reference: count('n') }
}

/** Is `schema`'s `catalog` table distributed (so new catalog-scoped tables must be too)? */
export async function isDistributed(db: Executor, schema: string): Promise<boolean> {
  return (await readDistribution(db, schema)) !== undefined
}

interface ForeignKey {
  readonly table: string
  readonly name: string
  readonly definition: string
  readonly references: string
}

async function foreignKeys(db: Executor, schema: string): Promise<ForeignKey[]> {
  const { rows } = await sql<ForeignKey>`
    SELECT c.relname AS table, k.conname AS name, pg_catalog.pg_get_constraintdef(k.oid) AS definition,
      r.relname AS references
    FROM pg_catalog.pg_constraint k
    JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
    JOIN pg_catalog.pg_class r ON r.oid = k.confrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE k.contype = 'f' AND n.nspname = ${schema}
    ORDER BY c.relname, k.conname
  `.execute(db)
  return rows
}

/**
 * The statement-level triggers on `tables` in `schema` (the integrity checks of schema/008 and
 * its successors); row-level ones (the audit columns' touch triggers) stay.
 */
async function statementTriggersOn(
  db: Executor,
  schema: string,
  tables: readonly string[],
): Promise<{ readonly table: string; readonly name: string }[]> {
  const { rows } = await sql<{ table: string; name: string }>`
    SELECT c.relname AS table, t.tgname AS name
    FROM pg_catalog.pg_trigger t
    JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT t.tgisinternal AND (t.tgtype & 1) = 0 AND n.nspname = ${schema}
      AND c.relname = ANY(${[...tables]}::text[])
    ORDER BY c.relname, t.tgname
  `.execute(db)
  return rows
}

/** Tables in an order where each comes after the tables it references (among `tables`). */
function referencedFirst(tables: readonly string[], keys: readonly ForeignKey[]): string[] {
  const pending = new Set(tables)
  const ordered: string[] = []
  while (pending.size > 0) {
    const ready = [...pending].filter((table) =>
      keys.every((k) => k.table !== table || k.references === table || !pending.has(k.references)),
    )
    // A cycle would leave nothing ready; the manifest has none, but never loop forever.
    const next = ready.length > 0 ? ready : [...pending]
    for (const table of next) {
      pending.delete(table)
      ordered.push(table)
    }
  }
  return ordered
}

export interface DistributeOptions {
  /** Shards per distributed table; default Citus's `citus.shard_count` (32). */
  readonly shardCount?: number | undefined
}

/**
 * The Citus step, run after the schema's steps in the same transaction (search_path set to the
 * schema): drops the statement triggers on catalog-scoped and dedicated tables and every foreign
 * key among catalog-scoped tables, makes lookups and definitions reference tables and
 * catalog-scoped tables distributed by `catalog_id` in `catalog`'s colocation group, then puts
 * back the foreign keys, adds the colocated composite foreign keys that stand in for the
 * triggers and distributes the dedicated tables. Does nothing (false) on a schema already
 * distributed.
 */
export async function distributeSchema(
  db: Executor,
  schema: string,
  options: DistributeOptions = {},
): Promise<boolean> {
  if (!(await citusInstalled(db))) {
    throw new CheapValidationError(
      'a distributed schema needs the citus extension in this database ' +
        '(CREATE EXTENSION citus, on the coordinator of a Citus cluster)',
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  if (await isDistributed(db, schema)) return false
  const shardCount = options.shardCount
  if (shardCount !== undefined && (!Number.isInteger(shardCount) || shardCount < 1)) {
    throw new CheapValidationError(`shardCount must be a positive integer, got ${shardCount}`, {
      reason: 'INVALID_ARGUMENT',
    })
  }
  const q = (name: string): string => `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`
  const literal = (name: string): string => `'${q(name).replaceAll("'", "''")}'`
  const catalogTables = TABLE_NAMES.filter((name) => TABLES[name].group === 'catalog')
  const referenceTables = TABLE_NAMES.filter((name) => {
    const group = TABLES[name].group
    return group === 'lookup' || group === 'definition'
  })
  // Tables of mapAspectDef made before the schema was distributed go with their aspects; an
  // adopted read-only table (a view, another application's table) cannot be distributed here.
  const dedicated = await mappedTables(db, schema, { writableOnly: true })
  if ((await mappedTables(db, schema)).length > dedicated.length) {
    throw new CheapValidationError(
      `schema "${schema}" has read-only table mappings (adoptTable), which a distributed ` +
        'schema does not support yet: unmap them first',
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  const statements: string[] = []
  // The audit columns' row triggers (BEFORE UPDATE, touching only the row itself) are safe on
  // shards; Citus distributes a table with triggers, and propagates them, only when told so.
  await allowRowTriggers(db)
  for (const trigger of await statementTriggersOn(db, schema, [...catalogTables, ...dedicated])) {
    statements.push(`DROP TRIGGER ${quoteIdentifier(trigger.name)} ON ${q(trigger.table)}`)
  }
  const keys = await foreignKeys(db, schema)
  const scoped = new Set<string>(catalogTables)
  const among = keys.filter((k) => scoped.has(k.table) && scoped.has(k.references))
  for (const k of among) {
    statements.push(`ALTER TABLE ${q(k.table)} DROP CONSTRAINT ${quoteIdentifier(k.name)}`)
  }
  for (const table of referencedFirst(referenceTables, keys)) {
    statements.push(`SELECT create_reference_table(${literal(table)})`)
  }
  const shards = shardCount === undefined ? '' : `, shard_count => ${shardCount}`
  statements.push(
    `SELECT create_distributed_table(${literal('catalog')}, 'catalog_id', colocate_with => 'none'${shards})`,
  )
  for (const table of catalogTables.filter((name) => name !== 'catalog')) {
    statements.push(
      `SELECT create_distributed_table(${literal(table)}, 'catalog_id', colocate_with => ${literal('catalog')})`,
    )
  }
  for (const k of among) {
    statements.push(
      `ALTER TABLE ${q(k.table)} ADD CONSTRAINT ${quoteIdentifier(k.name)} ${k.definition}`,
    )
  }
  for (const key of replacementForeignKeys()) statements.push(key)
  // Each statement on its own: Citus runs its UDFs and the DDL they propagate one at a time.
  for (const statement of statements) await sql.raw(statement).execute(db)
  for (const table of dedicated) await distributeDedicatedTable(db, table)
  return true
}

/**
 * For the rest of the transaction, lets Citus create and distribute tables with row-level
 * triggers: it refuses them by default because a trigger that queries other distributed tables
 * cannot run on a shard. Ours (cheap_touch_updated_at) only sets the row's `updated_at`.
 */
export async function allowRowTriggers(db: Executor): Promise<void> {
  await sql`SET LOCAL citus.enable_unsafe_triggers = on`.execute(db)
}

/** Is the schema on the search_path (`current_schema()`) distributed? */
export async function isDistributedHere(db: Executor): Promise<boolean> {
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db)
  const schema = rows[0]?.schema
  return schema !== undefined && (await isDistributed(db, schema))
}

/**
 * A dedicated table (mapAspectDef) in a distributed schema (on the search_path): distributed by
 * `catalog_id` with `catalog`, its rows tied to their aspect by a colocated foreign key.
 */
export async function distributeDedicatedTable(db: Executor, table: string): Promise<void> {
  const { rows } = await sql<{ found: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = to_regclass(${quoteIdentifier(table)})
    ) AS found
  `.execute(db)
  const t = quoteIdentifier(table)
  if (rows[0]?.found !== true) {
    await sql
      .raw(
        `SELECT create_distributed_table('${t.replaceAll("'", "''")}', 'catalog_id', colocate_with => 'catalog')`,
      )
      .execute(db)
  }
  const fkey = quoteIdentifier(`${table}_aspect_fkey`)
  await sql.raw(`ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${fkey}`).execute(db)
  await sql
    .raw(
      `ALTER TABLE ${t} ADD CONSTRAINT ${fkey} FOREIGN KEY (catalog_id, aspect_id) ` +
        'REFERENCES aspect (catalog_id, aspect_id) ON DELETE CASCADE',
    )
    .execute(db)
}

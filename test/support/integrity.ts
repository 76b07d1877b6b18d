/**
 * The check query of docs/LOCKING.md: after any interleaving of writes and schema operations,
 * every value row has its aspect, every aspect its entity and AspectMap, every content row its
 * hierarchy and entity, and every dedicated-table row its aspect. Run after every concurrency
 * and stress test.
 */
import assert from 'node:assert/strict'
import { sql, type Kysely } from 'kysely'
import type { CheapDatabase } from '../../src/persistence/schema/database.ts'
import { VALUE_TABLE_NAMES } from '../../src/persistence/store/codecs/index.ts'

/** `table: n` for every kind of orphan row found; empty when the store is whole. */
export async function orphanRows(db: Kysely<CheapDatabase>): Promise<Record<string, number>> {
  const checks: [string, ReturnType<typeof sql>][] = [
    ...['property_list', ...VALUE_TABLE_NAMES].map((t): [string, ReturnType<typeof sql>] => [
      `${t} without aspect`,
      sql`select count(*) as n from ${sql.id(t)} v where not exists (select 1 from aspect a where a.catalog_id = v.catalog_id and a.aspect_id = v.aspect_id)`,
    ]),
    [
      'aspect without entity',
      sql`select count(*) as n from aspect a where not exists (select 1 from entity e where e.catalog_id = a.catalog_id and e.entity_id = a.entity_id)`,
    ],
    [
      'aspect without its AspectMap',
      sql`select count(*) as n from aspect a where not exists (select 1 from hierarchy h where h.catalog_id = a.catalog_id and h.aspect_def_id = a.aspect_def_id)`,
    ],
    ...(
      [
        'hierarchy_entity_list',
        'hierarchy_entity_set',
        'hierarchy_entity_directory',
        'hierarchy_entity_tree_node',
      ] as const
    ).map((t): [string, ReturnType<typeof sql>] => [
      `${t} without hierarchy`,
      sql`select count(*) as n from ${sql.id(t)} c where not exists (select 1 from hierarchy h where h.catalog_id = c.catalog_id and h.hierarchy_id = c.hierarchy_id)`,
    ]),
    [
      'entity without catalog',
      sql`select count(*) as n from entity e where not exists (select 1 from catalog c where c.catalog_id = e.catalog_id)`,
    ],
  ]
  const tables = await db
    .selectFrom('aspect_table_mapping')
    .select('table_name')
    .where('is_read_only', '=', false)
    .execute()
  for (const { table_name } of tables) {
    checks.push([
      `${table_name} (dedicated) without aspect`,
      sql`select count(*) as n from ${sql.id(table_name)} v where not exists (select 1 from aspect a where a.catalog_id = v.catalog_id and a.aspect_id = v.aspect_id)`,
    ])
  }
  const found: Record<string, number> = {}
  for (const [what, query] of checks) {
    const { rows } = await (query as ReturnType<typeof sql<{ n: bigint }>>).execute(db)
    const n = Number(rows[0]?.n ?? 0n)
    if (n > 0) found[what] = n
  }
  return found
}

/** Fails when {@link orphanRows} finds any. */
export async function assertNoOrphans(db: Kysely<CheapDatabase>): Promise<void> {
  assert.deepEqual(await orphanRows(db), {}, 'orphan rows')
}

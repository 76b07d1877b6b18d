import { sql, type Kysely } from 'kysely'
import type { CheapDatabase } from '../schema/database.ts'

type Executor = Kysely<CheapDatabase>

/**
 * Deletes the catalog's entity rows that no hierarchy refers to any more: every entity of the
 * catalog, or only those `among` the given ids (what a partial call may have orphaned, which is
 * cheap: each check is an index probe). Returns rows deleted.
 */
export async function deleteUnreferencedEntities(
  trx: Executor,
  catalogId: string,
  among?: readonly string[],
): Promise<number> {
  if (among !== undefined && among.length === 0) return 0
  const scope =
    among === undefined ? sql`` : sql`and e.entity_id = any(${[...new Set(among)]}::uuid[])`
  const result = await sql`delete from entity e where e.catalog_id = ${catalogId}::uuid ${scope}
    and not exists (select 1 from aspect x where x.catalog_id = e.catalog_id and x.entity_id = e.entity_id)
    and not exists (select 1 from hierarchy_entity_list x where x.catalog_id = e.catalog_id and x.entity_id = e.entity_id)
    and not exists (select 1 from hierarchy_entity_set x where x.catalog_id = e.catalog_id and x.entity_id = e.entity_id)
    and not exists (select 1 from hierarchy_entity_directory x where x.catalog_id = e.catalog_id and x.entity_id = e.entity_id)
    and not exists (select 1 from hierarchy_entity_tree_node x where x.catalog_id = e.catalog_id and x.entity_id = e.entity_id)`.execute(
    trx,
  )
  return Number(result.numAffectedRows ?? 0n)
}

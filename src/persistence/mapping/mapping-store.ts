import { sql, type Kysely, type RawBuilder } from 'kysely'

type Executor = Kysely<unknown>

/**
 * An AspectDef stored in its own table instead of the generic `property_value_*` tables, as
 * recorded in `aspect_table_mapping` / `aspect_column_mapping` (so every DAO and process sees it).
 *
 * - made by {@link PostgresDao.mapAspectDef}: `hasCatalogId` and `hasEntityId` true, writable;
 *   saves, loads, deletes and queries use the table transparently;
 * - made by {@link PostgresDao.adoptTable}: an existing table of one of the Java layouts (with or
 *   without `catalog_id` / `entity_id`), read-only.
 */
export interface AspectTableMapping {
  readonly aspectDefId: string
  readonly aspectDefName: string
  readonly table: string
  readonly hasCatalogId: boolean
  readonly hasEntityId: boolean
  readonly isReadOnly: boolean
  /** Property name → column name, in AspectDef order. */
  readonly columns: ReadonlyMap<string, string>
}

interface MappingRow {
  aspect_def_id: string
  name: string
  table_name: string
  has_catalog_id: boolean
  has_entity_id: boolean
  is_read_only: boolean
  properties: string[]
  columns: string[]
}

function toMapping(r: MappingRow): AspectTableMapping {
  return {
    aspectDefId: r.aspect_def_id,
    aspectDefName: r.name,
    table: r.table_name,
    hasCatalogId: r.has_catalog_id,
    hasEntityId: r.has_entity_id,
    isReadOnly: r.is_read_only,
    columns: new Map(r.properties.map((p, i) => [p, r.columns[i] as string])),
  }
}

async function selectMappings(db: Executor, where: RawBuilder<unknown>) {
  const rows =
    await sql<MappingRow>`select m.aspect_def_id, d.name, m.table_name, m.has_catalog_id, m.has_entity_id, m.is_read_only,
      coalesce(array_agg(c.property_name order by p.property_index) filter (where c.property_name is not null), '{}') as properties,
      coalesce(array_agg(c.column_name order by p.property_index) filter (where c.property_name is not null), '{}') as columns
    from aspect_table_mapping m
    join aspect_def d on d.aspect_def_id = m.aspect_def_id
    left join aspect_column_mapping c on c.aspect_def_id = m.aspect_def_id
    left join property_def p on p.aspect_def_id = c.aspect_def_id and p.name = c.property_name
    where ${where}
    group by m.aspect_def_id, d.name, m.table_name, m.has_catalog_id, m.has_entity_id, m.is_read_only
    order by d.name`.execute(db)
  return rows.rows.map(toMapping)
}

/** The mappings of the given AspectDefs (by id); unmapped defs are not in the result. */
export async function readMappings(
  db: Executor,
  defIds: readonly string[],
): Promise<Map<string, AspectTableMapping>> {
  if (defIds.length === 0) return new Map()
  const found = await selectMappings(db, sql`m.aspect_def_id = any(${[...defIds]}::uuid[])`)
  return new Map(found.map((m) => [m.aspectDefId, m]))
}

export async function readMappingByTable(
  db: Executor,
  table: string,
): Promise<AspectTableMapping | undefined> {
  return (await selectMappings(db, sql`m.table_name = ${table}`))[0]
}

export async function readAllMappings(db: Executor): Promise<AspectTableMapping[]> {
  return selectMappings(db, sql`true`)
}

/** Inserts the mapping rows (table and columns). */
export async function insertMapping(db: Executor, m: AspectTableMapping): Promise<void> {
  await sql`insert into aspect_table_mapping (aspect_def_id, table_name, has_catalog_id, has_entity_id, is_read_only) values (${m.aspectDefId}::uuid, ${m.table}, ${m.hasCatalogId}, ${m.hasEntityId}, ${m.isReadOnly})`.execute(
    db,
  )
  await replaceColumnMappings(db, m.aspectDefId, m.columns)
}

export async function replaceColumnMappings(
  db: Executor,
  defId: string,
  columns: ReadonlyMap<string, string>,
): Promise<void> {
  await sql`delete from aspect_column_mapping where aspect_def_id = ${defId}::uuid`.execute(db)
  if (columns.size === 0) return
  await sql`insert into aspect_column_mapping (aspect_def_id, property_name, column_name) select ${defId}::uuid, * from unnest(${[...columns.keys()]}::text[], ${[...columns.values()]}::text[])`.execute(
    db,
  )
}

export async function deleteMapping(db: Executor, defId: string): Promise<void> {
  await sql`delete from aspect_table_mapping where aspect_def_id = ${defId}::uuid`.execute(db)
}

/**
 * A DAO's cache of which AspectDefs are mapped (`null`: known to be unmapped). Cleared when the
 * DAO maps, unmaps or adopts, and when a save finds inside its transaction that the database
 * disagrees (another DAO or process changed a mapping): that save is then rebuilt and retried.
 */
export class MappingCache {
  #byDef = new Map<string, AspectTableMapping | null>()

  /** The mappings among `defIds`, reading only the ids not cached yet. */
  async forDefs(db: Executor, defIds: readonly string[]): Promise<Map<string, AspectTableMapping>> {
    const missing = defIds.filter((id) => !this.#byDef.has(id))
    if (missing.length > 0) {
      const found = await readMappings(db, missing)
      for (const id of missing) this.#byDef.set(id, found.get(id) ?? null)
    }
    const out = new Map<string, AspectTableMapping>()
    for (const id of defIds) {
      const m = this.#byDef.get(id)
      if (m !== undefined && m !== null) out.set(id, m)
    }
    return out
  }

  invalidate(): void {
    this.#byDef.clear()
  }
}

import type { Kysely } from 'kysely'
import type { CheapDatabase } from '../schema/database.ts'
import type { DedicatedTable } from '../store/dedicated/table.ts'

type Db = Kysely<CheapDatabase>

/** Records a mapping: the table and its slot → column map. */
export async function insertMapping(db: Db, m: DedicatedTable): Promise<void> {
  await db
    .insertInto('aspect_table_mapping')
    .values({
      aspect_def_id: m.defId,
      version: m.version,
      table_name: m.table,
      has_catalog_id: m.hasCatalogId,
      has_entity_id: m.hasEntityId,
      is_read_only: m.isReadOnly,
    })
    .execute()
  await replaceColumnMappings(db, m.defId, m.columns)
}

/** Replaces a mapping's slot → column map. */
export async function replaceColumnMappings(
  db: Db,
  defId: string,
  columns: ReadonlyMap<number, string>,
): Promise<void> {
  await db.deleteFrom('aspect_column_mapping').where('aspect_def_id', '=', defId).execute()
  if (columns.size === 0) return
  await db
    .insertInto('aspect_column_mapping')
    .values(
      [...columns].map(([slot, column]) => ({
        aspect_def_id: defId,
        property_id: slot,
        column_name: column,
      })),
    )
    .execute()
}

export async function deleteMapping(db: Db, defId: string): Promise<void> {
  await db.deleteFrom('aspect_table_mapping').where('aspect_def_id', '=', defId).execute()
}

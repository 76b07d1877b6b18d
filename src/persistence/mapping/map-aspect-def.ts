import { sql, type Kysely } from 'kysely'
import { CheapConflictError, CheapNotFoundError } from '../../errors.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { loadAspectDefsById, saveAspectDefs } from '../aspect-def-store.ts'
import {
  createTable,
  incompatibility,
  layoutSignature,
  planLayout,
  readTableColumns,
  resetConstraints,
  signatureOfComment,
  syncTable,
} from './dedicated-ddl.ts'
import {
  deleteMapping,
  insertMapping,
  readMappingByTable,
  readMappings,
  type AspectTableMapping,
} from './mapping-store.ts'
import { moveIntoTable, moveOutOfTable } from './move-values.ts'
import { q, validateIdentifier } from './names.ts'

type Executor = Kysely<unknown>

export interface MapAspectDefOptions {
  /** The dedicated table (created in the adapter's schema unless a compatible one exists). */
  readonly table: string
  /**
   * Property name → column name for some or all properties; the others get their sanitised
   * property name (`first name` → `first_name`, `名前` → `p`, deduplicated with `_2`, …).
   */
  readonly columns?: Readonly<Record<string, string>>
}

export interface MapAspectDefResult {
  readonly mapping: AspectTableMapping
  /** False when an existing compatible (empty) table was adopted, or the def was already mapped. */
  readonly tableCreated: boolean
  /** Aspects (in all catalogs) whose values moved from the generic tables into the table. */
  readonly aspectsMoved: number
}

export interface UnmapAspectDefOptions {
  /** Drop the (then empty) table; default true. With false it stays and can be mapped again. */
  readonly dropTable?: boolean
}

export interface UnmapAspectDefResult {
  /** Aspects whose values moved back into the generic tables. */
  readonly aspectsMoved: number
  readonly tableDropped: boolean
}

/** Locks and loads the stored def named `name`. */
export async function lockDefByName(trx: Executor, name: string): Promise<AspectDef> {
  const row = await sql<{
    aspect_def_id: string
  }>`select aspect_def_id from aspect_def where name = ${name} for update`.execute(trx)
  const id = row.rows[0]?.aspect_def_id
  if (id === undefined) throw new CheapNotFoundError(`no AspectDef named '${name}' is stored`)
  return (await loadAspectDefsById(trx, [id])).get(id) as AspectDef
}

/**
 * Stores `def` in a dedicated table, inside the caller's transaction: stores the def if needed
 * (an `AspectDef` object) or loads it (a name), creates the table or adopts a compatible empty
 * one, records the mapping, and moves the values of every existing aspect of the def (all
 * catalogs) out of the generic tables. Mapping again to the same table is a no-op.
 */
export async function mapAspectDef(
  trx: Executor,
  aspectDef: AspectDef | string,
  options: MapAspectDefOptions,
): Promise<MapAspectDefResult> {
  const table = validateIdentifier('table name', options.table)
  let def: AspectDef
  if (typeof aspectDef === 'string') {
    def = await lockDefByName(trx, aspectDef)
  } else {
    await saveAspectDefs(trx, [aspectDef])
    def = aspectDef
  }
  const existing = (await readMappings(trx, [def.globalId])).get(def.globalId)
  if (existing !== undefined) {
    if (existing.table !== table || existing.isReadOnly) {
      throw new CheapConflictError(
        `AspectDef '${def.name}' is already mapped to table ${JSON.stringify(existing.table)}${existing.isReadOnly ? ' (adopted, read-only)' : ''}; unmap it first`,
      )
    }
    for (const [property, column] of Object.entries(options.columns ?? {})) {
      if (existing.columns.get(property) !== column) {
        throw new CheapConflictError(
          `AspectDef '${def.name}' is already mapped to ${JSON.stringify(table)} with property '${property}' in column ${JSON.stringify(existing.columns.get(property) ?? null)}, not ${JSON.stringify(column)}`,
        )
      }
    }
    return { mapping: await ensureLayout(trx, def, existing), tableCreated: false, aspectsMoved: 0 }
  }
  const other = await readMappingByTable(trx, table)
  if (other !== undefined) {
    throw new CheapConflictError(
      `table ${JSON.stringify(table)} already holds AspectDef '${other.aspectDefName}'`,
    )
  }
  const layout = planLayout(table, def, options.columns)
  const columns = await readTableColumns(trx, table)
  let tableCreated = false
  if (columns === undefined) {
    await createTable(trx, def, layout)
    tableCreated = true
  } else {
    const why = await incompatibility(trx, def, layout, columns)
    if (why !== undefined) {
      throw new CheapConflictError(
        `table ${JSON.stringify(table)} exists and cannot hold AspectDef '${def.name}': ${why}`,
      )
    }
    const rows = await sql<{
      any: boolean
    }>`select exists (select 1 from ${sql.id(table)}) as any`.execute(trx)
    if (rows.rows[0]?.any === true) {
      throw new CheapConflictError(
        `table ${JSON.stringify(table)} exists and is not empty; empty or drop it before mapping AspectDef '${def.name}' to it`,
      )
    }
    await resetConstraints(trx, def, layout, false)
  }
  const mapping: AspectTableMapping = {
    aspectDefId: def.globalId,
    aspectDefName: def.name,
    table,
    hasCatalogId: true,
    hasEntityId: true,
    isReadOnly: false,
    columns: new Map(layout.columns.map((c) => [c.property.name, c.column])),
  }
  await insertMapping(trx, mapping)
  const aspectsMoved = await moveIntoTable(trx, def, mapping)
  return { mapping, tableCreated, aspectsMoved }
}

/**
 * Moves a mapped def's values back into the generic tables and removes the mapping, inside the
 * caller's transaction. An adopted (read-only) mapping is only forgotten: its table is never
 * touched.
 */
export async function unmapAspectDef(
  trx: Executor,
  name: string,
  options: UnmapAspectDefOptions = {},
): Promise<UnmapAspectDefResult> {
  const def = await lockDefByName(trx, name)
  let mapping = (await readMappings(trx, [def.globalId])).get(def.globalId)
  if (mapping === undefined) {
    throw new CheapNotFoundError(`AspectDef '${name}' is not mapped to a table`)
  }
  if (mapping.isReadOnly) {
    await deleteMapping(trx, def.globalId)
    return { aspectsMoved: 0, tableDropped: false }
  }
  mapping = await ensureLayout(trx, def, mapping)
  const aspectsMoved = await moveOutOfTable(trx, def, mapping)
  await deleteMapping(trx, def.globalId)
  const dropTable = options.dropTable ?? true
  if (dropTable) await sql.raw(`drop table ${q(mapping.table)}`).execute(trx)
  return { aspectsMoved, tableDropped: dropTable }
}

/** Alters the table when the stored def changed shape since the table was last aligned. */
async function ensureLayout(
  trx: Executor,
  def: AspectDef,
  mapping: AspectTableMapping,
): Promise<AspectTableMapping> {
  const found = await sql<{
    c: string | null
  }>`select obj_description(to_regclass(quote_ident(current_schema()) || '.' || quote_ident(${mapping.table})), 'pg_class') as c`.execute(
    trx,
  )
  const signature = signatureOfComment(found.rows[0]?.c ?? null)
  const complete = def.propertyDefs().every((p) => mapping.columns.has(p.name))
  if (complete && signature === layoutSignature(def, mapping.columns)) return mapping
  return syncTable(trx, def, mapping)
}

/** The tables recorded in `schema`'s mappings (dedicated and adopted); empty without a schema. */
export async function mappedTables(
  db: Executor,
  schema: string,
  options: { readonly writableOnly?: boolean } = {},
): Promise<string[]> {
  const exists = await sql<{
    t: string | null
  }>`select to_regclass(quote_ident(${schema}) || '.aspect_table_mapping')::text as t`.execute(db)
  if ((exists.rows[0]?.t ?? null) === null) return []
  const filter = options.writableOnly === true ? sql`where not is_read_only` : sql``
  const rows = await sql<{
    table_name: string
  }>`select table_name from ${sql.id(schema, 'aspect_table_mapping')} ${filter} order by table_name`.execute(
    db,
  )
  return rows.rows.map((r) => r.table_name)
}

/**
 * Drops the dedicated (not adopted) tables of every mapping in `schema`, for
 * `PostgresSchema.truncate` / `dropSchema`, which remove the mappings: a dedicated table without
 * its mapping is an orphan, and its foreign key would block truncating `aspect`. Returns the
 * statement to run (empty when there is nothing to drop or no mapping table yet).
 */
export async function dropDedicatedTablesSql(db: Executor, schema: string): Promise<string> {
  const tables = await mappedTables(db, schema, { writableOnly: true })
  if (tables.length === 0) return ''
  return `DROP TABLE IF EXISTS ${tables.map((t) => `${q(schema)}.${q(t)}`).join(', ')}`
}

import { sql, type Kysely, type Transaction } from 'kysely'
import { CheapConflictError, CheapNotFoundError } from '../../errors.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { CheapDatabase } from '../schema/database.ts'
import {
  loadVersions,
  resolveDefs,
  versionIn,
  type DefVersionCache,
  type StoredVersion,
} from '../store/def-versions.ts'
import { q, validateIdentifier } from '../store/dedicated/names.ts'
import { readMappings, type DedicatedTable } from '../store/dedicated/table.ts'
import {
  createTable,
  incompatibility,
  planLayout,
  readTableColumns,
  resetConstraints,
} from './dedicated-ddl.ts'
import { lockDefForSchemaChange } from '../store/catalog-lock.ts'
import { isDistributedHere } from '../schema/citus.ts'
import { deleteMapping, insertMapping } from './mapping-store.ts'
import { moveIntoTable, moveOutOfTable } from './move-values.ts'

type Db = Kysely<CheapDatabase>
type Trx = Transaction<CheapDatabase>

/**
 * An AspectDef version stored in its own table instead of the generic value tables, as recorded
 * in `aspect_table_mapping` (so every DAO and process sees it):
 *
 * - made by `mapAspectDef`: writable; saves, loads, deletes and queries of the catalogs pinned
 *   to this version use the table transparently;
 * - made by `adoptTable`: an existing table of one of the Java layouts (with or without
 *   `catalog_id` / `entity_id`), read-only.
 */
export interface AspectTableMapping {
  readonly aspectDefId: string
  readonly aspectDefName: string
  /** The version of the def the table holds (catalogs pinned to another keep the generic tables). */
  readonly version: number
  readonly table: string
  readonly hasCatalogId: boolean
  readonly hasEntityId: boolean
  readonly isReadOnly: boolean
  /** Property name → column name, in the version's property order. */
  readonly columns: ReadonlyMap<string, string>
}

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

/** The public form of a mapping, with property names. */
export function describeMapping(
  table: DedicatedTable,
  version: StoredVersion | undefined,
): AspectTableMapping {
  const columns = new Map<string, string>()
  for (const p of version?.properties ?? []) {
    const column = table.columns.get(p.slot)
    if (column !== undefined) columns.set(p.def.name, column)
  }
  return {
    aspectDefId: table.defId,
    aspectDefName: table.defName,
    version: table.version,
    table: table.table,
    hasCatalogId: table.hasCatalogId,
    hasEntityId: table.hasEntityId,
    isReadOnly: table.isReadOnly,
    columns,
  }
}

export { lockDefForSchemaChange } from '../store/catalog-lock.ts'

/** The latest stored version of a def. */
export async function latestVersion(
  db: Db,
  defId: string,
  cache: DefVersionCache,
): Promise<StoredVersion> {
  const rows = await db
    .selectFrom('aspect_def_version')
    .select(['version'])
    .where('aspect_def_id', '=', defId)
    .orderBy('version', 'desc')
    .limit(1)
    .execute()
  const row = rows[0]
  if (row === undefined) throw new Error(`internal: AspectDef ${defId} has no version`)
  const versions = await loadVersions(db, [{ defId, version: row.version }], cache)
  return versionIn(versions, defId, row.version)
}

/**
 * Stores a def version in a dedicated table, inside the caller's transaction: the def (an
 * `AspectDef`: its version is found or stored; a name: its latest version), the table (created,
 * or a compatible empty one adopted), the mapping, and the values of every aspect of that version
 * in every catalog moved out of the generic tables. Mapping again to the same table is a no-op.
 */
export async function mapAspectDef(
  trx: Trx,
  cache: DefVersionCache,
  aspectDef: AspectDef | string,
  options: MapAspectDefOptions,
): Promise<MapAspectDefResult> {
  const table = validateIdentifier('table name', options.table)
  const name = typeof aspectDef === 'string' ? aspectDef : aspectDef.name
  let defId = await lockDefForSchemaChange(trx, name)
  let version: StoredVersion
  if (typeof aspectDef === 'string') {
    if (defId === undefined) throw new CheapNotFoundError(`no AspectDef named '${name}' is stored`)
    version = await latestVersion(trx, defId, cache)
  } else {
    version = (await resolveDefs(trx, [aspectDef], cache)).get(aspectDef)?.stored as StoredVersion
    defId ??= await lockDefForSchemaChange(trx, name)
  }
  const existing = (await readMappings(trx, { defIds: [version.defId] }))[0]
  if (existing !== undefined) {
    if (existing.table !== table || existing.isReadOnly || existing.version !== version.version) {
      throw new CheapConflictError(
        `AspectDef '${name}' is already mapped (version ${existing.version}) to table ${JSON.stringify(existing.table)}${existing.isReadOnly ? ' (adopted, read-only)' : ''}; unmap it first`,
        { aspectDefName: name },
      )
    }
    const mapping = describeMapping(existing, version)
    for (const [property, column] of Object.entries(options.columns ?? {})) {
      if (mapping.columns.get(property) !== column) {
        throw new CheapConflictError(
          `AspectDef '${name}' is already mapped to ${JSON.stringify(table)} with property '${property}' in column ${JSON.stringify(mapping.columns.get(property) ?? null)}, not ${JSON.stringify(column)}`,
          { aspectDefName: name, propertyName: property },
        )
      }
    }
    return { mapping, tableCreated: false, aspectsMoved: 0 }
  }
  const other = (await readMappings(trx, { table }))[0]
  if (other !== undefined) {
    throw new CheapConflictError(
      `table ${JSON.stringify(table)} already holds AspectDef '${other.defName}'`,
      {
        aspectDefName: name,
      },
    )
  }
  const layout = planLayout(table, version, options.columns)
  const columns = await readTableColumns(trx, table)
  let tableCreated = false
  if (columns === undefined) {
    await createTable(trx, version, layout)
    tableCreated = true
  } else {
    const why = await incompatibility(trx, version, layout, columns)
    if (why !== undefined) {
      throw new CheapConflictError(
        `table ${JSON.stringify(table)} exists and cannot hold AspectDef '${name}': ${why}`,
        { aspectDefName: name },
      )
    }
    const rows = await sql<{
      any: boolean
    }>`select exists (select 1 from ${sql.id(table)}) as any`.execute(trx)
    if (rows.rows[0]?.any === true) {
      throw new CheapConflictError(
        `table ${JSON.stringify(table)} exists and is not empty; empty or drop it before mapping AspectDef '${name}' to it`,
        { aspectDefName: name },
      )
    }
    await resetConstraints(trx, version, layout)
  }
  const mapping: DedicatedTable = {
    defId: version.defId,
    defName: version.name,
    version: version.version,
    table,
    hasCatalogId: true,
    hasEntityId: true,
    isReadOnly: false,
    columns: new Map(layout.columns.map((c) => [c.slot, c.column])),
  }
  await insertMapping(trx, mapping)
  const aspectsMoved = await moveIntoTable(trx, version, mapping)
  return { mapping: describeMapping(mapping, version), tableCreated, aspectsMoved }
}

/**
 * Moves a mapped def's values back into the generic tables and removes the mapping, inside the
 * caller's transaction; returns the table to drop once that transaction committed (a reader
 * whose snapshot still sees the mapping reads the table until then), or undefined. An adopted
 * (read-only) mapping is only forgotten: its table is never touched.
 */
export async function unmapAspectDef(
  trx: Trx,
  cache: DefVersionCache,
  name: string,
  options: UnmapAspectDefOptions = {},
): Promise<{ readonly aspectsMoved: number; readonly dropAfterCommit: string | undefined }> {
  const defId = await lockDefForSchemaChange(trx, name)
  if (defId === undefined) throw new CheapNotFoundError(`no AspectDef named '${name}' is stored`)
  const mapping = (await readMappings(trx, { defIds: [defId] }))[0]
  if (mapping === undefined) {
    throw new CheapNotFoundError(`AspectDef '${name}' is not mapped to a table`)
  }
  if (mapping.isReadOnly) {
    await deleteMapping(trx, defId)
    return { aspectsMoved: 0, dropAfterCommit: undefined }
  }
  // On Citus the move is a multi-shard write, which runs in parallel over several connections
  // per worker, and Citus then refuses the mapping's delete (a reference table) in the same
  // transaction: there the transaction uses one connection per worker instead.
  if (await isDistributedHere(trx)) {
    await sql`set local citus.multi_shard_modify_mode to 'sequential'`.execute(trx)
  }
  const versions = await loadVersions(trx, [{ defId, version: mapping.version }], cache)
  const aspectsMoved = await moveOutOfTable(
    trx,
    versionIn(versions, defId, mapping.version),
    mapping,
  )
  await deleteMapping(trx, defId)
  return { aspectsMoved, dropAfterCommit: (options.dropTable ?? true) ? mapping.table : undefined }
}

/**
 * Drops a dedicated table its mapping no longer names, in its own transaction: it waits for
 * readers whose snapshots still read it (a few ms), and a reader that reaches it after the drop
 * retries in a new snapshot (store/catalog-lock.ts), so no read ever fails because of it.
 */
export async function dropUnmappedTable(db: Db, table: string): Promise<void> {
  await sql.raw(`drop table if exists ${q(table)}`).execute(db)
}

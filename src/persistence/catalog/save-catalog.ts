import { sql, type Kysely } from 'kysely'
import { CheapConflictError } from '../../errors.ts'
import type { Catalog } from '../../model/catalog.ts'
import type { Hierarchy } from '../../model/hierarchy/index.ts'
import { PROPERTY_TYPE_CODES } from '../../model/property-type.ts'
import { saveAspectDefs } from '../aspect-def-store.ts'
import {
  deleteMissing,
  writeRows,
  writeRowsTogether,
  type ColumnData,
  type WriteTarget,
} from '../store/bulk-write.ts'
import {
  addAspectRows,
  addHierarchyRows,
  catalogHeaderRows,
  newContentRows,
  valueColumns,
  type ContentRows,
  type ValueRows,
} from '../catalog-rows.ts'
import type { CopyIn } from '../connection/held-connection.ts'
import type { DedicatedRows } from '../mapping/dedicated-rows.ts'
import { getCatalogState, type CatalogState } from './catalog-state.ts'
import { deleteUnreferencedEntities } from '../store/entity-gc.ts'
import {
  ASPECT,
  CATALOG_ASPECT_DEF,
  ENTITY,
  ENTITY_DIRECTORY,
  ENTITY_LIST,
  ENTITY_SET,
  ENTITY_TREE_NODE,
  HIERARCHY,
  PROPERTY_LIST,
  VALUE_TARGETS,
} from '../write-targets.ts'

type Executor = Kysely<unknown>

export interface SaveCatalogOptions {
  /** Overwrite whatever is stored, whatever its revision. */
  readonly force?: boolean
  /**
   * The stored revision this save expects. Defaults to the revision at which this catalog
   * object was loaded or last saved through the same database; a catalog object never seen by
   * the DAO expects that no catalog with its id is stored.
   */
  readonly expectedRevision?: bigint
}

export interface SaveCatalogResult {
  /** The catalog's stored revision after this save. */
  readonly revision: bigint
  /** `insert`: the catalog was new; `full`: every hierarchy rewritten; `incremental`: only changes. */
  readonly mode: 'insert' | 'full' | 'incremental'
  /** Rows sent to the database (inserted, updated or unchanged), deletions not counted. */
  readonly rowsWritten: number
}

/** What one save writes: which hierarchies in full, and which aspects of which maps. */
interface SavePlan {
  readonly mode: 'insert' | 'full' | 'incremental'
  readonly writeHeader: boolean
  /** Hierarchies rewritten completely (content replaced). */
  readonly full: Hierarchy[]
  /** AspectMaps with changed or new aspects only, and the entities whose aspects were removed. */
  readonly partial: {
    readonly map: Extract<Hierarchy, { type: 'AM' }>
    readonly changed: unknown[]
    readonly removed: string[]
  }[]
}

function fullPlan(catalog: Catalog, mode: 'insert' | 'full'): SavePlan {
  return { mode, writeHeader: true, full: [...catalog.hierarchies()], partial: [] }
}

/** Compares the catalog with the snapshot taken at its last load or save. */
function incrementalPlan(catalog: Catalog, state: CatalogState): SavePlan {
  const full: Hierarchy[] = []
  const partial: SavePlan['partial'] = []
  let writeHeader = catalog.changeCount !== state.catalogChangeCount
  for (const h of catalog.hierarchies()) {
    const seen = state.hierarchies.get(h)
    if (seen === undefined || state.storedHierarchies.get(h.name) !== h.type) {
      full.push(h)
      writeHeader = true
      continue
    }
    if (h.type === 'AM') {
      if (state.aspectDefs.get(h.aspectDef) !== h.aspectDef.changeCount) {
        full.push(h)
        continue
      }
      if (seen === h.changeCount && !hasChangedAspects(h, state)) continue
      const changed = [...h.aspects()].filter((a) => state.aspects.get(a) !== a.changeCount)
      partial.push({ map: h, changed, removed: [...h.removedSinceMark()] })
      if (seen !== h.changeCount) writeHeader = true
      continue
    }
    if (seen !== h.changeCount) {
      full.push(h)
      writeHeader = true
    }
  }
  return { mode: 'incremental', writeHeader, full, partial }
}

function hasChangedAspects(map: Extract<Hierarchy, { type: 'AM' }>, state: CatalogState): boolean {
  for (const a of map.aspects()) if (state.aspects.get(a) !== a.changeCount) return true
  return false
}

/**
 * Saves a whole catalog in one transaction: optimistic-lock check on the catalog row, AspectDefs
 * (global by name), header rows, then hierarchy contents set-based (`unnest`, 10k rows a
 * statement). An existing catalog's rows are upserted (unchanged rows left untouched) and rows
 * the catalog no longer holds are deleted, so removals stick. A catalog loaded or saved through
 * this database is re-saved incrementally: only changed hierarchies and aspects are written.
 */
export async function saveCatalog(
  db: Kysely<unknown>,
  catalog: Catalog,
  databaseKey: string,
  options: SaveCatalogOptions = {},
  copyIn?: CopyIn,
  /** Collector for AspectDefs mapped to dedicated tables (the DAO passes one). */
  dedicated?: DedicatedRows,
): Promise<SaveCatalogResult & { readonly plan: SavePlan }> {
  const state = getCatalogState(catalog, databaseKey)
  // Everything is encoded before the first statement: a value that cannot be stored fails here.
  let plan = state === undefined ? fullPlan(catalog, 'insert') : incrementalPlan(catalog, state)
  let rows = buildRows(plan, dedicated)
  return db.transaction().execute(async (trx) => {
    const locked = await sql<{
      revision: bigint
    }>`select revision from catalog where catalog_id = ${catalog.globalId}::uuid for update`.execute(
      trx,
    )
    const stored = locked.rows[0]?.revision
    const expected = options.expectedRevision ?? state?.revision
    if (!options.force && stored !== expected) {
      throw staleError(catalog, stored, expected)
    }
    if (stored === undefined && plan.mode !== 'insert') {
      plan = fullPlan(catalog, 'insert')
      rows = buildRows(plan, dedicated)
    } else if (stored !== undefined && (plan.mode === 'insert' || stored !== state?.revision)) {
      plan = fullPlan(catalog, 'full')
      rows = buildRows(plan, dedicated)
    }
    const revision = (stored ?? 0n) + 1n
    const written = await writePlan(trx, catalog, plan, rows, revision, copyIn)
    await sql`insert into catalog_revision (catalog_id, revision, operation, rows_written) values (${catalog.globalId}::uuid, ${revision}::int8, ${plan.mode === 'incremental' ? 'incremental' : 'save'}, ${written}::int8)`.execute(
      trx,
    )
    return { revision, mode: plan.mode, rowsWritten: written, plan }
  })
}

function staleError(
  catalog: Catalog,
  stored: bigint | undefined,
  expected: bigint | undefined,
): CheapConflictError {
  const message =
    expected === undefined
      ? `catalog ${catalog.globalId} is already stored (revision ${stored}); load it and apply your changes, or save with { force: true } to overwrite`
      : stored === undefined
        ? `catalog ${catalog.globalId} was expected at revision ${expected} but is no longer stored (deleted by another writer); save with { force: true } to store it again`
        : `catalog ${catalog.globalId} was changed by another writer: expected revision ${expected}, stored revision ${stored}; reload it and apply your changes again, or save with { force: true } to overwrite`
  return new CheapConflictError(message, {
    ...(stored === undefined ? {} : { storedRevision: stored }),
    ...(expected === undefined ? {} : { expectedRevision: expected }),
  })
}

function buildRows(plan: SavePlan, dedicated?: DedicatedRows): ContentRows {
  const rows = newContentRows(dedicated?.fresh())
  for (const h of plan.full) addHierarchyRows(rows, h)
  return rows
}

async function writePlan(
  trx: Executor,
  catalog: Catalog,
  plan: SavePlan,
  rows: ContentRows,
  revision: bigint,
  copyIn?: CopyIn,
): Promise<number> {
  const id = catalog.globalId
  const isNew = plan.mode === 'insert'
  const mode = isNew ? 'insert' : 'upsert'
  let written = await saveAspectDefs(trx, [...catalog.aspectDefs()])
  written += await writeCatalogRow(trx, catalog, revision, isNew)
  const removedSomething =
    plan.mode === 'incremental'
      ? plan.partial.some((p) => p.removed.length > 0) || plan.full.length > 0
      : !isNew
  if (plan.writeHeader) written += await writeHeader(trx, catalog, isNew)
  // New entities first: content rows reference them.
  const entityIds = new Set(rows.entities)
  const partialRows = newContentRows(rows.dedicated?.fresh())
  for (const p of plan.partial) {
    if (p.removed.length > 0) {
      await sql`delete from aspect where catalog_id = ${id}::uuid and aspect_def_id = ${p.map.aspectDef.globalId}::uuid and entity_id = any(${p.removed}::uuid[])`.execute(
        trx,
      )
    }
    if (p.changed.length > 0) {
      const max = await sql<{
        max: number | null
      }>`select max(map_order) as max from aspect where catalog_id = ${id}::uuid and aspect_def_id = ${p.map.aspectDef.globalId}::uuid`.execute(
        trx,
      )
      addAspectRows(partialRows, p.map.aspectDef, p.changed as never, (max.rows[0]?.max ?? -1) + 1)
    }
  }
  for (const e of partialRows.entities) entityIds.add(e)
  written += await writeRows(trx, ENTITY, id, [[...entityIds]], isNew ? 'insert' : 'upsert', copyIn)

  if (!isNew) await deleteStaleContent(trx, id, plan, rows)
  written += await writeRows(trx, ENTITY_LIST, id, rows.lists, mode, copyIn)
  written += await writeRows(trx, ENTITY_SET, id, rows.sets, mode, copyIn)
  written += await writeRows(trx, ENTITY_DIRECTORY, id, rows.directories, mode, copyIn)
  written += await writeRows(trx, ENTITY_TREE_NODE, id, rows.treeNodes, mode, copyIn)
  written += await writeRows(trx, ASPECT, id, rows.aspects, mode, copyIn)
  written += await writeValues(trx, id, rows, mode, copyIn)
  written += (await rows.dedicated?.write(trx, id, mode)) ?? 0
  if (plan.partial.length > 0) written += await writePartialAspects(trx, id, partialRows)
  if (removedSomething) await deleteUnreferencedEntities(trx, id)
  return written
}

async function writeCatalogRow(
  trx: Executor,
  catalog: Catalog,
  revision: bigint,
  isNew: boolean,
): Promise<number> {
  if (isNew) {
    // No row to lock when the catalog is new: a writer storing the same id at the same time
    // makes this insert wait for it, then do nothing, and this save is the stale one.
    const inserted =
      await sql`insert into catalog (catalog_id, species, uri, upstream_catalog_id, version_number, revision) values (${catalog.globalId}::uuid, ${catalog.species}, ${catalog.uri}, ${catalog.upstream}::uuid, ${catalog.version}::int8, ${revision}::int8) on conflict (catalog_id) do nothing`.execute(
        trx,
      )
    if (inserted.numAffectedRows === 0n) {
      throw new CheapConflictError(
        `catalog ${catalog.globalId} was stored by another writer while this save ran; load it and apply your changes, or save again with { force: true } to overwrite`,
      )
    }
  } else {
    await sql`update catalog set species = ${catalog.species}, uri = ${catalog.uri}, upstream_catalog_id = ${catalog.upstream}::uuid, version_number = ${catalog.version}::int8, revision = ${revision}::int8 where catalog_id = ${catalog.globalId}::uuid`.execute(
      trx,
    )
  }
  return 1
}

/** catalog_aspect_def and hierarchy rows: delete what is gone (cascading its content), upsert the rest. */
async function writeHeader(trx: Executor, catalog: Catalog, isNew: boolean): Promise<number> {
  const id = catalog.globalId
  const { catalogAspectDefs, hierarchies } = catalogHeaderRows(catalog)
  if (!isNew) {
    // A hierarchy whose type or AspectDef changed is deleted first (cascading its content).
    await sql`delete from hierarchy h using unnest(${hierarchies[0]}::text[], ${hierarchies[1]}::text[], ${hierarchies[4]}::uuid[]) as n(name, hierarchy_type, aspect_def_id) where h.catalog_id = ${id}::uuid and h.name = n.name and (h.hierarchy_type <> n.hierarchy_type or h.aspect_def_id is distinct from n.aspect_def_id)`.execute(
      trx,
    )
    await deleteMissing(trx, HIERARCHY, id, [hierarchies[0] as unknown[]])
    await deleteMissing(trx, CATALOG_ASPECT_DEF, id, [catalogAspectDefs[0] as unknown[]])
  }
  const mode = isNew ? 'insert' : 'upsert'
  let written = await writeRows(trx, CATALOG_ASPECT_DEF, id, catalogAspectDefs, mode)
  written += await writeRows(trx, HIERARCHY, id, hierarchies, mode)
  return written
}

/** For hierarchies rewritten in full: delete their rows that the new content no longer has. */
async function deleteStaleContent(
  trx: Executor,
  id: string,
  plan: SavePlan,
  rows: ContentRows,
): Promise<void> {
  const names = (type: Hierarchy['type']) =>
    plan.full.filter((h) => h.type === type).map((h) => h.name)
  const scoped = async (target: WriteTarget, type: Hierarchy['type'], data: ColumnData) => {
    const scope = names(type)
    if (scope.length === 0) return
    await deleteMissing(trx, target, id, data.slice(0, target.keys.length), {
      column: { name: 'hierarchy_name', sqlType: 'text' },
      values: scope,
    })
  }
  await scoped(ENTITY_LIST, 'EL', rows.lists)
  await scoped(ENTITY_SET, 'ES', rows.sets)
  await scoped(ENTITY_DIRECTORY, 'ED', rows.directories)
  await scoped(ENTITY_TREE_NODE, 'ET', rows.treeNodes)
  const defIds = plan.full.filter((h) => h.type === 'AM').map((h) => h.aspectDef.globalId)
  if (defIds.length === 0) return
  const byDef = { column: { name: 'aspect_def_id', sqlType: 'uuid' }, values: defIds }
  await deleteMissing(trx, ASPECT, id, rows.aspects.slice(0, 2), byDef)
  await deleteMissing(trx, PROPERTY_LIST, id, rows.propertyLists.slice(0, 3), byDef)
  for (const type of PROPERTY_TYPE_CODES) {
    const v = rows.values.get(type) as ValueRows
    await deleteMissing(
      trx,
      VALUE_TARGETS[type],
      id,
      [v.defIds, v.entityIds, v.names, v.indexes],
      byDef,
    )
  }
}

async function writeValues(
  trx: Executor,
  id: string,
  rows: ContentRows,
  mode: 'insert' | 'upsert',
  copyIn?: CopyIn,
): Promise<number> {
  return writeRowsTogether(
    trx,
    id,
    [
      { target: PROPERTY_LIST, data: rows.propertyLists },
      ...PROPERTY_TYPE_CODES.map((type) => ({
        target: VALUE_TARGETS[type],
        data: valueColumns(type, rows.values.get(type) as ValueRows),
      })),
    ],
    mode,
    copyIn,
  )
}

/**
 * Changed aspects of a map: existing rows keep their map_order; values replaced per aspect.
 * Shared with the partial calls (`partial-aspects.ts`).
 */
export async function writePartialAspects(
  trx: Executor,
  id: string,
  rows: ContentRows,
): Promise<number> {
  // `do nothing` on conflict keeps a replaced aspect's position, as AspectMap.add does.
  let written = await writeRows(trx, ASPECT, id, rows.aspects, 'upsert-keep')
  const pairs = { defIds: rows.aspects[0] as string[], entityIds: rows.aspects[1] as string[] }
  // Value rows of the changed aspects that the new values no longer have.
  await deleteAspectValuesNotIn(trx, id, pairs, rows)
  written += await writeValues(trx, id, rows, 'upsert')
  written += (await rows.dedicated?.write(trx, id, 'upsert')) ?? 0
  return written
}

async function deleteAspectValuesNotIn(
  trx: Executor,
  id: string,
  pairs: { readonly defIds: string[]; readonly entityIds: string[] },
  rows: ContentRows,
): Promise<void> {
  if (pairs.defIds.length === 0) return
  const scope = sql`(aspect_def_id, entity_id) in (select * from unnest(${pairs.defIds}::uuid[], ${pairs.entityIds}::uuid[]))`
  const lists = rows.propertyLists
  // One statement: a data-modifying CTE per table, so a small partial write costs one round trip.
  const deletes = [
    sql`delete from property_list where catalog_id = ${id}::uuid and ${scope} and (aspect_def_id, entity_id, property_name) not in (select * from unnest(${lists[0]}::uuid[], ${lists[1]}::uuid[], ${lists[2]}::text[]))`,
    ...PROPERTY_TYPE_CODES.map((type) => {
      const v = rows.values.get(type) as ValueRows
      return sql`delete from ${sql.id(VALUE_TARGETS[type].table)} where catalog_id = ${id}::uuid and ${scope} and (aspect_def_id, entity_id, property_name, value_index) not in (select * from unnest(${v.defIds}::uuid[], ${v.entityIds}::uuid[], ${v.names}::text[], ${v.indexes}::int4[]))`
    }),
  ]
  await sql`with ${sql.join(deletes.map((d, i) => sql`${sql.raw(`d${i}`)} as (${d})`))} select 1`.execute(
    trx,
  )
}

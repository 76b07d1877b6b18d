import { sql, type Kysely } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import { Catalog } from '../../model/catalog.ts'
import type { CatalogSpecies } from '../../model/catalog-species.ts'
import { checkUuid } from '../../model/entity.ts'
import type { PostgresAdapter } from '../connection/adapter.ts'
import { setCatalogState, snapshotCatalog } from '../catalog/catalog-state.ts'
import { loadCatalog } from '../catalog/load-catalog.ts'
import { saveCatalog, type SaveCatalogOptions, type SaveCatalogResult } from '../catalog/save-catalog.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { EntityId } from '../../model/entity.ts'
import {
  loadAspects,
  removeAspects,
  upsertAspects,
  type RemoveAspectsResult,
  type UpsertAspectsResult,
} from '../partial/aspects.ts'
import {
  loadHierarchy,
  type HierarchyPage,
  type HierarchyPageOptions,
} from '../partial/hierarchy-page.ts'
import {
  addToEntityList,
  addToEntitySet,
  putDirectoryEntries,
  removeDirectoryEntries,
  removeFromEntityList,
  removeFromEntitySet,
  type DirectoryEntries,
  type MembershipResult,
} from '../partial/membership.ts'
import { addTreeNodes, removeTreeNodes, type TreeNodeInput } from '../partial/tree.ts'
import { mapDatabaseError } from '../connection/sql-errors.ts'
import { quoteIdentifier } from '../schema/identifiers.ts'
import { TABLE_NAMES, TABLES } from '../schema/tables.ts'

import type { AspectDefCache } from '../aspect-fetch.ts'
import { AspectDef } from '../../model/aspect-def.ts'
import type { AspectMap } from '../../model/hierarchy/aspect-map.ts'
import {
  adoptTable,
  loadAdoptedTable,
  type AdoptTableOptions,
  type LoadAdoptedTableOptions,
} from '../mapping/adopt-table.ts'
import { withDedicatedRows } from '../mapping/dedicated-rows.ts'
import {
  mapAspectDef,
  unmapAspectDef,
  type MapAspectDefOptions,
  type MapAspectDefResult,
  type UnmapAspectDefOptions,
  type UnmapAspectDefResult,
} from '../mapping/map-aspect-def.ts'
import { MappingCache, readAllMappings, type AspectTableMapping } from '../mapping/mapping-store.ts'
import {
  QuerySupport,
  explainFindEntities,
  findEntities,
  indexProperty,
  type FindEntitiesOptions,
  type IndexPropertyResult,
} from '../query/find-entities.ts'
import type { Where } from '../query/predicate.ts'

/** A save of at least this many rows refreshes the statistics of the tables it wrote. */
const ANALYZE_AFTER_ROWS = 10_000

export interface CatalogSummary {
  readonly catalogId: string
  readonly species: CatalogSpecies
  readonly uri: string | null
  readonly upstream: string | null
  readonly version: bigint
  readonly revision: bigint
}

export interface ListCatalogsOptions {
  /** At most this many (default 100, at most 10,000). */
  readonly limit?: number
  /** Keyset pagination: only catalogs whose id sorts after this one. */
  readonly after?: string
}

export type { SaveCatalogOptions, SaveCatalogResult }
export type {
  AdoptTableOptions,
  AspectTableMapping,
  FindEntitiesOptions,
  IndexPropertyResult,
  LoadAdoptedTableOptions,
  MapAspectDefOptions,
  MapAspectDefResult,
  UnmapAspectDefOptions,
  UnmapAspectDefResult,
  Where,
}
export type {
  DirectoryEntries,
  HierarchyPage,
  HierarchyPageOptions,
  MembershipResult,
  RemoveAspectsResult,
  TreeNodeInput,
  UpsertAspectsResult,
}
export type {
  AspectMapPage,
  EntityDirectoryPage,
  EntityListPage,
  EntitySetPage,
  EntityTreePage,
  TreeNodeEntry,
} from '../partial/hierarchy-page.ts'

/**
 * Saves, loads and deletes whole catalogs. Every call is one transaction; a save is all or
 * nothing and a load sees one consistent snapshot.
 *
 * @example
 * ```ts
 * const adapter = await PostgresAdapter.embedded()
 * await PostgresSchema.createSchema(adapter)
 * const dao = new PostgresDao(adapter)
 * const { revision } = await dao.saveCatalog(catalog)   // 1n
 * const copy = await dao.loadCatalog(catalog.globalId)  // equal to catalog
 * ```
 */
export class PostgresDao {
  readonly #adapter: PostgresAdapter
  readonly #db: Kysely<unknown>
  readonly #key: string
  /** Which AspectDefs live in dedicated tables (cleared on map/unmap/adopt and when stale). */
  readonly #mappings = new MappingCache()
  /** AspectDefs by name for single-statement reads, revalidated by id and hash on each use. */
  readonly #defCache: AspectDefCache = new Map()
  readonly #queries = new QuerySupport()

  constructor(adapter: PostgresAdapter) {
    this.#adapter = adapter
    this.#db = adapter.db as unknown as Kysely<unknown>
    this.#key = `${adapter.target}#${adapter.schema}`
  }

  get adapter(): PostgresAdapter {
    return this.#adapter
  }

  /**
   * Saves `catalog` in one transaction and returns its new revision. A catalog loaded (or last
   * saved) at revision r fails with a `CheapConflictError` when the stored revision is no longer
   * r, unless `{ force: true }`; a catalog object the DAO has never seen may not overwrite a
   * stored catalog of the same id without `force`. A re-save writes only what changed.
   */
  async saveCatalog(
    catalog: Catalog,
    options: SaveCatalogOptions = {},
  ): Promise<SaveCatalogResult> {
    if (!(catalog instanceof Catalog)) {
      throw new CheapValidationError(
        `saveCatalog expects a Catalog, got ${catalog === null ? 'null' : typeof catalog}`,
        {
          reason: 'INVALID_ARGUMENT',
        },
      )
    }
    try {
      // One held connection: Kysely statements and COPY share its transaction.
      const defs = [...catalog.aspectDefs()]
      const result = await withDedicatedRows(this.#db, this.#mappings, defs, (dedicated) =>
        this.#adapter.withConnection((connection) =>
          saveCatalog(
            connection.db as unknown as Kysely<unknown>,
            catalog,
            this.#key,
            options,
            connection.copyIn,
            dedicated,
          ),
        ),
      )
      setCatalogState(catalog, this.#key, snapshotCatalog(catalog, result.revision))
      if (result.rowsWritten >= ANALYZE_AFTER_ROWS) await this.#analyze()
      return { revision: result.revision, mode: result.mode, rowsWritten: result.rowsWritten }
    } catch (error) {
      throw mapDatabaseError(error, `saving catalog ${catalog.globalId}`, this.#adapter.target)
    }
  }

  /**
   * Refreshes the planner's statistics of the bulk tables after a large save. Fresh tables look
   * empty to the planner (PGlite runs no autovacuum at all), and single-aspect reads then filter
   * a whole AspectMap instead of probing the key: 7.5 ms instead of 0.03 ms at 10,000 entities.
   */
  async #analyze(): Promise<void> {
    const tables = TABLE_NAMES.filter((t) => TABLES[t].group === 'catalog').map((t) =>
      quoteIdentifier(t),
    )
    // Best effort, after the commit: a failure here must not report a committed save as failed.
    await this.#adapter.execScript(`ANALYZE ${tables.join(', ')}`).catch(() => undefined)
  }

  /** Loads a catalog, or `null` when none is stored under `catalogId`. */
  async loadCatalog(catalogId: string): Promise<Catalog | null> {
    checkUuid('catalog id', catalogId)
    try {
      const loaded = await loadCatalog(this.#db, catalogId)
      if (loaded === null) return null
      setCatalogState(loaded.catalog, this.#key, snapshotCatalog(loaded.catalog, loaded.revision))
      return loaded.catalog
    } catch (error) {
      throw mapDatabaseError(error, `loading catalog ${catalogId}`, this.#adapter.target)
    }
  }

  /** The stored revision of a catalog, or `null`. */
  async catalogRevision(catalogId: string): Promise<bigint | null> {
    checkUuid('catalog id', catalogId)
    try {
      const rows = await sql<{
        revision: bigint
      }>`select revision from catalog where catalog_id = ${catalogId}::uuid`.execute(this.#db)
      return rows.rows[0]?.revision ?? null
    } catch (error) {
      throw mapDatabaseError(error, `reading catalog ${catalogId}`, this.#adapter.target)
    }
  }

  /** Deletes a catalog and everything in it; false when there was none. Definitions stay. */
  async deleteCatalog(catalogId: string): Promise<boolean> {
    checkUuid('catalog id', catalogId)
    try {
      const result = await sql`delete from catalog where catalog_id = ${catalogId}::uuid`.execute(
        this.#db,
      )
      return (result.numAffectedRows ?? 0n) > 0n
    } catch (error) {
      throw mapDatabaseError(error, `deleting catalog ${catalogId}`, this.#adapter.target)
    }
  }

  async catalogExists(catalogId: string): Promise<boolean> {
    return (await this.catalogRevision(catalogId)) !== null
  }

  /** Stored catalogs ordered by id, a page at a time (keyset pagination with `after`). */
  async listCatalogs(options: ListCatalogsOptions = {}): Promise<CatalogSummary[]> {
    const limit = options.limit ?? 100
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new CheapValidationError(
        `listCatalogs: limit must be an integer from 1 to 10000, got ${String(limit)}`,
        {
          reason: 'INVALID_ARGUMENT',
        },
      )
    }
    const after =
      options.after === undefined ? null : checkUuid('listCatalogs after', options.after)
    try {
      const rows = await sql<{
        catalog_id: string
        species: CatalogSpecies
        uri: string | null
        upstream_catalog_id: string | null
        version_number: bigint
        revision: bigint
      }>`select catalog_id, species, uri, upstream_catalog_id, version_number, revision from catalog where (${after}::uuid is null or catalog_id > ${after}::uuid) order by catalog_id limit ${limit}`.execute(
        this.#db,
      )
      return rows.rows.map((r) => ({
        catalogId: r.catalog_id,
        species: r.species,
        uri: r.uri,
        upstream: r.upstream_catalog_id,
        version: r.version_number,
        revision: r.revision,
      }))
    } catch (error) {
      throw mapDatabaseError(error, 'listing catalogs', this.#adapter.target)
    }
  }

  // ---- dedicated tables and queries ---------------------------------------------------------
  // An AspectDef can live in its own typed table (one native column per property); saves, loads,
  // deletes, partial calls and queries use it transparently. See mapping/ and query/.

  /**
   * Moves `aspectDef` (an AspectDef, stored if needed, or a stored def's name) into a dedicated
   * table in one transaction: creates the table (or adopts a compatible empty one), records the
   * mapping for every DAO and process, and moves the values of its aspects in every catalog out
   * of the generic value tables. Mapping again to the same table is a no-op.
   *
   * @example
   * ```ts
   * await dao.mapAspectDef(person, { table: 'person', columns: { 'first name': 'first_name' } })
   * ```
   */
  async mapAspectDef(
    aspectDef: AspectDef | string,
    options: MapAspectDefOptions,
  ): Promise<MapAspectDefResult> {
    const name = typeof aspectDef === 'string' ? aspectDef : aspectDef?.name
    try {
      return await this.#db.transaction().execute((trx) => mapAspectDef(trx, aspectDef, options))
    } catch (error) {
      throw mapDatabaseError(error, `mapping AspectDef '${name}'`, this.#adapter.target)
    } finally {
      this.#mappings.invalidate()
    }
  }

  /**
   * Moves a mapped def's values back into the generic tables (one transaction) and forgets the
   * mapping; the table is dropped unless `{ dropTable: false }` (it is empty then, and mapping
   * the def again adopts it). An adopted (read-only) table is only forgotten, never touched.
   */
  async unmapAspectDef(
    aspectDefName: string,
    options: UnmapAspectDefOptions = {},
  ): Promise<UnmapAspectDefResult> {
    try {
      return await this.#db
        .transaction()
        .execute((trx) => unmapAspectDef(trx, aspectDefName, options))
    } catch (error) {
      throw mapDatabaseError(error, `unmapping AspectDef '${aspectDefName}'`, this.#adapter.target)
    } finally {
      this.#mappings.invalidate()
    }
  }

  /** Every recorded mapping (dedicated and adopted tables), by AspectDef name. */
  async aspectTableMappings(): Promise<AspectTableMapping[]> {
    try {
      return await readAllMappings(this.#db)
    } catch (error) {
      throw mapDatabaseError(error, 'reading aspect table mappings', this.#adapter.target)
    }
  }

  /**
   * Adopts an existing table read-only (the Java AspectTableMapping layouts: with or without
   * `catalog_id` and `entity_id` uuid columns): derives an AspectDef from its columns (the Java
   * type map), stores it and records the mapping. Saving aspects of that def fails with a
   * `CheapValidationError`; read the rows with {@link loadAdoptedTable}.
   */
  async adoptTable(table: string, options: AdoptTableOptions = {}): Promise<AspectDef> {
    try {
      return await this.#db.transaction().execute((trx) => adoptTable(trx, table, options))
    } catch (error) {
      throw mapDatabaseError(error, `adopting table ${JSON.stringify(table)}`, this.#adapter.target)
    } finally {
      this.#mappings.invalidate()
    }
  }

  /**
   * The rows of an adopted table as an AspectMap of its AspectDef (rows of `catalogId` only when
   * the table has a `catalog_id` column; random entity ids when it has no `entity_id`).
   */
  async loadAdoptedTable(table: string, options: LoadAdoptedTableOptions = {}): Promise<AspectMap> {
    if (options.catalogId !== undefined) checkUuid('catalog id', options.catalogId)
    try {
      return await loadAdoptedTable(this.#db, table, options)
    } catch (error) {
      throw mapDatabaseError(
        error,
        `loading adopted table ${JSON.stringify(table)}`,
        this.#adapter.target,
      )
    }
  }

  /**
   * The entities of a catalog whose aspect of `aspectDef` matches `where`, in map order (or by
   * `orderBy`), `limit` at a time after `after`; compiled to one SQL statement over the generic
   * value tables or the dedicated table (never load-then-filter). Pass the AspectDef object to
   * have property names and value types checked at compile time. See {@link NullOps} for the
   * null semantics.
   *
   * @example
   * ```ts
   * const ids = await dao.findEntities(catalogId, person, (p) =>
   *   p.and(p('age').gt(30n), p('name').startsWith('A'), p.not(p('tags').contains('x'))),
   *   { orderBy: { property: 'age', direction: 'desc' }, limit: 50 },
   * )
   * ```
   */
  findEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | string,
    where?: Where<D>,
    options?: FindEntitiesOptions<D> & { readonly select?: 'ids' },
  ): Promise<EntityId[]>
  findEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | string,
    where: Where<D> | undefined,
    options: FindEntitiesOptions<D> & { readonly select: 'aspects' },
  ): Promise<Aspect<D>[]>
  async findEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | string,
    where?: Where<D>,
    options: FindEntitiesOptions<D> = {},
  ): Promise<EntityId[] | Aspect<D>[]> {
    try {
      return await findEntities(this.#db, this.#queries, catalogId, aspectDef, where, options)
    } catch (error) {
      throw mapDatabaseError(
        error,
        `querying '${typeof aspectDef === 'string' ? aspectDef : aspectDef?.name}' of catalog ${catalogId}`,
        this.#adapter.target,
      )
    }
  }

  /** The query plan (`EXPLAIN`, or `EXPLAIN ANALYZE`) of a {@link findEntities} call. */
  async explainFindEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | string,
    where?: Where<D>,
    options: FindEntitiesOptions<D> & { readonly analyze?: boolean } = {},
  ): Promise<string> {
    try {
      return await explainFindEntities(
        this.#db,
        this.#queries,
        catalogId,
        aspectDef,
        where,
        options,
        options.analyze === true,
      )
    } catch (error) {
      throw mapDatabaseError(error, 'explaining a query', this.#adapter.target)
    }
  }

  /**
   * Creates (idempotently) the index that makes {@link findEntities} predicates and `orderBy`
   * on one property fast: a partial index on the property's value table, or a B-tree (GIN for a
   * multivalued property) on the dedicated table's column.
   */
  async indexProperty(aspectDefName: string, propertyName: string): Promise<IndexPropertyResult> {
    try {
      return await indexProperty(this.#db, this.#queries, aspectDefName, propertyName)
    } catch (error) {
      throw mapDatabaseError(
        error,
        `indexing '${aspectDefName}'.'${propertyName}'`,
        this.#adapter.target,
      )
    }
  }

  // ---- partial access: one hierarchy, some aspects, membership edits --------------------------
  // Reads run in one read-only REPEATABLE READ transaction. Every write is one transaction that
  // bumps the catalog's revision by one and logs a `partial` catalog_revision row, so a catalog
  // object loaded before it can no longer be saved without `force` (CheapConflictError).

  /**
   * One hierarchy (an AspectMap by its AspectDef's name), whole or a page (`offset`, `limit`)
   * with its `total`; see {@link HierarchyPage}. An entity tree pages over its pre-order walk and
   * comes with the whole {@link EntityTree} when not paged.
   */
  async loadHierarchy(
    catalogId: string,
    name: string,
    options: HierarchyPageOptions = {},
  ): Promise<HierarchyPage> {
    return this.#partial(`loading hierarchy ${JSON.stringify(name)} of catalog ${catalogId}`, () =>
      loadHierarchy(this.#db, catalogId, name, options),
    )
  }

  /** The stored aspects of `aspectDefName` for these entities (others absent), in map order. */
  async loadAspects(
    catalogId: string,
    aspectDefName: string,
    entityIds: Iterable<string>,
  ): Promise<Map<EntityId, Aspect>> {
    return this.#partial(`loading aspects '${aspectDefName}' of catalog ${catalogId}`, () =>
      loadAspects(this.#db, catalogId, aspectDefName, entityIds, this.#defCache),
    )
  }

  /**
   * Inserts or replaces aspects in the catalog's AspectMap of `aspectDefName` (which must exist):
   * new ones are appended, existing ones replaced in place. Every aspect's def must be the stored
   * def (same id and structure), else a `CheapValidationError` `WRONG_ASPECT_DEF`.
   */
  async upsertAspects(
    catalogId: string,
    aspectDefName: string,
    aspects: Iterable<Aspect>,
  ): Promise<UpsertAspectsResult> {
    // Materialised once: a retry (mappings changed meanwhile) must see the same aspects.
    const list: Iterable<Aspect> =
      aspects !== null && typeof aspects === 'object' && Symbol.iterator in aspects
        ? [...aspects]
        : aspects
    const first: unknown = Array.isArray(list) ? list[0] : undefined
    const def = first instanceof Object ? (first as { def?: unknown }).def : undefined
    return this.#partial(`upserting aspects '${aspectDefName}' of catalog ${catalogId}`, () =>
      withDedicatedRows(this.#db, this.#mappings, isAspectDef(def) ? [def] : [], (dedicated) =>
        upsertAspects(this.#db, catalogId, aspectDefName, list, dedicated, this.#defCache),
      ),
    )
  }

  /** Removes the aspects of `aspectDefName` of these entities (absent ones are ignored). */
  async removeAspects(
    catalogId: string,
    aspectDefName: string,
    entityIds: Iterable<string>,
  ): Promise<RemoveAspectsResult> {
    return this.#partial(`removing aspects '${aspectDefName}' of catalog ${catalogId}`, () =>
      removeAspects(this.#db, catalogId, aspectDefName, entityIds),
    )
  }

  /** Appends entities to an entity list (duplicates kept). */
  async addToEntityList(
    catalogId: string,
    name: string,
    entityIds: Iterable<string>,
  ): Promise<MembershipResult> {
    return this.#partial(
      `adding to entity list ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => addToEntityList(this.#db, catalogId, name, entityIds),
    )
  }

  /** Removes the first occurrence of each entity from an entity list. */
  async removeFromEntityList(
    catalogId: string,
    name: string,
    entityIds: Iterable<string>,
  ): Promise<MembershipResult> {
    return this.#partial(
      `removing from entity list ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => removeFromEntityList(this.#db, catalogId, name, entityIds),
    )
  }

  /** Adds entities to an entity set (members already there keep their position). */
  async addToEntitySet(
    catalogId: string,
    name: string,
    entityIds: Iterable<string>,
  ): Promise<MembershipResult> {
    return this.#partial(
      `adding to entity set ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => addToEntitySet(this.#db, catalogId, name, entityIds),
    )
  }

  /** Removes entities from an entity set. */
  async removeFromEntitySet(
    catalogId: string,
    name: string,
    entityIds: Iterable<string>,
  ): Promise<MembershipResult> {
    return this.#partial(
      `removing from entity set ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => removeFromEntitySet(this.#db, catalogId, name, entityIds),
    )
  }

  /** Puts key → entity entries into an entity directory (existing keys keep their position). */
  async putDirectoryEntries(
    catalogId: string,
    name: string,
    entries: DirectoryEntries,
  ): Promise<MembershipResult> {
    return this.#partial(
      `putting entries into entity directory ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => putDirectoryEntries(this.#db, catalogId, name, entries),
    )
  }

  /** Removes keys from an entity directory. */
  async removeDirectoryEntries(
    catalogId: string,
    name: string,
    keys: Iterable<string>,
  ): Promise<MembershipResult> {
    return this.#partial(
      `removing entries from entity directory ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => removeDirectoryEntries(this.#db, catalogId, name, keys),
    )
  }

  /**
   * Adds children under the node at `parentPath` (`'/'` is the root) of an entity tree. An
   * existing child of the same name is replaced in place (its subtree removed), like
   * `TreeNode.addChild`.
   */
  async addTreeNodes(
    catalogId: string,
    name: string,
    parentPath: string,
    nodes: Iterable<TreeNodeInput>,
  ): Promise<MembershipResult> {
    return this.#partial(
      `adding nodes to entity tree ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => addTreeNodes(this.#db, catalogId, name, parentPath, nodes),
    )
  }

  /** Removes the nodes at `paths` with their descendants (`affected` counts them all). */
  async removeTreeNodes(
    catalogId: string,
    name: string,
    paths: Iterable<string>,
  ): Promise<MembershipResult> {
    return this.#partial(
      `removing nodes from entity tree ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => removeTreeNodes(this.#db, catalogId, name, paths),
    )
  }

  async #partial<R>(context: string, call: () => Promise<R>): Promise<R> {
    try {
      return await call()
    } catch (error) {
      throw mapDatabaseError(error, context, this.#adapter.target)
    }
  }
}

function isAspectDef(value: unknown): value is AspectDef {
  return value instanceof AspectDef
}

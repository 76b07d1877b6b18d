import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef, AspectDefName } from '../../model/aspect-def.ts'
import type { Catalog } from '../../model/catalog.ts'
import type { EntityId } from '../../model/entity.ts'
import type { AspectMap } from '../../model/hierarchy/aspect-map.ts'
import type { LoadCatalogOptions } from '../catalog/progress.ts'
import type { SaveCatalogOptions, SaveCatalogResult } from '../catalog/save-catalog.ts'
import type { PostgresAdapter } from '../connection/adapter.ts'
import type {
  AspectDefInfo,
  EvolveAspectDefOptions,
  EvolveAspectDefResult,
  LoadAspectDefOptions,
} from '../defs/aspect-defs.ts'
import type { AdoptTableOptions, LoadAdoptedTableOptions } from '../mapping/adopt-table.ts'
import type {
  AspectTableMapping,
  MapAspectDefOptions,
  MapAspectDefResult,
  UnmapAspectDefOptions,
  UnmapAspectDefResult,
} from '../mapping/map-aspect-def.ts'
import type { RemoveAspectsResult, UpsertAspectsResult } from '../partial/aspects.ts'
import type { HierarchyPage, HierarchyPageOptions } from '../partial/hierarchy-page.ts'
import type { MembershipResult } from '../partial/common.ts'
import type { DirectoryEntries } from '../partial/membership.ts'
import type { TreeNodeInput } from '../partial/tree.ts'
import type { AspectJson, AspectsJsonOptions } from '../query/aspects-json.ts'
import type {
  FindEntitiesOptions,
  IndexPropertyOptions,
  IndexPropertyResult,
} from '../query/find-entities.ts'
import type { Where } from '../query/predicate.ts'
import type {
  CatalogSummary,
  ListCatalogsOptions,
  PurgeExpiredOptions,
  TransactionOptions,
} from './options.ts'
import type { StatsOptions, StoreStats } from './stats.ts'

/**
 * Everything a CHEAP store offers, as `PostgresDao` implements it: saves, loads and
 * deletes whole catalogs, reads and writes parts of them, queries them, and manages the
 * AspectDefs they use. Every call is one transaction (or one step of `transaction`'s); a save is
 * all or nothing and a load sees one consistent snapshot. Write code against this interface to
 * take a DAO or the `tx` of a transaction alike.
 */
export interface CheapDao {
  /** The adapter this DAO runs on. */
  readonly adapter: PostgresAdapter

  /**
   * Runs `fn` in one transaction on the primary and commits when it returns (rolls back when it
   * throws, and rethrows): `tx` is a DAO whose every call is a step of that transaction, reads
   * included, which see its own writes. A step that fails is undone alone (a savepoint), so `fn`
   * may catch its error and go on. Steps run one at a time, in the order they are called. Reads
   * in it never go to a replica. Calls on `tx` after `fn` returned fail.
   *
   * @example
   * ```ts
   * const revision = await dao.transaction(async (tx) => {
   *   await tx.upsertAspects(catalogId, person, [alice])
   *   await tx.addToEntityList(catalogId, 'members', [alice.entityId])
   *   return tx.catalogRevision(catalogId) // both or neither are stored
   * })
   * ```
   */
  transaction<R>(fn: (tx: CheapDao) => Promise<R>, options?: TransactionOptions): Promise<R>

  // ---- whole catalogs -------------------------------------------------------------------------

  /**
   * Saves `catalog` in one transaction and returns its new revision. A catalog loaded (or last
   * saved) at revision r fails with a `CheapConflictError` when the stored revision is no longer
   * r, unless `{ force: true }`; a catalog object the DAO has never seen may not overwrite a
   * stored catalog of the same id without `force`. A re-save writes only what changed; one with
   * no change writes nothing and keeps the revision (`unchanged: true`). Each AspectDef is
   * stored as a version of its name (docs/ASPECT-DEFS.md): a shape no stored version may become
   * is a `CheapConflictError` naming the def, the property and both hashes. A save of many rows
   * refreshes the planner's statistics of the tables it wrote, after the commit.
   *
   * `signal` stops the save between two statements (per table, per 10,000-row batch, per COPY
   * chunk): it is rolled back and rejects with a `CheapAbortError` (code `ABORTED`, `cause`:
   * `signal.reason`); an already aborted signal sends no statement. `onProgress` hears of every
   * statement with `{ phase: 'write', table, rowsDone, rowsTotal }`; a throw from it rolls the save
   * back and rejects the call with that error. In a transaction (`dao.transaction`), an abort
   * undoes this call's savepoint; the caller decides about the rest.
   *
   * @example
   * ```ts
   * const controller = new AbortController()
   * process.once('SIGINT', () => controller.abort())
   * await dao.saveCatalog(catalog, {
   *   signal: controller.signal,
   *   onProgress: ({ rowsDone, rowsTotal }) => bar.update(rowsDone, rowsTotal),
   * })
   * ```
   */
  saveCatalog(catalog: Catalog, options?: SaveCatalogOptions): Promise<SaveCatalogResult>

  /**
   * Loads a catalog, or `null` when none is stored under `catalogId`. `signal` and `onProgress`
   * as for {@link saveCatalog}, with `phase: 'read'`: the rows read so far, table by table; the
   * total is known only at the last event (counting first would cost a query per table).
   */
  loadCatalog(catalogId: string, options?: LoadCatalogOptions): Promise<Catalog | null>

  /**
   * The revision at which this database last loaded or saved `catalog` (the one a plain save
   * expects), or `undefined` for a catalog it never saw. No query: a load or save records it, so
   * a caller never asks the database again, and never reads a newer revision than it holds.
   */
  revisionOf(catalog: Catalog): bigint | undefined

  /** The stored revision of a catalog, or `null`. */
  catalogRevision(catalogId: string): Promise<bigint | null>

  /**
   * Deletes a catalog and everything in it; false when there was none. Its AspectDefs stay. The
   * defs' data locks are taken first, so a schema operation on one of them never sees half of it.
   */
  deleteCatalog(catalogId: string): Promise<boolean>

  /** When a stored (unexpired) catalog expires; null when it never does or is not stored. */
  catalogExpiresAt(catalogId: string): Promise<Date | null>

  /** Whether a catalog is stored (and unexpired). */
  catalogExists(catalogId: string): Promise<boolean>

  /** Stored catalogs ordered by id, a page at a time (keyset pagination with `after`). */
  listCatalogs(options?: ListCatalogsOptions): Promise<CatalogSummary[]>

  /**
   * What the store holds and how big it is: catalogs by species, AspectDefs, entities, aspects,
   * values by type, the `largest` catalogs (default 10) and every table's rows, bytes and last
   * analyze/vacuum. One query per group; on PGlite the fields its statistics lack are null.
   */
  stats(options?: StatsOptions): Promise<StoreStats>

  /**
   * Deletes expired catalogs (already invisible to every read) in batches of `batchSize`, each
   * its own short transaction, and returns how many it deleted. A batch takes the catalogs'
   * rows with `FOR UPDATE SKIP LOCKED`: it never waits for a save in progress, and a save never
   * waits for more than one batch. Only catalogs expired by the database's `now()` at the start
   * of the batch are deleted, so an unexpired catalog is never purged.
   */
  purgeExpired(options?: PurgeExpiredOptions): Promise<number>

  // ---- AspectDefs -----------------------------------------------------------------------------

  /** Every stored AspectDef with its versions, how many catalogs use each, and its mapping. */
  listAspectDefs(): Promise<AspectDefInfo[]>

  /**
   * A stored AspectDef by name or id (its latest version, or `{ version }`), usable with
   * `createAspect`; null when none is stored. Pass your own def as `expect` to get it back typed
   * after checking it equals the stored one (else a `CheapConflictError` naming both hashes).
   */
  loadAspectDef(nameOrId: string, options?: LoadAspectDefOptions): Promise<AspectDef | null>
  loadAspectDef<D extends AspectDef>(
    nameOrId: string,
    options: LoadAspectDefOptions & { readonly expect: D },
  ): Promise<D | null>

  /**
   * Deletes a stored AspectDef and all its versions; a `CheapConflictError` naming the catalogs
   * while any uses it. False when none is stored.
   */
  deleteAspectDef(nameOrId: string): Promise<boolean>

  /**
   * Moves stored catalogs (all that use the def, or `{ catalogs }`) to a new shape of the def,
   * in place, as their current version's flags allow (docs/ASPECT-DEFS.md), and reports what
   * changed. Each catalog moved gets a new revision.
   */
  evolveAspectDef(
    aspectDef: AspectDef,
    options?: EvolveAspectDefOptions,
  ): Promise<EvolveAspectDefResult>

  // ---- dedicated tables -----------------------------------------------------------------------

  /**
   * Moves a version of an AspectDef (the one equal to `aspectDef`, or the latest of a stored
   * def's name) into a dedicated table in one transaction: creates the table (or adopts a
   * compatible empty one), records the mapping for every DAO and process, and moves the values of
   * its aspects in every catalog pinned to that version out of the generic value tables. Mapping
   * again to the same table is a no-op.
   *
   * @example
   * ```ts
   * await dao.mapAspectDef(person, { table: 'person', columns: { 'first name': 'first_name' } })
   * ```
   */
  mapAspectDef(
    aspectDef: AspectDef | string,
    options: MapAspectDefOptions,
  ): Promise<MapAspectDefResult>

  /**
   * Moves a mapped def's values back into the generic tables (one transaction) and forgets the
   * mapping; the table is dropped afterwards unless `{ dropTable: false }` (it is empty then, and
   * mapping the def again adopts it). An adopted (read-only) table is only forgotten.
   */
  unmapAspectDef(
    aspectDefName: string,
    options?: UnmapAspectDefOptions,
  ): Promise<UnmapAspectDefResult>

  /** Every recorded mapping (dedicated and adopted tables), by AspectDef name. */
  aspectTableMappings(): Promise<AspectTableMapping[]>

  /**
   * Adopts an existing table read-only (the Java AspectTableMapping layouts: with or without
   * `catalog_id` and `entity_id` uuid columns): derives an AspectDef from its columns (the Java
   * type map), stores it and records the mapping. Saving aspects of that def fails with a
   * `CheapValidationError`; read the rows with {@link loadAdoptedTable}.
   */
  adoptTable(table: string, options?: AdoptTableOptions): Promise<AspectDef>

  /**
   * The rows of an adopted table as an AspectMap of its AspectDef (rows of `catalogId` only when
   * the table has a `catalog_id` column; random entity ids when it has no `entity_id`).
   */
  loadAdoptedTable(table: string, options?: LoadAdoptedTableOptions): Promise<AspectMap>

  // ---- queries --------------------------------------------------------------------------------

  /**
   * The entities of a catalog whose aspect of `aspectDef` matches `where`, in map order (or by
   * `orderBy`), `limit` at a time after `after`; compiled to one SQL statement over the generic
   * value tables or the dedicated table (never load-then-filter). Pass the AspectDef object to
   * have property names and value types checked at compile time; `{ select: 'aspects' }` returns
   * the matching aspects instead of their ids.
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
    aspectDef: D | AspectDefName<D>,
    where?: Where<D>,
    options?: FindEntitiesOptions<D> & { readonly select?: 'ids' },
  ): Promise<EntityId[]>
  findEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    where: Where<D> | undefined,
    options: FindEntitiesOptions<D> & { readonly select: 'aspects' },
  ): Promise<Aspect<D>[]>

  /** The query plan (`EXPLAIN`, or `EXPLAIN ANALYZE`) of a {@link findEntities} call. */
  explainFindEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    where?: Where<D>,
    options?: FindEntitiesOptions<D> & { readonly analyze?: boolean },
  ): Promise<string>

  /**
   * Creates (idempotently) the index that makes {@link findEntities} predicates and `orderBy`
   * on one property fast: a partial index on the property's value table, or a B-tree (GIN for a
   * multivalued property) on the dedicated table's column. `{ fullText: { language } }` makes
   * the GIN index `matches(…, { language })` uses instead.
   */
  indexProperty(
    aspectDefName: string,
    propertyName: string,
    options?: IndexPropertyOptions,
  ): Promise<IndexPropertyResult>

  /**
   * The aspects of one AspectDef in a catalog as JSON, computed by the database (the SQL function
   * `cheap_aspects_json`, which `psql` and BI tools can call too), in AspectMap order; the same
   * values the catalog JSON writer writes. A missing or expired catalog, or one without the def,
   * is a `CheapNotFoundError`.
   */
  aspectsJson<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    options?: AspectsJsonOptions,
  ): Promise<{ entityId: EntityId; aspect: AspectJson<D> }[]>

  /**
   * Evaluates `where` on aspects in memory, as {@link findEntities} would in SQL, asking the
   * database (one statement, no catalog read) only for the full-text answers of `matches` tests,
   * whose stemming and stop words are PostgreSQL's. One boolean per aspect.
   */
  evaluatePredicate<D extends AspectDef>(
    aspects: readonly ({ readonly def: D } & Aspect<D>)[],
    where: Where<D>,
  ): Promise<boolean[]>

  // ---- partial access -------------------------------------------------------------------------
  // Reads run in one read-only REPEATABLE READ transaction. Every write is one transaction that
  // bumps the catalog's revision by one and logs a `partial` catalog_revision row, so a catalog
  // object loaded before it can no longer be saved without `force` (CheapConflictError).

  /**
   * One hierarchy (an AspectMap by its AspectDef's name), whole or a page (`offset`, `limit`)
   * with its `total`; see {@link HierarchyPage}.
   */
  loadHierarchy(
    catalogId: string,
    name: string,
    options?: HierarchyPageOptions,
  ): Promise<HierarchyPage>

  /** The stored aspects of an AspectDef (object or name) for these entities, in map order. */
  loadAspects<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    entityIds: Iterable<string>,
  ): Promise<Map<EntityId, Aspect<D>>>

  /**
   * Inserts or replaces aspects in the catalog's AspectMap of `aspectDef` (which must exist): new
   * ones are appended, existing ones replaced in place. Every aspect's def must be the version
   * the catalog stores: another stored version of it (one an `evolveAspectDef` moved the catalog
   * away from, say) is a retryable `CheapConflictError`, any other def a `CheapValidationError`
   * `WRONG_ASPECT_DEF`.
   */
  upsertAspects<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    aspects: Iterable<Aspect<D>>,
  ): Promise<UpsertAspectsResult>

  /** Removes the aspects of an AspectDef of these entities (absent ones are ignored). */
  removeAspects(
    catalogId: string,
    aspectDef: AspectDef | string,
    entityIds: Iterable<string>,
  ): Promise<RemoveAspectsResult>

  /** Appends entities to an entity list (duplicates kept). */
  addToEntityList(
    catalogId: string,
    name: string,
    entityIds: Iterable<string>,
  ): Promise<MembershipResult>

  /** Removes the first occurrence of each entity from an entity list. */
  removeFromEntityList(
    catalogId: string,
    name: string,
    entityIds: Iterable<string>,
  ): Promise<MembershipResult>

  /** Adds entities to an entity set (members already there keep their position). */
  addToEntitySet(
    catalogId: string,
    name: string,
    entityIds: Iterable<string>,
  ): Promise<MembershipResult>

  /** Removes entities from an entity set. */
  removeFromEntitySet(
    catalogId: string,
    name: string,
    entityIds: Iterable<string>,
  ): Promise<MembershipResult>

  /** Puts key → entity entries into an entity directory (existing keys keep their position). */
  putDirectoryEntries(
    catalogId: string,
    name: string,
    entries: DirectoryEntries,
  ): Promise<MembershipResult>

  /** Removes keys from an entity directory. */
  removeDirectoryEntries(
    catalogId: string,
    name: string,
    keys: Iterable<string>,
  ): Promise<MembershipResult>

  /**
   * Adds children under the node at `parentPath` (`'/'` is the root) of an entity tree. An
   * existing child of the same name is replaced in place (its subtree removed).
   */
  addTreeNodes(
    catalogId: string,
    name: string,
    parentPath: string,
    nodes: Iterable<TreeNodeInput>,
  ): Promise<MembershipResult>

  /** Removes the nodes at `paths` with their descendants (`affected` counts them all). */
  removeTreeNodes(
    catalogId: string,
    name: string,
    paths: Iterable<string>,
  ): Promise<MembershipResult>
}

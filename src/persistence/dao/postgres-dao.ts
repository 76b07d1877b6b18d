import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef, AspectDefName } from '../../model/aspect-def.ts'
import type { Catalog } from '../../model/catalog.ts'
import type { EntityId } from '../../model/entity.ts'
import type { AspectMap } from '../../model/hierarchy/aspect-map.ts'
import { getCatalogState } from '../catalog/catalog-state.ts'
import type { LoadCatalogOptions } from '../catalog/progress.ts'
import type { SaveCatalogOptions, SaveCatalogResult } from '../catalog/save-catalog.ts'
import type { PostgresAdapter } from '../connection/adapter.ts'
import type * as Defs from '../defs/aspect-defs.ts'
import type { AdoptTableOptions, LoadAdoptedTableOptions } from '../mapping/adopt-table.ts'
import type * as Map_ from '../mapping/map-aspect-def.ts'
import type { RemoveAspectsResult, UpsertAspectsResult } from '../partial/aspects.ts'
import type { HierarchyPage, HierarchyPageOptions } from '../partial/hierarchy-page.ts'
import type { AspectJson, AspectsJsonOptions } from '../query/aspects-json.ts'
import type * as Find from '../query/find-entities.ts'
import type { Where } from '../query/predicate.ts'
import * as catalogs from './catalog-calls.ts'
import type { CheapDao } from './cheap-dao.ts'
import * as defs from './def-calls.ts'
import * as options_ from './options.ts'
import * as partial from './partial-calls.ts'
import type { Changed, Entries, Ids, Nodes } from './partial-calls.ts'
import * as queries from './query-calls.ts'
import { DaoSession } from './session.ts'
import type { StatsOptions, StoreStats } from './stats.ts'

/**
 * The CHEAP store on PostgreSQL or PGlite: the calls of {@link CheapDao} (documented there), each
 * one transaction. A DAO holds no connection (make one per request if you like); what is worth
 * keeping is shared by every DAO of an adapter. This class only names the calls: DaoSession runs
 * each (schema check, error mapping, replicas, `transaction`); the *-calls.ts files do the work.
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
export class PostgresDao implements CheapDao {
  #s: DaoSession

  constructor(adapter: PostgresAdapter, options: options_.PostgresDaoOptions = {}) {
    this.#s = new DaoSession(adapter, options_.smallPathOf(options))
  }

  get adapter(): PostgresAdapter {
    return this.#s.adapter
  }

  async transaction<R>(
    fn: (tx: PostgresDao) => Promise<R>,
    options: options_.TransactionOptions = {},
  ): Promise<R> {
    return this.#s.transaction(fn, options, (session) => {
      const tx = new PostgresDao(session.adapter, { smallCatalogs: session.smallPath })
      tx.#s = session
      return tx
    })
  }

  async saveCatalog(catalog: Catalog, options?: SaveCatalogOptions): Promise<SaveCatalogResult> {
    return catalogs.saveCatalog(this.#s, catalog, options)
  }
  async loadCatalog(catalogId: string, options?: LoadCatalogOptions): Promise<Catalog | null> {
    return catalogs.loadCatalog(this.#s, catalogId, options)
  }
  revisionOf(catalog: Catalog): bigint | undefined {
    return getCatalogState(catalog, this.#s.key)?.revision
  }
  async catalogRevision(catalogId: string): Promise<bigint | null> {
    return catalogs.catalogRevision(this.#s, catalogId)
  }
  async deleteCatalog(catalogId: string): Promise<boolean> {
    return catalogs.deleteCatalog(this.#s, catalogId)
  }
  async catalogExpiresAt(catalogId: string): Promise<Date | null> {
    return catalogs.catalogExpiresAt(this.#s, catalogId)
  }
  async catalogExists(catalogId: string): Promise<boolean> {
    return (await this.catalogRevision(catalogId)) !== null
  }
  async listCatalogs(options?: options_.ListCatalogsOptions): Promise<options_.CatalogSummary[]> {
    return catalogs.listCatalogs(this.#s, options)
  }
  async stats(options?: StatsOptions): Promise<StoreStats> {
    return catalogs.stats(this.#s, options)
  }
  async purgeExpired(options?: options_.PurgeExpiredOptions): Promise<number> {
    return catalogs.purgeExpired(this.#s, options)
  }

  async listAspectDefs(): Promise<Defs.AspectDefInfo[]> {
    return defs.listAspectDefs(this.#s)
  }
  async loadAspectDef(
    nameOrId: string,
    options?: Defs.LoadAspectDefOptions,
  ): Promise<AspectDef | null>
  async loadAspectDef<D extends AspectDef>(
    nameOrId: string,
    options: Defs.LoadAspectDefOptions & { readonly expect: D },
  ): Promise<D | null>
  async loadAspectDef<D extends AspectDef>(
    nameOrId: string,
    options: Defs.LoadAspectDefOptions & { readonly expect?: D } = {},
  ): Promise<AspectDef | D | null> {
    return defs.loadAspectDef(this.#s, nameOrId, options)
  }
  async deleteAspectDef(nameOrId: string): Promise<boolean> {
    return defs.deleteAspectDef(this.#s, nameOrId)
  }
  async evolveAspectDef(
    aspectDef: AspectDef,
    options?: Defs.EvolveAspectDefOptions,
  ): Promise<Defs.EvolveAspectDefResult> {
    return defs.evolveAspectDef(this.#s, aspectDef, options)
  }
  async mapAspectDef(
    aspectDef: AspectDef | string,
    options: Map_.MapAspectDefOptions,
  ): Promise<Map_.MapAspectDefResult> {
    return defs.mapAspectDef(this.#s, aspectDef, options)
  }
  async unmapAspectDef(
    aspectDefName: string,
    options?: Map_.UnmapAspectDefOptions,
  ): Promise<Map_.UnmapAspectDefResult> {
    return defs.unmapAspectDef(this.#s, aspectDefName, options)
  }
  async aspectTableMappings(): Promise<Map_.AspectTableMapping[]> {
    return defs.aspectTableMappings(this.#s)
  }
  async adoptTable(table: string, options?: AdoptTableOptions): Promise<AspectDef> {
    return defs.adoptTable(this.#s, table, options)
  }
  async loadAdoptedTable(table: string, options?: LoadAdoptedTableOptions): Promise<AspectMap> {
    return defs.loadAdoptedTable(this.#s, table, options)
  }

  findEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    where?: Where<D>,
    options?: Find.FindEntitiesOptions<D> & { readonly select?: 'ids' },
  ): Promise<EntityId[]>
  findEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    where: Where<D> | undefined,
    options: Find.FindEntitiesOptions<D> & { readonly select: 'aspects' },
  ): Promise<Aspect<D>[]>
  async findEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    where?: Where<D>,
    options?: Find.FindEntitiesOptions<D>,
  ): Promise<EntityId[] | Aspect<D>[]> {
    return queries.findEntities(this.#s, catalogId, aspectDef, where, options)
  }
  async explainFindEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    where?: Where<D>,
    options?: Find.FindEntitiesOptions<D> & { readonly analyze?: boolean },
  ): Promise<string> {
    return queries.explainFindEntities(this.#s, catalogId, aspectDef, where, options)
  }
  async indexProperty(
    aspectDefName: string,
    propertyName: string,
    options?: Find.IndexPropertyOptions,
  ): Promise<Find.IndexPropertyResult> {
    return queries.indexProperty(this.#s, aspectDefName, propertyName, options)
  }
  async aspectsJson<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    options?: AspectsJsonOptions,
  ): Promise<{ entityId: EntityId; aspect: AspectJson<D> }[]> {
    return queries.aspectsJson(this.#s, catalogId, aspectDef, options)
  }
  async evaluatePredicate<D extends AspectDef>(
    aspects: readonly ({ readonly def: D } & Aspect<D>)[],
    where: Where<D>,
  ): Promise<boolean[]> {
    return queries.evaluatePredicate(this.#s, aspects, where)
  }

  async loadHierarchy(
    catalogId: string,
    name: string,
    options?: HierarchyPageOptions,
  ): Promise<HierarchyPage> {
    return partial.loadHierarchy(this.#s, catalogId, name, options)
  }
  async loadAspects<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    entityIds: Iterable<string>,
  ): Promise<Map<EntityId, Aspect<D>>> {
    return partial.loadAspects(this.#s, catalogId, aspectDef, entityIds)
  }
  async upsertAspects<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | AspectDefName<D>,
    aspects: Iterable<Aspect<D>>,
  ): Promise<UpsertAspectsResult> {
    return partial.upsertAspects(this.#s, catalogId, aspectDef, aspects)
  }
  async removeAspects(
    catalogId: string,
    aspectDef: AspectDef | string,
    entityIds: Iterable<string>,
  ): Promise<RemoveAspectsResult> {
    return partial.removeAspects(this.#s, catalogId, aspectDef, entityIds)
  }
  async addToEntityList(catalogId: string, name: string, ids: Ids): Changed {
    return partial.addToEntityList(this.#s, catalogId, name, ids)
  }
  async removeFromEntityList(catalogId: string, name: string, ids: Ids): Changed {
    return partial.removeFromEntityList(this.#s, catalogId, name, ids)
  }
  async addToEntitySet(catalogId: string, name: string, ids: Ids): Changed {
    return partial.addToEntitySet(this.#s, catalogId, name, ids)
  }
  async removeFromEntitySet(catalogId: string, name: string, ids: Ids): Changed {
    return partial.removeFromEntitySet(this.#s, catalogId, name, ids)
  }
  async putDirectoryEntries(catalogId: string, name: string, entries: Entries): Changed {
    return partial.putDirectoryEntries(this.#s, catalogId, name, entries)
  }
  async removeDirectoryEntries(catalogId: string, name: string, keys: Ids): Changed {
    return partial.removeDirectoryEntries(this.#s, catalogId, name, keys)
  }
  async addTreeNodes(catalogId: string, name: string, parentPath: string, nodes: Nodes): Changed {
    return partial.addTreeNodes(this.#s, catalogId, name, parentPath, nodes)
  }
  async removeTreeNodes(catalogId: string, name: string, paths: Ids): Changed {
    return partial.removeTreeNodes(this.#s, catalogId, name, paths)
  }
}

import { sql, type Kysely } from 'kysely'
import { CheapValidationError } from '../errors.ts'
import { Catalog } from '../model/catalog.ts'
import type { CatalogSpecies } from '../model/catalog-species.ts'
import { checkUuid } from '../model/entity.ts'
import type { PostgresAdapter } from './adapter.ts'
import { setCatalogState, snapshotCatalog } from './catalog-state.ts'
import { loadCatalog } from './load-catalog.ts'
import { saveCatalog, type SaveCatalogOptions, type SaveCatalogResult } from './save-catalog.ts'
import { mapDatabaseError } from './sql-errors.ts'

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
      const result = await saveCatalog(this.#db, catalog, this.#key, options)
      setCatalogState(catalog, this.#key, snapshotCatalog(catalog, result.revision))
      return { revision: result.revision, mode: result.mode, rowsWritten: result.rowsWritten }
    } catch (error) {
      throw mapDatabaseError(error, `saving catalog ${catalog.globalId}`, this.#adapter.target)
    }
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
}

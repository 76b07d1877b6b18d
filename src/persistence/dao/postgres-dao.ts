import { sql } from 'kysely'
import { CheapConflictError, CheapNotFoundError, CheapValidationError } from '../../errors.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { Catalog } from '../../model/catalog.ts'
import type { CatalogSpecies } from '../../model/catalog-species.ts'
import { checkUuid, type EntityId } from '../../model/entity.ts'
import type { AspectMap } from '../../model/hierarchy/aspect-map.ts'
import {
  getCatalogState,
  restoreCatalogState,
  setCatalogState,
  snapshotCatalog,
} from '../catalog/catalog-state.ts'
import { expiresAtMillis, notExpired } from '../store/expiry.ts'
import { loadCatalog } from '../catalog/load-catalog.ts'
import { loadSmallCatalog } from '../catalog/load-small.ts'
import {
  saveCatalog,
  type SaveCatalogOptions,
  type SaveCatalogResult,
} from '../catalog/save-catalog.ts'
import type { PostgresAdapter } from '../connection/adapter.ts'
import type { DedicatedConnection } from '../connection/held-connection.ts'
import { beginTransaction, type OpenTransaction } from '../connection/nested-transaction.ts'
import { satisfies, type ReadTarget } from '../connection/replicas.ts'
import {
  deleteAspectDef,
  evolveAspectDef,
  listAspectDefs,
  loadAspectDef,
  type AspectDefInfo,
  type EvolveAspectDefOptions,
  type EvolveAspectDefResult,
  type LoadAspectDefOptions,
} from '../defs/aspect-defs.ts'
import {
  adoptTable,
  loadAdoptedTable,
  type AdoptTableOptions,
  type LoadAdoptedTableOptions,
} from '../mapping/adopt-table.ts'
import {
  describeMapping,
  dropUnmappedTable,
  mapAspectDef,
  unmapAspectDef,
  type AspectTableMapping,
  type MapAspectDefOptions,
  type MapAspectDefResult,
  type UnmapAspectDefOptions,
  type UnmapAspectDefResult,
} from '../mapping/map-aspect-def.ts'
import {
  loadAspects,
  removeAspects,
  upsertAspects,
  type RemoveAspectsResult,
  type SmallPartial,
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
import {
  evaluatePredicate,
  explainFindEntities,
  findEntities,
  indexProperty,
  type FindEntitiesOptions,
  type IndexPropertyOptions,
  type IndexPropertyResult,
} from '../query/find-entities.ts'
import type { Where } from '../query/predicate.ts'
import { aspectsJson, type AspectJson, type AspectsJsonOptions } from '../query/aspects-json.ts'
import { quoteIdentifier } from '../schema/identifiers.ts'
import { TABLE_NAMES, TABLES } from '../schema/tables.ts'
import { checkPinsLocked, lockCatalogDefs, retryOnPinsChanged } from '../store/catalog-lock.ts'
import { loadVersions, versionIn } from '../store/def-versions.ts'
import { readMappings } from '../store/dedicated/table.ts'
import { readStats, type StatsOptions, type StoreStats } from './stats.ts'
import { storeContextOf, type StoreContext } from './store-context.ts'

/**
 * Up to this many stored rows a load reads the whole catalog in one statement; above it, the
 * bulk path's statement per table is as fast or faster. bench/small-threshold.ts on a server
 * (2026-12-04, busy 2-core machine): the small path half the time at 1,900 and 3,900 rows, even
 * at 7,700, behind at 12,800. A larger catalog pays the small statement's first 5,001 rows
 * before the bulk path reads it.
 */
export const SMALL_LOAD_ROWS = 5_000

/**
 * Up to this many rows a whole-catalog save (a new catalog, or a full rewrite) writes them in
 * one statement; above it, the bulk path (a statement per table and 10,000 rows, COPY from 2,000
 * rows on a server) is as fast. Same measurement: the small path 40–60% faster up to 3,900 rows,
 * 10% at 7,700, even at 12,800. The rows are counted as they are built, so a large catalog is
 * never copied into arrays for nothing.
 */
export const SMALL_SAVE_ROWS = 5_000

/**
 * Up to this many entity ids a loadAspects reads in one statement (aspects-small.ts); above it,
 * the set-based path (a snapshot transaction, a query per value table the version uses).
 * Per backend, from bench/small-aspects.ts (2026-12-05, 2-core machine, load 1.5–3, audit on).
 * Server: the one statement about half the time up to 100 ids; from 300 to 10,000 ids 8–45%
 * faster on a 12,000-entity catalog, even to 10% slower on a 2,000-entity one asked for half
 * of it; 5,000 keeps one result's rows bounded like SMALL_LOAD_ROWS. PGlite (with the def
 * passed, so only its tables are probed): a fifth of the time at 1 id, 40% faster at 100, even
 * at 300, 50% slower at 1,000.
 */
export const SMALL_ASPECT_LOAD_IDS: Readonly<Record<'pg' | 'pglite', number>> = {
  pg: 5_000,
  pglite: 300,
}

/**
 * Up to this many aspects an upsertAspects writes in one statement after the lock-and-bump
 * statement; above it, the set-based path. Same measurement. Server: replacing stored aspects,
 * 30–50% faster up to 1,000 and ahead to 10,000; appending new ones, 20–50% faster up to 100,
 * even from 300 to 1,000, 20–40% slower from 3,000 (the set-based path COPYs that many value
 * rows; the statement upserts them). PGlite: 30–50% faster up to 200, ahead or even at 300,
 * behind for appends from 500.
 */
export const SMALL_ASPECT_UPSERTS: Readonly<Record<'pg' | 'pglite', number>> = {
  pg: 1_000,
  pglite: 300,
}

/** A save of at least this many rows refreshes the statistics of the tables it wrote. */
const ANALYZE_AFTER_ROWS = 10_000

export interface CatalogSummary {
  readonly catalogId: string
  readonly species: CatalogSpecies
  readonly uri: string | null
  readonly upstream: string | null
  readonly version: bigint
  readonly revision: bigint
  /** When the catalog expires, or null when it never does (listed catalogs are all unexpired). */
  readonly expiresAt: Date | null
}

export interface PurgeExpiredOptions {
  /** Catalogs deleted per batch, each batch its own short transaction (default 500, 1 to 10,000). */
  readonly batchSize?: number
  /** At most this many catalogs in all (default: every expired one). */
  readonly limit?: number
}

export interface ListCatalogsOptions {
  /** At most this many (default 100, at most 10,000). */
  readonly limit?: number
  /** Keyset pagination: only catalogs whose id sorts after this one. */
  readonly after?: string
}

export type { SaveCatalogOptions, SaveCatalogResult }

/**
 * Which path whole-catalog saves and loads take: `auto` (the default) sends a small catalog in
 * one statement (a load) or one write statement after the checks (a save) and a large one by the
 * bulk path (a statement per table, COPY on a server); `always` and `never` force one of them
 * (the tests run both ways). The environment variable `CHEAP_SMALL_PATH` sets the default.
 */
export type SmallCatalogPath = 'auto' | 'always' | 'never'

export interface PostgresDaoOptions {
  readonly smallCatalogs?: SmallCatalogPath
}

/** Options of {@link PostgresDao.transaction}. */
export interface TransactionOptions {
  /**
   * The transaction's isolation level (default `read committed`, as every write of the DAO).
   * `repeatable read` makes every read in it see one snapshot (plus its own writes); a
   * concurrent writer of the same rows then fails it with a retryable serialization error.
   */
  readonly isolation?: 'read committed' | 'repeatable read' | 'serializable'
}

const ISOLATIONS = ['read committed', 'repeatable read', 'serializable'] as const

/** The transaction a DAO made by {@link PostgresDao.transaction} is bound to. */
interface BoundTransaction {
  readonly open: OpenTransaction
  readonly connection: DedicatedConnection
  /** Steps run one after the other (savepoints nest by order); each waits for the one before. */
  queue: Promise<void>
  done: boolean
  /** What the process learns only if the transaction commits (revisions seen). */
  readonly afterCommit: (() => void)[]
  /** Catalog objects' states to put back if it rolls back. */
  readonly onRollback: (() => void)[]
}

const SMALL_PATHS: readonly SmallCatalogPath[] = ['auto', 'always', 'never']

function smallPathOf(options: PostgresDaoOptions): SmallCatalogPath {
  const env = process.env['CHEAP_SMALL_PATH']
  const chosen = options.smallCatalogs ?? (env === undefined || env === '' ? 'auto' : env)
  if (!(SMALL_PATHS as readonly string[]).includes(chosen)) {
    throw new CheapValidationError(
      `smallCatalogs (or CHEAP_SMALL_PATH) must be one of ${SMALL_PATHS.join(', ')}, got ${JSON.stringify(chosen)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  return chosen as SmallCatalogPath
}

/**
 * Saves, loads and deletes whole catalogs, reads and writes parts of them, queries them, and
 * manages the AspectDefs they use. Every call is one transaction; a save is all or nothing and a
 * load sees one consistent snapshot. A DAO holds no connection: make one per request if you
 * like; what is worth keeping (stored AspectDef versions) is shared by every DAO of an adapter.
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
  readonly #context: StoreContext
  readonly #key: string
  readonly #smallPath: SmallCatalogPath
  /** Set on the DAO `transaction()` hands its function: every call runs in that transaction. */
  #tx: BoundTransaction | undefined

  constructor(adapter: PostgresAdapter, options: PostgresDaoOptions = {}) {
    this.#adapter = adapter
    this.#context = storeContextOf(adapter)
    this.#key = `${adapter.target}#${adapter.schema}`
    this.#smallPath = smallPathOf(options)
  }

  get adapter(): PostgresAdapter {
    return this.#adapter
  }

  /**
   * Runs `call` after the schema check, mapping driver errors with `context` in messages. In a
   * transaction, `call` is one step of it, in a savepoint of its own, after the steps before.
   */
  async #run<R>(context: string, call: () => Promise<R>): Promise<R> {
    const tx = this.#tx
    if (tx !== undefined) {
      if (tx.done) {
        throw new CheapValidationError(
          `${context}: the transaction this DAO belongs to has ended; use the DAO it was started from`,
          { reason: 'INVALID_ARGUMENT' },
        )
      }
      const step = tx.queue.then(() => tx.open.atomic(call))
      tx.queue = step.then(
        () => undefined,
        () => undefined,
      )
      try {
        return await step
      } catch (error) {
        throw this.#adapter.mapError(error, context)
      }
    }
    try {
      await this.#context.ensureSchema(this.#adapter)
      return await call()
    } catch (error) {
      throw this.#adapter.mapError(error, context)
    }
  }

  /**
   * Runs a pure read: on a replica when the adapter has any and no transaction is open, else on
   * the primary (ReplicaSet decides, see its notes). `catalogId` names the catalog whose revision
   * the process has seen (read-your-writes); `fresh` checks an answer against what it has seen.
   */
  #read<R>(
    context: string,
    catalogId: string | undefined,
    read: (target: ReadTarget) => Promise<R>,
    fresh?: (result: R) => boolean,
  ): Promise<R> {
    const replicas = this.#adapter.replicaSet
    // What every replica has replayed needs no freshness check: forget it (bounded memory).
    if (replicas !== undefined) this.#context.seen.trim(replicas.caughtUpAt())
    return this.#run(context, () =>
      replicas === undefined || this.#tx !== undefined
        ? read(this.#primary())
        : replicas.read(
            catalogId,
            catalogId === undefined ? undefined : this.#context.seen.get(catalogId),
            read,
            fresh,
          ),
    )
  }

  /** The primary as a read target: the transaction's connection inside one. */
  #primary(): ReadTarget {
    return { db: this.#db, withConnection: (work) => this.#withConnection(work) }
  }

  /** A held connection: the transaction's inside one (its Kysely runs in the transaction). */
  #withConnection<T>(work: (connection: DedicatedConnection) => Promise<T>): Promise<T> {
    const tx = this.#tx
    if (tx === undefined) return this.#adapter.withConnection(work)
    return work({
      db: tx.open.db,
      copyIn: tx.connection.copyIn,
      prepared: (name, text, values) => tx.connection.prepared(name, text, values),
    })
  }

  /** Records that the process has seen revision `revision` of a catalog (once committed). */
  #saw(catalogId: string, revision: bigint | null | undefined): void {
    if (this.#adapter.replicaSet === undefined || revision === null || revision === undefined) {
      return
    }
    const record = () => this.#context.seen.saw(catalogId, revision)
    if (this.#tx === undefined) record()
    else this.#tx.afterCommit.push(record)
  }

  /** Records that a catalog is no longer stored (deleted or expired), once committed. */
  #gone(catalogId: string): void {
    if (this.#adapter.replicaSet === undefined) return
    const record = () => this.#context.seen.deleted(catalogId)
    if (this.#tx === undefined) record()
    else this.#tx.afterCommit.push(record)
  }

  /** True when a read's answer `revision` is not older than what the process has seen. */
  #freshFor(catalogId: string): (revision: bigint | null) => boolean {
    const seen = this.#context.seen.get(catalogId)
    return (revision) => seen === undefined || satisfies(revision, seen)
  }

  /** A partial write: its result's revision is one the process has seen. */
  async #write<R extends { readonly revision: bigint }>(
    catalogId: string,
    context: string,
    call: () => Promise<R>,
  ): Promise<R> {
    const result = await this.#run(context, call)
    this.#saw(catalogId, result.revision)
    return result
  }

  /** A catalog object's state (its revision, for optimistic locking), undone on rollback. */
  #setState(catalog: Catalog, revision: bigint): void {
    if (this.#tx !== undefined) {
      const before = getCatalogState(catalog, this.#key)
      this.#tx.onRollback.push(() => restoreCatalogState(catalog, this.#key, before))
    }
    setCatalogState(catalog, this.#key, snapshotCatalog(catalog, revision))
  }

  get #db() {
    return this.#tx?.open.db ?? this.#adapter.db
  }

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
  async transaction<R>(
    fn: (tx: PostgresDao) => Promise<R>,
    options: TransactionOptions = {},
  ): Promise<R> {
    if (typeof fn !== 'function') {
      throw new CheapValidationError(`transaction expects a function, got ${typeof fn}`, {
        reason: 'INVALID_ARGUMENT',
      })
    }
    if (this.#tx !== undefined) {
      throw new CheapValidationError(
        'transaction: this DAO already runs in a transaction; call its methods directly',
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    const isolation = options.isolation ?? 'read committed'
    if (!(ISOLATIONS as readonly string[]).includes(isolation)) {
      throw new CheapValidationError(
        `transaction: isolation must be one of ${ISOLATIONS.join(', ')}, got ${JSON.stringify(isolation)}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    const afterCommit: (() => void)[] = []
    const onRollback: (() => void)[] = []
    const result = await this.#run('running a transaction', () =>
      this.#adapter.withConnection(async (connection) => {
        const open = await beginTransaction(connection.db, isolation)
        const bound: BoundTransaction = {
          open,
          connection,
          queue: Promise.resolve(),
          done: false,
          afterCommit,
          onRollback,
        }
        const tx = new PostgresDao(this.#adapter, { smallCatalogs: this.#smallPath })
        tx.#tx = bound
        let value: R
        try {
          value = await fn(tx)
          // A step `fn` started and did not await still belongs to the transaction.
          await bound.queue
          bound.done = true
          await open.commit()
        } catch (error) {
          bound.done = true
          await bound.queue
          await open.rollback().catch(() => undefined)
          for (const undo of onRollback.reverse()) undo()
          throw error
        }
        return value
      }),
    )
    for (const learn of afterCommit) learn()
    return result
  }

  /**
   * The few-aspects path of loadAspects and upsertAspects, unless `smallCatalogs: 'never'`, on
   * the connections of `target`: a replica's or the primary's for a read, the transaction's
   * inside `dao.transaction` (never a connection of the adapter's own, which would escape both).
   */
  #smallPartial(target: Pick<ReadTarget, 'withConnection'>): SmallPartial | undefined {
    if (this.#smallPath === 'never') return undefined
    const always = this.#smallPath === 'always'
    return {
      withConnection: (work) => target.withConnection(work),
      maxLoadIds: always ? Number.POSITIVE_INFINITY : SMALL_ASPECT_LOAD_IDS[this.#adapter.kind],
      maxUpsertAspects: always
        ? Number.POSITIVE_INFINITY
        : SMALL_ASPECT_UPSERTS[this.#adapter.kind],
    }
  }

  get #versions() {
    return this.#context.versions
  }

  /**
   * Saves `catalog` in one transaction and returns its new revision. A catalog loaded (or last
   * saved) at revision r fails with a `CheapConflictError` when the stored revision is no longer
   * r, unless `{ force: true }`; a catalog object the DAO has never seen may not overwrite a
   * stored catalog of the same id without `force`. A re-save writes only what changed; one with
   * no change writes nothing and keeps the revision (`unchanged: true`). Each AspectDef is
   * stored as a version of its name (docs/ASPECT-DEFS.md): a shape no stored version may become
   * is a `CheapConflictError` naming the def, the property and both hashes.
   */
  async saveCatalog(
    catalog: Catalog,
    options: SaveCatalogOptions = {},
  ): Promise<SaveCatalogResult> {
    if (!(catalog instanceof Catalog)) {
      throw new CheapValidationError(
        `saveCatalog expects a Catalog, got ${catalog === null ? 'null' : typeof catalog}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    const result = await this.#run(`saving catalog ${catalog.globalId}`, () =>
      // One held connection: Kysely statements and COPY share its transaction.
      this.#withConnection((connection) =>
        saveCatalog(
          {
            db: connection.db,
            copyIn: connection.copyIn,
            versions: this.#versions,
            databaseKey: this.#key,
            prepared: (name, text, values) => connection.prepared(name, text, values),
            smallRows:
              this.#smallPath === 'never'
                ? 0
                : this.#smallPath === 'always'
                  ? Number.POSITIVE_INFINITY
                  : SMALL_SAVE_ROWS,
          },
          catalog,
          options,
        ),
      ),
    )
    this.#setState(catalog, result.revision)
    this.#saw(catalog.globalId, result.revision)
    if (result.rowsWritten >= ANALYZE_AFTER_ROWS) {
      if (this.#tx === undefined) await this.#analyze()
      else this.#tx.afterCommit.push(() => void this.#analyze())
    }
    return result
  }

  /**
   * Refreshes the planner's statistics of the bulk tables after a large save. Fresh tables look
   * empty to the planner (PGlite runs no autovacuum at all), and single-aspect reads then filter
   * a whole AspectMap instead of probing the key.
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
    const fresh = this.#freshFor(catalogId)
    const loaded = await this.#read(
      `loading catalog ${catalogId}`,
      catalogId,
      async (target) => {
        if (this.#smallPath !== 'never') {
          const maxRows = this.#smallPath === 'always' ? undefined : SMALL_LOAD_ROWS
          const small = await target.withConnection((connection) =>
            loadSmallCatalog(connection, catalogId, this.#versions, maxRows),
          )
          if (small !== undefined) return small
        }
        return loadCatalog(target.db, catalogId, this.#versions)
      },
      // A replica's "not stored" may be one it has not replayed yet: the primary confirms it.
      (l) => l !== null && fresh(l.revision),
    )
    if (loaded === null) {
      // The primary (a replica's null is always checked there) says it is not stored.
      if (this.#context.seen.get(catalogId) !== undefined) this.#gone(catalogId)
      return null
    }
    this.#setState(loaded.catalog, loaded.revision)
    this.#saw(catalogId, loaded.revision)
    return loaded.catalog
  }

  /**
   * The revision at which this database last loaded or saved `catalog` (the one a plain save
   * expects), or `undefined` for a catalog it never saw. No query: a load or save records it, so
   * a caller never asks the database again, and never reads a newer revision than it holds.
   */
  revisionOf(catalog: Catalog): bigint | undefined {
    return getCatalogState(catalog, this.#key)?.revision
  }

  /** The stored revision of a catalog, or `null`. */
  async catalogRevision(catalogId: string): Promise<bigint | null> {
    checkUuid('catalog id', catalogId)
    const fresh = this.#freshFor(catalogId)
    const revision = await this.#read(
      `reading catalog ${catalogId}`,
      catalogId,
      async (target) => {
        const row = await target.db
          .selectFrom('catalog')
          .select('revision')
          .where('catalog_id', '=', catalogId)
          .where(notExpired())
          .executeTakeFirst()
        return row?.revision ?? null
      },
      (r) => r !== null && fresh(r),
    )
    if (revision !== null) this.#saw(catalogId, revision)
    else if (this.#context.seen.get(catalogId) !== undefined) this.#gone(catalogId)
    return revision
  }

  /**
   * Deletes a catalog and everything in it; false when there was none. Its AspectDefs stay. The
   * defs' data locks are taken first, so a schema operation on one of them never sees half of it.
   */
  async deleteCatalog(catalogId: string): Promise<boolean> {
    checkUuid('catalog id', catalogId)
    const deleted = await this.#run(`deleting catalog ${catalogId}`, () =>
      retryOnPinsChanged(catalogId, () =>
        this.#db.transaction().execute(async (trx) => {
          const defs = await lockCatalogDefs(trx, catalogId, [])
          const row = await trx
            .selectFrom('catalog')
            .select('catalog_id')
            .where('catalog_id', '=', catalogId)
            .forUpdate()
            .executeTakeFirst()
          if (row === undefined) return false
          await checkPinsLocked(trx, catalogId, defs)
          const result = await trx
            .deleteFrom('catalog')
            .where('catalog_id', '=', catalogId)
            .executeTakeFirst()
          return result.numDeletedRows > 0n
        }),
      ),
    )
    if (deleted) this.#gone(catalogId)
    return deleted
  }

  /** When a stored (unexpired) catalog expires; null when it never does or is not stored. */
  async catalogExpiresAt(catalogId: string): Promise<Date | null> {
    checkUuid('catalog id', catalogId)
    return this.#read(`reading catalog ${catalogId}`, catalogId, async (target) => {
      const row = await target.db
        .selectFrom('catalog')
        .select(expiresAtMillis().as('expires_ms'))
        .where('catalog_id', '=', catalogId)
        .where(notExpired())
        .executeTakeFirst()
      const ms = row?.expires_ms ?? null
      return ms === null ? null : new Date(ms)
    })
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
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    const after =
      options.after === undefined ? null : checkUuid('listCatalogs after', options.after)
    const seen = this.#context.seen
    const listed = await this.#read(
      'listing catalogs',
      undefined,
      async (target) => {
        let query = target.db
          .selectFrom('catalog')
          .select([
            'catalog_id',
            'species',
            'uri',
            'upstream_catalog_id',
            'version_number',
            'revision',
          ])
          .select(expiresAtMillis().as('expires_ms'))
          .where(notExpired())
          .orderBy('catalog_id')
          .limit(limit)
        if (after !== null) query = query.where('catalog_id', '>', after)
        return (await query.execute()).map((r) => ({
          catalogId: r.catalog_id,
          species: r.species as CatalogSpecies,
          uri: r.uri,
          upstream: r.upstream_catalog_id,
          version: r.version_number,
          revision: r.revision,
          expiresAt: r.expires_ms === null ? null : new Date(r.expires_ms),
        }))
      },
      // The page shows what the process has seen: no catalog older than it saw it, none it
      // deleted, none it saw missing (catalog ids sort as uuids do in PostgreSQL: lowercase hex).
      (rows) => seen.listingIsFresh(rows, after, rows.length < limit),
    )
    for (const r of listed) this.#saw(r.catalogId, r.revision)
    // A trusted page (a replica's passed the check above) that lacks a catalog the process saw
    // says it is gone (deleted elsewhere, or expired): forget it, or every later listing would
    // go to the primary.
    if (this.#adapter.replicaSet !== undefined) {
      for (const id of seen.missingFrom(listed, after, listed.length < limit)) this.#gone(id)
    }
    return listed
  }

  /**
   * What the store holds and how big it is: catalogs by species, AspectDefs, entities, aspects,
   * values by type, the `largest` catalogs (default 10) and every table's rows, bytes and last
   * analyze/vacuum. One query per group; on PGlite the fields its statistics lack are null.
   */
  async stats(options: StatsOptions = {}): Promise<StoreStats> {
    return this.#run('reading store statistics', () =>
      readStats(this.#db, this.#adapter.schema, options),
    )
  }

  /**
   * Deletes expired catalogs (already invisible to every read) in batches of `batchSize`, each
   * its own short transaction, and returns how many it deleted. A batch takes the catalogs'
   * rows with `FOR UPDATE SKIP LOCKED`: it never waits for a save in progress, and a save never
   * waits for more than one batch. Only catalogs expired by the database's `now()` at the start
   * of the batch are deleted, so an unexpired catalog is never purged.
   */
  async purgeExpired(options: PurgeExpiredOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? 500
    const limit = options.limit ?? Number.POSITIVE_INFINITY
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new CheapValidationError(
        `purgeExpired: batchSize must be an integer from 1 to 10000, got ${String(batchSize)}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    if (limit !== Number.POSITIVE_INFINITY && (!Number.isInteger(limit) || limit < 1)) {
      throw new CheapValidationError(
        `purgeExpired: limit must be a positive integer, got ${String(limit)}`,
        {
          reason: 'INVALID_ARGUMENT',
        },
      )
    }
    let purged = 0
    while (purged < limit) {
      const size = Math.min(batchSize, limit - purged)
      const deleted = await this.#run('purging expired catalogs', () =>
        this.#db.transaction().execute(async (trx) => {
          // The defs' data locks come before the catalogs' (docs/LOCKING.md), as in deleteCatalog.
          const defs = await sql<{ aspect_def_id: string }>`
            select aspect_def_id from aspect_def where aspect_def_id in (
              select p.aspect_def_id from catalog_aspect_def p where p.catalog_id in (
                select catalog_id from catalog where expires_at <= now() order by expires_at, catalog_id limit ${size}))
            order by aspect_def_id for key share`.execute(trx)
          const locked = defs.rows.map((d) => d.aspect_def_id)
          // Only catalogs all of whose defs this batch holds: one that another batch or a save
          // changed meanwhile is left to the next batch.
          const result = await sql<{ catalog_id: string }>`
            delete from catalog where catalog_id in (
              select c.catalog_id from catalog c where c.expires_at <= now()
                and not exists (select 1 from catalog_aspect_def p where p.catalog_id = c.catalog_id
                  and not (p.aspect_def_id = any(${locked}::uuid[])))
              order by c.expires_at, c.catalog_id limit ${size} for update skip locked)
            returning catalog_id`.execute(trx)
          return result.rows.length
        }),
      )
      purged += deleted
      if (deleted < size) break
    }
    return purged
  }

  // ---- AspectDefs ---------------------------------------------------------------------------

  /** Every stored AspectDef with its versions, how many catalogs use each, and its mapping. */
  async listAspectDefs(): Promise<AspectDefInfo[]> {
    return this.#run('listing AspectDefs', () => listAspectDefs(this.#db, this.#versions))
  }

  /**
   * A stored AspectDef by name or id (its latest version, or `{ version }`), usable with
   * `createAspect`; null when none is stored. Pass your own def as `expect` to get it back typed
   * after checking it equals the stored one (else a `CheapConflictError` naming both hashes).
   */
  async loadAspectDef(nameOrId: string, options?: LoadAspectDefOptions): Promise<AspectDef | null>
  async loadAspectDef<D extends AspectDef>(
    nameOrId: string,
    options: LoadAspectDefOptions & { readonly expect: D },
  ): Promise<D | null>
  async loadAspectDef<D extends AspectDef>(
    nameOrId: string,
    options: LoadAspectDefOptions & { readonly expect?: D } = {},
  ): Promise<AspectDef | D | null> {
    const stored = await this.#run(`loading AspectDef '${nameOrId}'`, () =>
      loadAspectDef(this.#db, this.#versions, nameOrId, options),
    )
    if (stored === null) return null
    const expect = options.expect
    if (expect === undefined) return stored.toAspectDef()
    if (!stored.matches(expect)) {
      throw new CheapConflictError(
        `AspectDef '${expect.name}' (hash ${expect.hash()}) is not the stored version ${stored.version} of '${stored.name}' (hash ${stored.hash})`,
        { aspectDefName: stored.name, storedHash: stored.hash, newHash: expect.hash() },
      )
    }
    return expect
  }

  /**
   * Deletes a stored AspectDef and all its versions; a `CheapConflictError` naming the catalogs
   * while any uses it. False when none is stored.
   */
  async deleteAspectDef(nameOrId: string): Promise<boolean> {
    const result = await this.#run(`deleting AspectDef '${nameOrId}'`, () =>
      this.#db.transaction().execute((trx) => deleteAspectDef(trx, this.#versions, nameOrId)),
    )
    if (result.dropTable !== undefined) await dropUnmappedTable(this.#db, result.dropTable)
    return result.deleted
  }

  /**
   * Moves stored catalogs (all that use the def, or `{ catalogs }`) to a new shape of the def,
   * in place, as their current version's flags allow (docs/ASPECT-DEFS.md), and reports what
   * changed. Each catalog moved gets a new revision.
   */
  async evolveAspectDef(
    aspectDef: AspectDef,
    options: EvolveAspectDefOptions = {},
  ): Promise<EvolveAspectDefResult> {
    const result = await this.#run(`evolving AspectDef '${aspectDef.name}'`, () =>
      this.#db
        .transaction()
        .execute((trx) => evolveAspectDef(trx, this.#versions, aspectDef, options)),
    )
    for (const c of result.catalogs) this.#saw(c.catalogId, c.revision)
    return result
  }

  // ---- dedicated tables and queries ---------------------------------------------------------

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
  async mapAspectDef(
    aspectDef: AspectDef | string,
    options: MapAspectDefOptions,
  ): Promise<MapAspectDefResult> {
    const name = typeof aspectDef === 'string' ? aspectDef : aspectDef?.name
    return this.#run(`mapping AspectDef '${name}'`, () =>
      this.#db
        .transaction()
        .execute((trx) => mapAspectDef(trx, this.#versions, aspectDef, options)),
    )
  }

  /**
   * Moves a mapped def's values back into the generic tables (one transaction) and forgets the
   * mapping; the table is dropped afterwards unless `{ dropTable: false }` (it is empty then, and
   * mapping the def again adopts it). An adopted (read-only) table is only forgotten.
   */
  async unmapAspectDef(
    aspectDefName: string,
    options: UnmapAspectDefOptions = {},
  ): Promise<UnmapAspectDefResult> {
    return this.#run(`unmapping AspectDef '${aspectDefName}'`, async () => {
      const done = await this.#db
        .transaction()
        .execute((trx) => unmapAspectDef(trx, this.#versions, aspectDefName, options))
      if (done.dropAfterCommit !== undefined)
        await dropUnmappedTable(this.#db, done.dropAfterCommit)
      return { aspectsMoved: done.aspectsMoved, tableDropped: done.dropAfterCommit !== undefined }
    })
  }

  /** Every recorded mapping (dedicated and adopted tables), by AspectDef name. */
  async aspectTableMappings(): Promise<AspectTableMapping[]> {
    return this.#run('reading aspect table mappings', async () => {
      const mappings = await readMappings(this.#db, 'all')
      const versions = await loadVersions(
        this.#db,
        mappings.map((m) => ({ defId: m.defId, version: m.version })),
        this.#versions,
      )
      return mappings.map((m) => describeMapping(m, versionIn(versions, m.defId, m.version)))
    })
  }

  /**
   * Adopts an existing table read-only (the Java AspectTableMapping layouts: with or without
   * `catalog_id` and `entity_id` uuid columns): derives an AspectDef from its columns (the Java
   * type map), stores it and records the mapping. Saving aspects of that def fails with a
   * `CheapValidationError`; read the rows with {@link loadAdoptedTable}.
   */
  async adoptTable(table: string, options: AdoptTableOptions = {}): Promise<AspectDef> {
    return this.#run(`adopting table ${JSON.stringify(table)}`, () =>
      this.#db.transaction().execute((trx) => adoptTable(trx, this.#versions, table, options)),
    )
  }

  /**
   * The rows of an adopted table as an AspectMap of its AspectDef (rows of `catalogId` only when
   * the table has a `catalog_id` column; random entity ids when it has no `entity_id`).
   */
  async loadAdoptedTable(table: string, options: LoadAdoptedTableOptions = {}): Promise<AspectMap> {
    if (options.catalogId !== undefined) checkUuid('catalog id', options.catalogId)
    return this.#read(
      `loading adopted table ${JSON.stringify(table)}`,
      options.catalogId,
      (target) => loadAdoptedTable(target.db, this.#versions, table, options),
    )
  }

  /**
   * The entities of a catalog whose aspect of `aspectDef` matches `where`, in map order (or by
   * `orderBy`), `limit` at a time after `after`; compiled to one SQL statement over the generic
   * value tables or the dedicated table (never load-then-filter). Pass the AspectDef object to
   * have property names and value types checked at compile time.
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
    aspectDef: D | (AspectDef extends D ? string : never),
    where?: Where<D>,
    options?: FindEntitiesOptions<D> & { readonly select?: 'ids' },
  ): Promise<EntityId[]>
  findEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | (AspectDef extends D ? string : never),
    where: Where<D> | undefined,
    options: FindEntitiesOptions<D> & { readonly select: 'aspects' },
  ): Promise<Aspect<D>[]>
  async findEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | string,
    where?: Where<D>,
    options: FindEntitiesOptions<D> = {},
  ): Promise<EntityId[] | Aspect<D>[]> {
    const name = typeof aspectDef === 'string' ? aspectDef : aspectDef?.name
    return this.#read(`querying '${name}' of catalog ${catalogId}`, catalogId, (target) =>
      findEntities(target.db, this.#versions, catalogId, aspectDef, where, options),
    )
  }

  /** The query plan (`EXPLAIN`, or `EXPLAIN ANALYZE`) of a {@link findEntities} call. */
  async explainFindEntities<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | (AspectDef extends D ? string : never),
    where?: Where<D>,
    options: FindEntitiesOptions<D> & { readonly analyze?: boolean } = {},
  ): Promise<string> {
    return this.#read('explaining a query', catalogId, (target) =>
      explainFindEntities(
        target.db,
        this.#versions,
        catalogId,
        aspectDef,
        where,
        options,
        options.analyze === true,
      ),
    )
  }

  /**
   * Creates (idempotently) the index that makes {@link findEntities} predicates and `orderBy`
   * on one property fast: a partial index on the property's value table, or a B-tree (GIN for a
   * multivalued property) on the dedicated table's column. `{ fullText: { language } }` makes
   * the GIN index `matches(…, { language })` uses instead.
   */
  async indexProperty(
    aspectDefName: string,
    propertyName: string,
    options: IndexPropertyOptions = {},
  ): Promise<IndexPropertyResult> {
    return this.#run(`indexing '${aspectDefName}'.'${propertyName}'`, () =>
      indexProperty(this.#db, this.#versions, aspectDefName, propertyName, options),
    )
  }

  /**
   * The aspects of one AspectDef in a catalog as JSON, computed by the database (the SQL function
   * `cheap_aspects_json`, which `psql` and BI tools can call too), in AspectMap order; the same
   * values the catalog JSON writer writes. A missing or expired catalog, or one without the def,
   * is a `CheapNotFoundError`.
   */
  async aspectsJson<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | (AspectDef extends D ? string : never),
    options: AspectsJsonOptions = {},
  ): Promise<{ entityId: EntityId; aspect: AspectJson<D> }[]> {
    const query = aspectsJson(catalogId, aspectDef, options)
    const name = typeof aspectDef === 'string' ? aspectDef : aspectDef.name
    return this.#read(
      `reading '${name}' of catalog ${catalogId} as JSON`,
      catalogId,
      async (target) => {
        try {
          const { rows } = await query.execute(target.db)
          return rows.map((r) => ({ entityId: r.entity_id, aspect: r.aspect }))
        } catch (error) {
          if ((error as { code?: unknown } | null)?.code === 'P0002') {
            throw new CheapNotFoundError(
              `catalog ${catalogId} has no AspectDef '${name}' (or does not exist, or has expired)`,
            )
          }
          throw error
        }
      },
    )
  }

  /**
   * Evaluates `where` on aspects in memory, as {@link findEntities} would in SQL, asking the
   * database (one statement, no catalog read) only for the full-text answers of `matches` tests,
   * whose stemming and stop words are PostgreSQL's. One boolean per aspect.
   */
  async evaluatePredicate<D extends AspectDef>(
    aspects: readonly ({ readonly def: D } & Aspect<D>)[],
    where: Where<D>,
  ): Promise<boolean[]> {
    return this.#run('evaluating a predicate', () => evaluatePredicate(this.#db, aspects, where))
  }

  // ---- partial access ---------------------------------------------------------------------------
  // Reads run in one read-only REPEATABLE READ transaction. Every write is one transaction that
  // bumps the catalog's revision by one and logs a `partial` catalog_revision row, so a catalog
  // object loaded before it can no longer be saved without `force` (CheapConflictError).

  /**
   * One hierarchy (an AspectMap by its AspectDef's name), whole or a page (`offset`, `limit`)
   * with its `total`; see {@link HierarchyPage}.
   */
  async loadHierarchy(
    catalogId: string,
    name: string,
    options: HierarchyPageOptions = {},
  ): Promise<HierarchyPage> {
    return this.#read(
      `loading hierarchy ${JSON.stringify(name)} of catalog ${catalogId}`,
      catalogId,
      (target) => loadHierarchy(target.db, this.#versions, catalogId, name, options),
    )
  }

  /** The stored aspects of an AspectDef (object or name) for these entities, in map order. */
  async loadAspects<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | (AspectDef extends D ? string : never),
    entityIds: Iterable<string>,
  ): Promise<Map<EntityId, Aspect<D>>> {
    const name = typeof aspectDef === 'string' ? aspectDef : aspectDef?.name
    return this.#read(`loading aspects '${name}' of catalog ${catalogId}`, catalogId, (target) =>
      loadAspects(
        target.db,
        this.#versions,
        catalogId,
        aspectDef,
        entityIds,
        this.#smallPartial(target),
      ),
    )
  }

  /**
   * Inserts or replaces aspects in the catalog's AspectMap of `aspectDef` (which must exist): new
   * ones are appended, existing ones replaced in place. Every aspect's def must be the version
   * the catalog stores: another stored version of it (one an `evolveAspectDef` moved the catalog
   * away from, say) is a retryable `CheapConflictError`, any other def a `CheapValidationError`
   * `WRONG_ASPECT_DEF`.
   */
  async upsertAspects<D extends AspectDef>(
    catalogId: string,
    aspectDef: D | (AspectDef extends D ? string : never),
    aspects: Iterable<Aspect<D>>,
  ): Promise<UpsertAspectsResult> {
    const name = typeof aspectDef === 'string' ? aspectDef : aspectDef?.name
    // Materialised once: the call must see the same aspects whatever the iterable does.
    const list =
      aspects !== null && typeof aspects === 'object' && Symbol.iterator in aspects
        ? [...aspects]
        : aspects
    return this.#write(catalogId, `upserting aspects '${name}' of catalog ${catalogId}`, () =>
      upsertAspects(
        this.#db,
        this.#versions,
        catalogId,
        aspectDef,
        list,
        this.#smallPartial(this.#primary()),
      ),
    )
  }

  /** Removes the aspects of an AspectDef of these entities (absent ones are ignored). */
  async removeAspects(
    catalogId: string,
    aspectDef: AspectDef | string,
    entityIds: Iterable<string>,
  ): Promise<RemoveAspectsResult> {
    const name = typeof aspectDef === 'string' ? aspectDef : aspectDef?.name
    return this.#write(catalogId, `removing aspects '${name}' of catalog ${catalogId}`, () =>
      removeAspects(this.#db, catalogId, aspectDef, entityIds),
    )
  }

  /** Appends entities to an entity list (duplicates kept). */
  async addToEntityList(
    catalogId: string,
    name: string,
    entityIds: Iterable<string>,
  ): Promise<MembershipResult> {
    return this.#write(
      catalogId,
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
    return this.#write(
      catalogId,
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
    return this.#write(
      catalogId,
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
    return this.#write(
      catalogId,
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
    return this.#write(
      catalogId,
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
    return this.#write(
      catalogId,
      `removing entries from entity directory ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => removeDirectoryEntries(this.#db, catalogId, name, keys),
    )
  }

  /**
   * Adds children under the node at `parentPath` (`'/'` is the root) of an entity tree. An
   * existing child of the same name is replaced in place (its subtree removed).
   */
  async addTreeNodes(
    catalogId: string,
    name: string,
    parentPath: string,
    nodes: Iterable<TreeNodeInput>,
  ): Promise<MembershipResult> {
    return this.#write(
      catalogId,
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
    return this.#write(
      catalogId,
      `removing nodes from entity tree ${JSON.stringify(name)} of catalog ${catalogId}`,
      () => removeTreeNodes(this.#db, catalogId, name, paths),
    )
  }
}

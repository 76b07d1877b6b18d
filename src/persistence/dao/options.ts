import { CheapValidationError } from '../../errors.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { CatalogSpecies } from '../../model/catalog-species.ts'
import type { SaveCatalogOptions, SaveCatalogResult } from '../catalog/save-catalog.ts'

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
export const ANALYZE_AFTER_ROWS = 10_000

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

/** Options of `PostgresDao.transaction`. */
export interface TransactionOptions {
  /**
   * The transaction's isolation level (default `read committed`, as every write of the DAO).
   * `repeatable read` makes every read in it see one snapshot (plus its own writes); a
   * concurrent writer of the same rows then fails it with a retryable serialization error.
   */
  readonly isolation?: 'read committed' | 'repeatable read' | 'serializable'
}

export const ISOLATIONS = ['read committed', 'repeatable read', 'serializable'] as const

const SMALL_PATHS: readonly SmallCatalogPath[] = ['auto', 'always', 'never']

export function smallPathOf(options: PostgresDaoOptions): SmallCatalogPath {
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

/** The name of a def given as an object or a name, for messages. */
export function defName(aspectDef: AspectDef | string): string {
  return typeof aspectDef === 'string' ? aspectDef : aspectDef?.name
}

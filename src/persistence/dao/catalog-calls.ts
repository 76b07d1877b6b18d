import { sql } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import { Catalog } from '../../model/catalog.ts'
import type { CatalogSpecies } from '../../model/catalog-species.ts'
import { checkUuid } from '../../model/entity.ts'
import { loadCatalog as loadBulk } from '../catalog/load-catalog.ts'
import { loadSmallCatalog } from '../catalog/load-small.ts'
import { CallProgress, checkCallOptions, type LoadCatalogOptions } from '../catalog/progress.ts'
import {
  saveCatalog as saveWhole,
  type SaveCatalogOptions,
  type SaveCatalogResult,
} from '../catalog/save-catalog.ts'
import { checkPinsLocked, lockCatalogDefs, retryOnPinsChanged } from '../store/catalog-lock.ts'
import { expiresAtMillis, notExpired } from '../store/expiry.ts'
import {
  ANALYZE_AFTER_ROWS,
  SMALL_LOAD_ROWS,
  type CatalogSummary,
  type ListCatalogsOptions,
  type PurgeExpiredOptions,
} from './options.ts'
import type { DaoSession } from './session.ts'
import { readStats, type StatsOptions, type StoreStats } from './stats.ts'

// The whole-catalog calls of PostgresDao (documented on CheapDao, in cheap-dao.ts).

export async function saveCatalog(
  s: DaoSession,
  catalog: Catalog,
  options: SaveCatalogOptions = {},
): Promise<SaveCatalogResult> {
  if (!(catalog instanceof Catalog)) {
    throw new CheapValidationError(
      `saveCatalog expects a Catalog, got ${catalog === null ? 'null' : typeof catalog}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  // Before the schema check: bad options or an aborted signal never reach the database.
  checkCallOptions('saveCatalog', `saving catalog ${catalog.globalId}`, options)
  const result = await s.run(`saving catalog ${catalog.globalId}`, () =>
    // One held connection: Kysely statements and COPY share its transaction.
    s.withConnection((connection) =>
      saveWhole(
        {
          db: connection.db,
          copyIn: connection.copyIn,
          versions: s.versions,
          databaseKey: s.key,
          prepared: (name, text, values) => connection.prepared(name, text, values),
          smallRows: s.smallSaveRows,
        },
        catalog,
        options,
      ),
    ),
  )
  s.setState(catalog, result.revision)
  s.saw(catalog.globalId, result.revision)
  if (result.rowsWritten >= ANALYZE_AFTER_ROWS) await s.analyzeAfterCommit()
  return result
}

export async function loadCatalog(
  s: DaoSession,
  catalogId: string,
  options: LoadCatalogOptions = {},
): Promise<Catalog | null> {
  checkUuid('catalog id', catalogId)
  checkCallOptions('loadCatalog', `loading catalog ${catalogId}`, options)
  const progress = new CallProgress('read', catalogId, `loading catalog ${catalogId}`, options)
  const fresh = s.freshFor(catalogId)
  const loaded = await s.read(
    `loading catalog ${catalogId}`,
    catalogId,
    async (target) => {
      if (s.smallPath !== 'never') {
        const maxRows = s.smallPath === 'always' ? undefined : SMALL_LOAD_ROWS
        const small = await target.withConnection((connection) =>
          loadSmallCatalog(connection, catalogId, s.versions, maxRows, progress),
        )
        if (small !== undefined) return small
      }
      return loadBulk(target.db, catalogId, s.versions, progress)
    },
    // A replica's "not stored" may be one it has not replayed yet: the primary confirms it.
    (l) => l !== null && fresh(l.revision),
  )
  if (loaded === null) {
    // The primary (a replica's null is always checked there) says it is not stored.
    s.goneIfSeen(catalogId)
    return null
  }
  // The last event: every row read (a load learns its total only now).
  progress.finish(progress.rowsDone)
  s.setState(loaded.catalog, loaded.revision)
  s.saw(catalogId, loaded.revision)
  return loaded.catalog
}

export async function catalogRevision(s: DaoSession, catalogId: string): Promise<bigint | null> {
  checkUuid('catalog id', catalogId)
  const fresh = s.freshFor(catalogId)
  const revision = await s.read(
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
  if (revision !== null) s.saw(catalogId, revision)
  else s.goneIfSeen(catalogId)
  return revision
}

export async function deleteCatalog(s: DaoSession, catalogId: string): Promise<boolean> {
  checkUuid('catalog id', catalogId)
  const deleted = await s.run(`deleting catalog ${catalogId}`, () =>
    retryOnPinsChanged(catalogId, () =>
      s.db.transaction().execute(async (trx) => {
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
  if (deleted) s.gone(catalogId)
  return deleted
}

export async function catalogExpiresAt(s: DaoSession, catalogId: string): Promise<Date | null> {
  checkUuid('catalog id', catalogId)
  return s.read(`reading catalog ${catalogId}`, catalogId, async (target) => {
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

export async function listCatalogs(
  s: DaoSession,
  options: ListCatalogsOptions = {},
): Promise<CatalogSummary[]> {
  const limit = options.limit ?? 100
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new CheapValidationError(
      `listCatalogs: limit must be an integer from 1 to 10000, got ${String(limit)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  const after = options.after === undefined ? null : checkUuid('listCatalogs after', options.after)
  const seen = s.seen
  const listed = await s.read(
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
  for (const r of listed) s.saw(r.catalogId, r.revision)
  // A trusted page (a replica's passed the check above) that lacks a catalog the process saw
  // says it is gone (deleted elsewhere, or expired): forget it, or every later listing would
  // go to the primary.
  if (s.adapter.replicaSet !== undefined) {
    for (const id of seen.missingFrom(listed, after, listed.length < limit)) s.gone(id)
  }
  return listed
}

export async function purgeExpired(
  s: DaoSession,
  options: PurgeExpiredOptions = {},
): Promise<number> {
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
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  let purged = 0
  while (purged < limit) {
    const size = Math.min(batchSize, limit - purged)
    const deleted = await s.run('purging expired catalogs', () =>
      s.db.transaction().execute(async (trx) => {
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

export function stats(s: DaoSession, options: StatsOptions = {}): Promise<StoreStats> {
  return s.run('reading store statistics', () => readStats(s.db, s.adapter.schema, options))
}

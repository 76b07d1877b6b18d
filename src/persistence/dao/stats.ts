import { sql, type Kysely } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import type { CatalogSpecies } from '../../model/catalog-species.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { TABLE_NAMES } from '../schema/tables.ts'

export interface StatsOptions {
  /** How many of the largest catalogs to list (default 10, 0 to 1,000). */
  readonly largest?: number
}

export interface CatalogSizeStats {
  readonly catalogId: string
  readonly species: CatalogSpecies
  /** Rows the catalog holds: its entities, aspects and property values (generic tables). */
  readonly rows: number
  /**
   * Bytes on disk: always null, since catalogs share their tables (no per-catalog relation to
   * measure); the table figures below give the bytes.
   */
  readonly bytes: number | null
  readonly revision: bigint
  /** When its latest revision was saved (catalog_revision.saved_at); null if it has none. */
  readonly lastSaved: Date | null
  readonly expiresAt: Date | null
}

export interface TableStats {
  readonly table: string
  /** Live and dead row estimates of PostgreSQL's statistics (pg_stat_user_tables). */
  readonly liveRows: number | null
  readonly deadRows: number | null
  readonly tableBytes: number | null
  readonly indexBytes: number | null
  readonly lastAnalyze: Date | null
  readonly lastAutoAnalyze: Date | null
  readonly lastVacuum: Date | null
  readonly lastAutoVacuum: Date | null
}

/** What a store holds and how big it is: {@link PostgresDao.stats}. */
export interface StoreStats {
  /** Unexpired catalogs by species, and those expired but not yet purged (all species). */
  readonly catalogs: {
    readonly total: number
    readonly bySpecies: Readonly<Partial<Record<CatalogSpecies, number>>>
    readonly expiredUnpurged: number
  }
  readonly aspectDefs: number
  readonly aspectDefVersions: number
  readonly entities: number
  readonly aspects: number
  /** Property values in the generic value tables, by property type code (dedicated tables apart). */
  readonly valuesByType: Readonly<Record<string, number>>
  /** The largest catalogs by rows, largest first. */
  readonly largest: readonly CatalogSizeStats[]
  /** Every table of the schema (its own and dedicated ones), by name. */
  readonly tables: readonly TableStats[]
}

const VALUE_TABLES = TABLE_NAMES.filter((t) => t.startsWith('property_value_'))

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms))
const epoch = (column: string) => sql.raw(`(extract(epoch from ${column}) * 1000)::float8`)

/** Reads the statistics: one query per group (counts, values, largest catalogs, tables). */
export async function readStats(
  db: Kysely<CheapDatabase>,
  schema: string,
  options: StatsOptions,
): Promise<StoreStats> {
  const largest = options.largest ?? 10
  if (!Number.isInteger(largest) || largest < 0 || largest > 1000) {
    throw new CheapValidationError(
      `stats: largest must be an integer from 0 to 1000, got ${String(largest)}`,
      {
        reason: 'INVALID_ARGUMENT',
      },
    )
  }
  const counts = await sql<{
    species: string | null
    live: number
    expired: number
    defs: number
    versions: number
    entities: number
    aspects: number
  }>`
    select s.species, s.live, s.expired, d.defs, d.versions, d.entities, d.aspects
    from (select (select count(*) from aspect_def)::float8 as defs,
                 (select count(*) from aspect_def_version)::float8 as versions,
                 (select count(*) from entity)::float8 as entities,
                 (select count(*) from aspect)::float8 as aspects) d
    left join (select species,
                 (count(*) filter (where expires_at is null or expires_at > now()))::float8 as live,
                 (count(*) filter (where expires_at <= now()))::float8 as expired
               from catalog group by species) s on true`.execute(db)
  const values = await sql<{ code: string; n: number }>`${sql.raw(
    VALUE_TABLES.map(
      (t) =>
        `select t.code, (select count(*) from ${t})::float8 as n from property_type t where t.value_table = '${t}'`,
    ).join(' union all '),
  )}`.execute(db)
  const perCatalogRows = ['entity', 'aspect', ...VALUE_TABLES]
    .map((t) => `select catalog_id, count(*) as n from ${t} group by catalog_id`)
    .join(' union all ')
  const big =
    largest === 0
      ? { rows: [] }
      : await sql<{
          catalog_id: string
          species: string
          rows: number
          revision: bigint
          last_saved: number | null
          expires_ms: number | null
        }>`
    with sizes as (select catalog_id, sum(n)::float8 as rows from (${sql.raw(perCatalogRows)}) u group by catalog_id)
    select c.catalog_id, c.species, coalesce(z.rows, 0) as rows, c.revision, ${epoch('c.expires_at')} as expires_ms,
      (select ${epoch('max(r.saved_at)')} from catalog_revision r
        where r.catalog_id = c.catalog_id and r.revision = c.revision) as last_saved
    from catalog c left join sizes z on z.catalog_id = c.catalog_id
    where c.expires_at is null or c.expires_at > now()
    order by coalesce(z.rows, 0) desc, c.catalog_id
    limit ${largest}`.execute(db)
  const tables = await sql<{
    table: string
    live: number | null
    dead: number | null
    table_bytes: number | null
    index_bytes: number | null
    last_analyze: number | null
    last_autoanalyze: number | null
    last_vacuum: number | null
    last_autovacuum: number | null
  }>`
    select c.relname as table, s.n_live_tup::float8 as live, s.n_dead_tup::float8 as dead,
      pg_table_size(c.oid)::float8 as table_bytes, pg_indexes_size(c.oid)::float8 as index_bytes,
      ${epoch('s.last_analyze')} as last_analyze, ${epoch('s.last_autoanalyze')} as last_autoanalyze,
      ${epoch('s.last_vacuum')} as last_vacuum, ${epoch('s.last_autovacuum')} as last_autovacuum
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    left join pg_stat_user_tables s on s.relid = c.oid
    where n.nspname = ${schema} and c.relkind in ('r', 'p')
    order by c.relname`.execute(db)
  const bySpecies: Partial<Record<CatalogSpecies, number>> = {}
  let total = 0
  let expiredUnpurged = 0
  for (const r of counts.rows) {
    if (r.species === null) continue
    if (r.live > 0) bySpecies[r.species as CatalogSpecies] = r.live
    total += r.live
    expiredUnpurged += r.expired
  }
  const first = counts.rows[0]
  return {
    catalogs: { total, bySpecies, expiredUnpurged },
    aspectDefs: first?.defs ?? 0,
    aspectDefVersions: first?.versions ?? 0,
    entities: first?.entities ?? 0,
    aspects: first?.aspects ?? 0,
    valuesByType: Object.fromEntries(values.rows.map((r) => [r.code, r.n])),
    largest: big.rows.map((r) => ({
      catalogId: r.catalog_id,
      species: r.species as CatalogSpecies,
      rows: r.rows,
      bytes: null,
      revision: r.revision,
      lastSaved: toDate(r.last_saved),
      expiresAt: toDate(r.expires_ms),
    })),
    tables: tables.rows.map((r) => ({
      table: r.table,
      liveRows: r.live,
      deadRows: r.dead,
      tableBytes: r.table_bytes,
      indexBytes: r.index_bytes,
      lastAnalyze: toDate(r.last_analyze),
      lastAutoAnalyze: toDate(r.last_autoanalyze),
      lastVacuum: toDate(r.last_vacuum),
      lastAutoVacuum: toDate(r.last_autovacuum),
    })),
  }
}

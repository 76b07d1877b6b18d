/**
 * cheap-db-postgres: the CHEAP data model (Catalog, Hierarchy, Entity, Aspect, Property), typed
 * and lossless, persisted whole or in part on PostgreSQL or embedded PGlite.
 *
 * @example
 * ```ts
 * import { PostgresAdapter, PostgresSchema, PostgresDao, createCatalog } from 'cheap-db-postgres'
 *
 * const adapter = await PostgresAdapter.fromEnv()     // DATABASE_URL, else embedded PGlite
 * await PostgresSchema.createSchema(adapter)
 * const dao = new PostgresDao(adapter)
 * const catalog = createCatalog()
 * await dao.saveCatalog(catalog)
 * const copy = await dao.loadCatalog(catalog.globalId)
 * await adapter.close()
 * ```
 */
export * from './errors.ts'
export * from './model/index.ts'
export {
  catalogFromJson,
  catalogToJson,
  writeCatalogJson,
  type JsonReadOptions,
  type JsonReadProgress,
  type JsonWriteOptions,
} from './json/index.ts'
export {
  PostgresAdapter,
  type EmbeddedAdapterOptions,
  type EnvAdapterOptions,
  type HealthCheckResult,
  type PoolUse,
  type ReplicaHealth,
  type ReplicaOptions,
  type ReplicaState,
  type ServerAdapterOptions,
} from './persistence/connection/adapter.ts'
export type { EmbeddedPglite } from './persistence/connection/pglite-backend.ts'
export type { PostgresAdapterOptions } from './persistence/connection/pg-adapter-config.ts'
export type {
  QueryLogEvent,
  QueryLogger,
  QueryLogOptions,
} from './persistence/connection/query-log.ts'
export {
  PostgresSchema,
  type CreateSchemaOptions,
  type CreateSchemaResult,
  type MigrateOptions,
  type MigrateResult,
  type SchemaDistribution,
  type SchemaState,
  type SchemaAdapter,
  type SchemaOptions,
  type SchemaStatus,
} from './persistence/schema/postgres-schema.ts'
export type { Distribution } from './persistence/schema/citus.ts'
export { PostgresDao } from './persistence/dao/postgres-dao.ts'
export type { CheapDao } from './persistence/dao/cheap-dao.ts'
export type {
  CatalogSummary,
  ListCatalogsOptions,
  PostgresDaoOptions,
  PurgeExpiredOptions,
  SmallCatalogPath,
  TransactionOptions,
} from './persistence/dao/options.ts'
export type { SaveCatalogOptions, SaveCatalogResult } from './persistence/catalog/save-catalog.ts'
export type {
  CatalogCallOptions,
  CatalogProgress,
  LoadCatalogOptions,
} from './persistence/catalog/progress.ts'
export type {
  CatalogSizeStats,
  StatsOptions,
  StoreStats,
  TableStats,
} from './persistence/dao/stats.ts'
export type {
  AspectMapPage,
  EntityDirectoryPage,
  EntityListPage,
  EntitySetPage,
  EntityTreePage,
  HierarchyPage,
  HierarchyPageOptions,
  TreeNodeEntry,
} from './persistence/partial/hierarchy-page.ts'
export type { DirectoryEntries } from './persistence/partial/membership.ts'
export type { MembershipResult } from './persistence/partial/common.ts'
export type { TreeNodeInput } from './persistence/partial/tree.ts'
export type { RemoveAspectsResult, UpsertAspectsResult } from './persistence/partial/aspects.ts'
export type {
  AspectDefInfo,
  AspectDefVersionInfo,
  EvolveAspectDefOptions,
  EvolveAspectDefResult,
  LoadAspectDefOptions,
} from './persistence/defs/aspect-defs.ts'
export type {
  AuditColumns,
  AuditedTableName,
  CheapAuditedDatabase,
  CheapDatabase,
  CheapRow,
  CheapRowUpdate,
  NewCheapRow,
} from './persistence/schema/database.ts'
export type { CheapTableName } from './persistence/schema/tables.ts'
// Dedicated tables (AspectDefs in their own typed tables) and typed queries.
export type {
  AspectTableMapping,
  MapAspectDefOptions,
  MapAspectDefResult,
  UnmapAspectDefOptions,
  UnmapAspectDefResult,
} from './persistence/mapping/map-aspect-def.ts'
export type {
  AdoptTableOptions,
  LoadAdoptedTableOptions,
} from './persistence/mapping/adopt-table.ts'
export {
  whereBuilder,
  type CompareOp,
  type ListOps,
  type NullOps,
  type NullTest,
  type Predicate,
  type PredicateNode,
  type PropertyRef,
  type QueryPropertyName,
  type ScalarOps,
  type TextOp,
  type TextOps,
  type FullTextOps,
  DEFAULT_TEXT_SEARCH_LANGUAGE,
  type Where,
  type WhereBuilder,
  type WhereBuilderOps,
} from './persistence/query/predicate.ts'
export {
  aspectsJson,
  type AspectJson,
  type AspectsJsonOptions,
  type JsonElementTypes,
} from './persistence/query/aspects-json.ts'
export { matchesPredicate, type TextSearch } from './persistence/query/evaluate.ts'
export type {
  FindEntitiesOptions,
  IndexPropertyOptions,
  IndexPropertyResult,
} from './persistence/query/find-entities.ts'

import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { CheapNotFoundError, CheapValidationError } from '../../errors.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { checkUuid, type EntityId } from '../../model/entity.ts'
import {
  checkDefArgument,
  readAspectsOf,
  storageOf,
  storedMapVersion,
  wrongStoredDef,
} from '../store/aspect-maps.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { lockDefForSchemaChange, readOnlySnapshot } from '../store/catalog-lock.ts'
import { codecOf } from '../store/codecs/index.ts'
import {
  generationOf,
  loadVersions,
  versionIn,
  type DefVersionCache,
  type StoredVersion,
} from '../store/def-versions.ts'
import { q } from '../store/dedicated/names.ts'
import { readMappings, type DedicatedTable } from '../store/dedicated/table.ts'
import { checkPredicate, propertyOf } from './checked.ts'
import { compileFindEntities, indexKeyExpression } from './compile.ts'
import { resolveWhere, type QueryPropertyName, type Where } from './predicate.ts'

type Db = Kysely<CheapDatabase>

export interface FindEntitiesOptions<D extends AspectDef = AspectDef> {
  /** Sort by a single-valued property's effective value (nulls last), then map order. */
  readonly orderBy?:
    | QueryPropertyName<D>
    | {
        readonly property: QueryPropertyName<D>
        readonly direction?: 'asc' | 'desc' | undefined
      }
    | undefined
  /** At most this many results: 1 to 100,000, default 1,000. */
  readonly limit?: number | undefined
  /** Keyset pagination: only results after this entity (the last one of the previous page). */
  readonly after?: string | undefined
  /** `ids` (default): entity ids; `aspects`: the aspects themselves. */
  readonly select?: 'ids' | 'aspects' | undefined
}

export interface IndexPropertyResult {
  readonly indexName: string
  readonly table: string
  /** False when the index already existed. */
  readonly created: boolean
}

interface Resolved {
  /** The caller's def (when it passed one and it equals the stored version), else the stored. */
  readonly def: AspectDef
  readonly version: StoredVersion
  /** The version's writable dedicated table, or undefined for the generic tables. */
  readonly mapping: DedicatedTable | undefined
}

/**
 * The version of `aspectDef` that `catalogId` is pinned to, and where its values are, read in
 * the caller's snapshot. A def passed by the caller must equal that version.
 */
async function resolve(
  db: Db,
  cache: DefVersionCache,
  catalogId: string,
  aspectDef: AspectDef | string,
): Promise<Resolved> {
  const { name, def: passed } = checkDefArgument('findEntities', aspectDef)
  const version = await storedMapVersion(db, catalogId, name, 'findEntities', cache)
  if (passed !== undefined && !version.matches(passed)) {
    throw wrongStoredDef('findEntities', catalogId, passed, version)
  }
  const adopted = (await readMappings(db, { defIds: [version.defId] })).find(
    (m) => m.isReadOnly && m.version === version.version,
  )
  if (adopted !== undefined) {
    throw new CheapValidationError(
      `AspectDef '${name}' is an adopted read-only table (${JSON.stringify(adopted.table)}); read it with loadAdoptedTable`,
      { reason: 'INVALID_ARGUMENT', aspectDefName: name },
    )
  }
  const mapping = (await storageOf(db, version)).get(version)
  return { def: passed ?? version.toAspectDef(), version, mapping }
}

function checkLimit(limit: number | undefined): number {
  const value = limit ?? 1000
  if (!Number.isInteger(value) || value < 1 || value > 100_000) {
    throw new CheapValidationError(
      `findEntities: limit must be an integer from 1 to 100000, got ${String(limit)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  return value
}

function compile<D extends AspectDef>(
  resolved: Resolved,
  catalogId: string,
  where: Where<D> | undefined,
  options: FindEntitiesOptions<D>,
) {
  checkUuid('catalog id', catalogId)
  const after =
    options.after === undefined ? undefined : checkUuid('findEntities after', options.after)
  const limit = checkLimit(options.limit)
  const def = resolved.def
  const node = resolveWhere(where)
  const checked = node === undefined ? undefined : checkPredicate(def, node)
  let orderBy: { prop: ReturnType<typeof propertyOf>; direction: 'asc' | 'desc' } | undefined
  if (options.orderBy !== undefined) {
    const spec =
      typeof options.orderBy === 'string' ? { property: options.orderBy } : options.orderBy
    const prop = propertyOf(def, spec.property)
    if (prop.isMultivalued) {
      throw new CheapValidationError(
        `AspectDef '${def.name}', property '${prop.name}': cannot order by a multivalued property`,
        { reason: 'INVALID_ARGUMENT', aspectDefName: def.name, propertyName: prop.name },
      )
    }
    const direction = spec.direction ?? 'asc'
    if (direction !== 'asc' && direction !== 'desc') {
      throw new CheapValidationError(`orderBy direction must be 'asc' or 'desc'`, {
        reason: 'INVALID_ARGUMENT',
      })
    }
    orderBy = { prop, direction }
  }
  return compileFindEntities({
    def,
    version: resolved.version,
    mapping: resolved.mapping,
    catalogId,
    where: checked,
    orderBy,
    after,
    limit,
  })
}

/** Runs a query in one snapshot: entity ids in order, or their aspects. */
export async function findEntities<D extends AspectDef>(
  db: Db,
  cache: DefVersionCache,
  catalogId: string,
  aspectDef: D | string,
  where: Where<D> | undefined,
  options: FindEntitiesOptions<D>,
): Promise<EntityId[] | Aspect<D>[]> {
  checkUuid('catalog id', catalogId)
  return readOnlySnapshot(db, async (trx) => {
    const resolved = await resolve(trx, cache, catalogId, aspectDef)
    const query = compile(resolved, catalogId, where, options)
    const ids = (await query.execute(trx)).rows.map((r) => r.entity_id)
    if (options.select !== 'aspects') return ids
    const byEntity = await readAspectsOf(trx, catalogId, resolved.version, resolved.def as D, ids)
    return ids.flatMap((id) => {
      const aspect = byEntity.get(id)
      return aspect === undefined ? [] : [aspect]
    })
  })
}

/** `EXPLAIN` of the statement `findEntities` would run (for tuning and tests). */
export async function explainFindEntities<D extends AspectDef>(
  db: Db,
  cache: DefVersionCache,
  catalogId: string,
  aspectDef: D | string,
  where: Where<D> | undefined,
  options: FindEntitiesOptions<D>,
  analyze = false,
): Promise<string> {
  checkUuid('catalog id', catalogId)
  const resolved = await resolve(db, cache, catalogId, aspectDef)
  const query = compile(resolved, catalogId, where, options)
  const rows = await sql<
    Record<string, string>
  >`${sql.raw(analyze ? 'explain (analyze) ' : 'explain ')}${query}`.execute(db)
  return rows.rows.map((r) => Object.values(r)[0]).join('\n')
}

/**
 * Creates (if missing) the index that serves `findEntities` predicates on one property of the
 * def's latest version that has it, then `ANALYZE`s the table. Generic tables: a partial index
 * on `property_value_<type> (catalog_id, <key>) WHERE property_id = <slot>` (every version
 * sharing the slot profits); a version in a dedicated table: a B-tree on `(catalog_id, <key>)`,
 * or a GIN index on a multivalued (array) column. `<key>` is the value, or a bounded prefix of
 * text and BLB values. The name is derived from table and slot, so the call is idempotent.
 */
export async function indexProperty(
  db: Db,
  cache: DefVersionCache,
  aspectDefName: string,
  propertyName: string,
): Promise<IndexPropertyResult> {
  // A schema operation: under the def's exclusive lock, so the storage it indexes cannot move
  // (map, unmap) or be dropped while the index is built (docs/LOCKING.md).
  return db.transaction().execute(async (trx) => {
    await lockDefForSchemaChange(trx, aspectDefName)
    return indexPropertyLocked(trx, cache, aspectDefName, propertyName)
  })
}

async function indexPropertyLocked(
  db: Db,
  cache: DefVersionCache,
  aspectDefName: string,
  propertyName: string,
): Promise<IndexPropertyResult> {
  const stored = await db
    .selectFrom('aspect_def as d')
    .innerJoin('aspect_def_version as v', 'v.aspect_def_id', 'd.aspect_def_id')
    .select(['d.aspect_def_id', 'v.version', generationOf('d').as('generation')])
    .where('d.name', '=', aspectDefName)
    .orderBy('v.version', 'desc')
    .execute()
  if (stored.length === 0)
    throw new CheapNotFoundError(`no AspectDef named '${aspectDefName}' is stored`)
  const versions = await loadVersions(
    db,
    stored.map((v) => ({ defId: v.aspect_def_id, version: v.version, generation: v.generation })),
    cache,
  )
  const version =
    stored
      .map((v) => versionIn(versions, v.aspect_def_id, v.version))
      .find((v) => v.slotOf(propertyName) !== undefined) ??
    versionIn(
      versions,
      (stored[0] as { aspect_def_id: string }).aspect_def_id,
      (stored[0] as { version: number }).version,
    )
  const def = version.toAspectDef()
  const prop = propertyOf(def, propertyName)
  const slot = version.slotOf(prop.name) as number
  const mapping = (await readMappings(db, { defIds: [version.defId] })).find(
    (m) => m.version === version.version && !m.isReadOnly,
  )
  let table: string
  let ddl: (name: string) => string
  if (mapping === undefined) {
    table = codecOf(prop.type).table
    const key = indexKeyExpression(prop.type, 'value') ?? 'value'
    ddl = (name) =>
      `create index if not exists ${q(name)} on ${q(table)} (catalog_id, (${key})) where property_id = ${slot}`
  } else {
    table = mapping.table
    const column = q(mapping.columns.get(slot) as string)
    const key = indexKeyExpression(prop.type, column) ?? column
    ddl = prop.isMultivalued
      ? (name) => `create index if not exists ${q(name)} on ${q(table)} using gin (${column})`
      : (name) => `create index if not exists ${q(name)} on ${q(table)} (catalog_id, (${key}))`
  }
  const digest = createHash('sha256')
    .update(JSON.stringify([table, version.defId, slot, prop.type, prop.isMultivalued]))
    .digest('hex')
  const indexName = `cheap_ix_${digest.slice(0, 24)}`
  const before = await sql<{
    found: string | null
  }>`select to_regclass(quote_ident(current_schema()) || '.' || ${indexName})::text as found`.execute(
    db,
  )
  const exists = (before.rows[0]?.found ?? null) !== null
  if (!exists) {
    await sql.raw(ddl(indexName)).execute(db)
    await sql.raw(`analyze ${q(table)}`).execute(db)
  }
  return { indexName, table, created: !exists }
}

export type { Where }

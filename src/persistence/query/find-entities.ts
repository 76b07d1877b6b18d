import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { CheapConflictError, CheapNotFoundError, CheapValidationError } from '../../errors.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { checkUuid, type EntityId } from '../../model/entity.ts'
import { loadAspectDefsById } from '../aspect-def-store.ts'
import type { AspectTableMapping } from '../mapping/mapping-store.ts'
import { q, sqlLiteral } from '../mapping/names.ts'
import { VALUE_CODECS } from '../store/value-codecs.ts'
import { checkPredicate, propertyOf } from './checked.ts'
import { compileFindEntities, indexKeyExpression } from './compile.ts'
import { loadAspectsByIds } from './load-aspects.ts'
import { resolveWhere, type QueryPropertyName, type Where } from './predicate.ts'

type Executor = Kysely<unknown>

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
  readonly def: AspectDef
  /** The writable dedicated table, or undefined for the generic tables. */
  readonly mapping: AspectTableMapping | undefined
}

/**
 * A DAO's query helper. Each call reads the def's id, hash and mapping in one small query; the
 * def itself is cached by id and hash, so a def that changed (or was remapped) is reloaded.
 */
export class QuerySupport {
  readonly #defs = new Map<string, { readonly hash: bigint; readonly def: AspectDef }>()

  async resolve(db: Executor, aspectDef: AspectDef | string): Promise<Resolved> {
    const name = typeof aspectDef === 'string' ? aspectDef : aspectDef.name
    const rows = await sql<{
      aspect_def_id: string
      hash_version: bigint
      table_name: string | null
      is_read_only: boolean | null
      properties: string[]
      columns: string[]
    }>`select d.aspect_def_id, d.hash_version, m.table_name, m.is_read_only,
        coalesce((select array_agg(c.property_name order by c.property_name) from aspect_column_mapping c where c.aspect_def_id = d.aspect_def_id), '{}') as properties,
        coalesce((select array_agg(c.column_name order by c.property_name) from aspect_column_mapping c where c.aspect_def_id = d.aspect_def_id), '{}') as columns
      from aspect_def d left join aspect_table_mapping m on m.aspect_def_id = d.aspect_def_id
      where d.name = ${name}`.execute(db)
    const row = rows.rows[0]
    if (row === undefined) throw new CheapNotFoundError(`no AspectDef named '${name}' is stored`)
    let cached = this.#defs.get(row.aspect_def_id)
    if (cached === undefined || cached.hash !== row.hash_version) {
      const loaded = (await loadAspectDefsById(db, [row.aspect_def_id])).get(row.aspect_def_id)
      if (loaded === undefined)
        throw new CheapNotFoundError(`no AspectDef named '${name}' is stored`)
      cached = { hash: row.hash_version, def: loaded }
      this.#defs.set(row.aspect_def_id, cached)
    }
    let def = cached.def
    if (typeof aspectDef !== 'string') {
      if (!aspectDef.equals(def)) {
        throw new CheapConflictError(
          `the AspectDef '${name}' passed differs from the stored one (${def.globalId}); load the stored def or save the catalog first`,
        )
      }
      def = aspectDef
    }
    if (row.table_name !== null && row.is_read_only === true) {
      throw new CheapValidationError(
        `AspectDef '${name}' is an adopted read-only table (${JSON.stringify(row.table_name)}); read it with loadAdoptedTable`,
        { reason: 'INVALID_ARGUMENT', aspectDefName: name },
      )
    }
    const mapping: AspectTableMapping | undefined =
      row.table_name === null
        ? undefined
        : {
            aspectDefId: def.globalId,
            aspectDefName: def.name,
            table: row.table_name,
            hasCatalogId: true,
            hasEntityId: true,
            isReadOnly: false,
            columns: new Map(row.properties.map((p, i) => [p, row.columns[i] as string])),
          }
    if (mapping !== undefined && !def.propertyDefs().every((p) => mapping.columns.has(p.name))) {
      throw new CheapConflictError(
        `the dedicated table ${JSON.stringify(mapping.table)} of AspectDef '${name}' does not match the def's current properties yet; it is aligned by the next save of a catalog using the def`,
      )
    }
    return { def, mapping }
  }
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
    mapping: resolved.mapping,
    catalogId,
    where: checked,
    orderBy,
    after,
    limit,
  })
}

/** Runs a query: entity ids in order, or their aspects (read in one snapshot). */
export async function findEntities<D extends AspectDef>(
  db: Executor,
  support: QuerySupport,
  catalogId: string,
  aspectDef: D | string,
  where: Where<D> | undefined,
  options: FindEntitiesOptions<D>,
): Promise<EntityId[] | Aspect<D>[]> {
  const resolved = await support.resolve(db, aspectDef)
  const query = compile(resolved, catalogId, where, options)
  if (options.select !== 'aspects') {
    return (await query.execute(db)).rows.map((r) => r.entity_id)
  }
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const ids = (await query.execute(trx)).rows.map((r) => r.entity_id)
      return loadAspectsByIds(trx, catalogId, resolved.def as D, resolved.mapping, ids)
    })
}

/** `EXPLAIN` of the statement `findEntities` would run (for tuning and tests). */
export async function explainFindEntities<D extends AspectDef>(
  db: Executor,
  support: QuerySupport,
  catalogId: string,
  aspectDef: D | string,
  where: Where<D> | undefined,
  options: FindEntitiesOptions<D>,
  analyze = false,
): Promise<string> {
  const resolved = await support.resolve(db, aspectDef)
  const query = compile(resolved, catalogId, where, options)
  const rows = await sql<
    Record<string, string>
  >`${sql.raw(analyze ? 'explain (analyze) ' : 'explain ')}${query}`.execute(db)
  return rows.rows.map((r) => Object.values(r)[0]).join('\n')
}

/**
 * Creates (if missing) the index that serves `findEntities` predicates on one property, then
 * `ANALYZE`s the table. Generic tables: a partial index on `property_value_<type> (catalog_id,
 * <key>) WHERE aspect_def_id = '<id>' AND property_name = '<name>'`; a dedicated table: a B-tree on
 * `(catalog_id, <key>)`, or a GIN index on a multivalued (array) column. `<key>` is the value, or
 * a bounded prefix of text and BLB values. The name is derived from def, property and table, so
 * the call is idempotent.
 */
export async function indexProperty(
  db: Executor,
  support: QuerySupport,
  aspectDefName: string,
  propertyName: string,
): Promise<IndexPropertyResult> {
  const { def, mapping } = await support.resolve(db, aspectDefName)
  const prop = propertyOf(def, propertyName)
  let table: string
  let ddl: (name: string) => string
  if (mapping === undefined) {
    table = VALUE_CODECS[prop.type].table
    const key = indexKeyExpression(prop.type, 'value') ?? 'value'
    ddl = (name) =>
      `create index if not exists ${q(name)} on ${q(table)} (catalog_id, (${key})) where aspect_def_id = ${sqlLiteral(def.globalId)}::uuid and property_name = ${sqlLiteral(prop.name)}`
  } else {
    table = mapping.table
    const column = q(mapping.columns.get(prop.name) as string)
    const key = indexKeyExpression(prop.type, column) ?? column
    ddl = prop.isMultivalued
      ? (name) => `create index if not exists ${q(name)} on ${q(table)} using gin (${column})`
      : (name) => `create index if not exists ${q(name)} on ${q(table)} (catalog_id, (${key}))`
  }
  const digest = createHash('sha256')
    .update(JSON.stringify([table, def.globalId, prop.name, prop.type, prop.isMultivalued]))
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

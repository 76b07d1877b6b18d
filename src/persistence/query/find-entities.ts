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
import {
  checkLanguage,
  checkPredicate,
  isFullTextType,
  propertyOf,
  type CheckedLeaf,
  type CheckedNode,
} from './checked.ts'
import {
  compileFindEntities,
  fullTextExpression,
  fullTextListExpression,
  indexKeyExpression,
} from './compile.ts'
import { evaluateChecked, textSearchesOf } from './evaluate.ts'
import { Aspect as AspectClass } from '../../model/aspect.ts'
import { askTextSearch, checkLanguagesExist, monotoneQueries } from './text-search.ts'
import { resolveWhere, type QueryPropertyName, type Where } from './predicate.ts'

type Db = Kysely<CheapDatabase>

export interface FindEntitiesOptions<D extends AspectDef = AspectDef> {
  /**
   * Sort by a single-valued property's effective value (nulls last), then map order; or, with
   * `{ relevance: true }`, by the `ts_rank` of the predicate's one (un-negated) `matches` test
   * (best element of a list; default direction `desc`, most relevant first).
   */
  readonly orderBy?:
    | QueryPropertyName<D>
    | {
        readonly property: QueryPropertyName<D>
        readonly direction?: 'asc' | 'desc' | undefined
      }
    | { readonly relevance: true; readonly direction?: 'asc' | 'desc' | undefined }
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

export interface IndexPropertyOptions {
  /**
   * A GIN index for `matches(…, { language })` instead of the B-tree: on `to_tsvector(language,
   * value)` (the list's elements joined by spaces for a multivalued dedicated column).
   */
  readonly fullText?: { readonly language?: string | undefined } | undefined
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

type MatchesLeaf = Extract<CheckedLeaf, { kind: 'matches' }>

/** The `matches` leaves of a checked predicate, with whether each is negated. */
function matchesLeaves(node: CheckedNode | undefined): { leaf: MatchesLeaf; negated: boolean }[] {
  if (node === undefined) return []
  if (node.kind !== 'leaf') return node.parts.flatMap(matchesLeaves)
  return node.leaf.kind === 'matches' ? [{ leaf: node.leaf, negated: node.negated }] : []
}

function checkDirection(direction: unknown): 'asc' | 'desc' {
  if (direction !== 'asc' && direction !== 'desc') {
    throw new CheapValidationError(`orderBy direction must be 'asc' or 'desc'`, {
      reason: 'INVALID_ARGUMENT',
    })
  }
  return direction
}

async function compile<D extends AspectDef>(
  db: Db,
  cache: DefVersionCache,
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
  const matches = matchesLeaves(checked)
  let orderBy:
    | { prop: ReturnType<typeof propertyOf>; direction: 'asc' | 'desc' }
    | { relevance: MatchesLeaf; direction: 'asc' | 'desc' }
    | undefined
  if (
    options.orderBy !== undefined &&
    typeof options.orderBy === 'object' &&
    'relevance' in options.orderBy
  ) {
    const positive = matches.filter((m) => !m.negated)
    if (options.orderBy.relevance !== true || positive.length !== 1) {
      throw new CheapValidationError(
        `orderBy { relevance: true } needs a predicate with exactly one matches() test that is not negated, got ${positive.length}`,
        { reason: 'INVALID_ARGUMENT', aspectDefName: def.name },
      )
    }
    orderBy = {
      relevance: (positive[0] as { leaf: MatchesLeaf }).leaf,
      direction: checkDirection(options.orderBy.direction ?? 'desc'),
    }
  } else if (options.orderBy !== undefined) {
    const spec =
      typeof options.orderBy === 'string' ? { property: options.orderBy } : options.orderBy
    const prop = propertyOf(def, spec.property)
    if (prop.isMultivalued) {
      throw new CheapValidationError(
        `AspectDef '${def.name}', property '${prop.name}': cannot order by a multivalued property`,
        { reason: 'INVALID_ARGUMENT', aspectDefName: def.name, propertyName: prop.name },
      )
    }
    orderBy = { prop, direction: checkDirection(spec.direction ?? 'asc') }
  }
  let textSearch
  let monotone: ReadonlySet<string> = new Set()
  if (matches.length > 0) {
    // Unknown configurations are refused before the statement names them; defaults are asked
    // of the database (compiled as constants), and a multivalued dedicated column learns which
    // queries its joined-list index may prefilter.
    await checkLanguagesExist(
      db,
      matches.map((m) => m.leaf.language),
      cache,
    )
    textSearch = await askTextSearch(db, textSearchesOf(checked as CheckedNode, [new Map()]))
    if (resolved.mapping !== undefined) {
      monotone = await monotoneQueries(
        db,
        matches.filter((m) => m.leaf.prop.isMultivalued).map((m) => m.leaf),
      )
    }
  }
  return compileFindEntities({
    textSearch,
    monotone,
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
    const query = await compile(trx, cache, resolved, catalogId, where, options)
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
  const query = await compile(db, cache, resolved, catalogId, where, options)
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
 * text and BLB values. With `fullText`, a GIN index on the value's tsvector in that language
 * instead. The name is derived from table, slot (and language), so the call is idempotent.
 */
export async function indexProperty(
  db: Db,
  cache: DefVersionCache,
  aspectDefName: string,
  propertyName: string,
  options: IndexPropertyOptions = {},
): Promise<IndexPropertyResult> {
  // The language is checked before the first statement.
  const fullText =
    options.fullText === undefined
      ? undefined
      : checkLanguage(
          options.fullText.language,
          `indexProperty '${aspectDefName}'.'${propertyName}'`,
        )
  // A schema operation: under the def's exclusive lock, so the storage it indexes cannot move
  // (map, unmap) or be dropped while the index is built (docs/LOCKING.md).
  return db.transaction().execute(async (trx) => {
    await lockDefForSchemaChange(trx, aspectDefName)
    return indexPropertyLocked(trx, cache, aspectDefName, propertyName, fullText)
  })
}

async function indexPropertyLocked(
  db: Db,
  cache: DefVersionCache,
  aspectDefName: string,
  propertyName: string,
  fullText: string | undefined,
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
  if (fullText !== undefined) {
    if (!isFullTextType(prop.type)) {
      throw new CheapValidationError(
        `AspectDef '${def.name}', property '${prop.name}': a full-text index needs a STR, TXT or CLB property, not ${prop.type}`,
        { reason: 'WRONG_TYPE', aspectDefName: def.name, propertyName: prop.name },
      )
    }
    await checkLanguagesExist(db, [fullText])
  }
  const mapping = (await readMappings(db, { defIds: [version.defId] })).find(
    (m) => m.version === version.version && !m.isReadOnly,
  )
  let table: string
  let ddl: (name: string) => string
  if (mapping === undefined && fullText !== undefined) {
    table = codecOf(prop.type).table
    ddl = (name) =>
      `create index if not exists ${q(name)} on ${q(table)} using gin ((${fullTextExpression(fullText, 'value')})) where property_id = ${slot}`
  } else if (mapping === undefined) {
    table = codecOf(prop.type).table
    const key = indexKeyExpression(prop.type, 'value') ?? 'value'
    ddl = (name) =>
      `create index if not exists ${q(name)} on ${q(table)} (catalog_id, (${key})) where property_id = ${slot}`
  } else if (fullText !== undefined) {
    table = mapping.table
    const column = q(mapping.columns.get(slot) as string)
    const document = prop.isMultivalued
      ? fullTextListExpression(fullText, column)
      : fullTextExpression(fullText, column)
    ddl = (name) => `create index if not exists ${q(name)} on ${q(table)} using gin ((${document}))`
  } else {
    table = mapping.table
    const column = q(mapping.columns.get(slot) as string)
    const key = indexKeyExpression(prop.type, column) ?? column
    ddl = prop.isMultivalued
      ? (name) => `create index if not exists ${q(name)} on ${q(table)} using gin (${column})`
      : (name) => `create index if not exists ${q(name)} on ${q(table)} (catalog_id, (${key}))`
  }
  const digest = createHash('sha256')
    .update(
      JSON.stringify(
        fullText === undefined
          ? [table, version.defId, slot, prop.type, prop.isMultivalued]
          : [table, version.defId, slot, prop.type, prop.isMultivalued, 'fts', fullText],
      ),
    )
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

/**
 * Evaluates `where` on each aspect in memory (the semantics `findEntities` compiles), asking the
 * database in one statement for the answers of its `matches` tests.
 */
export async function evaluatePredicate<D extends AspectDef>(
  db: Db,
  aspects: readonly ({ readonly def: D } & Aspect<D>)[],
  where: Where<D>,
): Promise<boolean[]> {
  const node = resolveWhere(where)
  if (node === undefined) return aspects.map(() => true)
  const checked = new Map<AspectDef, CheckedNode>()
  const checkedOf = (def: AspectDef) => {
    let found = checked.get(def)
    if (found === undefined) {
      found = checkPredicate(def, node)
      checked.set(def, found)
    }
    return found
  }
  const stored = aspects.map((a) => AspectClass.stored(a))
  const searches = aspects.flatMap((a, i) =>
    textSearchesOf(checkedOf(a.def), [stored[i] as ReturnType<typeof AspectClass.stored>]),
  )
  const textSearch = await askTextSearch(db, searches)
  return aspects.map((a, i) =>
    evaluateChecked(
      checkedOf(a.def),
      stored[i] as ReturnType<typeof AspectClass.stored>,
      textSearch,
    ),
  )
}

export type { Where }

import { sql, type RawBuilder } from 'kysely'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { EntityId } from '../../model/entity.ts'
import type { PropertyDef } from '../../model/property-def.ts'
import type { PropertyTypeCode, ScalarValue } from '../../model/property-type.ts'
import { codecOf } from '../store/codecs/index.ts'
import type { StoredVersion } from '../store/def-versions.ts'
import { ABSENT_COLUMN, sqlLiteral } from '../store/dedicated/names.ts'
import type { DedicatedTable } from '../store/dedicated/table.ts'
import type { CheckedLeaf, CheckedNode } from './checked.ts'
import { valueMatches, type TextSearch } from './evaluate.ts'

type MatchesLeaf = Extract<CheckedLeaf, { kind: 'matches' }>

/** `'english'::regconfig`: a literal, so an expression index on the same text matches. */
function regconfig(language: string): Sql {
  return sql.raw(`${sqlLiteral(language)}::regconfig`)
}

/** The indexed document expression of a full-text index: `to_tsvector('<language>', ref)`. */
export function fullTextExpression(language: string, ref: string): string {
  return `to_tsvector(${sqlLiteral(language)}::regconfig, ${ref})`
}

/** A multivalued column as one document (elements joined by a space) for its GIN index. */
export function fullTextListExpression(language: string, ref: string): string {
  return fullTextExpression(language, `cheap_list_document(${ref})`)
}

function tsQuery(leaf: MatchesLeaf): Sql {
  return sql`websearch_to_tsquery(${regconfig(leaf.language)}, ${leaf.query}::text)`
}

function tsMatch(leaf: MatchesLeaf, v: Sql): Sql {
  return sql`to_tsvector(${regconfig(leaf.language)}, ${v}) @@ ${tsQuery(leaf)}`
}

function tsRank(leaf: MatchesLeaf, v: Sql): Sql {
  return sql`ts_rank(to_tsvector(${regconfig(leaf.language)}, ${v}), ${tsQuery(leaf)})`
}

/** The key of a (language, query) pair in {@link CompileOptions.monotone}. */
export function queryKey(leaf: { readonly language: string; readonly query: string }): string {
  return JSON.stringify([leaf.language, leaf.query])
}

type Sql = RawBuilder<unknown>

/** Characters of text values an index keys on; 256 characters are at most 1 KiB of UTF-8. */
export const TEXT_PREFIX_CHARS = 256
/** Bytes of BLB values an index keys on. */
export const BLOB_PREFIX_BYTES = 1024

/**
 * The indexed expression of a value: a bounded prefix for text and BLB values (a B-tree entry
 * must stay under ~2.7 kB, and STR alone may hold 8192 characters), the value itself otherwise.
 * Queries add a matching prefix condition, so the index serves `=`, `<`, `>`, `in` and
 * `startsWith` on values of any length.
 */
export function indexKeyExpression(type: PropertyTypeCode, ref: string): string | undefined {
  if (codecOf(type).isText) return `left(${ref}, ${TEXT_PREFIX_CHARS}) collate "C"`
  if (type === 'BLB') return `substring(${ref} from 1 for ${BLOB_PREFIX_BYTES})`
  return undefined
}

function prefixOf(type: PropertyTypeCode, value: ScalarValue): unknown {
  if (codecOf(type).isText) return [...(value as string)].slice(0, TEXT_PREFIX_CHARS).join('')
  return (value as Uint8Array).subarray(0, BLOB_PREFIX_BYTES)
}

function param(type: PropertyTypeCode, value: ScalarValue): Sql {
  return sql`${codecOf(type).encode(value)}::${sql.raw(codecOf(type).sqlType)}`
}

function arrayParam(type: PropertyTypeCode, values: readonly ScalarValue[]): Sql {
  return sql`${values.map((v) => codecOf(type).encode(v))}::${sql.raw(codecOf(type).sqlType)}[]`
}

/** `value collate "C"` for text, so comparisons are by code point on every server. */
function comparable(type: PropertyTypeCode, ref: Sql): Sql {
  return codecOf(type).isText ? sql`${ref} collate "C"` : ref
}

function prefixExpr(type: PropertyTypeCode, ref: Sql): Sql | undefined {
  if (codecOf(type).isText)
    return sql`left(${ref}, ${sql.raw(String(TEXT_PREFIX_CHARS))}) collate "C"`
  if (type === 'BLB') return sql`substring(${ref} from 1 for ${sql.raw(String(BLOB_PREFIX_BYTES))})`
  return undefined
}

function prefixParam(type: PropertyTypeCode, value: ScalarValue): Sql {
  return sql`${prefixOf(type, value)}::${sql.raw(codecOf(type).sqlType)}`
}

/** `\`, `%` and `_` escaped for LIKE. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`)
}

const OPS: Readonly<Record<string, string>> = {
  '=': '=',
  '<>': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
}

/**
 * The condition a non-null stored value `v` must meet for a value leaf (compare, in, text,
 * contains), plus the redundant prefix condition an index on the bounded key can use.
 */
function valueCondition(leaf: CheckedLeaf, v: Sql): Sql {
  const type = leaf.prop.type
  const prefix = prefixExpr(type, v)
  const both = (main: Sql, helper: Sql | undefined) =>
    helper === undefined || prefix === undefined ? main : sql`${main} and ${helper}`
  switch (leaf.kind) {
    case 'compare': {
      const main = sql`${comparable(type, v)} ${sql.raw(OPS[leaf.op] as string)} ${param(type, leaf.value)}`
      const helperOp =
        leaf.op === '='
          ? '='
          : leaf.op === '<' || leaf.op === '<='
            ? '<='
            : leaf.op === '<>'
              ? undefined
              : '>='
      return both(
        main,
        helperOp === undefined || prefix === undefined
          ? undefined
          : sql`${prefix} ${sql.raw(helperOp)} ${prefixParam(type, leaf.value)}`,
      )
    }
    case 'in': {
      if (leaf.values.length === 0) return sql`false`
      const main = sql`${comparable(type, v)} = any(${arrayParam(type, leaf.values)})`
      return both(
        main,
        prefix === undefined
          ? undefined
          : sql`${prefix} = any(${sql`${leaf.values.map((x) => prefixOf(type, x))}::${sql.raw(codecOf(type).sqlType)}[]`})`,
      )
    }
    case 'contains': {
      const main = sql`${comparable(type, v)} = ${param(type, leaf.value)}`
      return both(
        main,
        prefix === undefined ? undefined : sql`${prefix} = ${prefixParam(type, leaf.value)}`,
      )
    }
    case 'matches':
      return tsMatch(leaf, v)
    case 'text':
      switch (leaf.op) {
        case 'startsWith':
          return both(
            sql`${comparable(type, v)} like ${`${likeEscape(leaf.value)}%`}`,
            prefix === undefined
              ? undefined
              : sql`${prefix} like ${`${likeEscape([...leaf.value].slice(0, TEXT_PREFIX_CHARS).join(''))}%`}`,
          )
        case 'ilike':
          return sql`lower(${v}) like lower(${leaf.value})`
        case 'equalsIgnoreCase':
          return sql`lower(${v}) = lower(${leaf.value}::text)`
      }
      break
    default:
      break
  }
  throw new Error(`internal: no value condition for ${leaf.kind}`)
}

/**
 * Does the property's default (when absent) satisfy a value leaf? Decided at compile time (for
 * `matches`, by the database's answers asked before compiling).
 */
function defaultSatisfies(leaf: CheckedLeaf, textSearch: TextSearch | undefined): boolean {
  const prop = leaf.prop
  return prop.hasDefaultValue && valueMatches(leaf, prop.defaultValue as ScalarValue, textSearch)
}

/** The rank of an absent property's default for a relevance order (NULL: no default text). */
function defaultRank(leaf: MatchesLeaf): Sql {
  const prop = leaf.prop
  if (!prop.hasDefaultValue || prop.defaultValue === null) return sql`null::real`
  if (Array.isArray(prop.defaultValue)) {
    return sql`(select max(${tsRank(leaf, sql`e`)}) from unnest(${prop.defaultValue as string[]}::text[]) e)`
  }
  return tsRank(leaf, sql`${prop.defaultValue}::text`)
}

/** Where the compiled query finds a def's values. */
interface Source {
  /** True when a value (possibly null) is stored for `prop`: two-valued. */
  present(prop: PropertyDef): Sql
  /** The positive form of a leaf (may be NULL where false is meant; only used un-negated). */
  leaf(leaf: CheckedLeaf, negated: boolean): Sql
  /** For orderBy: the stored value (NULL when absent) and whether it is absent. */
  sortValue(prop: PropertyDef): { readonly joins: Sql; readonly value: Sql; readonly absent: Sql }
  /** For a relevance order: the best `ts_rank` of the effective value(s) (NULL: none). */
  rank(leaf: MatchesLeaf): Sql
  readonly joins: Sql
  /** True when the positive leaf form is always true or false, never NULL. */
  readonly twoValued: boolean
}

function lit(text: string): Sql {
  return sql.raw(sqlLiteral(text))
}

/**
 * The generic value tables: each leaf is `a.aspect_id IN (SELECT aspect_id FROM
 * property_value_<type> WHERE catalog_id = $c AND property_id = <slot> AND <condition>)`. The
 * subquery is uncorrelated (a semi-join, or a hashed subplan under OR/NOT), and the slot is a
 * literal, so a partial index made by `indexProperty` matches it.
 */
function genericSource(
  version: StoredVersion,
  catalog: Sql,
  textSearch: TextSearch | undefined,
): Source {
  const slot = (prop: PropertyDef) => {
    const found = version.slotOf(prop.name)
    if (found === undefined) throw new Error(`internal: property '${prop.name}' has no slot`)
    return sql.raw(String(found))
  }
  const key = (alias: string, prop: PropertyDef) =>
    sql`${sql.raw(alias)}.catalog_id = ${catalog} and ${sql.raw(alias)}.property_id = ${slot(prop)}`
  const valueRows = (prop: PropertyDef, cond: (v: Sql) => Sql) =>
    sql`a.aspect_id in (select v.aspect_id from ${sql.id(codecOf(prop.type).table)} v where ${key('v', prop)} and ${cond(sql`v.value`)})`
  const listRows = (prop: PropertyDef, cond: Sql) =>
    sql`a.aspect_id in (select l.aspect_id from property_list l where ${key('l', prop)} and ${cond})`
  const present = (prop: PropertyDef) =>
    prop.isMultivalued
      ? listRows(prop, sql`true`)
      : sql`a.aspect_id in (select v.aspect_id from ${sql.id(codecOf(prop.type).table)} v where ${key('v', prop)})`
  return {
    present,
    joins: sql``,
    twoValued: true,
    leaf(leaf, negated) {
      const prop = leaf.prop
      const orAbsent = (match: Sql, when: boolean) =>
        when ? sql`(${match} or not ${present(prop)})` : match
      switch (leaf.kind) {
        case 'null':
          if (leaf.test === 'isAbsent') return sql`not ${present(prop)}`
          return orAbsent(
            prop.isMultivalued
              ? listRows(prop, sql`l.length is null`)
              : valueRows(prop, (v) => sql`${v} is null`),
            !prop.hasDefaultValue || prop.defaultValue === null,
          )
        case 'isEmpty':
          return orAbsent(listRows(prop, sql`l.length = 0`), defaultSatisfies(leaf, textSearch))
        case 'matches':
          if (!negated && !defaultSatisfies(leaf, textSearch)) {
            // The GIN index finds few rows, but the planner cannot know how few (a rare word
            // is estimated at a fixed share of the rows) and would hash-join all the def's
            // aspects. `= any(array(…))` runs the index search once and probes aspect_pkey.
            return sql`a.aspect_id = any(array(select v.aspect_id from ${sql.id(codecOf(leaf.prop.type).table)} v where ${key('v', leaf.prop)} and ${valueCondition(leaf, sql`v.value`)}))`
          }
          // Negated (the hashed `not in` is right for many rows) or or-absent: as any leaf.
          return orAbsent(
            valueRows(prop, (v) => valueCondition(leaf, v)),
            defaultSatisfies(leaf, textSearch),
          )
        default:
          // matches: element rows too, so a multivalued property matches when an element does.
          return orAbsent(
            valueRows(prop, (v) => valueCondition(leaf, v)),
            defaultSatisfies(leaf, textSearch),
          )
      }
    },
    rank(leaf) {
      const prop = leaf.prop
      // Correlated (only the matching rows are ranked), not the hashed subplan of present().
      const table = sql.id(codecOf(prop.type).table)
      const best = sql`(select max(${tsRank(leaf, sql`r.value`)}) from ${table} r where r.catalog_id = a.catalog_id and r.aspect_id = a.aspect_id and r.property_id = ${slot(prop)})`
      if (!prop.hasDefaultValue || prop.defaultValue === null) return best
      const stored = prop.isMultivalued
        ? sql`exists (select 1 from property_list r where r.catalog_id = a.catalog_id and r.aspect_id = a.aspect_id and r.property_id = ${slot(prop)})`
        : sql`exists (select 1 from ${table} r where r.catalog_id = a.catalog_id and r.aspect_id = a.aspect_id and r.property_id = ${slot(prop)})`
      return sql`case when ${stored} then ${best} else ${defaultRank(leaf)} end`
    },
    sortValue(prop) {
      return {
        joins: sql`left join ${sql.id(codecOf(prop.type).table)} o on o.catalog_id = a.catalog_id and o.aspect_id = a.aspect_id and o.property_id = ${slot(prop)} and o.value_index = 0`,
        value: sql`o.value`,
        absent: sql`(o.aspect_id is null)`,
      }
    },
  }
}

/**
 * A dedicated table joined as `t`: plain column predicates (`t.age > $1`), `t.tags @>
 * array[$1]` for `contains`, `cheap_absent` for absence.
 */
function dedicatedSource(
  version: StoredVersion,
  mapping: DedicatedTable,
  textSearch: TextSearch | undefined,
  monotone: ReadonlySet<string>,
): Source {
  const col = (prop: PropertyDef) => {
    const slot = version.slotOf(prop.name)
    const column = slot === undefined ? undefined : mapping.columns.get(slot)
    if (column === undefined) throw new Error(`internal: property '${prop.name}' has no column`)
    return sql`t.${sql.id(column)}`
  }
  const absent = (prop: PropertyDef) =>
    sql`coalesce(t.${sql.id(ABSENT_COLUMN)} @> array[${lit(prop.name)}]::text[], false)`
  return {
    present: (prop) => sql`not ${absent(prop)}`,
    joins: sql`join ${sql.id(mapping.table)} t on t.catalog_id = a.catalog_id and t.aspect_id = a.aspect_id`,
    twoValued: false,
    leaf(leaf) {
      const prop = leaf.prop
      const c = col(prop)
      const orAbsent = (match: Sql, when: boolean) =>
        when ? sql`(${match} or ${absent(prop)})` : match
      switch (leaf.kind) {
        case 'null':
          if (leaf.test === 'isAbsent') return absent(prop)
          // Absent rows hold NULL too: `col is null` covers absent-without-a-non-null-default.
          return !prop.hasDefaultValue || prop.defaultValue === null
            ? sql`${c} is null`
            : sql`(${c} is null and not ${absent(prop)})`
        case 'isEmpty':
          return orAbsent(sql`cardinality(${c}) = 0`, defaultSatisfies(leaf, textSearch))
        case 'contains':
          return orAbsent(
            sql`${c} @> array[${param(prop.type, leaf.value)}]`,
            defaultSatisfies(leaf, textSearch),
          )
        case 'matches': {
          if (!prop.isMultivalued) {
            return orAbsent(tsMatch(leaf, c), defaultSatisfies(leaf, textSearch))
          }
          // Some element matches. With a monotone query the joined list must match too: that
          // redundant condition is what the list's GIN index (indexProperty) serves.
          const some = sql`exists (select 1 from unnest(${c}) e where ${tsMatch(leaf, sql`e`)})`
          const match = monotone.has(queryKey(leaf))
            ? sql`(${tsMatch(leaf, sql`cheap_list_document(${c})`)} and ${some})`
            : some
          return orAbsent(match, defaultSatisfies(leaf, textSearch))
        }
        default:
          return orAbsent(valueCondition(leaf, c), defaultSatisfies(leaf, textSearch))
      }
    },
    rank(leaf) {
      const c = col(leaf.prop)
      const stored = leaf.prop.isMultivalued
        ? sql`(select max(${tsRank(leaf, sql`e`)}) from unnest(${c}) e)`
        : tsRank(leaf, c)
      return sql`case when ${absent(leaf.prop)} then ${defaultRank(leaf)} else ${stored} end`
    },
    sortValue(prop) {
      return { joins: sql``, value: col(prop), absent: absent(prop) }
    },
  }
}

function compileNode(node: CheckedNode, source: Source): Sql {
  switch (node.kind) {
    case 'leaf': {
      const positive = source.leaf(node.leaf, node.negated)
      if (!node.negated) return positive
      return source.twoValued ? sql`not ${positive}` : sql`not coalesce(${positive}, false)`
    }
    case 'and':
    case 'or':
      if (node.parts.length === 0) return node.kind === 'and' ? sql`true` : sql`false`
      return sql`(${sql.join(
        node.parts.map((p) => compileNode(p, source)),
        sql.raw(` ${node.kind} `),
      )})`
  }
}

export interface CompileOptions {
  readonly def: AspectDef
  /** The version of the def the catalog is pinned to (its property slots). */
  readonly version: StoredVersion
  /** The version's writable dedicated table, or undefined for the generic tables. */
  readonly mapping: DedicatedTable | undefined
  readonly catalogId: string
  readonly where: CheckedNode | undefined
  readonly orderBy:
    | { readonly prop: PropertyDef; readonly direction: 'asc' | 'desc' }
    | { readonly relevance: MatchesLeaf; readonly direction: 'asc' | 'desc' }
    | undefined
  readonly after: string | undefined
  readonly limit: number
  /** The database's answers for `matches` leaves on defaults (asked before compiling). */
  readonly textSearch: TextSearch | undefined
  /** (language, query) pairs whose tsquery has no negation or phrase: see `monotoneQueries`. */
  readonly monotone: ReadonlySet<string>
}

/**
 * One SQL statement returning the matching entity ids in order: `aspect` rows of the catalog and
 * def (membership and map order), the predicate as column or EXISTS-style conditions, ordering by
 * a property (nulls last) then map order, keyset pagination after a given entity.
 */
export function compileFindEntities(options: CompileOptions): RawBuilder<{ entity_id: EntityId }> {
  const catalog = sql`${options.catalogId}::uuid`
  const source =
    options.mapping === undefined
      ? genericSource(options.version, catalog, options.textSearch)
      : dedicatedSource(options.version, options.mapping, options.textSearch, options.monotone)
  const defId = sql.raw(`${sqlLiteral(options.def.globalId)}::uuid`)
  let joins = source.joins
  let key: Sql = sql`null::int4`
  if (options.orderBy !== undefined && 'relevance' in options.orderBy) {
    key = source.rank(options.orderBy.relevance)
  } else if (options.orderBy !== undefined) {
    const prop = options.orderBy.prop
    const sort = source.sortValue(prop)
    joins = sql`${joins} ${sort.joins}`
    const withDefault =
      prop.hasDefaultValue && prop.defaultValue !== null
        ? sql`case when ${sort.absent} then ${param(prop.type, prop.defaultValue as ScalarValue)} else ${sort.value} end`
        : sort.value
    key = codecOf(prop.type).isText ? sql`(${withDefault}) collate "C"` : withDefault
  }
  const from = sql`from aspect a ${joins} where a.catalog_id = ${catalog} and a.aspect_def_id = ${defId}`
  const predicate = options.where === undefined ? sql`true` : compileNode(options.where, source)
  const rows = sql`select a.entity_id, a.map_order, ${key} as k ${from} and ${predicate}`
  const direction = options.orderBy?.direction === 'desc' ? 'desc' : 'asc'
  const order =
    options.orderBy === undefined
      ? sql`order by s.map_order`
      : sql`order by s.k ${sql.raw(direction)} nulls last, s.map_order`
  if (options.after === undefined) {
    return sql<{
      entity_id: EntityId
    }>`with s as (${rows}) select s.entity_id from s ${order} limit ${options.limit}`
  }
  const anchor = sql`select ${key} as k, a.map_order as m ${from} and a.entity_id = ${options.after}::uuid`
  const beyond = direction === 'desc' ? sql`s.k < anchor.k` : sql`s.k > anchor.k`
  const cond =
    options.orderBy === undefined
      ? sql`s.map_order > anchor.m`
      : sql`((anchor.k is null and s.k is null and s.map_order > anchor.m) or (anchor.k is not null and (s.k is null or ${beyond} or (s.k = anchor.k and s.map_order > anchor.m))))`
  return sql<{
    entity_id: EntityId
  }>`with s as (${rows}), anchor as (${anchor}) select s.entity_id from s, anchor where ${cond} ${order} limit ${options.limit}`
}

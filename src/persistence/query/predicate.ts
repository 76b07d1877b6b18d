import type { AspectDef, PropertyDefMap, PropertyNames } from '../../model/aspect-def.ts'
import type { PropertyDef } from '../../model/property-def.ts'
import type { PropertyTypeCode, PropertyValueTypes } from '../../model/property-type.ts'

declare const whereDefName: unique symbol

/** Comparison operators of {@link ScalarOps}. */
export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>='

/** The null tests: see {@link NullOps}. */
export type NullTest = 'isNull' | 'isNotNull' | 'isAbsent' | 'isPresent'

export type TextOp = 'startsWith' | 'ilike' | 'equalsIgnoreCase'

/** The plain-data tree of a predicate (what {@link WhereBuilder} builds). */
export type PredicateNode =
  | {
      readonly kind: 'compare'
      readonly property: string
      readonly op: CompareOp
      readonly value: unknown
    }
  | { readonly kind: 'in'; readonly property: string; readonly values: readonly unknown[] }
  | { readonly kind: 'null'; readonly property: string; readonly test: NullTest }
  | {
      readonly kind: 'text'
      readonly property: string
      readonly op: TextOp
      readonly value: string
    }
  | { readonly kind: 'contains'; readonly property: string; readonly value: unknown }
  | { readonly kind: 'isEmpty'; readonly property: string }
  | {
      readonly kind: 'matches'
      readonly property: string
      readonly query: string
      readonly language: string | undefined
    }
  | { readonly kind: 'and' | 'or'; readonly parts: readonly PredicateNode[] }
  | { readonly kind: 'not'; readonly part: PredicateNode }

/** A predicate over one AspectDef's properties. Build it with a {@link WhereBuilder}. */
export interface Predicate {
  readonly node: PredicateNode
}

type PropsOf<D extends AspectDef> = D extends AspectDef<infer Ps> ? Ps : readonly PropertyDef[]
type TypeOf<P> = P extends PropertyDef<string, infer T, boolean, boolean> ? T : never
type MultiOf<P> = P extends PropertyDef<string, PropertyTypeCode, infer M, boolean> ? M : never
type ElementOf<P> = PropertyValueTypes[TypeOf<P> & PropertyTypeCode]

/** Property names of an AspectDef type (`string` for an untyped `AspectDef`). */
export type QueryPropertyName<D extends AspectDef> = PropertyNames<PropsOf<D>>

/** The PropertyDef type of property `K` of AspectDef type `D`. */
export type QueryProperty<D extends AspectDef, K extends string> = K extends keyof PropertyDefMap<
  PropsOf<D>
>
  ? PropertyDefMap<PropsOf<D>>[K]
  : PropertyDef

/**
 * Null and presence tests; every property has them. A property's *effective value* is what
 * `aspect.get` returns: the stored value (possibly null), else the def's default, else nothing.
 *
 * - `isNull()`: the effective value is null or there is none (explicit null, absent without a
 *   default, or absent with a null default);
 * - `isNotNull()`: the exact complement (the property has a non-null effective value);
 * - `isAbsent()`: no value is stored (whatever the default); `isPresent()`: its complement.
 */
export interface NullOps {
  isNull(): Predicate
  isNotNull(): Predicate
  isAbsent(): Predicate
  isPresent(): Predicate
}

/**
 * Comparisons of a single-valued property's effective value. Null or no value never compares:
 * `eq`, `ne`, `lt`, … and `in` are false for it (so `ne(x)` is not `not(eq(x))`: the latter also
 * matches null). Ordering is PostgreSQL's: numbers numerically (BGF by value, `1.0 = 1.00`; FLT
 * with NaN equal to itself and above every number, `-0 = 0`), text by code point (`COLLATE "C"`),
 * DAT by instant, BLB and UID byte-wise, false < true.
 */
export interface ScalarOps<V> {
  eq(value: V): Predicate
  ne(value: V): Predicate
  lt(value: V): Predicate
  le(value: V): Predicate
  gt(value: V): Predicate
  ge(value: V): Predicate
  in(values: readonly V[]): Predicate
}

/**
 * Text tests (STR, TXT, URI, CLB). `startsWith` is an exact, case-sensitive prefix test;
 * `ilike` a SQL `LIKE` pattern (`%` any run, `_` one character, `\` escapes) matched
 * case-insensitively; `equalsIgnoreCase` equality after lower-casing both sides. Case folding is
 * the database's `lower()` (per code point, by its `LC_CTYPE`).
 */
export interface TextOps {
  startsWith(prefix: string): Predicate
  ilike(pattern: string): Predicate
  equalsIgnoreCase(value: string): Predicate
}

/** Tests of a multivalued property's list. */
export interface ListOps<V> {
  /** The list holds an element equal to `value` (same equality as `eq`). */
  contains(value: V): Predicate
  /** The list is empty (not null). */
  isEmpty(): Predicate
}

/** The text search configuration `matches` uses when none is given. */
export const DEFAULT_TEXT_SEARCH_LANGUAGE = 'english'

/**
 * Full-text search (STR, TXT, CLB; multivalued too: some element matches). `matches(query)` is
 * PostgreSQL's `to_tsvector(language, value) @@ websearch_to_tsquery(language, query)`: words
 * are stemmed and stop words dropped by the text search configuration `language` (default
 * `'english'`; `'simple'` only lower-cases), and the query takes web-search syntax (`"a phrase"`,
 * `or`, `-word`). A query of stop words only matches nothing. `indexProperty(def, property, {
 * fullText: { language } })` makes the GIN index it uses; `orderBy: { relevance: true }` ranks by
 * `ts_rank`. The in-memory evaluator needs the database's answers: see `dao.evaluatePredicate`.
 */
export interface FullTextOps {
  matches(query: string, options?: { readonly language?: string | undefined }): Predicate
}

type IsText<T> = [Extract<T, 'STR' | 'TXT' | 'URI' | 'CLB'>] extends [never] ? false : true

/**
 * The operations of one property, by its def's literal type: comparisons for single-valued
 * properties, `contains`/`isEmpty` for multivalued ones, text tests for text types, `matches`
 * for STR, TXT and CLB (single or multivalued). With an
 * untyped `AspectDef` every operation is offered and checked when the query runs.
 */
type IsFullText<T> = [Extract<T, 'STR' | 'TXT' | 'CLB'>] extends [never] ? false : true

export type PropertyRef<P> = NullOps &
  (false extends MultiOf<P> ? ScalarOps<ElementOf<P>> : unknown) &
  (true extends MultiOf<P> ? ListOps<ElementOf<P>> : unknown) &
  (IsText<TypeOf<P>> extends true ? TextOps : unknown) &
  (IsFullText<TypeOf<P>> extends true ? FullTextOps : unknown)

/**
 * Builds a predicate: call it with a property name for that property's operations, combine with
 * `and`, `or`, `not`. Names and value types are checked at compile time when the AspectDef's
 * type is known (pass the `AspectDef` object, not its name).
 *
 * @example
 * ```ts
 * await dao.findEntities(catalogId, person, (p) =>
 *   p.and(p('age').gt(30n), p('name').startsWith('A'), p.not(p('tags').contains('x'))),
 * )
 * ```
 */
export type WhereBuilder<D extends AspectDef = AspectDef> = WhereBuilderOps<PropsOf<D>> &
  // Type-only: a def's literal name, so that a builder (and a `Where`) of one def is not one of
  // another def whose properties look alike. An untyped def (name `string`) has none, so an
  // untyped `Where` and a typed one still convert both ways.
  (string extends D['name'] ? unknown : { readonly [whereDefName]?: D['name'] })

/**
 * The operations of a {@link WhereBuilder}, by the def's property list (its name plays no part
 * here, so typed and untyped builders relate as their properties do).
 */
export interface WhereBuilderOps<Ps extends readonly PropertyDef[] = readonly PropertyDef[]> {
  <K extends QueryPropertyName<AspectDef<Ps>>>(
    property: K,
  ): PropertyRef<QueryProperty<AspectDef<Ps>, K>>
  and(...parts: readonly Predicate[]): Predicate
  or(...parts: readonly Predicate[]): Predicate
  not(part: Predicate): Predicate
  /** Always true (an empty `and`). */
  all(): Predicate
}

/** A predicate, or a function building one from a {@link WhereBuilder}. */
export type Where<D extends AspectDef = AspectDef> = Predicate | ((p: WhereBuilder<D>) => Predicate)

type AnyRef = NullOps & ScalarOps<unknown> & ListOps<unknown> & TextOps & FullTextOps

function ref(property: string): AnyRef {
  const node = (n: PredicateNode): Predicate => ({ node: n })
  const compare = (op: CompareOp) => (value: unknown) =>
    node({ kind: 'compare', property, op, value })
  const text = (op: TextOp) => (value: string) => node({ kind: 'text', property, op, value })
  return {
    isNull: () => node({ kind: 'null', property, test: 'isNull' }),
    isNotNull: () => node({ kind: 'null', property, test: 'isNotNull' }),
    isAbsent: () => node({ kind: 'null', property, test: 'isAbsent' }),
    isPresent: () => node({ kind: 'null', property, test: 'isPresent' }),
    eq: compare('='),
    ne: compare('<>'),
    lt: compare('<'),
    le: compare('<='),
    gt: compare('>'),
    ge: compare('>='),
    in: (values: readonly unknown[]) => node({ kind: 'in', property, values: [...values] }),
    contains: (value: unknown) => node({ kind: 'contains', property, value }),
    isEmpty: () => node({ kind: 'isEmpty', property }),
    startsWith: text('startsWith'),
    ilike: text('ilike'),
    equalsIgnoreCase: text('equalsIgnoreCase'),
    matches: (query: string, options?: { readonly language?: string | undefined }) =>
      node({ kind: 'matches', property, query, language: options?.language }),
  }
}

/** A {@link WhereBuilder} (typed by `D` for callers; untyped underneath). */
export function whereBuilder<D extends AspectDef = AspectDef>(): WhereBuilder<D> {
  // One untyped reference underneath; the property name's type picks the operations offered.
  type Ps = PropsOf<D>
  const p = <K extends QueryPropertyName<AspectDef<Ps>>>(property: K) =>
    ref(property) as PropertyRef<QueryProperty<AspectDef<Ps>, K>>
  const combine =
    (kind: 'and' | 'or') =>
    (...parts: readonly Predicate[]) => ({
      node: { kind, parts: parts.map((part) => part.node) },
    })
  // The def-name member of WhereBuilder is type-only (optional): nothing to set.
  const builder: WhereBuilderOps<Ps> = Object.assign(p, {
    and: combine('and'),
    or: combine('or'),
    not: (part: Predicate): Predicate => ({ node: { kind: 'not', part: part.node } }),
    all: (): Predicate => ({ node: { kind: 'and', parts: [] } }),
  })
  return builder
}

/** The predicate of a {@link Where}, or undefined (match every aspect). */
export function resolveWhere<D extends AspectDef>(
  where: Where<D> | undefined,
): PredicateNode | undefined {
  if (where === undefined) return undefined
  return typeof where === 'function' ? where(whereBuilder<D>()).node : where.node
}

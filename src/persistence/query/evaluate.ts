import type { DateTime } from 'luxon'
import { CheapValidationError } from '../../errors.ts'
import { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { PropertyTypeCode, PropertyValue, ScalarValue } from '../../model/property-type.ts'
import { parseDecimal } from '../../model/values/java-decimal.ts'
import { checkPredicate, type CheckedLeaf, type CheckedNode } from './checked.ts'
import { resolveWhere, type Where } from './predicate.ts'

function sign(n: number | bigint): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0
}

/** Code point order (= UTF-8 byte order = PostgreSQL `COLLATE "C"`). */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n;) {
    const x = a.codePointAt(i) as number
    const y = b.codePointAt(i) as number
    if (x !== y) return x < y ? -1 : 1
    i += x > 0xffff ? 2 : 1
  }
  return sign(a.length - b.length)
}

function compareFloat(a: number, b: number): number {
  // PostgreSQL: NaN equals NaN and sorts above everything; -0 equals 0.
  const an = Number.isNaN(a)
  const bn = Number.isNaN(b)
  if (an || bn) return an && bn ? 0 : an ? 1 : -1
  return a < b ? -1 : a > b ? 1 : 0
}

function compareDecimal(a: string, b: string): number {
  const x = parseDecimal(a)
  const y = parseDecimal(b)
  const scale = Math.max(x.scale, y.scale)
  return sign(
    x.unscaled * 10n ** BigInt(scale - x.scale) - y.unscaled * 10n ** BigInt(scale - y.scale),
  )
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number) ? -1 : 1
  }
  return sign(a.length - b.length)
}

/** PostgreSQL's ordering of two values of `type` (what the compiled SQL compares). */
export function compareValues(type: PropertyTypeCode, a: ScalarValue, b: ScalarValue): number {
  switch (type) {
    case 'INT':
    case 'BGI':
      return sign((a as bigint) - (b as bigint))
    case 'FLT':
      return compareFloat(a as number, b as number)
    case 'BLN':
      return sign(Number(a) - Number(b))
    case 'BGF':
      return compareDecimal(a as string, b as string)
    case 'DAT':
      return sign((a as DateTime).toMillis() - (b as DateTime).toMillis())
    case 'BLB':
      return compareBytes(a as Uint8Array, b as Uint8Array)
    default:
      return compareText(a as string, b as string)
  }
}

/** Lower case per code point (one code point in, one out), as PostgreSQL's `lower()`. */
export function lowerText(text: string): string {
  let out = ''
  for (const ch of text) {
    const lower = ch.toLowerCase()
    out += [...lower].length === 1 ? lower : ch
  }
  return out
}

/** A SQL LIKE pattern (`%`, `_`, `\` escape) as a regular expression. */
function likeRegExp(pattern: string): RegExp {
  let source = '^'
  const chars = [...pattern]
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string
    if (ch === '\\' && i + 1 < chars.length) {
      source += escapeRegExp(chars[++i] as string)
    } else if (ch === '%') {
      source += '[\\s\\S]*'
    } else if (ch === '_') {
      source += '[\\s\\S]'
    } else {
      source += escapeRegExp(ch)
    }
  }
  return new RegExp(`${source}$`, 'u')
}

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch
}

const MISSING = Symbol('missing')
type Effective = PropertyValue | typeof MISSING

/**
 * The answer of PostgreSQL's `to_tsvector(language, document) @@ websearch_to_tsquery(language,
 * query)`. The evaluator does not reimplement stemming, stop words and the parser (snowball
 * stemmers and PostgreSQL's tokenizer would have to match byte for byte): it is given the
 * database's answers, e.g. by `dao.evaluatePredicate`, which asks for all of them in one query.
 */
export type TextSearch = (document: string, query: string, language: string) => boolean

function noTextSearch(): never {
  throw new CheapValidationError(
    "matches() is answered by the database's text search: evaluate the predicate with dao.evaluatePredicate, or pass a textSearch function",
    { reason: 'INVALID_ARGUMENT' },
  )
}

function leafMatches(
  leaf: CheckedLeaf,
  stored: ReadonlyMap<string, PropertyValue>,
  textSearch: TextSearch | undefined,
): boolean {
  const prop = leaf.prop
  const has = stored.has(prop.name)
  if (leaf.kind === 'null' && leaf.test === 'isAbsent') return !has
  const value: Effective = has
    ? (stored.get(prop.name) as PropertyValue)
    : prop.hasDefaultValue
      ? (prop.defaultValue as PropertyValue)
      : MISSING
  return valueMatches(leaf, value, textSearch)
}

/** Whether an effective value (stored or default; MISSING when neither) satisfies a leaf. */
export function valueMatches(
  leaf: CheckedLeaf,
  value: Effective,
  textSearch?: TextSearch,
): boolean {
  const type = leaf.prop.type
  switch (leaf.kind) {
    case 'null':
      return leaf.test === 'isNull' ? value === null || value === MISSING : false
    case 'compare': {
      if (value === null || value === MISSING || Array.isArray(value)) return false
      const c = compareValues(type, value as ScalarValue, leaf.value)
      switch (leaf.op) {
        case '=':
          return c === 0
        case '<>':
          return c !== 0
        case '<':
          return c < 0
        case '<=':
          return c <= 0
        case '>':
          return c > 0
        case '>=':
          return c >= 0
      }
      return false
    }
    case 'in':
      if (value === null || value === MISSING || Array.isArray(value)) return false
      return leaf.values.some((v) => compareValues(type, value as ScalarValue, v) === 0)
    case 'text': {
      if (typeof value !== 'string') return false
      switch (leaf.op) {
        case 'startsWith':
          return value.startsWith(leaf.value)
        case 'equalsIgnoreCase':
          return lowerText(value) === lowerText(leaf.value)
        case 'ilike':
          return likeRegExp(lowerText(leaf.value)).test(lowerText(value))
      }
      return false
    }
    case 'contains':
      if (!Array.isArray(value)) return false
      return (value as readonly ScalarValue[]).some((v) => compareValues(type, v, leaf.value) === 0)
    case 'isEmpty':
      return Array.isArray(value) && value.length === 0
    case 'matches': {
      const search = textSearch ?? noTextSearch
      const one = (v: unknown) => typeof v === 'string' && search(v, leaf.query, leaf.language)
      return Array.isArray(value) ? value.some(one) : one(value)
    }
  }
}

/** Evaluates a checked predicate on an aspect's stored values. */
export function evaluateChecked(
  node: CheckedNode,
  stored: ReadonlyMap<string, PropertyValue>,
  textSearch?: TextSearch,
): boolean {
  switch (node.kind) {
    case 'leaf':
      return leafMatches(node.leaf, stored, textSearch) !== node.negated
    case 'and':
      return node.parts.every((p) => evaluateChecked(p, stored, textSearch))
    case 'or':
      return node.parts.some((p) => evaluateChecked(p, stored, textSearch))
  }
}

/**
 * The full-text searches (document, query, language) evaluating `node` on these stored values
 * may ask, effective values (defaults) included; what `dao.evaluatePredicate` asks the database.
 */
export function textSearchesOf(
  node: CheckedNode,
  stored: Iterable<ReadonlyMap<string, PropertyValue>>,
): { document: string; query: string; language: string }[] {
  const leaves: Extract<CheckedLeaf, { kind: 'matches' }>[] = []
  const walk = (n: CheckedNode): void => {
    if (n.kind === 'leaf') {
      if (n.leaf.kind === 'matches') leaves.push(n.leaf)
    } else n.parts.forEach(walk)
  }
  walk(node)
  const out: { document: string; query: string; language: string }[] = []
  if (leaves.length === 0) return out
  for (const values of stored) {
    for (const leaf of leaves) {
      const value = values.has(leaf.prop.name)
        ? values.get(leaf.prop.name)
        : leaf.prop.hasDefaultValue
          ? leaf.prop.defaultValue
          : undefined
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'string')
          out.push({ document: v, query: leaf.query, language: leaf.language })
      }
    }
  }
  return out
}

/**
 * Evaluates `where` on an aspect in memory, with exactly the semantics `findEntities` compiles to
 * SQL (effective values with defaults, null handling, PostgreSQL's ordering). No access checks.
 * A `matches` leaf needs `options.textSearch` (the database's answers; see {@link TextSearch}).
 *
 * @example
 * ```ts
 * const adults = [...map.aspects()].filter((a) => matchesPredicate(a, (p) => p('age').ge(18n)))
 * ```
 */
export function matchesPredicate<D extends AspectDef>(
  aspect: { readonly def: D } & Aspect<D>,
  where: Where<D>,
  options: { readonly textSearch?: TextSearch | undefined } = {},
): boolean {
  const node = resolveWhere(where)
  if (node === undefined) return true
  return evaluateChecked(
    checkPredicate(aspect.def, node),
    Aspect.stored(aspect),
    options.textSearch,
  )
}

export { MISSING }

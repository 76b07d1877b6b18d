import { CheapValidationError } from '../../errors.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { PropertyDef } from '../../model/property-def.ts'
import type { ScalarValue } from '../../model/property-type.ts'
import { validateScalar } from '../../model/values/validate.ts'
import { codecOf } from '../store/codecs/index.ts'
import {
  DEFAULT_TEXT_SEARCH_LANGUAGE,
  type CompareOp,
  type NullTest,
  type PredicateNode,
  type TextOp,
} from './predicate.ts'

/** Types `matches` accepts. */
const FULL_TEXT_TYPES: ReadonlySet<string> = new Set(['STR', 'TXT', 'CLB'])

/**
 * A text search configuration name: an unqualified lower-case identifier, because it is written
 * into SQL as a literal (an index expression must be the same text as the query's).
 */
const LANGUAGE_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** The configuration name, or a CheapValidationError naming what is wrong with it. */
export function checkLanguage(language: unknown, where: string): string {
  const value = language ?? DEFAULT_TEXT_SEARCH_LANGUAGE
  if (typeof value !== 'string' || !LANGUAGE_NAME.test(value)) {
    throw new CheapValidationError(
      `${where}: a text search language must be a configuration name such as 'english' or 'simple', got ${JSON.stringify(value)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  return value
}

/** Whether `matches` (and a full-text index) applies to the property's type. */
export function isFullTextType(type: string): boolean {
  return FULL_TEXT_TYPES.has(type)
}

/** A predicate leaf resolved against the def: the PropertyDef and canonical values. */
export type CheckedLeaf =
  | {
      readonly kind: 'compare'
      readonly prop: PropertyDef
      readonly op: CompareOp
      readonly value: ScalarValue
    }
  | { readonly kind: 'in'; readonly prop: PropertyDef; readonly values: readonly ScalarValue[] }
  | { readonly kind: 'null'; readonly prop: PropertyDef; readonly test: 'isNull' | 'isAbsent' }
  | {
      readonly kind: 'text'
      readonly prop: PropertyDef
      readonly op: TextOp
      readonly value: string
    }
  | { readonly kind: 'contains'; readonly prop: PropertyDef; readonly value: ScalarValue }
  | { readonly kind: 'isEmpty'; readonly prop: PropertyDef }
  | {
      readonly kind: 'matches'
      readonly prop: PropertyDef
      readonly query: string
      /** A text search configuration name (checked for shape here, for existence by the query). */
      readonly language: string
    }

/** A predicate in negation normal form: `not` only directly above a leaf. */
export type CheckedNode =
  | { readonly kind: 'leaf'; readonly leaf: CheckedLeaf; readonly negated: boolean }
  | { readonly kind: 'and' | 'or'; readonly parts: readonly CheckedNode[] }

function fail(
  def: AspectDef,
  property: string | undefined,
  message: string,
  reason: 'UNKNOWN_PROPERTY' | 'WRONG_TYPE' | 'INVALID_ARGUMENT',
): never {
  throw new CheapValidationError(
    `AspectDef '${def.name}'${property === undefined ? '' : `, property '${property}'`}: ${message}`,
    {
      reason,
      aspectDefName: def.name,
      ...(property === undefined ? {} : { propertyName: property }),
    },
  )
}

export function propertyOf(def: AspectDef, name: unknown): PropertyDef {
  if (typeof name !== 'string')
    fail(def, undefined, `a property name must be a string, got ${typeof name}`, 'INVALID_ARGUMENT')
  const prop = def.propertyDef(name)
  if (prop === undefined) fail(def, name, 'no such property', 'UNKNOWN_PROPERTY')
  return prop
}

function scalar(def: AspectDef, prop: PropertyDef, value: unknown): ScalarValue {
  return validateScalar(prop.type, value, { aspectDefName: def.name, propertyName: prop.name })
}

function requireSingle(def: AspectDef, prop: PropertyDef, what: string): void {
  if (prop.isMultivalued) {
    fail(
      def,
      prop.name,
      `${what} needs a single-valued property; use contains() or isEmpty() on a multivalued one`,
      'INVALID_ARGUMENT',
    )
  }
}

function checkLeaf(
  def: AspectDef,
  node: Exclude<PredicateNode, { kind: 'and' | 'or' | 'not' }>,
): { leaf: CheckedLeaf; negated: boolean } {
  const prop = propertyOf(def, node.property)
  switch (node.kind) {
    case 'compare':
      requireSingle(def, prop, `a comparison (${node.op})`)
      return {
        leaf: { kind: 'compare', prop, op: node.op, value: scalar(def, prop, node.value) },
        negated: false,
      }
    case 'in':
      requireSingle(def, prop, 'in()')
      if (!Array.isArray(node.values))
        fail(def, prop.name, 'in() needs an array of values', 'INVALID_ARGUMENT')
      return {
        leaf: { kind: 'in', prop, values: node.values.map((v) => scalar(def, prop, v)) },
        negated: false,
      }
    case 'null': {
      const test: NullTest = node.test
      return test === 'isNull' || test === 'isAbsent'
        ? { leaf: { kind: 'null', prop, test }, negated: false }
        : {
            leaf: { kind: 'null', prop, test: test === 'isNotNull' ? 'isNull' : 'isAbsent' },
            negated: true,
          }
    }
    case 'text':
      requireSingle(def, prop, `${node.op}()`)
      if (!codecOf(prop.type).isText) {
        fail(
          def,
          prop.name,
          `${node.op}() needs a STR, TXT, URI or CLB property, not ${prop.type}`,
          'WRONG_TYPE',
        )
      }
      if (typeof node.value !== 'string')
        fail(def, prop.name, `${node.op}() needs a string`, 'WRONG_TYPE')
      if (node.op === 'ilike' && /(^|[^\\])(\\\\)*\\$/.test(node.value)) {
        fail(
          def,
          prop.name,
          `the LIKE pattern ${JSON.stringify(node.value)} ends with an escape character`,
          'INVALID_ARGUMENT',
        )
      }
      return { leaf: { kind: 'text', prop, op: node.op, value: node.value }, negated: false }
    case 'contains':
      if (!prop.isMultivalued)
        fail(
          def,
          prop.name,
          'contains() needs a multivalued property; use eq()',
          'INVALID_ARGUMENT',
        )
      return {
        leaf: { kind: 'contains', prop, value: scalar(def, prop, node.value) },
        negated: false,
      }
    case 'isEmpty':
      if (!prop.isMultivalued)
        fail(def, prop.name, 'isEmpty() needs a multivalued property', 'INVALID_ARGUMENT')
      return { leaf: { kind: 'isEmpty', prop }, negated: false }
    case 'matches':
      if (!isFullTextType(prop.type)) {
        fail(
          def,
          prop.name,
          `matches() needs a STR, TXT or CLB property, not ${prop.type}`,
          'WRONG_TYPE',
        )
      }
      if (typeof node.query !== 'string')
        fail(def, prop.name, 'matches() needs a query string', 'WRONG_TYPE')
      return {
        leaf: {
          kind: 'matches',
          prop,
          query: node.query,
          language: checkLanguage(
            node.language,
            `AspectDef '${def.name}', property '${prop.name}'`,
          ),
        },
        negated: false,
      }
  }
}

/**
 * Checks a predicate against the def (property names, operators, values, which are validated
 * and made canonical as when stored) and pushes every `not` down to the leaves (De Morgan), so
 * each leaf can be compiled in its positive or negated form.
 */
export function checkPredicate(def: AspectDef, node: PredicateNode, negated = false): CheckedNode {
  switch (node.kind) {
    case 'and':
    case 'or': {
      if (!Array.isArray(node.parts))
        fail(def, undefined, `${node.kind}() needs predicates`, 'INVALID_ARGUMENT')
      const kind = negated ? (node.kind === 'and' ? 'or' : 'and') : node.kind
      const parts = node.parts as readonly PredicateNode[]
      return { kind, parts: parts.map((part) => checkPredicate(def, part, negated)) }
    }
    case 'not':
      return checkPredicate(def, node.part, !negated)
    default: {
      const { leaf, negated: inner } = checkLeaf(def, node)
      return { kind: 'leaf', leaf, negated: inner !== negated }
    }
  }
}

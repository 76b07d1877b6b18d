import { CheapValidationError } from '../errors.ts'
import { invalidTextReason } from './values/text.ts'

/**
 * Names of defs, properties and hierarchies end up as PostgreSQL text and JSON keys: they must be
 * non-empty and storable (no U+0000, no lone surrogate).
 */
export function checkName(
  kind: string,
  name: unknown,
  context: { aspectDefName?: string } = {},
): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new CheapValidationError(
      `${kind} name must be a non-empty string, got ${describe(name)}`,
      {
        reason: 'INVALID_NAME',
        ...context,
      },
    )
  }
  const bad = invalidTextReason(name)
  if (bad !== undefined) {
    throw new CheapValidationError(`${kind} name ${JSON.stringify(name)} is not storable: ${bad}`, {
      reason: 'INVALID_NAME',
      ...context,
    })
  }
  return name
}

/**
 * `word` with its indefinite article, for messages: "an Object", "an Array", "a Map", "an entity
 * list", "an undefined", but "a Uint8Array", "a URI", "a UUID" (a "you" sound).
 */
export function withArticle(word: string): string {
  const an = /^[aeiou]/i.test(word) && !/^(uint|uni|use|usu|uri|uuid|uid|eu|one)/i.test(word)
  return `${an ? 'an' : 'a'} ${word}`
}

export function describe(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (value === null) return 'null'
  if (typeof value === 'bigint') return `${value}n (bigint)`
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value
    return `${JSON.stringify(shown)} (string of length ${value.length})`
  }
  if (typeof value === 'number') return `${String(value)} (number)`
  if (typeof value === 'boolean') return `${String(value)} (boolean)`
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`
  if (Array.isArray(value)) return `array of length ${value.length}`
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: unknown } }).constructor
    return typeof ctor?.name === 'string' && ctor.name !== '' ? withArticle(ctor.name) : 'an object'
  }
  return typeof value
}

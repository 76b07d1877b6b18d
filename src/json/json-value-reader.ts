import { CheapValidationError } from '../errors.ts'
import { PROPERTY_TYPES, type PropertyTypeCode } from '../model/property-type.ts'
import { parseJavaDateTime } from '../model/values/java-date-time.ts'
import { MAX_NUMERIC_DIGITS } from '../model/values/validate.ts'
import type { ValueShape } from '../model/values/validate-value.ts'
import type { ReadContext } from './read-context.ts'

const INTEGER_TEXT = /^[+-]?\d+$/
// 19 digits and a sign hold every int64; longer tokens are out of range without parsing.
const MAX_INT64_TEXT = 20

const EXPECTED: Record<PropertyTypeCode, string> = {
  INT: 'a whole number within the signed 64-bit range (a JSON integer or a string of digits)',
  FLT: 'a JSON number, or "NaN", "Infinity" or "-Infinity"',
  BLN: 'true or false',
  STR: 'a JSON string',
  TXT: 'a JSON string',
  BGI: 'a whole number (a JSON integer or a string of digits)',
  BGF: 'a decimal number (a JSON number or a decimal string)',
  DAT: 'a date-time string such as "2025-01-15T10:30Z" or "2025-01-15T11:30+01:00[Europe/Paris]"',
  URI: 'a JSON string holding a URI',
  UID: 'a JSON string holding a UUID',
  CLB: 'a JSON string',
  BLB: 'a string of hex digit pairs',
}

/**
 * Reads one property value (or default) of `shape` from the parser: null, an array when
 * multivalued, else one element. Returns the candidate value in its TypeScript form; the model
 * validates it afterwards (range, length, nullability, canonical forms). The JSON shape itself
 * is checked here so the message names what was found at which path.
 */
export function readPropertyValue(ctx: ReadContext, shape: ValueShape): unknown {
  const event = ctx.next()
  if (event === 'null') return null
  if (!shape.isMultivalued) return readScalar(ctx, shape.type)
  if (event !== 'startArray') {
    ctx.unexpected(`an array (the property is multivalued) or null`, 'WRONG_TYPE')
  }
  const list: unknown[] = []
  while (ctx.next() !== 'endArray') {
    ctx.path.push(list.length)
    if (ctx.event === 'null')
      ctx.fail('NOT_NULLABLE', 'found null, expected a value: list elements cannot be null')
    list.push(readScalar(ctx, shape.type))
    ctx.path.pop()
  }
  return list
}

/** Converts the current event to an element value of `type`. */
function readScalar(ctx: ReadContext, type: PropertyTypeCode): unknown {
  const event = ctx.event
  const parser = ctx.parser
  const text = parser.text
  switch (type) {
    case 'INT':
    case 'BGI':
      if (
        (event === 'number' && parser.isInteger) ||
        (event === 'string' && INTEGER_TEXT.test(text))
      ) {
        return toBigInt(ctx, type, text)
      }
      break
    case 'FLT':
      if (event === 'number') return Number(text)
      if (event === 'string' && (text === 'NaN' || text === 'Infinity' || text === '-Infinity')) {
        return Number(text)
      }
      break
    case 'BLN':
      if (event === 'true' || event === 'false') return event === 'true'
      break
    case 'BGF':
      if (event === 'number' || event === 'string') return text
      break
    case 'DAT':
      if (event === 'string') return readDateTime(ctx, text)
      break
    case 'BLB':
      if (event === 'string') return decodeHex(ctx, text)
      break
    default:
      if (event === 'string') return text
  }
  return ctx.unexpected(`${PROPERTY_TYPES[type].name}: ${EXPECTED[type]}`, 'WRONG_TYPE')
}

function toBigInt(ctx: ReadContext, type: 'INT' | 'BGI', text: string): bigint {
  const digits = text.length - (/^[+-]/.test(text) ? 1 : 0)
  if (type === 'INT' ? text.length > MAX_INT64_TEXT : digits > MAX_NUMERIC_DIGITS) {
    const limit =
      type === 'INT' ? 'the signed 64-bit range of Integer' : `${MAX_NUMERIC_DIGITS} digits`
    ctx.fail(
      'OUT_OF_RANGE',
      `found ${ctx.found()} (${digits} digits), expected a value within ${limit}`,
    )
  }
  return BigInt(text)
}

function readDateTime(ctx: ReadContext, text: string): unknown {
  try {
    return parseJavaDateTime(text)
  } catch (error) {
    if (!(error instanceof CheapValidationError)) throw error
    return ctx.fail(
      error.reason,
      `found ${ctx.found()}, expected ${EXPECTED.DAT}: ${error.message}`,
      { cause: error },
    )
  }
}

function decodeHex(ctx: ReadContext, text: string): Uint8Array {
  if (text.length % 2 !== 0) {
    ctx.fail(
      'WRONG_TYPE',
      `found ${ctx.found()} of odd length ${text.length}, expected BLOB: ${EXPECTED.BLB}`,
    )
  }
  const bytes = new Uint8Array(text.length / 2)
  for (let i = 0; i < bytes.length; i++) {
    const high = hexValue(text.charCodeAt(2 * i))
    const low = hexValue(text.charCodeAt(2 * i + 1))
    if (high < 0 || low < 0) {
      ctx.fail(
        'WRONG_TYPE',
        `found ${ctx.found()} with a non-hex character at index ${high < 0 ? 2 * i : 2 * i + 1}, expected BLOB: ${EXPECTED.BLB}`,
      )
    }
    bytes[i] = (high << 4) | low
  }
  return bytes
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

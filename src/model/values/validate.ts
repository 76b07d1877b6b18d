import { DateTime, IANAZone, SystemZone } from 'luxon'
import { CheapValidationError, type ValidationReason } from '../../errors.ts'
import { describe } from '../names.ts'
import type { PropertyTypeCode, PropertyValueTypes, ScalarValue } from '../property-type.ts'
import { canonicalDecimal } from './java-decimal.ts'
import { codePointLength, invalidTextReason } from './text.ts'
import { isUriReference } from './uri-text.ts'
import { isCanonicalUuid } from './uuid-text.ts'

export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n
/** PostgreSQL `numeric` holds at most 131072 digits before the decimal point. */
export const MAX_NUMERIC_DIGITS = 131072
export const MAX_STRING_LENGTH = 8192
/** PostgreSQL `timestamptz` and Java's ISO printer agree on four-digit years without a sign. */
const MIN_YEAR = 1
const MAX_YEAR = 9999

/** Where a value sits, for messages that name the def, the property and the value. */
export interface ValueContext {
  readonly aspectDefName?: string | undefined
  readonly propertyName?: string | undefined
  readonly path?: string | undefined
}

function where(context: ValueContext): string {
  const parts: string[] = []
  if (context.aspectDefName !== undefined) parts.push(`AspectDef '${context.aspectDefName}'`)
  if (context.propertyName !== undefined) parts.push(`property '${context.propertyName}'`)
  return parts.length === 0 ? '' : `${parts.join(', ')}: `
}

export function valueError(
  context: ValueContext,
  reason: ValidationReason,
  message: string,
): CheapValidationError {
  return new CheapValidationError(`${where(context)}${message}`, {
    reason,
    ...(context.aspectDefName === undefined ? {} : { aspectDefName: context.aspectDefName }),
    ...(context.propertyName === undefined ? {} : { propertyName: context.propertyName }),
    ...(context.path === undefined ? {} : { path: context.path }),
  })
}

const EXPECTED: Record<PropertyTypeCode, string> = {
  INT: 'INT (a bigint)',
  FLT: 'FLT (a number)',
  BLN: 'BLN (a boolean)',
  STR: 'STR (a string)',
  TXT: 'TXT (a string)',
  BGI: 'BGI (a bigint)',
  BGF: 'BGF (a decimal string)',
  DAT: 'DAT (a luxon DateTime)',
  URI: 'URI (a string)',
  UID: 'UID (a canonical UUID string)',
  CLB: 'CLB (a string)',
  BLB: 'BLB (a Uint8Array)',
}

function wrongType(type: PropertyTypeCode, value: unknown, context: ValueContext): never {
  const hint =
    (type === 'INT' || type === 'BGI') && typeof value === 'number'
      ? ' (numbers lose precision above 2^53: pass a bigint, e.g. 42n or BigInt(x))'
      : ''
  throw valueError(
    context,
    'WRONG_TYPE',
    `expected ${EXPECTED[type]}, got ${describe(value)}${hint}`,
  )
}

function checkText(value: string, context: ValueContext): void {
  const bad = invalidTextReason(value)
  if (bad !== undefined)
    throw valueError(context, 'INVALID_TEXT', `${describe(value)} is not storable: ${bad}`)
}

/**
 * Validates one element value of `type` and returns it in canonical form (BGF as Java's
 * `BigDecimal.toString()`, BLB as a plain `Uint8Array`). Throws a {@link CheapValidationError}
 * naming the def, the property and the value.
 */
export function validateScalar<T extends PropertyTypeCode>(
  type: T,
  value: unknown,
  context: ValueContext = {},
): PropertyValueTypes[T] {
  return validators[type](value, context) as PropertyValueTypes[T]
}

type Validator = (value: unknown, context: ValueContext) => ScalarValue

const validators: Record<PropertyTypeCode, Validator> = {
  INT(value, context) {
    if (typeof value !== 'bigint') wrongType('INT', value, context)
    if (value < INT64_MIN || value > INT64_MAX) {
      throw valueError(
        context,
        'OUT_OF_RANGE',
        `${value}n is outside the signed 64-bit range of INT`,
      )
    }
    return value
  },
  FLT(value, context) {
    if (typeof value !== 'number') wrongType('FLT', value, context)
    return value
  },
  BLN(value, context) {
    if (typeof value !== 'boolean') wrongType('BLN', value, context)
    return value
  },
  STR(value, context) {
    if (typeof value !== 'string') wrongType('STR', value, context)
    if (value.length > MAX_STRING_LENGTH && codePointLength(value) > MAX_STRING_LENGTH) {
      throw valueError(
        context,
        'TOO_LONG',
        `${describe(value)} has ${codePointLength(value)} characters; STR holds at most ${MAX_STRING_LENGTH} (use TXT or CLB for longer text)`,
      )
    }
    checkText(value, context)
    return value
  },
  TXT: textValidator('TXT'),
  CLB: textValidator('CLB'),
  BGI(value, context) {
    if (typeof value !== 'bigint') wrongType('BGI', value, context)
    const digits = value < 0n ? (-value).toString().length : value.toString().length
    if (digits > MAX_NUMERIC_DIGITS) {
      throw valueError(
        context,
        'OUT_OF_RANGE',
        `a BGI of ${digits} digits exceeds PostgreSQL numeric's ${MAX_NUMERIC_DIGITS}`,
      )
    }
    return value
  },
  BGF(value, context) {
    if (typeof value !== 'string') wrongType('BGF', value, context)
    try {
      return canonicalDecimal(value)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw valueError(
        context,
        'INVALID_DECIMAL',
        `${describe(value)} is not a decimal number: ${reason}`,
      )
    }
  },
  DAT(value, context) {
    if (!DateTime.isDateTime(value)) wrongType('DAT', value, context)
    if (!value.isValid) {
      throw valueError(
        context,
        'INVALID_DATETIME',
        `invalid DateTime (${value.invalidReason ?? 'unknown reason'}: ${value.invalidExplanation ?? ''})`,
      )
    }
    if (value.year < MIN_YEAR || value.year > MAX_YEAR) {
      throw valueError(
        context,
        'OUT_OF_RANGE',
        `DateTime ${value.toISO() ?? ''} is outside the years ${MIN_YEAR}-${MAX_YEAR}`,
      )
    }
    // luxon's system zone is whatever TZ the process has: pin it to its IANA name, so the
    // value means the same on every machine and compares equal after a round trip.
    if (value.zone instanceof SystemZone) return value.setZone(IANAZone.create(value.zone.name))
    return value
  },
  URI(value, context) {
    if (typeof value !== 'string') wrongType('URI', value, context)
    checkText(value, context)
    if (!isUriReference(value)) {
      throw valueError(
        context,
        'INVALID_URI',
        `${describe(value)} is not an RFC 3986 URI reference`,
      )
    }
    return value
  },
  UID(value, context) {
    if (typeof value !== 'string') wrongType('UID', value, context)
    if (!isCanonicalUuid(value)) {
      throw valueError(
        context,
        'INVALID_UUID',
        `${describe(value)} is not a canonical lower-case UUID (8-4-4-4-12 hex digits)`,
      )
    }
    return value
  },
  BLB(value, context) {
    if (!(value instanceof Uint8Array)) wrongType('BLB', value, context)
    return value
  },
}

function textValidator(type: 'TXT' | 'CLB'): Validator {
  return (value, context) => {
    if (typeof value !== 'string') wrongType(type, value, context)
    checkText(value, context)
    return value
  }
}

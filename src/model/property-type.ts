import type { DateTime } from 'luxon'

/**
 * The twelve CHEAP property types. The 3-letter code is the wire spelling everywhere (TS literal,
 * SQL `property_type.code`); `name` is the Java enum name used by the JSON format.
 */
export const PROPERTY_TYPES = {
  INT: { code: 'INT', name: 'Integer' },
  FLT: { code: 'FLT', name: 'Float' },
  BLN: { code: 'BLN', name: 'Boolean' },
  STR: { code: 'STR', name: 'String' },
  TXT: { code: 'TXT', name: 'Text' },
  BGI: { code: 'BGI', name: 'BigInteger' },
  BGF: { code: 'BGF', name: 'BigDecimal' },
  DAT: { code: 'DAT', name: 'DateTime' },
  URI: { code: 'URI', name: 'URI' },
  UID: { code: 'UID', name: 'UUID' },
  CLB: { code: 'CLB', name: 'CLOB' },
  BLB: { code: 'BLB', name: 'BLOB' },
} as const

export type PropertyTypeCode = keyof typeof PROPERTY_TYPES
export type PropertyTypeName = (typeof PROPERTY_TYPES)[PropertyTypeCode]['name']

/** All codes in the Java enum's declaration order. */
export const PROPERTY_TYPE_CODES: readonly PropertyTypeCode[] = Object.freeze(
  Object.keys(PROPERTY_TYPES) as PropertyTypeCode[],
)

/**
 * The TypeScript representation of one value of each type. Every representation is lossless:
 * INT and BGI are `bigint` (a `number` loses precision above 2^53), BGF is the canonical decimal
 * text (Java `BigDecimal.toString()`), DAT a luxon `DateTime` keeping its zone, UID a canonical
 * lower-case UUID string, URI the verbatim RFC 3986 text.
 */
export interface PropertyValueTypes {
  INT: bigint
  FLT: number
  BLN: boolean
  STR: string
  TXT: string
  BGI: bigint
  BGF: string
  DAT: DateTime
  URI: string
  UID: string
  CLB: string
  BLB: Uint8Array
}

/** One element value of any type. */
export type ScalarValue = PropertyValueTypes[PropertyTypeCode]

/** What a property can hold: a scalar, a list of scalars (multivalued), or null. */
export type PropertyValue = ScalarValue | readonly ScalarValue[] | null

const BY_NAME = new Map<string, PropertyTypeCode>(
  PROPERTY_TYPE_CODES.map((code) => [PROPERTY_TYPES[code].name, code]),
)

export function isPropertyTypeCode(text: string): text is PropertyTypeCode {
  return Object.hasOwn(PROPERTY_TYPES, text)
}

/** The code for a Java enum name (`Integer` → `INT`), case-sensitive as the Java reader is. */
export function propertyTypeFromName(name: string): PropertyTypeCode | undefined {
  return BY_NAME.get(name)
}

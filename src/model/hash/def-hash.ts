import { DateTime } from 'luxon'
import { CheapValidationError } from '../../errors.ts'
import { withArticle } from '../names.ts'
import { formatJavaDateTime } from '../values/java-date-time.ts'
import { CheapHasher } from './cheap-hasher.ts'
import {
  bigDecimalHashCode,
  bigIntegerHashCode,
  booleanHashCode,
  byteArrayHashCode,
  doubleHashCode,
  longHashCode,
  stringHashCode,
  uuidHashCode,
} from './java-hash-code.ts'

// The definition hashes of the Java reference (§1.13), over plain data so that the model
// classes stay free of hashing details. All results are Java's signed `long`.

export interface PropertyDefHashInput {
  readonly name: string
  readonly typeCode: string
  readonly isReadable: boolean
  readonly isWritable: boolean
  readonly isNullable: boolean
  readonly hasDefaultValue: boolean
  /** Java hashCode of the default value, or null when there is no default or the default is null */
  readonly defaultValueHashCode: number | null
}

export interface AspectDefHashInput {
  readonly name: string
  readonly globalId: string
  readonly isReadable: boolean
  readonly isWritable: boolean
  readonly canAddProperties: boolean
  readonly canRemoveProperties: boolean
  readonly propertyDefHashes: readonly bigint[]
}

export type DefaultValueTypeCode =
  'INT' | 'FLT' | 'BLN' | 'STR' | 'TXT' | 'BGI' | 'BGF' | 'DAT' | 'URI' | 'UID' | 'CLB' | 'BLB'

/**
 * `PropertyDef.hash()`. `isMultivalued` is not part of it, as in Java; the default's
 * `hashCode()` goes in as a sign-extended `long`.
 *
 * @example
 * ```ts
 * hashPropertyDef({ name: 'age', typeCode: 'INT', isReadable: true, isWritable: true,
 *   isNullable: true, hasDefaultValue: false, defaultValueHashCode: null }) // 1955165270433955678n
 * ```
 */
export function hashPropertyDef(input: PropertyDefHashInput): bigint {
  const hasher = new CheapHasher()
    .updateBoolean(input.isReadable)
    .updateBoolean(input.isWritable)
    .updateBoolean(input.isNullable)
    .updateBoolean(input.hasDefaultValue)
  if (input.hasDefaultValue && input.defaultValueHashCode !== null) {
    hasher.updateInt(input.defaultValueHashCode)
  }
  return hasher.updateString(input.typeCode).updateString(input.name).value()
}

/** `AspectDef.hash()`: flags, name, global id, then each PropertyDef hash in definition order. */
export function hashAspectDef(input: AspectDefHashInput): bigint {
  const hasher = new CheapHasher()
    .updateBoolean(input.isReadable)
    .updateBoolean(input.isWritable)
    .updateBoolean(input.canAddProperties)
    .updateBoolean(input.canRemoveProperties)
    .updateString(input.name)
    .updateUuid(input.globalId)
  for (const hash of input.propertyDefHashes) hasher.updateLong(hash)
  return hasher.value()
}

/** `HierarchyDef.hash()`: the name, then the type code (`EL`, `ES`, `ED`, `AM`, `ET`). */
export function hashHierarchyDef(name: string, typeCode: string): bigint {
  return new CheapHasher().updateString(name).updateString(typeCode).value()
}

/** `CatalogDef.hash()`: every AspectDef hash in order, then every HierarchyDef hash in order. */
export function hashCatalogDef(
  aspectDefHashes: readonly bigint[],
  hierarchyDefHashes: readonly bigint[],
): bigint {
  const hasher = new CheapHasher()
  for (const hash of aspectDefHashes) hasher.updateLong(hash)
  for (const hash of hierarchyDefHashes) hasher.updateLong(hash)
  return hasher.value()
}

/**
 * The Java `hashCode()` of a default value in its TypeScript representation. A multivalued
 * default (an array) hashes as `java.util.List.hashCode()`: `31*h + elementHash` from 1, with
 * 0 for a null element.
 *
 * Where Java has no portable answer we choose one: DAT hashes the `String` of its
 * `ZonedDateTime.toString()` form and URI the `String` of its text (Java's own
 * `ZonedDateTime.hashCode()`/`URI.hashCode()` follow JDK-internal field layouts), and BLB uses
 * `Arrays.hashCode(byte[])` (Java's `byte[].hashCode()` is the identity hash, different on
 * every run). Beware that the Java loader reads every default back as a `String` (§2.4), so a
 * Java catalog reloaded from the database hashes an INT default 5 as `"5".hashCode()`; these
 * functions follow freshly built Java definitions, as the §1.13 vectors do.
 */
export function javaHashCodeOfDefault(typeCode: DefaultValueTypeCode, value: unknown): number {
  if (Array.isArray(value)) {
    let hash = 1
    for (const element of value as readonly unknown[]) {
      const elementHash = element === null ? 0 : scalarHashCode(typeCode, element)
      hash = (Math.imul(31, hash) + elementHash) | 0
    }
    return hash
  }
  return scalarHashCode(typeCode, value)
}

function scalarHashCode(typeCode: DefaultValueTypeCode, value: unknown): number {
  switch (typeCode) {
    case 'INT':
      return longHashCode(checked(typeCode, value, isBigint))
    case 'BGI':
      return bigIntegerHashCode(checked(typeCode, value, isBigint))
    case 'FLT':
      return doubleHashCode(checked(typeCode, value, isNumber))
    case 'BLN':
      return booleanHashCode(checked(typeCode, value, isBoolean))
    case 'STR':
    case 'TXT':
    case 'CLB':
    case 'URI':
      return stringHashCode(checked(typeCode, value, isString))
    case 'UID':
      return uuidHashCode(checked(typeCode, value, isString))
    case 'BGF':
      return bigDecimalHashCode(checked(typeCode, value, isString))
    case 'DAT':
      return stringHashCode(formatJavaDateTime(checked(typeCode, value, isDateTime)))
    case 'BLB':
      return byteArrayHashCode(checked(typeCode, value, isBytes))
  }
}

const isBigint = (value: unknown): value is bigint => typeof value === 'bigint'
const isNumber = (value: unknown): value is number => typeof value === 'number'
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean'
const isString = (value: unknown): value is string => typeof value === 'string'
const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array
// luxon's own check, which also recognises a DateTime from another copy of luxon.
const isDateTime = (value: unknown): value is DateTime => DateTime.isDateTime(value)

function checked<T>(typeCode: string, value: unknown, isType: (value: unknown) => value is T): T {
  if (isType(value)) return value
  throw new CheapValidationError(
    `A default of type ${typeCode} cannot be ${describeValue(value)}`,
    {
      reason: 'WRONG_TYPE',
    },
  )
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (typeof value === 'object') {
    return withArticle((value as { constructor?: { name?: string } }).constructor?.name || 'object')
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `the ${typeof value} ${value}`
  }
  return withArticle(typeof value)
}

import type { PropertyDef } from '../../model/property-def.ts'
import type { PropertyTypeCode, ScalarValue } from '../../model/property-type.ts'
import { VALUE_CODECS } from '../store/value-codecs.ts'

/**
 * How a property lives in a dedicated table: one native column (`bigint`, `text`, …; an array of
 * it when multivalued) plus, for DAT and BGF, a second column `<col>_zone` / `<col>_scale` that
 * keeps the zone and the Java scale, exactly as the generic `property_value_*` tables do.
 */
export interface PropertyColumns {
  readonly property: PropertyDef
  /** The value column. */
  readonly column: string
  /** `<column>_zone` (DAT) or `<column>_scale` (BGF), else undefined. */
  readonly extra: string | undefined
}

/** The SQL element type of each property type (the element type of `unnest`). */
export function elementSqlType(type: PropertyTypeCode): string {
  return VALUE_CODECS[type].sqlType
}

/** The column type as `format_type()` prints it, used to create and to check tables. */
const FORMAT_TYPE: Readonly<Record<PropertyTypeCode, string>> = {
  INT: 'bigint',
  FLT: 'double precision',
  BLN: 'boolean',
  STR: 'text',
  TXT: 'text',
  BGI: 'numeric',
  BGF: 'numeric',
  DAT: 'timestamp with time zone',
  URI: 'text',
  UID: 'uuid',
  CLB: 'text',
  BLB: 'bytea',
}

export function columnType(prop: PropertyDef): string {
  const base = FORMAT_TYPE[prop.type]
  return prop.isMultivalued ? `${base}[]` : base
}

/** The extra column's type (`text` / `integer`, arrays when multivalued), or undefined. */
export function extraType(prop: PropertyDef): string | undefined {
  const extra = VALUE_CODECS[prop.type].extra
  if (extra === undefined) return undefined
  const base = extra.sqlType === 'int4' ? 'integer' : 'text'
  return prop.isMultivalued ? `${base}[]` : base
}

export function extraSuffix(type: PropertyTypeCode): string | undefined {
  const extra = VALUE_CODECS[type].extra
  if (extra === undefined) return undefined
  return extra.column === 'zone' ? '_zone' : '_scale'
}

/** Types whose values are text, compared byte-wise (`COLLATE "C"`). */
export const TEXT_TYPES: ReadonlySet<PropertyTypeCode> = new Set(['STR', 'TXT', 'URI', 'CLB'])

/** One element of a PostgreSQL array literal, always quoted: `"a\"b"`. */
function quoteElement(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

function elementText(value: unknown): string {
  if (value instanceof Uint8Array)
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`
  return String(value)
}

/**
 * The array literal (`{"1","2"}`) of a list of already encoded elements. Sent as one element of
 * a `text[]` parameter and cast with `::bigint[]` etc.: `unnest` flattens a two-dimensional array,
 * so a column of arrays cannot travel as an array of arrays.
 */
export function arrayLiteral(elements: readonly unknown[]): string {
  let out = '{'
  for (let i = 0; i < elements.length; i++) {
    if (i > 0) out += ','
    out += quoteElement(elementText(elements[i]))
  }
  return `${out}}`
}

/** Encodes one element for its value column (what the generic tables send). */
export function encodeElement(type: PropertyTypeCode, value: ScalarValue): unknown {
  return (VALUE_CODECS[type].encode as (v: ScalarValue) => unknown)(value)
}

/** Encodes one element's extra (zone name, Java scale), or undefined for other types. */
export function encodeElementExtra(type: PropertyTypeCode, value: ScalarValue): unknown {
  const encode = VALUE_CODECS[type].encodeExtra as ((v: ScalarValue) => unknown) | undefined
  return encode === undefined ? undefined : encode(value)
}

/** Decodes one element read from a value column (and its extra). */
export function decodeElement(type: PropertyTypeCode, raw: unknown, extra?: unknown): ScalarValue {
  return (VALUE_CODECS[type].decode as (r: unknown, e?: unknown) => ScalarValue)(raw, extra)
}

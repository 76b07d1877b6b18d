import type { PropertyDef } from '../../model/property-def.ts'
import type { PropertyTypeCode, PropertyValue, ScalarValue } from '../../model/property-type.ts'
import { VALUE_CODECS } from './value-codecs.ts'

/**
 * A PropertyDef's default lives in `property_def` as an array of the native type (one column per
 * type, plus the DAT zone and BGF scale columns): a single-valued default is a one-element array,
 * a multivalued default the list itself, a null default no array at all.
 */
export const DEFAULT_COLUMNS: {
  readonly [T in PropertyTypeCode]: { readonly value: string; readonly extra?: string }
} = {
  INT: { value: 'default_integer' },
  FLT: { value: 'default_float' },
  BLN: { value: 'default_boolean' },
  STR: { value: 'default_string' },
  TXT: { value: 'default_text' },
  BGI: { value: 'default_big_integer' },
  BGF: { value: 'default_big_decimal', extra: 'default_big_decimal_scale' },
  DAT: { value: 'default_date_time', extra: 'default_date_time_zone' },
  URI: { value: 'default_uri' },
  UID: { value: 'default_uuid' },
  CLB: { value: 'default_clob' },
  BLB: { value: 'default_blob' },
}

export const ALL_DEFAULT_COLUMNS: readonly string[] = Object.values(DEFAULT_COLUMNS).flatMap((c) =>
  c.extra === undefined ? [c.value] : [c.value, c.extra],
)

/** Column name → array parameter for the def's default (empty when there is none or it is null). */
export function encodeDefault(def: PropertyDef): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>()
  if (!def.hasDefaultValue || def.defaultValue === null || def.defaultValue === undefined)
    return out
  const codec = VALUE_CODECS[def.type]
  const encode = codec.encode as (v: ScalarValue) => unknown
  const encodeExtra = codec.encodeExtra as ((v: ScalarValue) => unknown) | undefined
  const elements = (
    def.isMultivalued ? def.defaultValue : [def.defaultValue]
  ) as readonly ScalarValue[]
  const columns = DEFAULT_COLUMNS[def.type]
  out.set(columns.value, elements.map(encode))
  if (columns.extra !== undefined && encodeExtra !== undefined)
    out.set(columns.extra, elements.map(encodeExtra))
  return out
}

/** The default from a `property_def` row, or `undefined` when `has_default_value` is false. */
export function decodeDefault(
  type: PropertyTypeCode,
  isMultivalued: boolean,
  hasDefault: boolean,
  row: Readonly<Record<string, unknown>>,
): PropertyValue | undefined {
  if (!hasDefault) return undefined
  const columns = DEFAULT_COLUMNS[type]
  const raw = row[columns.value] as unknown[] | null
  if (raw === null || raw === undefined) return null
  const extras = columns.extra === undefined ? undefined : (row[columns.extra] as unknown[] | null)
  const codec = VALUE_CODECS[type]
  const decode = codec.decode as (raw: unknown, extra?: unknown) => ScalarValue
  const elements = raw.map((element, i) => decode(element, extras?.[i]))
  return isMultivalued ? Object.freeze(elements) : (elements[0] ?? null)
}

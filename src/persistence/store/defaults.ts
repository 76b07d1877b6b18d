import type { PropertyDef } from '../../model/property-def.ts'
import type { PropertyTypeCode, PropertyValue, ScalarValue } from '../../model/property-type.ts'
import { PROPERTY_TYPE_CODES } from '../../model/property-type.ts'
import type { CheapRow } from '../schema/database.ts'
import { CODECS, codecOf, type DefaultColumn } from './codecs/index.ts'

/**
 * A PropertyDef's default lives in `property_def` as an array of the native type, in the column
 * its codec names (plus the DAT zone / BGF scale column): a single-valued default is a
 * one-element array, a multivalued default the list itself, a null default no array at all.
 */
export const DEFAULT_COLUMNS: readonly DefaultColumn[] = PROPERTY_TYPE_CODES.flatMap((type) => {
  const codec = CODECS[type]
  return codec.extra === undefined
    ? [codec.defaultColumn]
    : [codec.defaultColumn, codec.extra.defaultColumn]
})

/** Column → array for the def's default; empty when there is none or it is null. */
export function encodeDefault(def: PropertyDef): Map<DefaultColumn, unknown[]> {
  const out = new Map<DefaultColumn, unknown[]>()
  if (!def.hasDefaultValue || def.defaultValue === null || def.defaultValue === undefined)
    return out
  const codec = codecOf(def.type)
  const elements = (
    def.isMultivalued ? def.defaultValue : [def.defaultValue]
  ) as readonly ScalarValue[]
  out.set(
    codec.defaultColumn,
    elements.map((e) => codec.encode(e)),
  )
  if (codec.extra !== undefined) {
    out.set(
      codec.extra.defaultColumn,
      elements.map((e) => codec.encodeExtra(e)),
    )
  }
  return out
}

/** The default from a `property_def` row, or `undefined` when `has_default_value` is false. */
export function decodeDefault(
  type: PropertyTypeCode,
  isMultivalued: boolean,
  row: Pick<CheapRow<'property_def'>, 'has_default_value' | DefaultColumn>,
): PropertyValue | undefined {
  if (!row.has_default_value) return undefined
  const codec = codecOf(type)
  const raw = row[codec.defaultColumn] as readonly unknown[] | null
  if (raw === null) return null
  const extras =
    codec.extra === undefined ? undefined : (row[codec.extra.defaultColumn] as unknown[] | null)
  const elements = raw.map((element, i) => codec.decode(element, extras?.[i]))
  return isMultivalued ? Object.freeze(elements) : (elements[0] ?? null)
}

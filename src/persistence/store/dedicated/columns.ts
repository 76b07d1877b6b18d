import type { PropertyDef } from '../../../model/property-def.ts'
import { codecOf } from '../codecs/index.ts'

/**
 * How a property lives in a dedicated table: one native column (`bigint`, `text`, …; an array of
 * it when multivalued) plus, for DAT and BGF, a second column `<col>_zone` / `<col>_scale` that
 * keeps the zone and the Java scale, exactly as the generic value tables do.
 */
export interface PropertyColumns {
  readonly property: PropertyDef
  /** The property's storage slot (`property.property_id`). */
  readonly slot: number
  /** The value column. */
  readonly column: string
  /** `<column>_zone` (DAT) or `<column>_scale` (BGF), else undefined. */
  readonly extra: string | undefined
}

/** The column's type as `format_type()` prints it (arrays when multivalued). */
export function columnType(prop: PropertyDef): string {
  const base = codecOf(prop.type).formatType
  return prop.isMultivalued ? `${base}[]` : base
}

/** The extra column's type (`text` / `integer`, arrays when multivalued), or undefined. */
export function extraType(prop: PropertyDef): string | undefined {
  const extra = codecOf(prop.type).extra
  if (extra === undefined) return undefined
  return prop.isMultivalued ? `${extra.formatType}[]` : extra.formatType
}

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

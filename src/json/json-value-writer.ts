import type { DateTime } from 'luxon'
import type { PropertyTypeCode, PropertyValue, ScalarValue } from '../model/property-type.ts'
import { formatJavaDateTime } from '../model/values/java-date-time.ts'
import { formatJavaDouble } from '../model/values/java-double.ts'
import type { JsonEmitter } from './json-emitter.ts'

const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
)

/** Writes a property value (or default): null, an array when multivalued, else one element. */
export function writePropertyValue(
  out: JsonEmitter,
  type: PropertyTypeCode,
  value: PropertyValue,
): void {
  if (value === null) {
    out.token('null')
  } else if (Array.isArray(value)) {
    out.startArray()
    for (const element of value as readonly ScalarValue[]) writeScalar(out, type, element)
    out.endArray()
  } else {
    writeScalar(out, type, value as ScalarValue)
  }
}

/**
 * One element, in the Java writer's text: numbers through `toString` written as bare tokens
 * (`Long`, `BigInteger`, `BigDecimal` incl. `1E+3`, `Double.toString`), DateTime as
 * `ZonedDateTime.toString()`, everything else as a string. Two choices where Java has none:
 * non-finite doubles are the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (Java emits them as
 * bare, invalid tokens) and BLOBs are lower-case hex (Java's writer cannot write byte arrays;
 * hex is what its value adapter decodes from text).
 */
export function writeScalar(out: JsonEmitter, type: PropertyTypeCode, value: ScalarValue): void {
  switch (type) {
    case 'INT':
    case 'BGI':
      out.token((value as bigint).toString())
      return
    case 'FLT': {
      const n = value as number
      if (Number.isFinite(n)) out.token(formatJavaDouble(n))
      else out.string(formatJavaDouble(n))
      return
    }
    case 'BLN':
      out.token(value === true ? 'true' : 'false')
      return
    case 'BGF':
      // Stored as Java's BigDecimal.toString(), always a valid JSON number token.
      out.token(value as string)
      return
    case 'DAT':
      out.string(formatJavaDateTime(value as DateTime))
      return
    case 'BLB':
      out.string(toHex(value as Uint8Array))
      return
    default:
      out.string(value as string)
  }
}

function toHex(bytes: Uint8Array): string {
  const parts: string[] = []
  // Join in slices so a large BLOB is built without one huge intermediate array.
  for (let start = 0; start < bytes.length; start += 8192) {
    let slice = ''
    const end = Math.min(bytes.length, start + 8192)
    for (let i = start; i < end; i++) slice += HEX_PAIRS[bytes[i] as number] as string
    parts.push(slice)
  }
  return parts.join('')
}

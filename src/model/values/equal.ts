import { DateTime } from 'luxon'
import type { PropertyValue, ScalarValue } from '../property-type.ts'

/**
 * Value equality as CHEAP means it: FLT by `Object.is` (NaN equals NaN, 0 and -0 differ), DAT by
 * instant *and* zone, BLB by bytes, lists element-wise, null only equals null.
 */
export function scalarEquals(a: ScalarValue, b: ScalarValue): boolean {
  if (a === b) return true
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b)
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesEqual(a, b)
  if (DateTime.isDateTime(a) && DateTime.isDateTime(b)) {
    return a.toMillis() === b.toMillis() && a.zone.type === b.zone.type && a.zone.equals(b.zone)
  }
  return false
}

export function valueEquals(a: PropertyValue | undefined, b: PropertyValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a === null || b === null) return a === b
  const aIsList = Array.isArray(a)
  if (aIsList !== Array.isArray(b)) return false
  if (aIsList) {
    const left = a as readonly ScalarValue[]
    const right = b as readonly ScalarValue[]
    if (left.length !== right.length) return false
    for (let i = 0; i < left.length; i++) {
      if (!scalarEquals(left[i] as ScalarValue, right[i] as ScalarValue)) return false
    }
    return true
  }
  return scalarEquals(a as ScalarValue, b as ScalarValue)
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

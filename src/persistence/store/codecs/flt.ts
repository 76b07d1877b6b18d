import type { PropertyCodec } from './codec.ts'

/** `String(-0)` is "0": float8 goes as text written here, so -0, NaN and ±Infinity survive. */
export function encodeFloat(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value)
}

export function decodeFloat(raw: unknown): number {
  return typeof raw === 'number' ? raw : Number.parseFloat(String(raw))
}

/** FLT: a JavaScript `number` (Java double), stored as `float8`; NaN and infinities allowed. */
export const FLT_CODEC: PropertyCodec<'FLT'> = {
  type: 'FLT',
  table: 'property_value_float',
  sqlType: 'float8',
  formatType: 'double precision',
  defaultColumn: 'default_float',
  isText: false,
  encode: encodeFloat,
  decode: decodeFloat,
}

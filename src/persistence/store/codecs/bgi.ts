import type { PropertyCodec } from './codec.ts'

/** BGI: an arbitrary-precision `bigint`, stored as `numeric` with scale 0 (read back as text). */
export const BGI_CODEC: PropertyCodec<'BGI'> = {
  type: 'BGI',
  table: 'property_value_big_integer',
  sqlType: 'numeric',
  formatType: 'numeric',
  defaultColumn: 'default_big_integer',
  isText: false,
  encode: (value) => value.toString(),
  decode: (raw) => BigInt(String(raw)),
}

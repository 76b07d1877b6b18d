import type { PropertyCodec } from './codec.ts'

/** INT: a signed 64-bit `bigint`, stored as `int8`. */
export const INT_CODEC: PropertyCodec<'INT'> = {
  type: 'INT',
  table: 'property_value_integer',
  sqlType: 'int8',
  formatType: 'bigint',
  defaultColumn: 'default_integer',
  isText: false,
  encode: (value) => value,
  decode: (raw) => BigInt(raw as bigint | string),
}

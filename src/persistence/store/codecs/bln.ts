import { plainCodec } from './codec.ts'

/** BLN: a `boolean`. */
export const BLN_CODEC = plainCodec<'BLN'>({
  type: 'BLN',
  table: 'property_value_boolean',
  sqlType: 'bool',
  formatType: 'boolean',
  defaultColumn: 'default_boolean',
  isText: false,
})

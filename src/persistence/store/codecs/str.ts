import { plainCodec } from './codec.ts'

/** STR: text of at most 8192 code points (a CHECK in the value table says so too). */
export const STR_CODEC = plainCodec<'STR'>({
  type: 'STR',
  table: 'property_value_string',
  sqlType: 'text',
  formatType: 'text',
  defaultColumn: 'default_string',
  isText: true,
})

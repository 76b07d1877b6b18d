import { plainCodec } from './codec.ts'

/** CLB: unbounded text (Java CLOB). */
export const CLB_CODEC = plainCodec<'CLB'>({
  type: 'CLB',
  table: 'property_value_clob',
  sqlType: 'text',
  formatType: 'text',
  defaultColumn: 'default_clob',
  isText: true,
})

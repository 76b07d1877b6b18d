import { plainCodec } from './codec.ts'

/** TXT: unbounded text. */
export const TXT_CODEC = plainCodec<'TXT'>({
  type: 'TXT',
  table: 'property_value_text',
  sqlType: 'text',
  formatType: 'text',
  defaultColumn: 'default_text',
  isText: true,
})

import { plainCodec } from './codec.ts'

/** URI: an RFC 3986 reference, stored verbatim as text. */
export const URI_CODEC = plainCodec<'URI'>({
  type: 'URI',
  table: 'property_value_uri',
  sqlType: 'text',
  formatType: 'text',
  defaultColumn: 'default_uri',
  isText: true,
})

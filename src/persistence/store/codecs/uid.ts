import { plainCodec } from './codec.ts'

/** UID: a canonical lower-case UUID string, stored as `uuid` (which prints lower case). */
export const UID_CODEC = plainCodec<'UID'>({
  type: 'UID',
  table: 'property_value_uuid',
  sqlType: 'uuid',
  formatType: 'uuid',
  defaultColumn: 'default_uuid',
  isText: false,
})

import type { PropertyTypeCode, ScalarValue } from '../../../model/property-type.ts'
import { PROPERTY_TYPE_CODES } from '../../../model/property-type.ts'
import { BGF_CODEC } from './bgf.ts'
import { BGI_CODEC } from './bgi.ts'
import { BLB_CODEC } from './blb.ts'
import { BLN_CODEC } from './bln.ts'
import { CLB_CODEC } from './clb.ts'
import type { PropertyCodec, ValueTableName } from './codec.ts'
import { DAT_CODEC } from './dat.ts'
import { FLT_CODEC } from './flt.ts'
import { INT_CODEC } from './int.ts'
import { STR_CODEC } from './str.ts'
import { TXT_CODEC } from './txt.ts'
import { UID_CODEC } from './uid.ts'
import { URI_CODEC } from './uri.ts'

export type {
  DefaultColumn,
  ExtraColumn,
  PropertyCodec,
  ScalarSqlType,
  ValueTableName,
} from './codec.ts'

/** One codec per CHEAP type (store/codecs/<type>.ts): the only place a type's storage is decided. */
export const CODECS: { readonly [T in PropertyTypeCode]: PropertyCodec<T> } = {
  INT: INT_CODEC,
  FLT: FLT_CODEC,
  BLN: BLN_CODEC,
  STR: STR_CODEC,
  TXT: TXT_CODEC,
  BGI: BGI_CODEC,
  BGF: BGF_CODEC,
  DAT: DAT_CODEC,
  URI: URI_CODEC,
  UID: UID_CODEC,
  CLB: CLB_CODEC,
  BLB: BLB_CODEC,
}

/** The codec of a type, with its value type erased: for code that handles every type alike. */
export interface AnyCodec {
  readonly type: PropertyTypeCode
  readonly table: ValueTableName
  readonly sqlType: PropertyCodec<PropertyTypeCode>['sqlType']
  readonly formatType: string
  readonly defaultColumn: PropertyCodec<PropertyTypeCode>['defaultColumn']
  readonly extra: PropertyCodec<PropertyTypeCode>['extra']
  readonly isText: boolean
  readonly encode: (value: ScalarValue) => unknown
  /** The extra column's value, or null for types without one. */
  readonly encodeExtra: (value: ScalarValue) => unknown
  readonly decode: (raw: unknown, extra?: unknown) => ScalarValue
}

function erase<T extends PropertyTypeCode>(codec: PropertyCodec<T>): AnyCodec {
  const encodeExtra = codec.encodeExtra
  return {
    type: codec.type,
    table: codec.table,
    sqlType: codec.sqlType,
    formatType: codec.formatType,
    defaultColumn: codec.defaultColumn,
    extra: codec.extra,
    isText: codec.isText,
    encode: codec.encode as (value: ScalarValue) => unknown,
    encodeExtra:
      encodeExtra === undefined ? () => null : (encodeExtra as (value: ScalarValue) => unknown),
    decode: codec.decode,
  }
}

// One entry per type: a generic map over PROPERTY_TYPE_CODES would see a union of codecs.
const ERASED = new Map<PropertyTypeCode, AnyCodec>([
  ['INT', erase(INT_CODEC)],
  ['FLT', erase(FLT_CODEC)],
  ['BLN', erase(BLN_CODEC)],
  ['STR', erase(STR_CODEC)],
  ['TXT', erase(TXT_CODEC)],
  ['BGI', erase(BGI_CODEC)],
  ['BGF', erase(BGF_CODEC)],
  ['DAT', erase(DAT_CODEC)],
  ['URI', erase(URI_CODEC)],
  ['UID', erase(UID_CODEC)],
  ['CLB', erase(CLB_CODEC)],
  ['BLB', erase(BLB_CODEC)],
])

/** {@link CODECS}[type], value type erased. */
export function codecOf(type: PropertyTypeCode): AnyCodec {
  return ERASED.get(type) as AnyCodec
}

/** Every value table, in the model's type order. */
export const VALUE_TABLE_NAMES: readonly ValueTableName[] = PROPERTY_TYPE_CODES.map(
  (type) => CODECS[type].table,
)

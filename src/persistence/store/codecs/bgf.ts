import {
  decimalFromPlain,
  decimalToPlainString,
  formatDecimal,
  parseDecimal,
} from '../../../model/values/java-decimal.ts'
import type { PropertyCodec } from './codec.ts'

/**
 * BGF: Java BigDecimal text (`123.4500`, `1E+3`). `numeric` keeps the number; the Java scale goes
 * in its own column, since it may be negative (1E+3 has scale -3) and numeric cannot say that.
 */
export const BGF_CODEC: PropertyCodec<'BGF'> = {
  type: 'BGF',
  table: 'property_value_big_decimal',
  sqlType: 'numeric',
  formatType: 'numeric',
  defaultColumn: 'default_big_decimal',
  extra: {
    column: 'value_scale',
    suffix: '_scale',
    sqlType: 'int4',
    formatType: 'integer',
    defaultColumn: 'default_big_decimal_scale',
  },
  isText: false,
  encode: (value) => decimalToPlainString(parseDecimal(value)),
  encodeExtra: (value) => parseDecimal(value).scale,
  decode: (raw, extra) => formatDecimal(decimalFromPlain(String(raw), Number(extra))),
}

import type { DateTime } from 'luxon'
import { dateTimeFromInstantAndZone, zoneToText } from '../../../model/values/java-date-time.ts'
import type { PropertyCodec } from './codec.ts'

const TIMESTAMP_TEXT =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?|Z)?$/

/** Epoch milliseconds from PostgreSQL's timestamptz text output (any session time zone). */
export function parseTimestampText(text: string): number {
  const m = TIMESTAMP_TEXT.exec(text)
  if (m === null) throw new Error(`unexpected timestamptz text from the database: ${text}`)
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m
  const millis = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000 + 1e-6)
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), millis)
  if (Number(y) < 100) {
    // Date.UTC maps years 0..99 to 1900..1999.
    const date = new Date(ms)
    date.setUTCFullYear(Number(y))
    ms = date.getTime()
  }
  if (sign !== undefined) {
    const offset = (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * 1000
    ms += sign === '+' ? -offset : offset
  }
  return ms
}

/**
 * DAT: a luxon DateTime. `timestamptz` keeps the instant (millisecond precision); the zone it was
 * written in (an IANA name or a fixed offset) goes in its own column, so it round-trips.
 */
export const DAT_CODEC: PropertyCodec<'DAT'> = {
  type: 'DAT',
  table: 'property_value_date_time',
  sqlType: 'timestamptz',
  formatType: 'timestamp with time zone',
  defaultColumn: 'default_date_time',
  extra: {
    column: 'zone',
    suffix: '_zone',
    sqlType: 'text',
    formatType: 'text',
    defaultColumn: 'default_date_time_zone',
  },
  isText: false,
  encode: (value: DateTime) => new Date(value.toMillis()).toISOString(),
  encodeExtra: (value: DateTime) => zoneToText(value),
  decode: (raw, extra) =>
    dateTimeFromInstantAndZone(parseTimestampText(String(raw)), String(extra)),
}

import { DateTime } from 'luxon'
import type { Zone } from 'luxon'
import { CheapValidationError } from '../../errors.ts'
import {
  fixedZone,
  formatOffset,
  offsetSeconds,
  offsetSecondsOf,
  parseOffsetId,
  regionNameOf,
  regionZone,
  zoneFromText,
} from './java-zone.ts'

export { zoneFromText, zoneToText } from './java-zone.ts'

// `DateTimeFormatter.ISO_ZONED_DATE_TIME` as `ZonedDateTime.parse` applies it: case-insensitive
// `T` and `Z`, seconds optional, a point with 0–9 fraction digits, a lenient offset (`+02`,
// `+02:00`, `+02:00:30`), then an optional case-sensitive `[zone]`.
const ISO_DATE = /([+-]?)(\d{4,10})-(\d{2})-(\d{2})/.source
const ISO_TIME = /[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{0,9}))?)?/.source
const ISO_OFFSET = /(?:([Zz])|([+-])(\d{2})(?::(\d{2})(?::(\d{2}))?)?)/.source
const ISO_ZONE = /(?:\[([^\]]*)\])?/.source
const ISO_ZONED = new RegExp(`^${ISO_DATE}${ISO_TIME}${ISO_OFFSET}${ISO_ZONE}$`)
// `java.sql.Timestamp.toString()`: what the Java DAO writes to `value_text` (zone-less).
const SQL_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/
// The `Date` range, which luxon shares; Java's years go to ±999,999,999.
const MAX_EPOCH_MILLIS = 8.64e15

interface LocalFields {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly millisecond: number
}

/**
 * Java `ZonedDateTime.toString()`: `2025-01-15T10:30Z`, `2025-01-15T10:30:15.500+02:00`,
 * `2025-01-15T11:30+01:00[Europe/Paris]`. Seconds appear only when seconds or millis are not
 * zero; millis print as 3 digits (luxon has no finer precision). A fixed-offset zone prints the
 * offset alone (`Z` for luxon's UTC, Java `ZoneOffset.UTC`); an IANA zone adds `[name]`, so an
 * IANA `UTC` prints `Z[UTC]` as Java's `ZoneId.of("UTC")` does. luxon's system zone counts as
 * its IANA region, like Java's `ZoneId.systemDefault()`; luxon parses the string `'UTC'` into
 * its fixed UTC zone, so an IANA `UTC` must be made with `IANAZone.create('UTC')`.
 *
 * @example
 * ```ts
 * formatJavaDateTime(DateTime.fromISO('2025-01-15T10:30:00Z', { zone: 'UTC' })) // '2025-01-15T10:30Z'
 * ```
 */
export function formatJavaDateTime(dt: DateTime): string {
  if (!dt.isValid) {
    throw new CheapValidationError(`An invalid DateTime (${dt.invalidReason}) has no Java text`, {
      reason: 'INVALID_DATETIME',
    })
  }
  const offset = offsetSecondsOf(dt)
  // Local fields from the instant and the whole-second offset, not from luxon's own fields:
  // luxon keeps offsets in (possibly fractional) minutes and can be 1 ms off for LMT offsets.
  const local = new Date(dt.toMillis() + offset * 1000)
  if (Number.isNaN(local.getTime())) throw outOfRange(String(dt.toMillis()))
  const year = formatYear(local.getUTCFullYear())
  const date = `${year}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}`
  let time = `${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}`
  const second = local.getUTCSeconds()
  const millis = local.getUTCMilliseconds()
  if (second !== 0 || millis !== 0) time += `:${pad(second, 2)}`
  if (millis !== 0) time += `.${pad(millis, 3)}`
  const region = regionNameOf(dt.zone)
  const text = `${date}T${time}${formatOffset(offset)}`
  return region === null ? text : `${text}[${region}]`
}

/**
 * Parses what `ZonedDateTime.parse` accepts, plus the zone-less `yyyy-MM-dd HH:mm:ss[.f]` of
 * `java.sql.Timestamp.toString()` (taken as UTC, the time zone the Java tests run in). Fraction
 * digits beyond milliseconds are truncated. With both an offset and a `[zone]`, the offset
 * fixes the instant and the zone how it is shown, as in Java:
 * `2025-01-15T10:30+05:00[Europe/Paris]` is `2025-01-15T06:30+01:00[Europe/Paris]`.
 *
 * Divergences, all refused with `INVALID_DATETIME`: offset-prefixed regions (`[UTC+01:00]`,
 * `[GMT+1]`), `[UT]`, and regions the platform's tz database lacks.
 */
export function parseJavaDateTime(text: string): DateTime {
  const timestamp = SQL_TIMESTAMP.exec(text)
  if (timestamp !== null) {
    const [, year, month, day, hour, minute, second, fraction] = timestamp
    const fields = localFields(text, year, month, day, hour, minute, second, fraction)
    return atInstant(text, epochOfLocal(fields), fixedZone(0))
  }
  const match = ISO_ZONED.exec(text)
  if (match === null) throw invalid(text, 'is not a Java date-time')
  const [, yearSign = '', yearDigits = '', month, day, hour, minute, second, fraction] = match
  const [, , , , , , , , , zulu, offsetSign, offsetHours, offsetMinutes, offsetSecs, zoneId] = match
  // Java's year (SignStyle.EXCEEDS_PAD, strict): more than 4 digits need a sign, 4 digits take
  // no `+`, and a negative zero is refused.
  if (yearDigits.length > 4 ? yearSign === '' : yearSign === '+') {
    throw invalid(text, 'has a badly signed year')
  }
  if (yearSign === '-' && Number(yearDigits) === 0) throw invalid(text, 'has the year -0')
  const fields = localFields(
    text,
    yearSign + yearDigits,
    month,
    day,
    hour,
    minute,
    second,
    fraction,
  )
  const offset =
    zulu === undefined
      ? offsetSeconds(
          offsetSign === '-' ? -1 : 1,
          Number(offsetHours),
          Number(offsetMinutes ?? '0'),
          Number(offsetSecs ?? '0'),
        )
      : 0
  if (offset === null) throw invalid(text, 'has an offset out of range')
  const zone = zoneId === undefined ? fixedZone(offset) : bracketZone(text, zoneId)
  return atInstant(text, epochOfLocal(fields) - offset * 1000, zone)
}

/**
 * The stored form of a DAT value back as a `DateTime`: the instant (epoch millis, or ISO /
 * PostgreSQL `timestamptz` text) shown in the zone written by `zoneToText`.
 */
export function dateTimeFromInstantAndZone(instant: number | string, zoneText: string): DateTime {
  const zone = zoneFromText(zoneText)
  if (typeof instant === 'number') {
    if (!Number.isInteger(instant) || Math.abs(instant) > MAX_EPOCH_MILLIS) {
      throw outOfRange(String(instant))
    }
    return DateTime.fromMillis(instant, { zone })
  }
  let parsed = DateTime.fromISO(instant, { setZone: true })
  if (!parsed.isValid) parsed = DateTime.fromSQL(instant, { setZone: true })
  if (!parsed.isValid) throw invalid(instant, 'is not an instant')
  return parsed.setZone(zone)
}

function bracketZone(text: string, zoneId: string): Zone {
  const seconds = parseOffsetId(zoneId)
  const zone = seconds === null ? regionZone(zoneId) : fixedZone(seconds)
  if (zone === null) throw invalid(text, `names the unknown zone '${zoneId}'`)
  return zone
}

function localFields(
  text: string,
  year = '',
  month = '',
  day = '',
  hour = '',
  minute = '',
  second = '0',
  fraction = '',
): LocalFields {
  const fields: LocalFields = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: Number(fraction.padEnd(3, '0').slice(0, 3)),
  }
  // ResolverStyle.STRICT: no February 30, no hour 24, no leap second.
  if (
    fields.month < 1 ||
    fields.month > 12 ||
    fields.day < 1 ||
    fields.day > daysInMonth(fields.year, fields.month) ||
    fields.hour > 23 ||
    fields.minute > 59 ||
    fields.second > 59
  ) {
    throw invalid(text, 'is not a valid date and time')
  }
  if (Math.abs(fields.year) > 300_000) throw outOfRange(text)
  return fields
}

function epochOfLocal(fields: LocalFields): number {
  const date = new Date(0)
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(fields.year, fields.month - 1, fields.day)
  date.setUTCHours(fields.hour, fields.minute, fields.second, fields.millisecond)
  return date.getTime()
}

function atInstant(text: string, epochMillis: number, zone: Zone): DateTime {
  if (Number.isNaN(epochMillis) || Math.abs(epochMillis) > MAX_EPOCH_MILLIS) throw outOfRange(text)
  return DateTime.fromMillis(epochMillis, { zone })
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Java `LocalDate` years: at least 4 digits, `-` below zero, `+` above 9999. */
function formatYear(year: number): string {
  const magnitude = pad(Math.abs(year), 4)
  if (year < 0) return `-${magnitude}`
  return year > 9999 ? `+${magnitude}` : magnitude
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0')
}

function invalid(text: string, problem: string): CheapValidationError {
  return new CheapValidationError(`'${text}' ${problem}`, { reason: 'INVALID_DATETIME' })
}

function outOfRange(text: string): CheapValidationError {
  return new CheapValidationError(`'${text}' is outside the representable date-time range`, {
    reason: 'OUT_OF_RANGE',
  })
}

import { FixedOffsetZone, IANAZone } from 'luxon'
import type { DateTime, Zone } from 'luxon'
import { CheapValidationError } from '../../errors.ts'

// Java `ZoneOffset` ids (`+HH:MM` or `+HH:MM:SS`), as `ZoneId.of` and the `[…]` part parse them.
const OFFSET_ID = /^([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/
// The characters Java allows in a region id; anything else is not a region for Java.
const REGION_ID = /^[A-Za-z][A-Za-z0-9~/._+-]+$/
// Java reads `UTC+01:00`, `GMT+1`… as offset-based regions; luxon has no zone that prints back
// that way, so we refuse them rather than lose the spelling.
const PREFIXED_OFFSET = /^(?:UTC|GMT|UT)[+-]/
// In the tz database but unknown to `ZoneId.of` (Java only maps them through SHORT_IDS).
const NOT_JAVA_REGIONS = new Set(['EST', 'MST', 'HST'])
const MAX_OFFSET_SECONDS = 18 * 3600

const regionCache = new Map<string, Zone | null>()

/** The offset of `dt` in whole seconds (luxon keeps minutes, fractional for LMT offsets). */
export function offsetSecondsOf(dt: DateTime): number {
  return Math.round(dt.offset * 60)
}

/** Java `ZoneOffset.getId()`: `Z`, `+02:00`, or `+00:09:21` when seconds are not zero. */
export function formatOffset(totalSeconds: number): string {
  if (totalSeconds === 0) return 'Z'
  const sign = totalSeconds < 0 ? '-' : '+'
  const magnitude = Math.abs(totalSeconds)
  const hours = Math.floor(magnitude / 3600)
  const minutes = Math.floor(magnitude / 60) % 60
  const seconds = magnitude % 60
  const text = `${sign}${pad2(hours)}:${pad2(minutes)}`
  return seconds === 0 ? text : `${text}:${pad2(seconds)}`
}

/** Seconds of a Java offset id (`Z`, `±HH:MM`, `±HH:MM:SS`), or null when it is not one. */
export function parseOffsetId(text: string): number | null {
  if (text === 'Z') return 0
  const match = OFFSET_ID.exec(text)
  if (match === null) return null
  const [, sign, hours = '', minutes = '', seconds = '0'] = match
  return offsetSeconds(sign === '-' ? -1 : 1, Number(hours), Number(minutes), Number(seconds))
}

/** Seconds of an offset within Java's limits (±18:00, minutes and seconds below 60), or null. */
export function offsetSeconds(
  sign: 1 | -1,
  hours: number,
  minutes: number,
  seconds: number,
): number | null {
  if (minutes > 59 || seconds > 59) return null
  const total = hours * 3600 + minutes * 60 + seconds
  return total > MAX_OFFSET_SECONDS ? null : sign * total
}

/** A luxon zone for a fixed offset; zero is luxon's UTC instance (Java `ZoneOffset.UTC`). */
export function fixedZone(totalSeconds: number): Zone {
  return totalSeconds === 0
    ? FixedOffsetZone.utcInstance
    : FixedOffsetZone.instance(totalSeconds / 60)
}

/**
 * The IANA zone for a Java region id, or null when Java or the platform does not know it.
 * Region ids are case-sensitive in Java, where `Intl` is not: `europe/paris` is refused.
 * Java and the platform ship their own tz databases; ids only one of them knows may differ.
 */
export function regionZone(name: string): Zone | null {
  const cached = regionCache.get(name)
  if (cached !== undefined) return cached
  const zone = lookUpRegion(name)
  regionCache.set(name, zone)
  return zone
}

/** The name of the region of `zone` as Java prints it in `[…]`, or null for a fixed offset. */
export function regionNameOf(zone: Zone): string | null {
  if (zone.type === 'fixed') return null
  // The system zone is a region for Java too (`ZoneId.systemDefault()`).
  if (zone.type === 'iana' || zone.type === 'system') return zone.name
  throw new CheapValidationError(`A luxon zone of type '${zone.type}' has no Java form`, {
    reason: 'INVALID_DATETIME',
  })
}

/**
 * The zone of `dt` as text for the column beside a `timestamptz`: a region as its name
 * (`Europe/Paris`, `UTC`), a fixed offset as its Java id (`Z`, `+02:00`), so that the IANA
 * zone `UTC` (Java `ZoneId.of("UTC")`) and the offset `Z` stay different.
 */
export function zoneToText(dt: DateTime): string {
  return regionNameOf(dt.zone) ?? formatOffset(offsetSecondsOf(dt))
}

/** The luxon zone for text written by {@link zoneToText}. */
export function zoneFromText(text: string): Zone {
  const seconds = parseOffsetId(text)
  const zone = seconds === null ? regionZone(text) : fixedZone(seconds)
  if (zone === null) {
    throw new CheapValidationError(`'${text}' is not a time zone`, { reason: 'INVALID_DATETIME' })
  }
  return zone
}

function lookUpRegion(name: string): Zone | null {
  if (!REGION_ID.test(name) || PREFIXED_OFFSET.test(name) || NOT_JAVA_REGIONS.has(name)) {
    return null
  }
  let resolved: string
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return null
  }
  // Same letters in another case: Intl matched case-insensitively where Java would not.
  if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) return null
  return IANAZone.create(name)
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value)
}

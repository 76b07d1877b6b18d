import type { DateTime } from 'luxon'
import type { PropertyTypeCode, PropertyValueTypes } from '../../model/property-type.ts'
import { dateTimeFromInstantAndZone, zoneToText } from '../../model/values/java-date-time.ts'
import {
  decimalFromPlain,
  decimalToPlainString,
  formatDecimal,
  parseDecimal,
} from '../../model/values/java-decimal.ts'

/**
 * How each CHEAP type lives in its `property_value_*` table: the native column type, and the
 * pure conversions between the model value and what the driver sends and receives (with the
 * adapters' parsers: int8 → bigint, numeric → string, timestamptz → text, bytea → Uint8Array).
 * DAT and BGF carry a second column (the zone name; the Java scale, which may be negative).
 */
export interface ValueCodec<T extends PropertyTypeCode> {
  readonly type: T
  readonly table: ValueTable
  /** The element type for `unnest($n::<sqlType>[])`. */
  readonly sqlType: string
  /** The extra column and its element type, for DAT (zone) and BGF (value_scale). */
  readonly extra?: { readonly column: 'zone' | 'value_scale'; readonly sqlType: 'text' | 'int4' }
  readonly encode: (value: PropertyValueTypes[T]) => unknown
  readonly encodeExtra?: (value: PropertyValueTypes[T]) => unknown
  readonly decode: (raw: unknown, extra?: unknown) => PropertyValueTypes[T]
}

export const VALUE_TABLES = [
  'property_value_integer',
  'property_value_float',
  'property_value_boolean',
  'property_value_string',
  'property_value_text',
  'property_value_big_integer',
  'property_value_big_decimal',
  'property_value_date_time',
  'property_value_uri',
  'property_value_uuid',
  'property_value_clob',
  'property_value_blob',
] as const

export type ValueTable = (typeof VALUE_TABLES)[number]

const identity = <V>(value: V): V => value

function plain<T extends 'BLN' | 'STR' | 'TXT' | 'URI' | 'UID' | 'CLB'>(
  type: T,
  table: ValueTable,
  sqlType: string,
): ValueCodec<T> {
  return {
    type,
    table,
    sqlType,
    encode: identity,
    decode: (raw) => raw as PropertyValueTypes[T],
  }
}

/** `String(-0)` is "0": send float8 text ourselves so -0, NaN and ±Infinity survive. */
export function encodeFloat(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value)
}

export function decodeFloat(raw: unknown): number {
  return typeof raw === 'number' ? raw : Number.parseFloat(String(raw))
}

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

export const VALUE_CODECS: { readonly [T in PropertyTypeCode]: ValueCodec<T> } = {
  INT: {
    type: 'INT',
    table: 'property_value_integer',
    sqlType: 'int8',
    encode: identity,
    decode: (raw) => BigInt(raw as bigint | string),
  },
  FLT: {
    type: 'FLT',
    table: 'property_value_float',
    sqlType: 'float8',
    encode: encodeFloat,
    decode: decodeFloat,
  },
  BLN: plain('BLN', 'property_value_boolean', 'bool'),
  STR: plain('STR', 'property_value_string', 'text'),
  TXT: plain('TXT', 'property_value_text', 'text'),
  BGI: {
    type: 'BGI',
    table: 'property_value_big_integer',
    sqlType: 'numeric',
    encode: (value) => value.toString(),
    decode: (raw) => BigInt(String(raw)),
  },
  BGF: {
    type: 'BGF',
    table: 'property_value_big_decimal',
    sqlType: 'numeric',
    extra: { column: 'value_scale', sqlType: 'int4' },
    encode: (value) => decimalToPlainString(parseDecimal(value)),
    encodeExtra: (value) => parseDecimal(value).scale,
    decode: (raw, extra) => formatDecimal(decimalFromPlain(String(raw), Number(extra))),
  },
  DAT: {
    type: 'DAT',
    table: 'property_value_date_time',
    sqlType: 'timestamptz',
    extra: { column: 'zone', sqlType: 'text' },
    encode: (value: DateTime) => new Date(value.toMillis()).toISOString(),
    encodeExtra: (value: DateTime) => zoneToText(value),
    decode: (raw, extra) =>
      dateTimeFromInstantAndZone(parseTimestampText(String(raw)), String(extra)),
  },
  URI: plain('URI', 'property_value_uri', 'text'),
  UID: plain('UID', 'property_value_uuid', 'uuid'),
  CLB: plain('CLB', 'property_value_clob', 'text'),
  BLB: {
    type: 'BLB',
    table: 'property_value_blob',
    sqlType: 'bytea',
    encode: identity,
    decode: (raw) => toUint8Array(raw),
  },
}

export function toUint8Array(raw: unknown): Uint8Array {
  if (raw instanceof Uint8Array) {
    return Buffer.isBuffer(raw) ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : raw
  }
  throw new Error(`unexpected bytea value from the database: ${typeof raw}`)
}

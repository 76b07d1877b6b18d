import pg from 'pg'
import type { CustomTypesConfig } from 'pg'

/**
 * Per-pool type parsers, installed on the pg pool and on the PGlite bridge pool alike, so both
 * backends hand the DAO identical JavaScript values (test/db/driver-parity.test.ts). The global
 * `pg.types.setTypeParser` is left alone: other pools in the same process keep pg's defaults.
 *
 * - int8 → `bigint` (pg's default is a string; PGlite's own parser a number-or-bigint)
 * - numeric → exact `string` (pg's default for numeric[] is parseFloat, which loses digits)
 * - date, timestamp, timestamptz → the server's text, parsed by luxon in the DAO (a `Date`
 *   loses microseconds and depends on the process time zone)
 * - bytea → a plain `Uint8Array` (pg returns a Buffer, whose equality and JSON differ)
 */
const OID = {
  bytea: 17,
  int8: 20,
  textArray: 1009,
  byteaArray: 1001,
  int8Array: 1016,
  date: 1082,
  timestamp: 1114,
  timestampArray: 1115,
  dateArray: 1182,
  timestamptz: 1184,
  timestamptzArray: 1185,
  numericArray: 1231,
  numeric: 1700,
} as const

type TextParser = (text: string) => unknown

// pg-types' declaration only admits the scalar OIDs of its TypeId enum; arrays work the same.
const defaultParser = pg.types.getTypeParser as (
  oid: number,
  format?: 'text' | 'binary',
) => TextParser

const parseTextArray = defaultParser(OID.textArray, 'text') as (text: string) => (string | null)[]

function arrayOf(parseElement: TextParser): TextParser {
  return (text) => parseTextArray(text).map((item) => (item === null ? null : parseElement(item)))
}

const identity: TextParser = (text) => text

/** Decodes bytea's hex output (`\x0a1b…`) straight into a fresh Uint8Array, no Buffer kept. */
function parseBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) {
    const bytes = new Uint8Array((text.length - 2) / 2)
    Buffer.from(bytes.buffer).write(text.slice(2), 'hex')
    return bytes
  }
  // bytea_output = 'escape' (a server configured that way): pg's own decoder handles it.
  const buffer = defaultParser(OID.bytea, 'text')(text) as Buffer
  return Uint8Array.from(buffer)
}

const parseInt8: TextParser = (text) => BigInt(text)

const TEXT_PARSERS: ReadonlyMap<number, TextParser> = new Map<number, TextParser>([
  [OID.int8, parseInt8],
  [OID.int8Array, arrayOf(parseInt8)],
  [OID.numeric, identity],
  [OID.numericArray, arrayOf(identity)],
  [OID.date, identity],
  [OID.dateArray, arrayOf(identity)],
  [OID.timestamp, identity],
  [OID.timestampArray, arrayOf(identity)],
  [OID.timestamptz, identity],
  [OID.timestamptzArray, arrayOf(identity)],
  [OID.bytea, parseBytea],
  [OID.byteaArray, arrayOf(parseBytea)],
])

/** The `types` option of a pg `Pool`: our text parsers first, pg's defaults for the rest. */
export const CHEAP_TYPE_PARSERS: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      const parser = TEXT_PARSERS.get(oid)
      if (parser !== undefined) return parser
    }
    return defaultParser(oid, format)
  }) as CustomTypesConfig['getTypeParser'],
}

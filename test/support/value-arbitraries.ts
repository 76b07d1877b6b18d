/**
 * fast-check arbitraries for the twelve CHEAP property types. Every value they produce is valid
 * for its type (the property test in `test/property/model.prop.test.ts` checks that
 * `validateScalar` accepts each one unchanged), and each is biased towards the edges where
 * round-trips break: int64 limits, NaN and -0, astral characters, 8192-character strings,
 * negative BigDecimal scales, pre-1900 zone offsets, odd URI casing, empty blobs.
 */
import fc from 'fast-check'
import { DateTime, FixedOffsetZone, IANAZone, type Zone } from 'luxon'
import type { PropertyTypeCode, PropertyValueTypes } from '../../src/model/index.ts'
import { formatDecimal } from '../../src/model/values/java-decimal.ts'
import { uriValue } from './uri-arbitraries.ts'

export { uriValue } from './uri-arbitraries.ts'

export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n
/** The STR limit, in code points. */
export const MAX_STR_LENGTH = 8192

const SAFE_LIMIT = 2n ** 53n

/** INT: any signed 64-bit bigint, often one of 0, ±1, ±2^53±1, the int64 limits. */
export const intValue: fc.Arbitrary<bigint> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      0n,
      1n,
      -1n,
      SAFE_LIMIT,
      -SAFE_LIMIT,
      SAFE_LIMIT + 1n,
      SAFE_LIMIT - 1n,
      -SAFE_LIMIT + 1n,
      -SAFE_LIMIT - 1n,
      INT64_MIN,
      INT64_MAX,
      INT64_MIN + 1n,
      INT64_MAX - 1n,
    ),
    weight: 2,
  },
  { arbitrary: fc.bigInt(-1000n, 1000n), weight: 1 },
  { arbitrary: fc.bigInt(INT64_MIN, INT64_MAX), weight: 3 },
)

const SUBNORMAL_MAX = 2.2250738585072009e-308

/** FLT: any double, often NaN, ±Infinity, -0, a subnormal or an extreme. */
export const floatValue: fc.Arbitrary<number> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      0,
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      SUBNORMAL_MAX,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.EPSILON,
      0.1,
      1e23,
      2 ** 53 + 2,
    ),
    weight: 2,
  },
  { arbitrary: fc.double({ min: -SUBNORMAL_MAX, max: SUBNORMAL_MAX }), weight: 1 },
  { arbitrary: fc.double(), weight: 4 },
)

/** BLN. */
export const booleanValue: fc.Arbitrary<boolean> = fc.boolean()

/**
 * Replaces what PostgreSQL text cannot hold (U+0000, lone surrogates) by U+FFFD, one code unit
 * for one, so the code point count is unchanged.
 */
export function storableText(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0) {
      out += '\uFFFD'
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text.slice(i, i + 2)
        i++
      } else {
        out += '\uFFFD'
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\uFFFD'
    } else {
      out += text[i] as string
    }
  }
  return out
}

const SPECIAL_TEXT = [
  '',
  ' ',
  '😀',
  '👩‍👩‍👧‍👦',
  'é',
  'e\u0301',
  '\u{10FFFF}',
  '\uFFFF',
  '\uFEFFbom',
  'a\tb\nc\r\n',
  '\u0001\u001f\u007f',
  `'quote" \\back\\slash`,
  '%00 %zz',
  '名前 テスト',
  'مرحبا',
  'null',
  'NULL',
  '\\N',
] as const

/** Short text: graphemes (emoji, combining marks), any code point, ASCII, special cases. */
const shortText: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.constantFrom(...SPECIAL_TEXT), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
    { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), weight: 2 },
  )
  .map(storableText)

/** Text of exactly `min..max` code points (one code point per unit), storable. */
function textOfCodePoints(min: number, max: number): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.string({ unit: 'binary', minLength: min, maxLength: max }),
      fc.string({ unit: 'grapheme-composite', minLength: min, maxLength: max }),
      fc
        .tuple(fc.integer({ min, max }), fc.constantFrom('x', '😀', 'é', '名'))
        .map(([n, c]) => c.repeat(n)),
    )
    .map(storableText)
}

/**
 * STR: unicode text (astral characters, emoji, combining marks, controls), the empty string, and
 * occasionally close to or exactly 8192 code points. Never U+0000 or a lone surrogate.
 */
export const stringValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: shortText, weight: 30 },
  { arbitrary: textOfCodePoints(MAX_STR_LENGTH - 64, MAX_STR_LENGTH), weight: 1 },
  {
    arbitrary: fc.constantFrom('x'.repeat(MAX_STR_LENGTH), '😀'.repeat(MAX_STR_LENGTH)),
    weight: 1,
  },
)

/** TXT: like STR, sometimes beyond the STR limit. */
export const textValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: shortText, weight: 30 },
  { arbitrary: textOfCodePoints(MAX_STR_LENGTH + 1, 20_000), weight: 1 },
)

/** CLB: like TXT, occasionally longer. */
export const clobValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: shortText, weight: 30 },
  { arbitrary: textOfCodePoints(1000, 5000), weight: 1 },
  { arbitrary: textOfCodePoints(20_000, 40_000), weight: 1 },
)

const BIG = 10n ** 60n

/** BGI: bigints beyond 64 bits (up to ~60 digits, either sign), plus the int64 neighbours. */
export const bigIntegerValue: fc.Arbitrary<bigint> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      0n,
      1n,
      -1n,
      INT64_MAX + 1n,
      INT64_MIN - 1n,
      2n ** 64n,
      -(2n ** 64n),
      BIG,
      -BIG,
    ),
    weight: 1,
  },
  { arbitrary: fc.bigInt(INT64_MAX + 1n, BIG), weight: 2 },
  { arbitrary: fc.bigInt(-BIG, INT64_MIN - 1n), weight: 2 },
  { arbitrary: fc.bigInt(-BIG, BIG), weight: 2 },
)

/**
 * BGF: canonical Java `BigDecimal.toString()` text of an unscaled bigint (up to ~40 digits) and
 * a scale in -10..30, so trailing zeros (`123.4500`), scientific forms (`1E+3`, `-4.5E-10`) and
 * `0E-10`-like zeros all appear.
 */
export const bigDecimalValue: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(0n, 1n, -1n, 10n, 1234500n),
      fc.bigInt(-(10n ** 12n), 10n ** 12n),
      fc.bigInt(-(10n ** 40n), 10n ** 40n),
    ),
    fc.oneof(fc.constantFrom(0, 1, 2, 4, -1, -3), fc.integer({ min: -10, max: 30 })),
  )
  .map(([unscaled, scale]) => formatDecimal({ unscaled, scale }))

/** Zones both as fixed offsets and as IANA regions (luxon keeps them apart). */
export const zoneArb: fc.Arbitrary<Zone> = fc.oneof(
  fc.constantFrom<Zone>(
    FixedOffsetZone.utcInstance,
    FixedOffsetZone.instance(330),
    FixedOffsetZone.instance(-480),
    FixedOffsetZone.instance(840),
    FixedOffsetZone.instance(-720),
    IANAZone.create('Europe/Paris'),
    IANAZone.create('America/New_York'),
    IANAZone.create('Asia/Kolkata'),
    IANAZone.create('UTC'),
  ),
  fc.integer({ min: -18 * 60, max: 18 * 60 }).map((minutes) => FixedOffsetZone.instance(minutes)),
)

// A day inside years 1 and 9999 so the local year stays in range in every zone.
const MIN_MILLIS = DateTime.utc(1, 1, 2).toMillis()
const MAX_MILLIS = DateTime.utc(9999, 12, 30).toMillis()
const MODERN_MIN = DateTime.utc(1900, 1, 1).toMillis()
const MODERN_MAX = DateTime.utc(2100, 1, 1).toMillis()

/**
 * DAT: a valid luxon DateTime in years 1..9999 at millisecond precision, in a fixed-offset or
 * IANA zone. Pre-1900 instants in IANA zones have local-mean-time offsets with seconds
 * (Europe/Paris +00:09:21), which a round-trip through ISO text alone would lose.
 */
export const dateTimeValue: fc.Arbitrary<DateTime> = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.integer({ min: MODERN_MIN, max: MODERN_MAX }), weight: 3 },
      { arbitrary: fc.integer({ min: MIN_MILLIS, max: MAX_MILLIS }), weight: 2 },
      { arbitrary: fc.constantFrom(MIN_MILLIS, MAX_MILLIS, 0, -1, 1_700_000_000_123), weight: 1 },
    ),
    zoneArb,
  )
  .map(([ms, zone]) => DateTime.fromMillis(ms, { zone }))

/** UID: canonical lower-case UUIDs of any version, plus nil and max. */
export const uuidValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.uuid(), weight: 10 },
  {
    arbitrary: fc.constantFrom(
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
    ),
    weight: 1,
  },
)

/** BLB: byte arrays, empty to a few KB, any byte values. */
export const blobValue: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 0 }), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 8 },
  { arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 4096 }), weight: 1 },
)

const VALUE_ARBS: { readonly [T in PropertyTypeCode]: fc.Arbitrary<PropertyValueTypes[T]> } = {
  INT: intValue,
  FLT: floatValue,
  BLN: booleanValue,
  STR: stringValue,
  TXT: textValue,
  BGI: bigIntegerValue,
  BGF: bigDecimalValue,
  DAT: dateTimeValue,
  URI: uriValue,
  UID: uuidValue,
  CLB: clobValue,
  BLB: blobValue,
}

/**
 * The value arbitrary of one property type.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(valueOf('BGF'), (v) => validateScalar('BGF', v) === v))
 * ```
 */
export function valueOf<T extends PropertyTypeCode>(type: T): fc.Arbitrary<PropertyValueTypes[T]> {
  return VALUE_ARBS[type]
}

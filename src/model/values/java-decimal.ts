import { CheapValidationError } from '../../errors.ts'

/** A `java.math.BigDecimal`: `unscaled × 10^-scale`, the scale a Java `int`. */
export interface JavaDecimal {
  readonly unscaled: bigint
  readonly scale: number
}

// What `new BigDecimal(String)` accepts, restricted to ASCII digits: Java also takes other
// Unicode decimal digits (`Character.isDigit`, e.g. Arabic-Indic), which we reject on purpose.
const DECIMAL_PATTERN = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/
const PLAIN_PATTERN = /^([+-]?)(\d+)(?:\.(\d+))?$/
const MIN_INT = -0x8000_0000
const MAX_INT = 0x7fff_ffff
// PostgreSQL `numeric` limits: 131072 digits before the point, 16383 after.
const MAX_PLAIN_INTEGER_DIGITS = 131072
const MAX_PLAIN_FRACTION_DIGITS = 16383

/**
 * Parses decimal text as `new BigDecimal(String)` does: optional sign, digits with an optional
 * fraction, optional exponent. The scale is the number of fraction digits minus the exponent
 * and must fit a Java `int`, as in Java.
 *
 * @example
 * ```ts
 * parseDecimal('1.50E+3') // { unscaled: 150n, scale: -1 }
 * ```
 */
export function parseDecimal(text: string): JavaDecimal {
  const match = DECIMAL_PATTERN.exec(text)
  if (match === null) throw invalid(text, 'is not a decimal number')
  const [, sign = '', integerDigits = '', fraction = '', fractionOnly = '', exponentText] = match
  const fractionDigits = fractionOnly === '' ? fraction : fractionOnly
  const exponent = exponentText === undefined ? 0 : Number(exponentText)
  const scale = fractionDigits.length - exponent
  // Java wants both the exponent and the resulting scale to fit an `int`. The exponent text may
  // be arbitrarily long, but a double is exact far beyond that range.
  if (!isJavaInt(exponent) || !isJavaInt(scale)) throw invalid(text, 'has a scale out of range')
  const magnitude = BigInt(integerDigits + fractionDigits)
  return { unscaled: sign === '-' ? -magnitude : magnitude, scale }
}

/**
 * Exactly `BigDecimal.toString()`: plain when the scale is not negative and the adjusted
 * exponent is at least -6, else scientific with a signed exponent (`1E+3`, `-4.5E-10`).
 */
export function formatDecimal(decimal: JavaDecimal): string {
  const { unscaled, scale } = decimal
  if (scale === 0) return unscaled.toString()
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString()
  const sign = negative ? '-' : ''
  const adjusted = digits.length - 1 - scale
  if (scale > 0 && adjusted >= -6) return sign + pointAt(digits, scale)
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  if (adjusted === 0) return sign + mantissa
  return `${sign}${mantissa}E${adjusted > 0 ? '+' : ''}${adjusted}`
}

/** The canonical text (`BigDecimal.toString()`) of any text `new BigDecimal` accepts. */
export function canonicalDecimal(text: string): string {
  return formatDecimal(parseDecimal(text))
}

/**
 * `BigDecimal.toPlainString()`: never scientific, so PostgreSQL `numeric` accepts it. A negative
 * scale becomes trailing zeros; zero with a negative scale is `0`, as in JDK 17.
 */
export function decimalToPlainString(decimal: JavaDecimal): string {
  const { unscaled, scale } = decimal
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString()
  if (scale <= 0 && unscaled === 0n) return '0'
  if (digits.length - scale > MAX_PLAIN_INTEGER_DIGITS || scale > MAX_PLAIN_FRACTION_DIGITS) {
    throw new CheapValidationError(
      `${formatDecimal(decimal)} has too many digits for a plain decimal (PostgreSQL numeric)`,
      { reason: 'OUT_OF_RANGE' },
    )
  }
  if (scale <= 0) return unscaled.toString() + '0'.repeat(-scale)
  return (negative ? '-' : '') + pointAt(digits, scale)
}

/**
 * Rebuilds a decimal from PostgreSQL `numeric` text and the Java scale stored beside it.
 * The text must hold the value exactly at that scale (`1000` with scale -3 → unscaled 1).
 */
export function decimalFromPlain(plain: string, scale: number): JavaDecimal {
  const match = PLAIN_PATTERN.exec(plain)
  if (match === null) throw invalid(plain, 'is not a plain decimal number')
  if (!isJavaInt(scale)) throw invalid(plain, `cannot take the scale ${scale}`)
  const [, sign = '', integerDigits = '', fraction = ''] = match
  let unscaled = BigInt(integerDigits + fraction)
  const shift = scale - fraction.length
  if (shift >= 0) {
    unscaled *= 10n ** BigInt(shift)
  } else {
    const divisor = 10n ** BigInt(-shift)
    if (unscaled % divisor !== 0n) throw invalid(plain, `does not fit the scale ${scale}`)
    unscaled /= divisor
  }
  return { unscaled: sign === '-' ? -unscaled : unscaled, scale }
}

function isJavaInt(value: number): boolean {
  return Number.isInteger(value) && value >= MIN_INT && value <= MAX_INT
}

/** `digits` with a decimal point `scale` places from the right, zero-padded as Java does. */
function pointAt(digits: string, scale: number): string {
  const pad = scale - digits.length
  if (pad >= 0) return `0.${'0'.repeat(pad)}${digits}`
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

function invalid(text: string, problem: string): CheapValidationError {
  return new CheapValidationError(`'${text}' ${problem}`, { reason: 'INVALID_DECIMAL' })
}

/**
 * Java's `Double.toString` for any `number`: the FLT text written to `value_text` and to JSON.
 *
 * The digits are the shortest that round-trip (JavaScript's `toString` digits), which is what
 * JDK 19+ prints (Raffaello Giulietti's algorithm, JDK-4511638), including its one twist: when
 * a single digit would do, Java picks the two-digit decimal closest to the value if that one
 * also round-trips (`Double.MIN_VALUE` is `4.9E-324`, where JavaScript says `5e-324`).
 *
 * JDK 17 and older use FloatingDecimal, which is not always shortest: for about 0.2% of random
 * doubles, all in scientific notation, it prints extra digits (`2.82879384806159008E17`,
 * `9.999999999999999E22` for 1e23) or another two-digit neighbour (`1.0E-323` for 9.9E-324).
 * We always print the JDK 19+ form (identical to JDK 25 on 275,045 sampled doubles); JDK 17's
 * `Double.parseDouble` reads both forms back to the same double.
 *
 * @example
 * ```ts
 * formatJavaDouble(100) // '100.0'
 * formatJavaDouble(1e10) // '1.0E10'
 * formatJavaDouble(1e-4) // '1.0E-4'
 * ```
 */
export function formatJavaDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return 'Infinity'
  if (value === -Infinity) return '-Infinity'
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const sign = value < 0 ? '-' : ''
  const { digits, exponent } = javaDigits(Math.abs(value))
  // Java's plain range is 10^-3 <= |x| < 10^7, decided on the printed decimal.
  if (exponent >= -3 && exponent < 7) return sign + plain(digits, exponent)
  return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${exponent}`
}

/** The significant digits (no trailing zeros) and the decimal exponent of the first one. */
function javaDigits(magnitude: number): { digits: string; exponent: number } {
  let shortest = magnitude.toExponential()
  if (!shortest.includes('.')) {
    // One digit suffices: Java prefers the closest two-digit decimal when it round-trips too.
    // (A tie between two such decimals would need a double equal to a 3-digit decimal whose
    // shortest form is 1 digit; no double is that, so JavaScript's tie rule never matters.)
    const twoDigits = magnitude.toExponential(1)
    if (Number(twoDigits) === magnitude) shortest = twoDigits
  }
  const [mantissa = '', exponentText = '0'] = shortest.split('e')
  const digits = mantissa.replace('.', '').replace(/0+$/, '')
  return { digits: digits === '' ? '0' : digits, exponent: Number(exponentText) }
}

function plain(digits: string, exponent: number): string {
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`
  const integerPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0')
  const fraction = digits.slice(exponent + 1)
  return `${integerPart}.${fraction === '' ? '0' : fraction}`
}

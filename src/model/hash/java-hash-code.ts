import { parseDecimal } from '../values/java-decimal.ts'
import { uuidWords } from './cheap-hasher.ts'

// Java `hashCode()` of the value classes a PropertyDef default can hold, as signed int32
// numbers. They feed PropertyDef.hash (reference §1.13), so they must match the JDK bit for bit.

const float64 = new Float64Array(1)
const float64Words = new Uint32Array(float64.buffer)
const WORD_MASK = 0xffff_ffffn

/** `String.hashCode()`: `31*h + c` over the UTF-16 code units, wrapping at 32 bits. */
export function stringHashCode(text: string): number {
  let hash = 0
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0
  return hash
}

/** `Long.hashCode(v)`: `(int)(v ^ (v >>> 32))`. */
export function longHashCode(value: bigint): number {
  const bits = BigInt.asUintN(64, value)
  return Number(bits & WORD_MASK) ^ Number(bits >> 32n)
}

/** `Double.hashCode(v)`: the long hash of `doubleToLongBits` (every NaN is 0x7ff8000000000000). */
export function doubleHashCode(value: number): number {
  // The canonical NaN's low word is 0, so its hash is its high word.
  if (Number.isNaN(value)) return 0x7ff8_0000
  float64[0] = value
  // XOR of the two halves does not depend on which one the platform stores first.
  return ((float64Words[0] as number) ^ (float64Words[1] as number)) | 0
}

/** `Boolean.hashCode(b)`: 1231 for true, 1237 for false. */
export function booleanHashCode(value: boolean): number {
  return value ? 1231 : 1237
}

/** `UUID.hashCode()`: `hilo = msb ^ lsb; (int)(hilo >> 32) ^ (int)hilo`. */
export function uuidHashCode(uuid: string): number {
  const [msbHigh, msbLow, lsbHigh, lsbLow] = uuidWords(uuid)
  return msbHigh ^ msbLow ^ lsbHigh ^ lsbLow
}

/**
 * `BigInteger.hashCode()`: `31*h + word` over the magnitude's 32-bit words, most significant
 * first, wrapping at 32 bits, then times the signum (also wrapping: -(-2^31) stays -2^31).
 */
export function bigIntegerHashCode(value: bigint): number {
  let magnitude = value < 0n ? -value : value
  const words: number[] = []
  while (magnitude > 0n) {
    words.push(Number(magnitude & WORD_MASK))
    magnitude >>= 32n
  }
  let hash = 0
  for (let i = words.length - 1; i >= 0; i--) {
    hash = (Math.imul(31, hash) + (words[i] as number)) | 0
  }
  return value < 0n ? -hash | 0 : hash
}

/**
 * `BigDecimal.hashCode()`: `31*unscaledValue().hashCode() + scale`, so `1.0` and `1.00` differ
 * as in Java. Takes any text `new BigDecimal(String)` accepts.
 */
export function bigDecimalHashCode(text: string): number {
  const { unscaled, scale } = parseDecimal(text)
  return (Math.imul(31, bigIntegerHashCode(unscaled)) + scale) | 0
}

/**
 * `java.util.Arrays.hashCode(byte[])`: `31*h + b` over the signed bytes, starting at 1. Java's
 * `byte[].hashCode()` is the identity hash (a new value every run), so a BLOB default makes the
 * Java PropertyDef hash non-deterministic; we use the content hash to stay reproducible.
 */
export function byteArrayHashCode(bytes: Uint8Array): number {
  let hash = 1
  for (let i = 0; i < bytes.length; i++) {
    hash = (Math.imul(31, hash) + (((bytes[i] as number) << 24) >> 24)) | 0
  }
  return hash
}

import { CheapValidationError } from '../../errors.ts'

// FNV-1a 64 with the state kept as two unsigned 32-bit halves: no bigint on the hot path, so
// hashing every definition of a big catalog on save stays cheap. The prime is 2^40 + 0x1b3,
// so `h * prime = h * 0x1b3 + (lo << 40)` modulo 2^64: every partial product stays below
// 2^53 and is exact in a double.
const OFFSET_HI = 0xcbf29ce4
const OFFSET_LO = 0x84222325
const PRIME_LO = 0x1b3
const TWO_POW_32 = 0x1_0000_0000
const NULL_MARKER = 0xff
const QUESTION_MARK = 0x3f

const MIN_LONG = -(1n << 63n)
const MAX_UNSIGNED_LONG = (1n << 64n) - 1n
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const float64 = new Float64Array(1)
const float64Words = new Uint32Array(float64.buffer)
// Float64Array uses the platform byte order; find which 32-bit word holds the low half.
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1

/**
 * The Java `CheapHasher`: 64-bit FNV-1a over a rolling state, fed with the byte encodings of
 * the reference (§1.13). Every `update…` returns `this`, so a hash reads as one chain.
 *
 * @example
 * ```ts
 * new CheapHasher().updateString('taskQueue').updateString('EL').value() // -8222149163481107782n
 * ```
 */
export class CheapHasher {
  #hi: number
  #lo: number

  /** Starts at the FNV offset basis, or at `seed` (any 64-bit value, signed or unsigned). */
  constructor(seed?: bigint) {
    if (seed === undefined) {
      this.#hi = OFFSET_HI
      this.#lo = OFFSET_LO
    } else {
      const bits = toUnsigned64(seed)
      this.#hi = Number(bits >> 32n)
      this.#lo = Number(bits & 0xffff_ffffn)
    }
  }

  static ofString(text: string | null): bigint {
    return new CheapHasher().updateString(text).value()
  }

  static ofBytes(bytes: Uint8Array | null): bigint {
    return new CheapHasher().updateBytes(bytes).value()
  }

  static ofLong(value: bigint): bigint {
    return new CheapHasher().updateLong(value).value()
  }

  /** The bytes in order; null feeds the null marker 0xFF, an empty array changes nothing. */
  updateBytes(bytes: Uint8Array | null): this {
    if (bytes === null) return this.updateNull()
    this.#mix(bytes, bytes.length)
    return this
  }

  /**
   * UTF-8 bytes. A lone surrogate becomes `?` (0x3F), as Java's `String.getBytes(UTF_8)` does,
   * where `TextEncoder` would write U+FFFD; hence the hand-written encoder.
   */
  updateString(text: string | null): this {
    if (text === null) return this.updateNull()
    const bytes = encodeJavaUtf8(text)
    this.#mix(bytes, bytes.length)
    return this
  }

  /** 8 bytes little-endian; accepts the signed (Java `long`) or the unsigned view of the bits. */
  updateLong(value: bigint): this {
    const bits = toUnsigned64(value)
    return this.#word64(Number(bits & 0xffff_ffffn), Number(bits >> 32n))
  }

  /** A Java `int`, sign-extended to a `long` first (as Java widens `int` to `long`). */
  updateInt(value: number): this {
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
      throw new CheapValidationError(`${value} is not a 32-bit signed integer`, {
        reason: 'OUT_OF_RANGE',
      })
    }
    return this.#word64(value >>> 0, value < 0 ? 0xffff_ffff : 0)
  }

  /** The raw IEEE-754 bits (`doubleToRawLongBits`), little-endian. */
  updateDouble(value: number): this {
    float64[0] = value
    return this.#word64(float64Words[LOW_WORD] as number, float64Words[1 - LOW_WORD] as number)
  }

  updateBoolean(value: boolean): this {
    this.#byte(value ? 1 : 0)
    return this
  }

  /** Java `UUID`: the most significant long little-endian, then the least significant one. */
  updateUuid(uuid: string | null): this {
    if (uuid === null) return this.updateNull()
    const [msbHi, msbLo, lsbHi, lsbLo] = uuidWords(uuid)
    return this.#word64(msbLo, msbHi).#word64(lsbLo, lsbHi)
  }

  /** The null marker every Java object type hashes to: one byte 0xFF. */
  updateNull(): this {
    this.#byte(NULL_MARKER)
    return this
  }

  /** The hash as Java's signed `long` (what `hash_version` columns store). */
  value(): bigint {
    return BigInt.asIntN(64, this.unsignedValue())
  }

  unsignedValue(): bigint {
    return (BigInt(this.#hi) << 32n) | BigInt(this.#lo)
  }

  #mix(bytes: Uint8Array, length: number): void {
    let hi = this.#hi
    let lo = this.#lo
    for (let i = 0; i < length; i++) {
      lo = (lo ^ (bytes[i] as number)) >>> 0
      const low = lo * PRIME_LO
      hi = (hi * PRIME_LO + Math.floor(low / TWO_POW_32) + (lo << 8)) >>> 0
      lo = low >>> 0
    }
    this.#hi = hi
    this.#lo = lo
  }

  #byte(b: number): void {
    const lo = (this.#lo ^ b) >>> 0
    const low = lo * PRIME_LO
    this.#hi = (this.#hi * PRIME_LO + Math.floor(low / TWO_POW_32) + (lo << 8)) >>> 0
    this.#lo = low >>> 0
  }

  #word64(lo: number, hi: number): this {
    this.#byte(lo & 0xff)
    this.#byte((lo >>> 8) & 0xff)
    this.#byte((lo >>> 16) & 0xff)
    this.#byte(lo >>> 24)
    this.#byte(hi & 0xff)
    this.#byte((hi >>> 8) & 0xff)
    this.#byte((hi >>> 16) & 0xff)
    this.#byte(hi >>> 24)
    return this
  }
}

/**
 * The four 32-bit words of a UUID, most significant first. Only the canonical 8-4-4-4-12 hex
 * form is accepted (either case): that is what the model stores.
 */
export function uuidWords(uuid: string): [number, number, number, number] {
  if (!UUID_PATTERN.test(uuid)) {
    throw new CheapValidationError(`'${uuid}' is not a UUID`, { reason: 'INVALID_UUID' })
  }
  return [
    Number.parseInt(uuid.slice(0, 8), 16),
    Number.parseInt(uuid.slice(9, 13) + uuid.slice(14, 18), 16),
    Number.parseInt(uuid.slice(19, 23) + uuid.slice(24, 28), 16),
    Number.parseInt(uuid.slice(28, 36), 16),
  ]
}

// Reused between calls (hashing never re-enters) so that hashing names allocates nothing; a
// long text (a CLOB) gets its own buffer rather than pinning a huge one for the process.
const SCRATCH_BYTES = 64 * 1024
const scratch = new Uint8Array(SCRATCH_BYTES)

/** The Java UTF-8 encoding of `text` (at most 3 bytes per UTF-16 unit). */
function encodeJavaUtf8(text: string): Uint8Array {
  const length = text.length
  const out = length * 3 <= SCRATCH_BYTES ? scratch : new Uint8Array(length * 3)
  let n = 0
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i)
    if (c < 0x80) {
      out[n++] = c
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6)
      out[n++] = 0x80 | (c & 0x3f)
    } else if (c < 0xd800 || c > 0xdfff) {
      out[n++] = 0xe0 | (c >> 12)
      out[n++] = 0x80 | ((c >> 6) & 0x3f)
      out[n++] = 0x80 | (c & 0x3f)
    } else {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
        i++
        out[n++] = 0xf0 | (c >> 18)
        out[n++] = 0x80 | ((c >> 12) & 0x3f)
        out[n++] = 0x80 | ((c >> 6) & 0x3f)
        out[n++] = 0x80 | (c & 0x3f)
      } else {
        out[n++] = QUESTION_MARK
      }
    }
  }
  return out.subarray(0, n)
}

function toUnsigned64(value: bigint): bigint {
  if (value < MIN_LONG || value > MAX_UNSIGNED_LONG) {
    throw new CheapValidationError(`${value} does not fit in 64 bits`, { reason: 'OUT_OF_RANGE' })
  }
  return BigInt.asUintN(64, value)
}

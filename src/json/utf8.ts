import { CheapValidationError } from '../errors.ts'

const FATAL = new TextDecoder('utf-8', { fatal: true })

/**
 * Decodes a JSON document's bytes as UTF-8 (RFC 8259 §8.1). A leading byte-order mark is
 * skipped, as Jackson does; invalid UTF-8 is a {@link CheapValidationError} `INVALID_TEXT` that
 * gives the byte offset of the first bad sequence, never U+FFFD put in silently.
 */
export function decodeJsonBytes(bytes: Uint8Array): string {
  try {
    // `ignoreBOM: false` (the default) drops a leading BOM.
    return FATAL.decode(bytes)
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    const offset = firstInvalidUtf8(bytes)
    const byte = bytes[offset] ?? 0
    let line = 1
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++
    throw new CheapValidationError(
      `(document): invalid UTF-8 at byte offset ${offset} (line ${line}): found the byte 0x${byte
        .toString(16)
        .toUpperCase()
        .padStart(
          2,
          '0',
        )}, expected UTF-8 text (a JSON document must be UTF-8; convert it, e.g. with iconv)`,
      { reason: 'INVALID_TEXT', path: '', cause: error },
    )
  }
}

/** The offset of the first byte of the first invalid UTF-8 sequence, or -1 when all are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const length = bytes.length
  let i = 0
  while (i < length) {
    const b = bytes[i] as number
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let low = 0x80
    let high = 0xbf
    if (b >= 0xc2 && b <= 0xdf) need = 1
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      if (b === 0xe0) low = 0xa0 // overlong
      if (b === 0xed) high = 0x9f // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      if (b === 0xf0) low = 0x90 // overlong
      if (b === 0xf4) high = 0x8f // above U+10FFFF
    } else return i
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]
      if (c === undefined) return i
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return i
    }
    i += need + 1
  }
  return -1
}

/** The UTF-8 length of `text` from `start` to `end` (UTF-16 offsets), without encoding it. */
export function utf8Length(text: string, start = 0, end = text.length): number {
  let n = 0
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      // A surrogate pair: 4 bytes for both halves.
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}

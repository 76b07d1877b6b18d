/**
 * Why a string cannot be stored as PostgreSQL `text` (UTF-8): U+0000 is refused by the server and
 * a lone UTF-16 surrogate has no UTF-8 encoding. Returns undefined when the text is storable.
 */
export function invalidTextReason(text: string): string | undefined {
  // Fast path: most strings have neither NUL nor surrogates.
  if (!/[\u0000\ud800-\udfff]/.test(text)) return undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0) return `it contains U+0000 at index ${i} (PostgreSQL text cannot store it)`
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++
        continue
      }
      return `it contains a lone surrogate at index ${i} (not encodable as UTF-8)`
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      return `it contains a lone surrogate at index ${i} (not encodable as UTF-8)`
    }
  }
  return undefined
}

/** Length in Unicode code points, which is what the 8192-character STR limit counts. */
export function codePointLength(text: string): number {
  let n = text.length
  // Only pay for the scan when surrogate pairs can be present.
  if (!/[\ud800-\udbff]/.test(text)) return n
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      n--
      i++
    }
  }
  return n
}

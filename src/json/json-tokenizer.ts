import type { ValidationReason } from '../errors.ts'

/** What {@link JsonPullParser.next} found. */
export type JsonEvent =
  | 'startObject'
  | 'endObject'
  | 'startArray'
  | 'endArray'
  | 'key'
  | 'string'
  | 'number'
  | 'true'
  | 'false'
  | 'null'
  | 'end'

/** Reports a syntax error at `offset`; never returns. */
export type SyntaxFailure = (offset: number, reason: ValidationReason, message: string) => never

// Container states: what may come next inside an open object or array.
const OBJECT_FIRST = 0 // after `{`: a key or `}`
const OBJECT_VALUE = 1 // after `"key":`: a value
const OBJECT_NEXT = 2 // after a member: `,` or `}`
const ARRAY_FIRST = 3 // after `[`: a value or `]`
const ARRAY_NEXT = 4 // after an element: `,` or `]`

const QUOTE = 0x22
const BACKSLASH = 0x5c
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
}

/**
 * A strict pull parser over a JSON text (RFC 8259; Jackson's defaults): keys come back in
 * document order, numbers as their exact token text, and nesting lives in an explicit stack so
 * any depth parses without recursion. Grammar errors go to `fail` with the offending offset.
 *
 * The bare tokens `NaN`, `Infinity` and `-Infinity` are not JSON and are rejected with a
 * message saying how to write them (as the strings a Float property accepts), as Jackson's
 * default reader rejects them. A leading byte-order mark is skipped.
 *
 * With `singleValue`, parsing starts at `offset` and ends after one value (used to re-read a
 * value whose meaning depends on keys that came after it).
 */
export class JsonPullParser {
  readonly #text: string
  readonly #fail: SyntaxFailure
  readonly #singleValue: boolean
  #pos: number
  #states: number[] = []
  #rootDone = false
  /** The decoded text of the last `key` or `string`, or the token text of the last `number`. */
  text = ''
  /** The last `number` had no fraction and no exponent. */
  isInteger = false
  /** Offset of the last token's first character. */
  tokenStart = 0

  constructor(text: string, fail: SyntaxFailure, offset = 0, singleValue = false) {
    this.#text = text
    this.#fail = fail
    this.#singleValue = singleValue
    this.#pos = offset === 0 && text.charCodeAt(0) === 0xfeff ? 1 : offset
  }

  /** Nesting depth of the containers currently open. */
  get depth(): number {
    return this.#states.length
  }

  next(): JsonEvent {
    this.#skipWhitespace()
    this.tokenStart = this.#pos
    const top = this.#states.length - 1
    if (top < 0) {
      if (!this.#rootDone) {
        this.#rootDone = true
        return this.#value()
      }
      if (!this.#singleValue && this.#pos < this.#text.length) {
        this.#error('the end of the document (one JSON value only)')
      }
      return 'end'
    }
    const state = this.#states[top] as number
    const c = this.#text.charCodeAt(this.#pos)
    switch (state) {
      case OBJECT_FIRST:
        if (c === 0x7d) return this.#close('endObject')
        return this.#key('a key string or "}"')
      case OBJECT_NEXT:
        if (c === 0x7d) return this.#close('endObject')
        if (c !== 0x2c) this.#error('"," or "}"')
        this.#pos++
        this.#skipWhitespace()
        this.tokenStart = this.#pos
        return this.#key('a key string')
      case OBJECT_VALUE:
        this.#states[top] = OBJECT_NEXT
        return this.#value()
      case ARRAY_FIRST:
        if (c === 0x5d) return this.#close('endArray')
        this.#states[top] = ARRAY_NEXT
        return this.#value()
      default:
        if (c === 0x5d) return this.#close('endArray')
        if (c !== 0x2c) this.#error('"," or "]"')
        this.#pos++
        this.#skipWhitespace()
        this.tokenStart = this.#pos
        return this.#value()
    }
  }

  #close(event: 'endObject' | 'endArray'): JsonEvent {
    this.#pos++
    this.#states.pop()
    return event
  }

  #key(expected: string): JsonEvent {
    if (this.#text.charCodeAt(this.#pos) !== QUOTE) this.#error(expected)
    this.text = this.#string()
    this.#skipWhitespace()
    if (this.#text.charCodeAt(this.#pos) !== 0x3a) this.#error('":" after the key')
    this.#pos++
    this.#states[this.#states.length - 1] = OBJECT_VALUE
    return 'key'
  }

  #value(): JsonEvent {
    const text = this.#text
    const c = text.charCodeAt(this.#pos)
    switch (c) {
      case 0x7b:
        this.#pos++
        this.#states.push(OBJECT_FIRST)
        return 'startObject'
      case 0x5b:
        this.#pos++
        this.#states.push(ARRAY_FIRST)
        return 'startArray'
      case QUOTE:
        this.text = this.#string()
        return 'string'
      case 0x74:
        return this.#literal('true')
      case 0x66:
        return this.#literal('false')
      case 0x6e:
        return this.#literal('null')
      case 0x4e:
        return this.#nonFinite('NaN')
      case 0x49:
        return this.#nonFinite('Infinity')
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.#number()
        return this.#error('a value (object, array, string, number, true, false or null)')
    }
  }

  #literal(word: 'true' | 'false' | 'null'): JsonEvent {
    if (!this.#text.startsWith(word, this.#pos))
      this.#error('a value (object, array, string, number, true, false or null)')
    this.#pos += word.length
    return word
  }

  /** `NaN`, `Infinity` or `-Infinity` at the current offset: not JSON, say how to write it. */
  #nonFinite(word: string): never {
    if (!this.#text.startsWith(word, this.#pos))
      this.#error('a value (object, array, string, number, true, false or null)')
    return this.#fail(
      this.#pos,
      'INVALID_JSON',
      `found the bare token ${word}, expected a JSON value: ${word} is not JSON; write the string "${word}" for a Float`,
    )
  }

  #number(): JsonEvent {
    const text = this.#text
    const start = this.#pos
    let i = start
    if (text.charCodeAt(i) === 0x2d) {
      i++
      if (text.startsWith('Infinity', i)) this.#nonFinite('-Infinity')
    }
    let isInteger = true
    if (text.charCodeAt(i) === 0x30) {
      i++
      if (isDigit(text.charCodeAt(i)))
        this.#errorAt(i, 'no digit: a number may not have leading zeros')
    } else {
      if (!isDigit(text.charCodeAt(i))) this.#errorAt(i, 'a digit')
      while (isDigit(text.charCodeAt(i))) i++
    }
    if (text.charCodeAt(i) === 0x2e) {
      i++
      if (!isDigit(text.charCodeAt(i))) this.#errorAt(i, 'a digit after the decimal point')
      while (isDigit(text.charCodeAt(i))) i++
      isInteger = false
    }
    const e = text.charCodeAt(i)
    if (e === 0x65 || e === 0x45) {
      i++
      const sign = text.charCodeAt(i)
      if (sign === 0x2b || sign === 0x2d) i++
      if (!isDigit(text.charCodeAt(i))) this.#errorAt(i, 'a digit in the exponent')
      while (isDigit(text.charCodeAt(i))) i++
      isInteger = false
    }
    this.#pos = i
    this.text = text.slice(start, i)
    this.isInteger = isInteger
    return 'number'
  }

  /** Reads the string starting at the current `"`, decoding escapes. */
  #string(): string {
    const text = this.#text
    const length = text.length
    let i = this.#pos + 1
    let start = i
    let out = ''
    for (;;) {
      if (i >= length) this.#errorAt(i, 'the closing quote of the string')
      const c = text.charCodeAt(i)
      if (c === QUOTE) {
        this.#pos = i + 1
        return start === i ? out : out + text.slice(start, i)
      }
      if (c === BACKSLASH) {
        out += text.slice(start, i)
        const [decoded, end] = this.#escape(i)
        out += decoded
        i = end
        start = i
      } else if (c < 0x20) {
        this.#fail(
          i,
          'INVALID_JSON',
          `found the control character ${codePoint(c)} inside a string, expected it escaped (e.g. \\n or \\u${hex4(c)})`,
        )
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const low = text.charCodeAt(i + 1)
        if (c >= 0xdc00 || !(low >= 0xdc00 && low <= 0xdfff)) {
          this.#fail(
            i,
            'INVALID_TEXT',
            `found the lone surrogate ${codePoint(c)} inside a string, expected valid Unicode text`,
          )
        }
        i += 2
      } else {
        i++
      }
    }
  }

  /** Decodes the escape at `i` (a backslash); returns the text and the offset after it. */
  #escape(i: number): [string, number] {
    const text = this.#text
    const letter = text.charAt(i + 1)
    if (letter !== 'u') {
      const simple = ESCAPES[letter]
      if (simple === undefined) {
        const found = letter === '' ? 'the end of the document' : `"\\${letter}"`
        this.#fail(
          i,
          'INVALID_JSON',
          `found the escape ${found}, expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX`,
        )
      }
      return [simple, i + 2]
    }
    const unit = this.#hexUnit(i)
    if (unit >= 0xdc00 && unit <= 0xdfff) {
      this.#fail(
        i,
        'INVALID_TEXT',
        `found the escape \\u${hex4(unit)}, a lone low surrogate, expected valid Unicode text`,
      )
    }
    if (unit < 0xd800 || unit > 0xdbff) return [String.fromCharCode(unit), i + 6]
    const low = text.startsWith('\\u', i + 6) ? this.#hexUnit(i + 6) : -1
    if (!(low >= 0xdc00 && low <= 0xdfff)) {
      this.#fail(
        i,
        'INVALID_TEXT',
        `found the escape \\u${hex4(unit)}, a high surrogate not followed by a \\uDC00-\\uDFFF escape, expected valid Unicode text`,
      )
    }
    return [String.fromCharCode(unit, low), i + 12]
  }

  #hexUnit(i: number): number {
    const digits = this.#text.slice(i + 2, i + 6)
    if (!/^[0-9A-Fa-f]{4}$/.test(digits)) {
      this.#fail(
        i,
        'INVALID_JSON',
        `found the escape "\\u${digits}", expected \\u and four hex digits`,
      )
    }
    return Number.parseInt(digits, 16)
  }

  #skipWhitespace(): void {
    const text = this.#text
    let i = this.#pos
    for (;;) {
      const c = text.charCodeAt(i)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++
      else break
    }
    this.#pos = i
  }

  #error(expected: string): never {
    return this.#errorAt(this.#pos, expected)
  }

  #errorAt(offset: number, expected: string): never {
    return this.#fail(
      offset,
      'INVALID_JSON',
      `found ${describeCharAt(this.#text, offset)}, expected ${expected}`,
    )
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

function hex4(c: number): string {
  return c.toString(16).toUpperCase().padStart(4, '0')
}

function codePoint(c: number): string {
  return `U+${hex4(c)}`
}

/** What sits at `offset`, for syntax messages. */
export function describeCharAt(text: string, offset: number): string {
  if (offset >= text.length) return 'the end of the document'
  const c = text.charCodeAt(offset)
  if (c < 0x20 || c === 0x7f) return `the character ${codePoint(c)}`
  const snippet = text.slice(offset, offset + 12)
  return `${JSON.stringify(snippet.length < 12 ? snippet : `${snippet}…`)}`
}

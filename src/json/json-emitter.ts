/** Output layout: compact (no whitespace) or Jackson's `DefaultPrettyPrinter`. */
export interface JsonWriteOptions {
  /** Jackson `INDENT_OUTPUT` layout. Default false (compact). */
  readonly pretty?: boolean
}

const OBJECT = 0
const ARRAY = 1
// Chunks handed to the sink are about this long, so streaming writes stay few and large.
const CHUNK_SIZE = 1 << 16
const CACHED_INDENTS = 64

const indents: string[] = []
for (let level = 0; level < CACHED_INDENTS; level++) indents.push(`\n${'  '.repeat(level)}`)

function indent(level: number): string {
  return indents[level] ?? `\n${'  '.repeat(level)}`
}

/**
 * A JSON generator producing Jackson's exact bytes. Pretty mode is `DefaultPrettyPrinter`:
 * objects break lines with two spaces per object level and `"key" : value`; arrays never break
 * lines (`FixedSpaceIndenter`) and do not add a level, so objects inside arrays come out as
 * `[ {` … `}, {` … `} ]`; empty containers are `{ }` and `[ ]`. Compact mode has no whitespace.
 * Container state lives in arrays, so nesting depth is unbounded.
 */
export class JsonEmitter {
  readonly #pretty: boolean
  readonly #sink: (chunk: string) => void
  #buffer = ''
  #kinds: number[] = []
  #counts: number[] = []
  #level = 0
  #afterKey = false

  constructor(sink: (chunk: string) => void, options: JsonWriteOptions = {}) {
    this.#sink = sink
    this.#pretty = options.pretty === true
  }

  startObject(): void {
    this.#beforeValue()
    this.#raw('{')
    if (this.#pretty) this.#level++
    this.#kinds.push(OBJECT)
    this.#counts.push(0)
  }

  endObject(): void {
    this.#kinds.pop()
    const count = this.#counts.pop() ?? 0
    if (!this.#pretty) {
      this.#raw('}')
      return
    }
    this.#level--
    this.#raw(count > 0 ? `${indent(this.#level)}}` : ' }')
  }

  startArray(): void {
    this.#beforeValue()
    this.#raw('[')
    this.#kinds.push(ARRAY)
    this.#counts.push(0)
  }

  endArray(): void {
    this.#kinds.pop()
    this.#counts.pop()
    this.#raw(this.#pretty ? ' ]' : ']')
  }

  key(name: string): void {
    const top = this.#counts.length - 1
    const count = this.#counts[top] ?? 0
    this.#counts[top] = count + 1
    let text = count > 0 ? ',' : ''
    if (this.#pretty) text += indent(this.#level)
    this.#raw(`${text}${quoteJson(name)}${this.#pretty ? ' : ' : ':'}`)
    this.#afterKey = true
  }

  /** A string value, escaped as Jackson does. */
  string(value: string): void {
    this.#beforeValue()
    this.#raw(quoteJson(value))
  }

  /** A value token written verbatim: a number, `true`, `false` or `null`. */
  token(text: string): void {
    this.#beforeValue()
    this.#raw(text)
  }

  /** Hands the remaining buffered text to the sink. */
  flush(): void {
    if (this.#buffer !== '') this.#sink(this.#buffer)
    this.#buffer = ''
  }

  #beforeValue(): void {
    if (this.#afterKey) {
      this.#afterKey = false
      return
    }
    const top = this.#counts.length - 1
    if (top < 0 || this.#kinds[top] !== ARRAY) return
    const count = this.#counts[top] ?? 0
    this.#counts[top] = count + 1
    if (count > 0) this.#raw(this.#pretty ? ', ' : ',')
    else if (this.#pretty) this.#raw(' ')
  }

  #raw(text: string): void {
    this.#buffer += text
    if (this.#buffer.length >= CHUNK_SIZE) {
      this.#sink(this.#buffer)
      this.#buffer = ''
    }
  }
}

// Jackson's output escapes: `"`, `\` and the C0 controls; `/`, DEL and non-ASCII stay raw.
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/
const SHORT_ESCAPES: Record<number, string> = {
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0c: '\\f',
  0x0d: '\\r',
  0x22: '\\"',
  0x5c: '\\\\',
}

/** `text` as a JSON string literal, byte for byte as Jackson's generator writes it. */
export function quoteJson(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return `"${text}"`
  let out = '"'
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue
    out += text.slice(start, i)
    // Jackson writes the generic form with upper-case hex digits: \u001F.
    out += SHORT_ESCAPES[c] ?? `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`
    start = i + 1
  }
  return `${out}${text.slice(start)}"`
}

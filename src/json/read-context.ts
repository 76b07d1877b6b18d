import { CheapValidationError, type ValidationReason } from '../errors.ts'
import { JsonPath, lineAndColumn, renderPath, type PathSegment } from './json-path.ts'
import { JsonPullParser, type JsonEvent } from './json-tokenizer.ts'

/** A value skipped for now, to be read once the keys it depends on are known. */
export interface Deferred {
  readonly offset: number
  readonly path: readonly PathSegment[]
}

export interface FailOptions {
  readonly aspectDefName?: string | undefined
  readonly propertyName?: string | undefined
  readonly cause?: unknown
}

/**
 * The reader's state: the pull parser, the JSON path of the value being read, and helpers
 * that turn every problem into a {@link CheapValidationError} whose `path` is that JSON path
 * and whose message starts with it.
 */
export class ReadContext {
  readonly text: string
  readonly path = new JsonPath()
  #parser: JsonPullParser
  /** The event last returned by {@link next}. */
  event: JsonEvent = 'end'
  /** Called when parsing passes `#nextReport` (a text offset); see {@link watch}. */
  #watcher: ((offset: number) => void) | undefined
  #step = 0
  #nextReport = Number.POSITIVE_INFINITY

  constructor(text: string) {
    this.text = text
    this.#parser = new JsonPullParser(text, this.#syntaxError)
  }

  get parser(): JsonPullParser {
    return this.#parser
  }

  next(): JsonEvent {
    this.event = this.#parser.next()
    if (this.#parser.tokenStart >= this.#nextReport) this.#report()
    return this.event
  }

  /**
   * Calls `watcher` with the text offset each time parsing gets `step` characters further than
   * the last call (offsets only grow: a deferred value read again reports nothing new). It may
   * throw, which ends the read.
   */
  watch(step: number, watcher: (offset: number) => void): void {
    this.#watcher = watcher
    this.#step = step
    this.#nextReport = step
  }

  #report(): void {
    const offset = this.#parser.tokenStart
    this.#nextReport = offset + this.#step
    this.#watcher?.(offset)
  }

  /** Throws a validation error located at the current path (plus `extra` segments). */
  fail(
    reason: ValidationReason,
    message: string,
    options: FailOptions = {},
    extra: readonly PathSegment[] = [],
  ): never {
    return this.failAt(this.path.render(extra), reason, message, options)
  }

  /** Throws a validation error located at `segments` (an absolute path). */
  failAtPath(segments: readonly PathSegment[], reason: ValidationReason, message: string): never {
    return this.failAt(renderPath(segments), reason, message, {})
  }

  private failAt(
    path: string,
    reason: ValidationReason,
    message: string,
    options: FailOptions,
  ): never {
    throw new CheapValidationError(`${path === '' ? '(document)' : path}: ${message}`, {
      reason,
      path,
      ...(options.aspectDefName === undefined ? {} : { aspectDefName: options.aspectDefName }),
      ...(options.propertyName === undefined ? {} : { propertyName: options.propertyName }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    })
  }

  /** `found <the current event>, expected <expected>` as an INVALID_JSON error. */
  unexpected(expected: string, reason: ValidationReason = 'INVALID_JSON'): never {
    return this.fail(reason, `found ${this.found()}, expected ${expected}`)
  }

  /** Runs `fn`, re-throwing a model validation error with the JSON path (plus `extra`). */
  wrap<T>(
    fn: () => T,
    extra: (error: CheapValidationError) => readonly PathSegment[] = () => [],
  ): T {
    try {
      return fn()
    } catch (error) {
      if (!(error instanceof CheapValidationError)) throw error
      return this.fail(error.reason, error.message, { ...error, cause: error }, extra(error))
    }
  }

  /** Describes the current event for messages. */
  found(): string {
    const parser = this.#parser
    switch (this.event) {
      case 'startObject':
        return 'an object'
      case 'startArray':
        return 'an array'
      case 'string':
        return `the string ${quoteShort(parser.text)}`
      case 'number':
        return `the number ${parser.text.length > 40 ? `${parser.text.slice(0, 37)}...` : parser.text}`
      case 'key':
        return `the key ${quoteShort(parser.text)}`
      case 'endObject':
        return 'the end of the object'
      case 'endArray':
        return 'the end of the array'
      case 'end':
        return 'the end of the document'
      default:
        return this.event
    }
  }

  /** Reads an object, calling `onKey` with the current path extended by each key. */
  readObject(expected: string, onKey: (key: string) => void): void {
    this.next()
    this.readObjectHere(expected, onKey)
  }

  /** {@link readObject} for an object whose first event was just read. */
  readObjectHere(expected: string, onKey: (key: string) => void): void {
    if (this.event !== 'startObject') this.unexpected(expected)
    while (this.next() !== 'endObject') {
      const key = this.#parser.text
      this.path.push(key)
      onKey(key)
      this.path.pop()
    }
  }

  /** Reads an array, calling `onElement` after reading each element's first event. */
  readArray(expected: string, onElement: (index: number, event: JsonEvent) => void): void {
    if (this.next() !== 'startArray') this.unexpected(expected)
    let index = 0
    while (this.next() !== 'endArray') {
      this.path.push(index)
      onElement(index, this.event)
      this.path.pop()
      index++
    }
  }

  readString(expected: string): string {
    if (this.next() !== 'string') this.unexpected(expected)
    return this.#parser.text
  }

  readStringOrNull(expected: string): string | null {
    const event = this.next()
    if (event === 'null') return null
    if (event !== 'string') this.unexpected(expected)
    return this.#parser.text
  }

  readBoolean(): boolean {
    const event = this.next()
    if (event !== 'true' && event !== 'false') this.unexpected('true or false')
    return event === 'true'
  }

  /** A version: a JSON integer within the signed 64-bit range. */
  readVersion(): bigint {
    const event = this.next()
    if (event !== 'number' || !this.#parser.isInteger) {
      this.unexpected('a version: an integer within the signed 64-bit range')
    }
    const text = this.#parser.text
    const value = text.length > 21 ? null : BigInt(text)
    if (value === null || value < -(2n ** 63n) || value > 2n ** 63n - 1n) {
      this.fail(
        'OUT_OF_RANGE',
        `found the number ${text.slice(0, 40)}, expected a version within the signed 64-bit range`,
      )
    }
    return value
  }

  /** Fails on a key seen twice in one object. */
  checkDuplicate(seen: Set<string>, key: string): void {
    if (seen.has(key))
      this.fail(
        'INVALID_JSON',
        `found the key ${quoteShort(key)} a second time, expected each key once per object`,
      )
    seen.add(key)
  }

  unknownKey(key: string, where: string, allowed: readonly string[]): never {
    return this.fail(
      'INVALID_JSON',
      `found the unknown key ${quoteShort(key)} in ${where}, expected one of ${allowed.join(', ')}`,
    )
  }

  missingKey(key: string, where: string): never {
    return this.fail(
      'INVALID_JSON',
      `found no ${JSON.stringify(key)} key in ${where}, expected one (it is required)`,
    )
  }

  /** Skips the value whose first event was just read (syntax is still checked). */
  skipValue(): void {
    if (this.event !== 'startObject' && this.event !== 'startArray') return
    const depth = this.#parser.depth - 1
    while (this.#parser.depth > depth) this.next()
  }

  /** Skips the next value, remembering where it is for {@link resume}. */
  defer(): Deferred {
    this.next()
    const deferred = { offset: this.#parser.tokenStart, path: this.path.snapshot() }
    this.skipValue()
    return deferred
  }

  /** Reads a deferred value with `read`, as if the parser were back at it. */
  resume<T>(deferred: Deferred, read: () => T): T {
    const parser = this.#parser
    const path = this.path.snapshot()
    const event = this.event
    this.#parser = new JsonPullParser(this.text, this.#syntaxError, deferred.offset, true)
    this.path.restore(deferred.path)
    const result = read()
    this.#parser = parser
    this.path.restore(path)
    this.event = event
    return result
  }

  readonly #syntaxError = (offset: number, reason: ValidationReason, message: string): never => {
    const { line, column } = lineAndColumn(this.text, offset)
    return this.fail(
      reason,
      `${reason === 'INVALID_TEXT' ? 'invalid text' : 'invalid JSON'} at line ${line}, column ${column}: ${message}`,
    )
  }
}

export function quoteShort(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)
}

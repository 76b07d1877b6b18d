/** One step into a JSON document: an object key or an array index. */
export type PathSegment = string | number

// Keys printed bare after a dot; anything else (dots in reverse-domain AspectDef names,
// spaces, brackets) is printed as `["…"]` so the path stays unambiguous.
const BARE_KEY = /^[^\s.[\]"\\\u0000-\u001f]+$/

/**
 * The JSON path of the value being read, kept as a stack of segments and rendered only when an
 * error needs it (`hierarchies.person.contents.<uuid>.age`, `aspectDefs.person.propertyDefs[1]`).
 */
export class JsonPath {
  #segments: PathSegment[] = []

  push(segment: PathSegment): void {
    this.#segments.push(segment)
  }

  pop(): void {
    this.#segments.pop()
  }

  snapshot(): readonly PathSegment[] {
    return [...this.#segments]
  }

  restore(segments: readonly PathSegment[]): void {
    this.#segments = [...segments]
  }

  /** The path with extra trailing segments, rendered. */
  render(extra: readonly PathSegment[] = []): string {
    return renderPath(extra.length === 0 ? this.#segments : [...this.#segments, ...extra])
  }
}

export function renderPath(segments: readonly PathSegment[]): string {
  let text = ''
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`
    else if (BARE_KEY.test(segment)) text += text === '' ? segment : `.${segment}`
    else text += `[${JSON.stringify(segment)}]`
  }
  return text
}

/** 1-based line and column (in UTF-16 code units) of `offset`, for syntax errors. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  let next = text.indexOf('\n')
  while (next !== -1 && next < offset) {
    line++
    lineStart = next + 1
    next = text.indexOf('\n', lineStart)
  }
  return { line, column: offset - lineStart + 1 }
}

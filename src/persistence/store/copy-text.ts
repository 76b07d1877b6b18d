/**
 * PostgreSQL COPY text format: columns separated by tabs, rows by newlines, NULL as `\N`, and
 * backslash, tab, newline and carriage return escaped. Values arrive already encoded for the
 * driver (store/codecs/); only their text form and escaping are decided here.
 */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N'
  if (typeof value === 'string') return escapeText(value)
  if (typeof value === 'boolean') return value ? 't' : 'f'
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (value instanceof Uint8Array)
    return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`
  throw new Error(`cannot COPY a value of type ${typeof value}`)
}

const SPECIAL = /[\\\t\n\r]/

function escapeText(text: string): string {
  if (!SPECIAL.test(text)) return text
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  )
}

/** One COPY line: the catalog id, then the first `width` fields of `row`. */
export function copyLine(catalogId: string, row: readonly unknown[], width: number): string {
  let line = catalogId
  for (let c = 0; c < width; c++) line += `\t${copyField(row[c])}`
  return `${line}\n`
}

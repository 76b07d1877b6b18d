/** Left-aligned columns separated by two spaces, without trailing blanks. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows]
  // A reduce, not Math.max(...): a listing may have more rows than a call takes arguments.
  const widths = header.map((_, i) => all.reduce((w, row) => Math.max(w, (row[i] ?? '').length), 0))
  return all.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
}

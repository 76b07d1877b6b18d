import { performance } from 'node:perf_hooks'

/** Where progress is drawn: stderr, so stdout stays clean for data. */
export interface ProgressStream {
  write(text: string): unknown
  readonly columns?: number | undefined
}

export interface ProgressOptions {
  readonly stream: ProgressStream
  /** Draw at all? The CLI enables it only when stdout and stderr are terminals. */
  readonly enabled: boolean
  /** Nothing is drawn before this much time has passed (default 1000 ms). */
  readonly delayMs?: number
  /** Redraw interval of the spinner and the elapsed time (default 100 ms). */
  readonly intervalMs?: number
  readonly now?: () => number
}

export interface PhaseAmount {
  readonly done: number
  readonly total?: number | undefined
  /** How to print the amounts (default: counts with thousands separators). */
  readonly format?: (n: number) => string
  /** Printed after the amounts, e.g. `rows`: `1,200 / 5,000 rows`. */
  readonly unit?: string
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const BAR_WIDTH = 24

/**
 * A one-line progress display on a terminal: the current phase ("reading 12.3 MB", "saving
 * 57,000 rows…"), a bar when the amount of work is known, and the elapsed time. It stays
 * invisible for the first second, so quick commands print nothing, and it erases itself when
 * done. Disabled (no output at all) when not on a terminal.
 *
 * @example
 * ```ts
 * const progress = new Progress({ stream: process.stderr, enabled: process.stderr.isTTY })
 * progress.phase('parsing')
 * progress.phase('reading', { done: 5_000_000, total: 12_000_000, format: formatBytes })
 * progress.done()
 * ```
 */
export class Progress {
  readonly #stream: ProgressStream
  readonly #enabled: boolean
  readonly #delayMs: number
  readonly #intervalMs: number
  readonly #now: () => number
  readonly #started: number
  #text = ''
  #amount: PhaseAmount | undefined
  #frame = 0
  #drawn = false
  #lastDraw = -Infinity
  #timer: NodeJS.Timeout | undefined

  constructor(options: ProgressOptions) {
    this.#stream = options.stream
    this.#enabled = options.enabled
    this.#delayMs = options.delayMs ?? 1000
    this.#intervalMs = options.intervalMs ?? 100
    this.#now = options.now ?? (() => performance.now())
    this.#started = this.#now()
    if (this.#enabled) {
      this.#timer = setInterval(() => this.#tick(true), this.#intervalMs)
      this.#timer.unref()
    }
  }

  get enabled(): boolean {
    return this.#enabled
  }

  /** True once something has been drawn (and not yet erased). */
  get visible(): boolean {
    return this.#drawn
  }

  /**
   * Starts or updates a phase. Draws at once when the display is already visible (so a phase
   * that blocks the event loop, like parsing, still shows up), at most once per interval.
   */
  phase(text: string, amount?: PhaseAmount): void {
    const changed = text !== this.#text
    this.#text = text
    this.#amount = amount
    if (this.#enabled) this.#tick(changed)
  }

  /** Erases the line; further phases are not drawn. Safe to call more than once. */
  done(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    if (this.#drawn) this.#stream.write('\r\x1b[2K')
    this.#drawn = false
    this.#text = ''
  }

  /** The line as it would be drawn now (without the carriage return), for tests. */
  render(): string {
    const elapsed = (this.#now() - this.#started) / 1000
    const frame = FRAMES[this.#frame % FRAMES.length] ?? '-'
    const amount = this.#amount
    let middle = ''
    if (amount !== undefined) {
      const format = amount.format ?? formatCount
      if (amount.total !== undefined && amount.total > 0) {
        const ratio = Math.min(1, Math.max(0, amount.done / amount.total))
        const filled = Math.round(ratio * BAR_WIDTH)
        middle =
          ` [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(ratio * 100)}%` +
          ` ${format(amount.done)} / ${format(amount.total)}`
      } else {
        middle = ` ${format(amount.done)}`
      }
      if (amount.unit !== undefined) middle += ` ${amount.unit}`
    }
    const line = `${frame} ${this.#text}${middle}  ${elapsed.toFixed(1)} s`
    // A terminal of unknown size (0 columns, e.g. under script(1)) gets 100.
    const columns = this.#stream.columns ?? 0
    const width = columns > 20 ? columns : 100
    return line.length >= width ? `${line.slice(0, Math.max(10, width - 2))}…` : line
  }

  #tick(force: boolean): void {
    if (this.#timer === undefined || this.#text === '') return
    const now = this.#now()
    if (now - this.#started < this.#delayMs) return
    if (!force && now - this.#lastDraw < this.#intervalMs) return
    this.#lastDraw = now
    this.#frame++
    this.#stream.write(`\r\x1b[2K${this.render()}`)
    this.#drawn = true
  }
}

/**
 * An `onProgress` for a save or a load (`CatalogProgress`) that draws `label` with the rows done,
 * and a bar once the total is known.
 */
export function rowsPhase(
  progress: Progress,
  label: string,
): (event: { readonly rowsDone: number; readonly rowsTotal?: number }) => void {
  return (event) =>
    progress.phase(label, { done: event.rowsDone, total: event.rowsTotal, unit: 'rows' })
}

/** An `onProgress` for a JSON read (`JsonReadProgress`): a bar over the document's bytes. */
export function bytesPhase(
  progress: Progress,
  label: string,
): (event: { readonly bytesDone: number; readonly bytesTotal: number }) => void {
  return (event) =>
    progress.phase(label, { done: event.bytesDone, total: event.bytesTotal, format: formatBytes })
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** Bytes as "812 B", "12.3 kB", "4.5 MB", "1.2 GB" (powers of 1000). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 'B'
  for (const next of units) {
    if (value < 1000) break
    value /= 1000
    unit = next
  }
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${unit}`
}

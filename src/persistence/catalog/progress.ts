import { CheapValidationError, checkAbortOptions, throwIfAborted } from '../../errors.ts'
import type { RowProgress } from '../store/bulk-write.ts'

/**
 * One step of a whole-catalog save or load, for a progress bar. Events come in order, `rowsDone`
 * never goes back, and the last one of a call that succeeds has `rowsDone === rowsTotal`.
 */
export interface CatalogProgress {
  /** `write`: a save sending rows; `read`: a load receiving them. */
  readonly phase: 'write' | 'read'
  readonly catalogId: string
  /**
   * The table whose rows were just sent or read (`values`: several value tables in one
   * statement); absent on the first and the last event, and when one statement wrote or read
   * every table (the small-catalog path).
   */
  readonly table?: string
  /**
   * Rows sent (a save, as in `SaveCatalogResult.rowsWritten`) or read (a load) so far. A save
   * that is run again (an AspectDef changed under it) reports again once it passes this count.
   */
  readonly rowsDone: number
  /**
   * All the rows of the call, when known: a save knows it once it has planned the rows (from its
   * first event on, except an incremental save, which learns it at the end); a load knows it
   * only at its last event (counting first would cost a query per table).
   */
  readonly rowsTotal?: number
}

/**
 * Cancellation and progress of a whole-catalog call. The signal is checked before the first
 * statement (an aborted signal never reaches the database) and between statements: per table,
 * per 10,000-row batch and per COPY chunk. A statement already sent runs to its end (cancelling
 * it on the server would take a second connection), so a call stops within one statement.
 * Aborting rolls the call's transaction back and rejects it with a `CheapAbortError` (code
 * `ABORTED`, `cause`: `signal.reason`).
 */
export interface CatalogCallOptions {
  readonly signal?: AbortSignal
  /**
   * Called synchronously after each statement with the rows done so far. Keep it cheap (it runs
   * inside the transaction). It may abort `signal` to stop the call; an exception it throws
   * rolls the call back and is the call's rejection, as thrown.
   */
  readonly onProgress?: (event: CatalogProgress) => void
}

/** The options of `loadCatalog`. */
export type LoadCatalogOptions = CatalogCallOptions

/** What an aborted save means, in its message. */
const WRITE = 'the transaction was rolled back, nothing was written'

/** Before the first statement there is nothing to roll back. */
function consequenceOf(what: string): string | undefined {
  return what === 'saveCatalog' ? 'nothing was written' : undefined
}

/** Checks the options before the first statement (INVALID_ARGUMENT), then the signal (ABORTED). */
export function checkCallOptions(what: string, context: string, options: unknown): void {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new CheapValidationError(
      `${what}: options must be an object, got ${options === null ? 'null' : typeof options}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  const given = (options ?? {}) as CatalogCallOptions
  checkAbortOptions(what, given)
  throwIfAborted(given.signal, context, consequenceOf(what))
}

/**
 * Counts the rows of one call, reports them to `onProgress` and checks the signal after each
 * step. An attempt that is run again ({@link restart}) counts from 0 but reports only once it
 * has passed what was reported, so the caller sees a count that never goes back.
 */
export class CallProgress implements RowProgress {
  readonly #phase: 'write' | 'read'
  readonly #catalogId: string
  readonly #context: string
  readonly #signal: AbortSignal | undefined
  readonly #onProgress: ((event: CatalogProgress) => void) | undefined
  #done = 0
  #reported = -1
  #total: number | undefined

  constructor(
    phase: 'write' | 'read',
    catalogId: string,
    context: string,
    options: CatalogCallOptions = {},
  ) {
    this.#phase = phase
    this.#catalogId = catalogId
    this.#context = context
    this.#signal = options.signal
    this.#onProgress = options.onProgress
  }

  /**
   * Before a statement: lets the event loop turn when there is a signal to watch (PGlite answers
   * in this thread: without a turn, a SIGINT handler or a timer that aborts would wait for the
   * whole call), then throws the abort error if the signal is aborted. A turn costs microseconds
   * (setImmediate), once per statement or 10,000-row batch.
   */
  async between(): Promise<void> {
    if (this.#signal === undefined) return
    await new Promise<void>((resolve) => {
      if (typeof setImmediate === 'function') setImmediate(resolve)
      else setTimeout(resolve, 0)
    })
    this.check()
  }

  /** Throws the abort error when the signal is aborted. */
  check(): void {
    throwIfAborted(this.#signal, this.#context, this.#phase === 'write' ? WRITE : undefined)
  }

  /** A new attempt of the call (its transaction was rolled back and runs again). */
  restart(): void {
    this.#done = 0
    this.#total = undefined
    this.check()
  }

  /** The rows this attempt will write, once planned: the first event. */
  start(total: number | undefined): void {
    this.#total = total
    this.#emit(undefined)
  }

  /** Whether anyone listens: a total worth a pass over the catalog is counted only then. */
  get listening(): boolean {
    return this.#onProgress !== undefined
  }

  /** Rows reported so far by this attempt. */
  get rowsDone(): number {
    return this.#done
  }

  /** `n` more rows of `table` were sent or read. */
  rows(table: string | undefined, n: number): void {
    if (n <= 0) return this.check()
    this.#done += n
    this.#emit(table)
  }

  /** The call is done after `total` rows: the last event. */
  finish(total: number): void {
    this.#done = total
    this.#total = total
    this.#emit(undefined)
  }

  #emit(table: string | undefined): void {
    if (this.#onProgress !== undefined && this.#done >= this.#reported) {
      this.#reported = this.#done
      // A total below what is done (an estimate that was short) is left out rather than wrong.
      const total = this.#total !== undefined && this.#total >= this.#done ? this.#total : undefined
      this.#onProgress({
        phase: this.#phase,
        catalogId: this.#catalogId,
        ...(table === undefined ? {} : { table }),
        rowsDone: this.#done,
        ...(total === undefined ? {} : { rowsTotal: total }),
      })
    }
    this.check()
  }
}

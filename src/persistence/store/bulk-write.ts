import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { CopyIn } from '../connection/held-connection.ts'
import type { PgTypeName } from '../schema/columns.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { TABLES, type CheapTableName } from '../schema/tables.ts'
import { copyLine } from './copy-text.ts'

type Db = Kysely<CheapDatabase>

/** The catalog-scoped tables: `catalog_id` leads their keys and is sent once per statement. */
export type ScopedTable = {
  [T in CheapTableName]: 'catalog_id' extends keyof (typeof TABLES)[T]['columns'] ? T : never
}[CheapTableName]

/** A column of table `T` other than `catalog_id`. */
export type ColumnOf<T extends CheapTableName> = Exclude<
  keyof (typeof TABLES)[T]['columns'] & string,
  'catalog_id'
>

/**
 * A set-based write into a catalog-scoped table: the columns sent (after `catalog_id`), of which
 * the first `keys` identify a row (the conflict target of an upsert, with `catalog_id`). Names
 * are keys of the table manifest, so a typo does not compile, and the element type of each
 * `unnest($n::type[])` comes from the manifest too.
 */
export interface WriteTarget<T extends ScopedTable> {
  readonly table: T
  readonly columns: readonly ColumnOf<T>[]
  readonly keys: number
  /** A conflict target other than the key columns (an expression index), as SQL. */
  readonly conflict?: string
}

/** A write target with its names checked (what {@link target} returns), for the writers. */
export interface AnyWriteTarget {
  readonly table: ScopedTable
  readonly columns: readonly string[]
  readonly keys: number
  readonly conflict?: string
}

export function target<T extends ScopedTable>(
  table: T,
  columns: readonly ColumnOf<T>[],
  keys: number,
  conflict?: string,
): WriteTarget<T> {
  return conflict === undefined ? { table, columns, keys } : { table, columns, keys, conflict }
}

export function sqlTypeOf(table: ScopedTable, column: string): string {
  const columns = TABLES[table].columns as Readonly<Record<string, { readonly type: PgTypeName }>>
  const type = columns[column]?.type
  if (type === undefined) throw new Error(`no column ${table}.${column} in the manifest`)
  return type.startsWith('_') ? `${type.slice(1)}[]` : type
}

/**
 * Rows per statement. 10k rows keeps one statement's parameters well under the protocol limits
 * (pg sends each array as one text parameter) and is where unnest throughput flattens out on
 * this machine (PERF-FACTS.md).
 */
export const CHUNK_ROWS = 10_000

/** Below this many rows one unnest statement beats setting up a COPY. */
export const COPY_MIN_ROWS = 2_000

export type WriteMode = 'insert' | 'upsert' | 'upsert-keep'

/**
 * Where a long write or read reports the rows it sent or received, statement by statement (and
 * COPY chunk by chunk). Either call may throw (the caller's signal was aborted, or its progress
 * callback threw): the statement in flight is abandoned and the error rejects the work.
 */
export interface RowProgress {
  /**
   * Before a statement: throws when the work is to stop. Lets the event loop turn first (with a
   * signal to watch), so that a signal handler (Ctrl-C) runs even when the database answers
   * without any I/O in between (embedded PGlite runs in this thread).
   */
  between(): Promise<void>
  /** `n` more rows of `table` were sent or read. */
  rows(table: string, n: number): void
}

/** COPY lines between two progress reports (a COPY is one statement; this is its chunk). */
export const COPY_REPORT_ROWS = 10_000

/** Column-major rows of one statement. */
type Columns = unknown[][]

function columnsOf(rows: readonly (readonly unknown[])[], width: number): Columns {
  const out: Columns = Array.from({ length: width }, () => new Array<unknown>(rows.length))
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as readonly unknown[]
    for (let c = 0; c < width; c++) (out[c] as unknown[])[r] = row[c]
  }
  return out
}

/**
 * Writes rows (arrays in the order of `target.columns`) of one catalog: by COPY when the server
 * offers it and the rows are many plain inserts, else `INSERT … SELECT $catalog, * FROM
 * unnest(…)` in chunks. Rows are consumed as they come, so a large save never holds a second
 * copy of its catalog. With `upsert` an existing row is updated only when a value differs (so
 * audit triggers see no change for a rewrite of the same values); `upsert-keep` leaves existing
 * rows alone. Returns rows sent. `progress` hears of every statement (and of every
 * {@link COPY_REPORT_ROWS} lines of a COPY) and may stop the write between them.
 */
export async function writeRows(
  db: Db,
  target: AnyWriteTarget,
  catalogId: string,
  rows: Iterable<readonly unknown[]>,
  mode: WriteMode,
  copyIn?: CopyIn,
  progress?: RowProgress,
): Promise<number> {
  const width = target.columns.length
  const iterator = rows[Symbol.iterator]()
  let first: (readonly unknown[])[] = []
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    first.push(next.value)
    if (first.length >= COPY_MIN_ROWS) break
  }
  if (first.length === 0) return 0
  await progress?.between()
  if (mode === 'insert' && copyIn !== undefined && first.length >= COPY_MIN_ROWS) {
    let sent = 0
    let reported = 0
    // A throw here (an abort) ends the COPY with CopyFail: the server discards what it got.
    const report = (): void => {
      if (progress === undefined || sent - reported < COPY_REPORT_ROWS) return
      progress.rows(target.table, sent - reported)
      reported = sent
    }
    const lines = function* (): Generator<string> {
      for (const row of first) {
        sent++
        yield copyLine(catalogId, row, width)
        report()
      }
      first = []
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        sent++
        yield copyLine(catalogId, next.value, width)
        report()
      }
    }
    await copyIn(target.table, ['catalog_id', ...target.columns], lines())
    progress?.rows(target.table, sent - reported)
    return sent
  }
  let sent = 0
  let chunk = first
  for (let done = false; !done; chunk = []) {
    while (chunk.length < CHUNK_ROWS) {
      const next = iterator.next()
      if (next.done === true) {
        done = true
        break
      }
      chunk.push(next.value)
    }
    if (chunk.length === 0) break
    await progress?.between()
    await insertStatement(target, catalogId, columnsOf(chunk, width), mode).execute(db)
    sent += chunk.length
    progress?.rows(target.table, chunk.length)
  }
  return sent
}

export function insertStatement(
  target: AnyWriteTarget,
  catalogId: string,
  columns: Columns,
  mode: WriteMode,
): RawBuilder<unknown> {
  const names = sql.join([sql.id('catalog_id'), ...target.columns.map((c) => sql.id(c))])
  const arrays = sql.join(
    target.columns.map((c, i) => sql`${columns[i]}::${sql.raw(sqlTypeOf(target.table, c))}[]`),
  )
  const conflict = mode === 'insert' ? sql`` : onConflict(target, mode === 'upsert-keep')
  return sql`insert into ${sql.id(target.table)} (${names}) select ${catalogId}::uuid, * from unnest(${arrays}) ${conflict}`
}

function onConflict(target: AnyWriteTarget, keep: boolean): RawBuilder<unknown> {
  const keys =
    target.conflict === undefined
      ? sql.join([
          sql.id('catalog_id'),
          ...target.columns.slice(0, target.keys).map((c) => sql.id(c)),
        ])
      : sql.raw(target.conflict)
  const values = target.columns.slice(target.keys)
  if (keep || values.length === 0) return sql`on conflict (${keys}) do nothing`
  const sets = sql.join(values.map((c) => sql`${sql.id(c)} = excluded.${sql.id(c)}`))
  const mine = sql.join(values.map((c) => sql`${sql.id(target.table)}.${sql.id(c)}`))
  const theirs = sql.join(values.map((c) => sql`excluded.${sql.id(c)}`))
  return sql`on conflict (${keys}) do update set ${sets} where (${mine}) is distinct from (${theirs})`
}

/**
 * Several tables' rows in ONE statement (a data-modifying CTE per table), so a partial write of
 * a few aspects costs one round trip instead of one per table. For small batches: at most
 * {@link CHUNK_ROWS} rows in all.
 */
export function insertTogether(
  catalogId: string,
  writes: readonly {
    readonly target: AnyWriteTarget
    readonly rows: readonly (readonly unknown[])[]
  }[],
  mode: WriteMode,
): RawBuilder<unknown> | undefined {
  const present = writes.filter((w) => w.rows.length > 0)
  if (present.length === 0) return undefined
  const parts = present.map(
    (w, i) =>
      sql`${sql.raw(`w${i}`)} as (${insertStatement(w.target, catalogId, columnsOf(w.rows, w.target.columns.length), mode)})`,
  )
  return sql`with ${sql.join(parts)} select 1`
}

/**
 * Deletes the rows of `catalogId` in `target.table` within `scope` (a key column and the values
 * it may have, e.g. the hierarchies being rewritten) whose key (the first `keys.length` columns
 * of the target) is not among `keep`. An anti-join (NOT EXISTS over unnest): linear whatever
 * the sizes, where NOT IN would re-scan per row once its hash outgrew work_mem. Returns rows
 * deleted.
 */
export async function deleteMissing<T extends ScopedTable>(
  db: Db,
  target: WriteTarget<T>,
  catalogId: string,
  scope: { readonly column: ColumnOf<T>; readonly values: readonly unknown[] },
  keep: readonly (readonly unknown[])[],
): Promise<number> {
  if (scope.values.length === 0) return 0
  const keyColumns = target.columns.slice(0, keep.length)
  const within = sql`${sql.id(scope.column)} = any(${[...scope.values]}::${sql.raw(sqlTypeOf(target.table, scope.column))}[])`
  const none = (keep[0]?.length ?? 0) === 0
  const filter = none
    ? sql``
    : sql`and not exists (select 1 from unnest(${sql.join(
        keyColumns.map((c, i) => sql`${keep[i]}::${sql.raw(sqlTypeOf(target.table, c))}[]`),
      )}) as k(${sql.join(keyColumns.map((_, i) => sql.raw(`k${i}`)))}) where ${sql.join(
        keyColumns.map((c, i) => sql`k.${sql.raw(`k${i}`)} = t.${sql.id(c)}`),
        sql` and `,
      )})`
  const result =
    await sql`delete from ${sql.id(target.table)} t where t.catalog_id = ${catalogId}::uuid and t.${within} ${filter}`.execute(
      db,
    )
  return Number(result.numAffectedRows ?? 0n)
}

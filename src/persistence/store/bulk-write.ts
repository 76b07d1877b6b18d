import { sql, type Kysely, type RawBuilder } from 'kysely'
import { copyLinesOf } from './copy-text.ts'
import type { CopyIn } from '../connection/held-connection.ts'

/** One column of a set-based write: its name and the element type for `unnest($n::type[])`. */
export interface WriteColumn {
  readonly name: string
  readonly sqlType: string
}

/**
 * The shape of a catalog-scoped table for set-based writes: `catalog_id` leads every key and is
 * sent once as a scalar; `keys` complete the primary key; `values` are the other columns.
 */
export interface WriteTarget {
  readonly table: string
  readonly keys: readonly WriteColumn[]
  readonly values: readonly WriteColumn[]
}

/** Column-major rows: one array per column of `keys` then `values`, all of equal length. */
export type ColumnData = unknown[][]

/**
 * Rows per statement. 10k rows keeps one statement's parameters well under the protocol limits
 * (pg sends each array as one text parameter) and is where unnest throughput flattens out on
 * this machine (PERF-FACTS.md).
 */
export const CHUNK_ROWS = 10_000

/** Below this many rows one unnest statement beats setting up a COPY. */
export const COPY_MIN_ROWS = 2_000

// The executor type is erased: these helpers write tables by name with raw SQL, and Kysely's
// `Transaction<CheapDatabase>` is a `Kysely<CheapDatabase>`.
type Executor = Kysely<unknown>

function ident(name: string): RawBuilder<unknown> {
  // Every identifier here is one of our own table or column names (never user input).
  return sql.id(name)
}

function slice(data: ColumnData, from: number, to: number): ColumnData {
  return from === 0 && to >= (data[0]?.length ?? 0)
    ? data
    : data.map((column) => column.slice(from, to))
}

function unnestOf(columns: readonly WriteColumn[], data: ColumnData): RawBuilder<unknown> {
  return sql.join(columns.map((c, i) => sql`${data[i]}::${sql.raw(c.sqlType)}[]`))
}

/**
 * `INSERT … SELECT $catalog, * FROM unnest(…)` in chunks, or COPY for large plain inserts when
 * `copyIn` is given. With `upsert`, an existing row is
 * updated only when a value really differs (so audit triggers see no-op updates as no change),
 * and a table without value columns does nothing on conflict; `upsert-keep` leaves existing rows
 * as they are. Returns rows sent.
 */
export async function writeRows(
  db: Executor,
  target: WriteTarget,
  catalogId: string,
  data: ColumnData,
  mode: 'insert' | 'upsert' | 'upsert-keep',
  copyIn?: CopyIn,
): Promise<number> {
  const total = data[0]?.length ?? 0
  if (total === 0) return 0
  const columns = [...target.keys, ...target.values]
  if (mode === 'insert' && copyIn !== undefined && total >= COPY_MIN_ROWS) {
    // Plain inserts of many rows go by COPY where the server offers it (about 1.5x unnest).
    await copyIn(
      target.table,
      ['catalog_id', ...columns.map((c) => c.name)],
      copyLinesOf(catalogId, data),
    )
    return total
  }
  for (let from = 0; from < total; from += CHUNK_ROWS) {
    await insertStatement(target, catalogId, slice(data, from, from + CHUNK_ROWS), mode).execute(db)
  }
  return total
}

type WriteMode = 'insert' | 'upsert' | 'upsert-keep'

function insertStatement(
  target: WriteTarget,
  catalogId: string,
  data: ColumnData,
  mode: WriteMode,
): RawBuilder<unknown> {
  const columns = [...target.keys, ...target.values]
  const names = sql.join([ident('catalog_id'), ...columns.map((c) => ident(c.name))])
  const conflict =
    mode === 'insert'
      ? sql``
      : onConflict(mode === 'upsert-keep' ? { ...target, values: [] } : target)
  return sql`insert into ${ident(target.table)} (${names}) select ${catalogId}::uuid, * from unnest(${unnestOf(columns, data)}) ${conflict}`
}

/**
 * Several tables' rows at once. A small batch (at most {@link CHUNK_ROWS} rows in all) goes as
 * ONE statement, a data-modifying CTE per table, so a partial write of a few aspects costs one
 * round trip instead of one per table; larger batches fall back to {@link writeRows} per table.
 */
export async function writeRowsTogether(
  db: Executor,
  catalogId: string,
  writes: readonly { readonly target: WriteTarget; readonly data: ColumnData }[],
  mode: WriteMode,
  copyIn?: CopyIn,
): Promise<number> {
  const present = writes.filter((w) => (w.data[0]?.length ?? 0) > 0)
  const total = present.reduce((n, w) => n + (w.data[0]?.length ?? 0), 0)
  if (total > CHUNK_ROWS || present.length <= 1 || (mode === 'insert' && copyIn !== undefined)) {
    let written = 0
    for (const w of present)
      written += await writeRows(db, w.target, catalogId, w.data, mode, copyIn)
    return written
  }
  const parts = present.map(
    (w, i) => sql`${sql.raw(`w${i}`)} as (${insertStatement(w.target, catalogId, w.data, mode)})`,
  )
  await sql`with ${sql.join(parts)} select 1`.execute(db)
  return total
}

function onConflict(target: WriteTarget): RawBuilder<unknown> {
  const keys = sql.join([ident('catalog_id'), ...target.keys.map((c) => ident(c.name))])
  if (target.values.length === 0) return sql`on conflict (${keys}) do nothing`
  const sets = sql.join(target.values.map((c) => sql`${ident(c.name)} = excluded.${ident(c.name)}`))
  const mine = sql.join(target.values.map((c) => sql`${ident(target.table)}.${ident(c.name)}`))
  const theirs = sql.join(target.values.map((c) => sql`excluded.${ident(c.name)}`))
  return sql`on conflict (${keys}) do update set ${sets} where (${mine}) is distinct from (${theirs})`
}

/**
 * Deletes the rows of `catalogId` in `target` whose key is not among `keep` (column-major key
 * columns), optionally only within `scope` (a column and the values it may have, e.g. the
 * hierarchies being rewritten). Returns rows deleted.
 */
export async function deleteMissing(
  db: Executor,
  target: WriteTarget,
  catalogId: string,
  keep: ColumnData,
  scope?: { readonly column: WriteColumn; readonly values: readonly unknown[] },
): Promise<number> {
  const keyNames = sql.join(target.keys.map((c) => ident(c.name)))
  const within =
    scope === undefined
      ? sql``
      : sql`and ${ident(scope.column.name)} = any(${[...scope.values]}::${sql.raw(scope.column.sqlType)}[])`
  const none = (keep[0]?.length ?? 0) === 0
  const filter = none
    ? sql``
    : sql`and (${keyNames}) not in (select * from unnest(${unnestOf(target.keys, keep)}))`
  const result =
    await sql`delete from ${ident(target.table)} where catalog_id = ${catalogId}::uuid ${within} ${filter}`.execute(
      db,
    )
  return Number(result.numAffectedRows ?? 0n)
}

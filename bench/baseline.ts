import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sql, type Kysely } from 'kysely'
import type { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import { copyLine } from '../src/persistence/store/copy-text.ts'

/**
 * PostgreSQL's own ceiling on this backend, measured in the same run: the same number of rows
 * as a save stores, written into a plain table shaped like a property value table (a 5-column
 * primary key, as PERF-FACTS.md measures), by COPY and by chunked `unnest`, then read back
 * with a plain SELECT.
 */
export interface BaselineResult {
  readonly rows: number
  readonly copyRowsPerSec: number | null
  readonly unnestRowsPerSec: number
  readonly selectRowsPerSec: number
}

const TABLE = 'bench_baseline'

function rowsOf(n: number): unknown[][] {
  const catalog = randomUUID()
  const def = randomUUID()
  const entities: string[] = []
  const names: string[] = []
  const indexes: number[] = []
  const values: bigint[] = []
  let entity = randomUUID()
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) entity = randomUUID()
    entities.push(entity)
    names.push(`property_${i % 10}`)
    indexes.push(0)
    values.push(BigInt(i))
  }
  return [
    Array<string>(n).fill(catalog),
    Array<string>(n).fill(def),
    entities,
    names,
    indexes,
    values,
  ]
}

export async function measureBaseline(
  adapter: PostgresAdapter,
  rows: number,
): Promise<BaselineResult> {
  const db = adapter.db as unknown as Kysely<unknown>
  const create = sql`create table ${sql.id(TABLE)} (catalog_id uuid, aspect_def_id uuid, entity_id uuid, property_name text, value_index int4, value int8, primary key (catalog_id, aspect_def_id, entity_id, property_name, value_index))`
  const data = rowsOf(rows)
  await sql`drop table if exists ${sql.id(TABLE)}`.execute(db)
  await create.execute(db)

  let copyRowsPerSec: number | null = null
  const copied = await adapter.withConnection(async (connection) => {
    const copyIn = connection.copyIn
    if (copyIn === undefined) return null
    const started = performance.now()
    await connection.db.transaction().execute(async () => {
      const [first, ...rest] = data as [string[], ...unknown[][]]
      const lines = function* (): Generator<string> {
        const row = new Array<unknown>(rest.length)
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < rest.length; c++) row[c] = rest[c]?.[r]
          yield copyLine(first[0] ?? '', row, rest.length)
        }
      }
      await copyIn(
        TABLE,
        ['catalog_id', 'aspect_def_id', 'entity_id', 'property_name', 'value_index', 'value'],
        lines(),
      )
    })
    return performance.now() - started
  })
  if (copied !== null) copyRowsPerSec = rows / (copied / 1000)

  await sql`truncate ${sql.id(TABLE)}`.execute(db)
  const started = performance.now()
  await db.transaction().execute(async (trx) => {
    for (let from = 0; from < rows; from += 10_000) {
      const chunk = data.map((column) => column.slice(from, from + 10_000))
      await sql`insert into ${sql.id(TABLE)} select * from unnest(${chunk[0]}::uuid[], ${chunk[1]}::uuid[], ${chunk[2]}::uuid[], ${chunk[3]}::text[], ${chunk[4]}::int4[], ${chunk[5]}::int8[])`.execute(
        trx,
      )
    }
  })
  const unnestRowsPerSec = rows / ((performance.now() - started) / 1000)

  const readStarted = performance.now()
  const read = await sql`select * from ${sql.id(TABLE)}`.execute(db)
  const selectRowsPerSec = read.rows.length / ((performance.now() - readStarted) / 1000)
  await sql`drop table ${sql.id(TABLE)}`.execute(db)
  return { rows, copyRowsPerSec, unnestRowsPerSec, selectRowsPerSec }
}

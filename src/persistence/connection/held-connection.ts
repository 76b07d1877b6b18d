import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import Cursor from 'pg-cursor'
import { from as copyFrom } from 'pg-copy-streams'
import type { CheapDatabase } from '../schema/database.ts'
import type { StatementLog } from './query-log.ts'

/** Streams COPY text-format lines into a table on the same connection and transaction. */
export type CopyIn = (
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
) => Promise<void>

/** One pooled connection held for a unit of work: a Kysely on it, and COPY where it pays. */
export interface DedicatedConnection {
  readonly db: Kysely<CheapDatabase>
  /** COPY FROM STDIN on the server; undefined on PGlite (COPY through its bridge kills it). */
  readonly copyIn: CopyIn | undefined
  /**
   * Runs a statement as a named prepared statement of this connection: parsed once per
   * connection (the driver remembers it), and planned once PostgreSQL settles on a generic
   * plan. For the few fixed, wide statements of the small-catalog path, whose planning costs
   * more than their execution. `name` must be unique to `text`. Under transaction pooling
   * (PgBouncer) the statement is sent unnamed: a named one would stay in a server session that
   * the next transaction may not get.
   */
  prepared<R>(name: string, text: string, values: readonly unknown[]): Promise<R[]>
}

/**
 * Checks one client out of `pool` and gives `work` a Kysely bound to it, so that Kysely
 * statements and raw COPY run on the same connection — hence in the same transaction.
 */
export async function withDedicatedConnection<T>(
  pool: { connect(): Promise<pg.PoolClient> },
  canCopy: boolean,
  work: (connection: DedicatedConnection) => Promise<T>,
  log: StatementLog,
  namedStatements = true,
): Promise<T> {
  const client = await pool.connect()
  let broken: unknown
  // Kysely releases its "connection" after every query; the real release happens once, below.
  const shared = { query: client.query.bind(client), release: () => undefined }
  const db = new Kysely<CheapDatabase>({
    dialect: new PostgresDialect({
      pool: {
        connect: () => Promise.resolve(shared),
        end: () => Promise.resolve(),
      },
      cursor: Cursor,
    }),
    ...(log.kysely === undefined ? {} : { log: log.kysely }),
  })
  try {
    return await work({
      db,
      copyIn: canCopy
        ? (table, columns, lines) => copyLines(client, table, columns, lines, log)
        : undefined,
      prepared: (name, text, values) =>
        runPrepared(client, namedStatements ? name : undefined, text, values, log),
    })
  } catch (error) {
    broken = error
    throw error
  } finally {
    await db.destroy()
    // A connection that failed mid-protocol (terminated, COPY aborted) is not reused.
    client.release(isConnectionFailure(broken) ? (broken as Error) : undefined)
  }
}

function isConnectionFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  return (
    typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code.startsWith('E'))
  )
}

const BATCH_CHARS = 1 << 20

async function runPrepared<R>(
  client: pg.PoolClient,
  name: string | undefined,
  text: string,
  values: readonly unknown[],
  log: StatementLog,
): Promise<R[]> {
  const started = performance.now()
  try {
    const query = { text, values: [...values], ...(name === undefined ? {} : { name }) }
    const result = await client.query<R & pg.QueryResultRow>(query)
    log.report(text, values, performance.now() - started)
    return result.rows
  } catch (error) {
    log.report(text, values, performance.now() - started, error)
    throw error
  }
}

async function copyLines(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
  log: StatementLog,
): Promise<void> {
  const started = performance.now()
  const text = `COPY "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN`
  try {
    await copyStream(client, text, lines)
    log.report(text, [], performance.now() - started)
  } catch (error) {
    log.report(text, [], performance.now() - started, error)
    throw error
  }
}

async function copyStream(
  client: pg.PoolClient,
  text: string,
  lines: Iterable<string>,
): Promise<void> {
  const stream = client.query(copyFrom(text))
  let failed = false
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve)
    stream.on('error', (error) => {
      failed = true
      reject(error)
    })
  })
  // The server may refuse the data (a constraint, a too long key, a terminated session) while
  // lines are still being written: that rejection must not go unhandled (it would end the
  // process), a 'drain' that never comes must not be awaited, and the failed stream must not be
  // written to again. `await done` below then throws the server's error.
  done.catch(() => {})
  let buffer = ''
  try {
    for (const line of lines) {
      buffer += line
      if (buffer.length >= BATCH_CHARS) {
        if (failed) break
        if (!stream.write(buffer)) {
          await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), done])
        }
        buffer = ''
      }
    }
  } catch (error) {
    // The lines stopped (the caller aborted, or building a line failed): CopyFail ends the COPY
    // on the server, which leaves the connection usable for the rollback that follows. The
    // server's answer to CopyFail is awaited (the next statement would otherwise meet a COPY in
    // progress); the lines' error is what the caller sees.
    if (!failed) {
      stream.destroy(error instanceof Error ? error : new Error(String(error)))
      await done.catch(() => undefined)
    }
    throw error
  }
  if (!failed) stream.end(buffer)
  await done
}

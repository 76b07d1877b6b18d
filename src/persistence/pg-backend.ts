import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import type { Backend } from './backend.ts'
import { withDedicatedConnection } from './dedicated-connection.ts'
import { toConnectionError } from './connection-errors.ts'
import { describeTarget } from './connection-target.ts'
import type { PostgresTarget } from './connection-target.ts'
import type { CheapDatabase } from './database.ts'
import { buildPoolConfig, DEFAULT_CONNECT_TIMEOUT_MS } from './pg-adapter-config.ts'
import type { PostgresAdapterOptions } from './pg-adapter-config.ts'

/**
 * Opens a pool on a real server and proves it answers (one round trip) within
 * `connectTimeoutMs`, so a wrong URL fails here with a useful message, not at the first save.
 */
export async function openPgBackend(
  target: PostgresTarget,
  options: PostgresAdapterOptions,
  schema: string,
): Promise<Backend> {
  const described = describeTarget(target)
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const pool = new pg.Pool(buildPoolConfig(target, options, schema))
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would kill
  // the process. The pool drops the client and the next checkout reconnects.
  pool.on('error', () => {})
  try {
    await withTimeout(pool.query('SELECT 1'), timeoutMs + 1_000)
  } catch (error) {
    void pool.end().catch(() => {})
    throw toConnectionError(error, described, timeoutMs)
  }
  const db = new Kysely<CheapDatabase>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) })
  return {
    kind: 'pg',
    db,
    target: described,
    withConnection: (work) => withDedicatedConnection(pool, true, work),
    async execScript(sqlText) {
      const client = await pool.connect()
      try {
        // No parameters: pg sends a simple Query message, which may hold many statements.
        await client.query(sqlText)
      } catch (error) {
        // A script that opened a transaction and failed leaves it aborted; clear it before the
        // client goes back to the pool (a WARNING, harmless, when none is open).
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    close: () => db.destroy(),
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`connection timeout after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

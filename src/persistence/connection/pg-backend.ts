import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import type { Backend } from './backend.ts'
import { withDedicatedConnection } from './held-connection.ts'
import { statementLog } from './query-log.ts'
import { toConnectionError } from './connection-errors.ts'
import { describeTarget } from './connection-target.ts'
import type { PostgresTarget } from './connection-target.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { CheapTimeoutError } from '../../errors.ts'
import {
  buildPoolConfig,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_POOL_SIZE,
  DEFAULT_POOL_TIMEOUT_MS,
} from './pg-adapter-config.ts'
import type { PostgresAdapterOptions } from './pg-adapter-config.ts'
import {
  missingSettings,
  poolingFromUrl,
  readSessionSettings,
  settingsError,
  type SessionSettingsRow,
} from './session-settings.ts'

/**
 * Opens a pool on a real server and proves it answers (one round trip) within
 * `connectTimeoutMs`, so a wrong URL fails here with a useful message, not at the first save.
 */
export async function openPgBackend(
  given: PostgresTarget,
  givenOptions: PostgresAdapterOptions,
  schema: string,
): Promise<Backend> {
  const { target, pgbouncer } = poolingFromUrl(given)
  const options = pgbouncer ? { ...givenOptions, transactionPooling: true } : givenOptions
  const pooling = options.transactionPooling === true
  const described = describeTarget(target)
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const pool = new pg.Pool(buildPoolConfig(target, options, schema))
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would kill
  // the process. The pool drops the client and the next checkout reconnects.
  pool.on('error', () => {})
  // The same for a client in use: a server that ends the session (pg_terminate_backend, a
  // restart) between two statements of a transaction makes the client emit 'error' with no
  // query to fail, which would also kill the process. The client is then unusable: its next
  // query fails (a CheapConnectionError) and the pool discards it on release.
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
  let settings: SessionSettingsRow
  try {
    settings = await withTimeout(readSessionSettings(pool, schema), timeoutMs + 1_000)
  } catch (error) {
    void pool.end().catch(() => {})
    throw toConnectionError(error, described, timeoutMs)
  }
  const missing = missingSettings(settings, schema)
  if (missing.length > 0) {
    void pool.end().catch(() => {})
    throw settingsError(settings, missing, described, pooling)
  }
  const checkout = poolCheckout(pool, options)
  const log = statementLog(options)
  const db = new Kysely<CheapDatabase>({
    dialect: new PostgresDialect({
      pool: { connect: checkout, end: () => pool.end() },
      cursor: Cursor,
    }),
    ...(log.kysely === undefined ? {} : { log: log.kysely }),
  })
  return {
    kind: 'pg',
    db,
    target: described,
    // Under transaction pooling a named statement would outlive its transaction's server session.
    withConnection: (work) =>
      withDedicatedConnection({ connect: checkout }, true, work, log, !pooling),
    poolUse: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async execScript(sqlText) {
      const client = await checkout()
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
    async close() {
      await db.destroy()
      // Kysely ends the pool only if it ever ran a query through it.
      if (!pool.ending) await pool.end()
    },
  }
}

/**
 * `pool.connect()`, with pg-pool's "timeout exceeded when trying to connect" (every pooled
 * connection stayed busy for poolTimeoutMs) turned into a CheapTimeoutError that says so.
 */
function poolCheckout(
  pool: pg.Pool,
  options: PostgresAdapterOptions,
): () => Promise<pg.PoolClient> {
  const size = options.poolSize ?? DEFAULT_POOL_SIZE
  const waitMs = options.poolTimeoutMs ?? DEFAULT_POOL_TIMEOUT_MS
  return async () => {
    try {
      return await pool.connect()
    } catch (error) {
      if (error instanceof Error && error.message === 'timeout exceeded when trying to connect') {
        throw new CheapTimeoutError(
          `no pooled connection became free within poolTimeoutMs = ${waitMs} ms: all ` +
            `${size} connections of the pool (poolSize = ${size}) stayed in use; raise poolSize ` +
            'or poolTimeoutMs, or hold connections for less time',
          { cause: error },
        )
      }
      throw error
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`connection timeout after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

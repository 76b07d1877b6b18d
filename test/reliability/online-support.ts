/**
 * Helpers of the online-schema suites: extra adapters on a test database's schema (each its own
 * pool and application name, so the test can see which of them waits for a lock), a raw session
 * that holds locks to pause a call before it commits, and waiting for a call to block.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PG_TEST_URL, type TestDatabase } from '../db/backends.ts'
import { sleep } from './support.ts'

/** A tag unique to this run, the prefix of every application name it uses. */
export const RUN_TAG = `cheap-online-${randomBytes(4).toString('hex')}`

/** Another adapter on the same schema as `db` (server only: PGlite has one connection). */
export async function otherAdapter(
  db: TestDatabase,
  name: string,
  poolSize = 2,
): Promise<PostgresAdapter> {
  if (PG_TEST_URL === undefined) throw new Error('otherAdapter needs the server')
  return PostgresAdapter.create(
    { connectionString: PG_TEST_URL },
    { schema: db.schema, poolSize, applicationName: `${RUN_TAG}-${name}` },
  )
}

/** A plain session on the test schema, outside every adapter: it holds the locks that pause calls. */
export async function blockerSession(db: TestDatabase): Promise<pg.Client> {
  if (PG_TEST_URL === undefined) throw new Error('blockerSession needs the server')
  const client = new pg.Client({
    connectionString: PG_TEST_URL,
    application_name: `${RUN_TAG}-blocker`,
  })
  await client.connect()
  await client.query(`set search_path to "${db.schema}"`)
  return client
}

/** How many sessions of the adapter named `name` wait for a lock right now. */
export async function lockWaiters(session: pg.Client, name: string): Promise<number> {
  const result = await session.query<{ n: string }>(
    `select count(*) as n from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
    [`${RUN_TAG}-${name}`],
  )
  return Number(result.rows[0]?.n ?? 0)
}

/**
 * Resolves once a session of the adapter `name` waits for a lock, or `call` has settled (it did
 * not wait at all), or `timeoutMs` passed; says which.
 */
export async function untilWaiting(
  session: pg.Client,
  name: string,
  call: Promise<unknown>,
  timeoutMs = 10_000,
): Promise<'waiting' | 'settled' | 'timeout'> {
  let settled = false
  call.then(
    () => (settled = true),
    () => (settled = true),
  )
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (settled) return 'settled'
    if ((await lockWaiters(session, name)) > 0) return 'waiting'
    await sleep(20)
  }
  return 'timeout'
}

/** The outcome of a call, without throwing: for calls that run while a test holds locks. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown }

export function outcome<T>(call: Promise<T>): Promise<Outcome<T>> {
  return call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
}

export function valueOf<T>(result: Outcome<T>, what: string): T {
  if (!result.ok) {
    const error = result.error
    throw new Error(
      `${what} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    )
  }
  return result.value
}

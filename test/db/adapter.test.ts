import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo, Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import {
  CheapConflictError,
  CheapConnectionError,
  CheapError,
  CheapIntegrityError,
  CheapSchemaMismatchError,
  CheapTimeoutError,
  CheapValidationError,
} from '../../src/errors.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { describeTarget, maskConnectionString } from '../../src/persistence/connection/connection-target.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { mapDatabaseError } from '../../src/persistence/connection/sql-errors.ts'
import { forEachBackend, PG_TEST_URL, randomSchemaName } from './backends.ts'
import type { TestDatabase } from './backends.ts'

/** Asserts a CheapConnectionError whose message and target show the masked URL, never the password. */
async function rejectsAsUnreachable(opening: Promise<PostgresAdapter>, maskedTarget: string) {
  const error = await opening.then(
    (adapter) => adapter.close().then(() => assert.fail('connected to a closed port')),
    (failure: unknown) => failure,
  )
  assert.ok(error instanceof CheapConnectionError, String(error))
  assert.equal(error.target, maskedTarget)
  assert.ok(error.message.includes(maskedTarget), error.message)
  assert.ok(!error.message.includes('secret'), error.message)
  assert.ok(!JSON.stringify(error).includes('secret'))
  return error
}

describe('PostgresAdapter: choosing and opening a database', () => {
  it('picks embedded PGlite when neither DATABASE_URL nor PG* variables are set', async () => {
    const adapter = await PostgresAdapter.fromEnv({ HOME: '/tmp' })
    try {
      assert.equal(adapter.kind, 'pglite')
      assert.equal(adapter.target, 'embedded (memory)')
      assert.equal(adapter.schema, 'public')
    } finally {
      await adapter.close()
    }
  })

  it('fails fast on a closed port with the target named and the password masked', async () => {
    const error = await rejectsAsUnreachable(
      PostgresAdapter.create(
        { connectionString: 'postgres://app:secret@127.0.0.1:1/cheap' },
        { connectTimeoutMs: 2_000 },
      ),
      'postgres://app:***@127.0.0.1:1/cheap',
    )
    assert.match(error.message, /ECONNREFUSED.*is the server running\?.*DATABASE_URL/)
  })

  it('uses DATABASE_URL from the environment and masks it the same way', async () => {
    await rejectsAsUnreachable(
      PostgresAdapter.fromEnv(
        { DATABASE_URL: 'postgresql://app:secret@127.0.0.1:1/cheap?sslmode=disable' },
        { connectTimeoutMs: 2_000 },
      ),
      'postgresql://app:***@127.0.0.1:1/cheap?sslmode=disable',
    )
  })

  it('uses the PG* variables when DATABASE_URL is not set', async () => {
    await rejectsAsUnreachable(
      PostgresAdapter.fromEnv(
        { PGHOST: '127.0.0.1', PGPORT: '1', PGUSER: 'app', PGPASSWORD: 'secret', PGDATABASE: 'db' },
        { connectTimeoutMs: 2_000 },
      ),
      'postgres://app:***@127.0.0.1:1/db',
    )
  })

  it('gives up after connectTimeoutMs when the server accepts but never answers', async () => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => sockets.add(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const started = performance.now()
      const error = await rejectsAsUnreachable(
        PostgresAdapter.create(
          { host: '127.0.0.1', port, user: 'app', password: 'secret' },
          { connectTimeoutMs: 300 },
        ),
        `postgres://app:***@127.0.0.1:${port}`,
      )
      assert.match(error.message, /no answer .* within 300 ms/)
      // Bounded (without the timeout it would wait forever); wide, for a busy machine.
      assert.ok(performance.now() - started < 30_000)
    } finally {
      for (const socket of sockets) socket.destroy()
      server.close()
    }
  })

  it('names an unknown host in the error', async () => {
    const error = await rejectsAsUnreachable(
      PostgresAdapter.create({ host: 'no-such-host.invalid', user: 'app', password: 'secret' }),
      'postgres://app:***@no-such-host.invalid:5432',
    )
    assert.match(error.message, /ENOTFOUND|EAI_AGAIN/)
  })

  it('keeps an embedded database in its dataDir across a close and reopen', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cheap-pglite-'))
    try {
      const first = await PostgresAdapter.embedded({ dataDir })
      assert.equal(first.target, `embedded (${dataDir})`)
      await PostgresSchema.createSchema(first)
      await first.db
        .insertInto('catalog')
        .values({ catalog_id: 'c0a80001-0000-4000-8000-0000000000d1', species: 'SOURCE' })
        .execute()
      await first.close()
      const second = await PostgresAdapter.embedded({ dataDir })
      try {
        const rows = await second.db.selectFrom('catalog').select('catalog_id').execute()
        assert.deepEqual(rows, [{ catalog_id: 'c0a80001-0000-4000-8000-0000000000d1' }])
      } finally {
        await second.close()
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('rejects an invalid schema name before connecting', async () => {
    await assert.rejects(PostgresAdapter.embedded({ schema: 'drop table' }), CheapValidationError)
  })
})

describe('connection targets in messages', () => {
  it('masks the password of URLs, query parameters and keyword/value strings', () => {
    assert.equal(
      maskConnectionString('postgres://u:p%40ss@h:5433/db?application_name=x'),
      'postgres://u:***@h:5433/db?application_name=x',
    )
    assert.equal(
      maskConnectionString('postgres://h/db?user=u&password=secret'),
      'postgres://h/db?user=u&password=***',
    )
    assert.equal(
      maskConnectionString("host=h user=u password='se cret' dbname=d"),
      'host=h user=u password=*** dbname=d',
    )
    assert.equal(maskConnectionString('postgres://u@h/db'), 'postgres://u@h/db')
  })

  it('describes a target given by its parts', () => {
    assert.equal(describeTarget({}), 'postgres://localhost:5432')
    assert.equal(
      describeTarget({ host: 'db', port: 6432, user: 'app', password: 'secret', database: 'c' }),
      'postgres://app:***@db:6432/c',
    )
  })
})

describe('mapping driver errors by SQLSTATE', () => {
  const driverError = (code: string, extra: Record<string, string> = {}) =>
    Object.assign(new Error(`boom ${code}`), { code, ...extra })

  it('maps integrity violations with their constraint, table and detail', () => {
    const mapped = mapDatabaseError(
      driverError('23505', { constraint: 'catalog_pkey', table: 'catalog', detail: 'Key exists' }),
      'saving catalog c1',
    )
    assert.ok(mapped instanceof CheapIntegrityError)
    assert.equal(mapped.sqlState, '23505')
    assert.equal(mapped.constraint, 'catalog_pkey')
    assert.equal(mapped.table, 'catalog')
    assert.equal(mapped.detail, 'Key exists')
    assert.match(
      mapped.message,
      /^saving catalog c1: unique constraint violated: boom 23505 \(Key exists\)$/,
    )
    for (const code of ['23503', '23502', '23514', '23P01']) {
      assert.ok(mapDatabaseError(driverError(code)) instanceof CheapIntegrityError, code)
    }
  })

  it('maps serialization failures and deadlocks to retryable conflicts', () => {
    assert.ok(mapDatabaseError(driverError('40001')) instanceof CheapConflictError)
    assert.ok(mapDatabaseError(driverError('40P01')) instanceof CheapConflictError)
  })

  it('maps a cancelled statement to a timeout', () => {
    assert.ok(mapDatabaseError(driverError('57014')) instanceof CheapTimeoutError)
  })

  it('maps broken connections, whatever raised them', () => {
    for (const error of [
      driverError('08006'),
      driverError('57P01'),
      driverError('ECONNRESET'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      const mapped = mapDatabaseError(error, 'loading', 'postgres://a:***@h:5432/d')
      assert.ok(mapped instanceof CheapConnectionError, String(error))
      assert.equal(mapped.target, 'postgres://a:***@h:5432/d')
    }
  })

  it('maps a missing table or schema to a schema mismatch naming the table', () => {
    const mapped = mapDatabaseError(
      driverError('42P01', { message: 'relation "catalog" does not exist' }),
    )
    assert.ok(mapped instanceof CheapSchemaMismatchError)
    assert.deepEqual(mapped.missingTables, ['catalog'])
    assert.match(mapped.message, /PostgresSchema\.createSchema/)
    assert.ok(mapDatabaseError(driverError('3F000')) instanceof CheapSchemaMismatchError)
  })

  it('passes CheapErrors and unknown errors through unchanged', () => {
    const cheap = new CheapError('NOT_FOUND', 'x')
    assert.equal(mapDatabaseError(cheap), cheap)
    const unknown = driverError('42601')
    assert.equal(mapDatabaseError(unknown), unknown)
    assert.equal(mapDatabaseError('text'), 'text')
  })
})

forEachBackend('adapter', (backend) => {
  let database: TestDatabase

  before(async () => {
    database = await backend.open()
  })
  after(() => database.close())

  it('answers a health check with its latency and server version', async () => {
    const health = await database.adapter.healthCheck()
    assert.equal(health.ok, true)
    assert.ok(health.latencyMs >= 0)
    assert.match(health.serverVersion, /^\d+\.\d+/)
  })

  it('runs every connection in UTC with the schema as its search_path', async () => {
    const { rows } = await sql<{ zone: string; path: string }>`
      SELECT current_setting('TimeZone') AS zone, current_schemas(false)::text AS path
    `.execute(database.adapter.db)
    assert.equal(rows[0]?.zone, 'UTC')
    assert.equal(rows[0]?.path, `{${database.schema}}`)
  })

  it('runs multi-statement scripts and clears a failed script transaction', async () => {
    const { adapter } = database
    await adapter.execScript('CREATE TEMP TABLE script_t (id int); INSERT INTO script_t VALUES (1)')
    await assert.rejects(
      adapter.execScript('BEGIN; INSERT INTO script_t VALUES (2); SELECT 1/0; COMMIT'),
    )
    const { rows } = await sql<{ n: bigint }>`SELECT count(*) AS n FROM script_t`.execute(
      adapter.db,
    )
    assert.equal(rows[0]?.n, 1n)
    await adapter.execScript('DROP TABLE script_t')
  })

  it('reports a table of a schema that was never created as a schema mismatch', async () => {
    const { adapter } = database
    const error = await sql`SELECT * FROM missing_table_x`.execute(adapter.db).then(
      () => assert.fail('selected from a missing table'),
      (failure: unknown) => adapter.mapError(failure, 'reading'),
    )
    assert.ok(error instanceof CheapSchemaMismatchError)
    assert.deepEqual(error.missingTables, ['missing_table_x'])
  })

  it('closes twice without complaint', async () => {
    const adapter = await (backend.name === 'pg' && PG_TEST_URL !== undefined
      ? PostgresAdapter.create({ connectionString: PG_TEST_URL, poolSize: 1 })
      : PostgresAdapter.embedded())
    await adapter.healthCheck()
    await adapter.close()
    await adapter.close()
  })
})

describe('pg only: server settings', { skip: PG_TEST_URL === undefined }, () => {
  const url = PG_TEST_URL ?? ''

  it('cancels a statement that runs past statementTimeoutMs as a timeout', async () => {
    const adapter = await PostgresAdapter.create(
      { connectionString: url },
      { statementTimeoutMs: 50, poolSize: 1 },
    )
    try {
      const error = await sql`SELECT pg_sleep(2)`.execute(adapter.db).then(
        () => assert.fail('the statement was not cancelled'),
        (failure: unknown) => adapter.mapError(failure),
      )
      assert.ok(error instanceof CheapTimeoutError, String(error))
    } finally {
      await adapter.close()
    }
  })

  it('reports a database that does not exist', async () => {
    const missing = new URL(url)
    missing.pathname = '/cheap_no_such_database'
    const error = await PostgresAdapter.create({ connectionString: missing.toString() }).then(
      (adapter) => adapter.close().then(() => assert.fail('connected to a missing database')),
      (failure: unknown) => failure,
    )
    assert.ok(error instanceof CheapConnectionError)
    assert.match(error.message, /3D000/)
  })

  it('works in a mixed-case schema, keeping options= given in the URL', async () => {
    const schema = randomSchemaName('Cheap_Mixed')
    const withOptions = new URL(url)
    withOptions.searchParams.set('options', '-c TimeZone=Asia/Tokyo')
    const adapter = await PostgresAdapter.create(
      { connectionString: withOptions.toString() },
      { schema },
    )
    try {
      await PostgresSchema.createSchema(adapter)
      await adapter.db
        .insertInto('catalog')
        .values({ catalog_id: 'c0a80001-0000-4000-8000-000000000009', species: 'SINK' })
        .execute()
      assert.equal((await adapter.db.selectFrom('catalog').selectAll().execute()).length, 1)
      const { rows } = await sql<{
        zone: string
      }>`SELECT current_setting('TimeZone') AS zone`.execute(adapter.db)
      assert.equal(rows[0]?.zone, 'UTC')
    } finally {
      await PostgresSchema.dropSchema(adapter).finally(() => adapter.close())
    }
  })

  it('queues concurrent createSchema calls instead of racing', async () => {
    const schema = randomSchemaName('cheap_race')
    const adapters = await Promise.all(
      [0, 1, 2].map(() =>
        PostgresAdapter.create({ connectionString: url }, { schema, poolSize: 1 }),
      ),
    )
    try {
      const results = await Promise.all(adapters.map((a) => PostgresSchema.createSchema(a)))
      assert.equal(results.filter((result) => result.applied.length > 0).length, 1)
    } finally {
      const [first] = adapters
      if (first !== undefined) await PostgresSchema.dropSchema(first)
      await Promise.all(adapters.map((a) => a.close()))
    }
  })
})

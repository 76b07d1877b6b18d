/**
 * Connection faults: an unreachable server, a server that accepts and never answers, a server
 * that goes away and comes back (through a local TCP proxy), terminated pooled connections, the
 * statement timeout, an exhausted pool, the health check and calls after close. Everything stays
 * on the loopback interface.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, it } from 'node:test'
import { sql } from 'kysely'
import { CheapConnectionError, CheapTimeoutError } from '../../src/errors.ts'
import { createCatalog } from '../../src/model/index.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { DEFAULT_POOL_TIMEOUT_MS } from '../../src/persistence/connection/pg-adapter-config.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { PG_TEST_URL, forEachBackend, randomSchemaName, type TestDatabase } from '../db/backends.ts'
import { describeOnServer } from './on-server.ts'
import { raw, rejectsWith, sleep } from './support.ts'

forEachBackend('reliability: health check and closed adapters', (backend) => {
  let db: TestDatabase
  before(async () => {
    db = await backend.open()
  })
  after(async () => db.close())

  it('healthCheck answers with the latency and the server version', async () => {
    const health = await db.adapter.healthCheck()
    assert.equal(health.ok, true)
    assert.ok(health.latencyMs >= 0 && Number.isFinite(health.latencyMs), `${health.latencyMs} ms`)
    assert.match(health.serverVersion, /^\d+(\.\d+)?/)
  })

  it('a call through a closed adapter is a CONNECTION error, not a crash', async () => {
    const closed = await backend.open()
    const adapter = closed.adapter
    const dao = new PostgresDao(adapter)
    await closed.close()
    await adapter.close() // harmless
    for (const call of [() => adapter.healthCheck(), () => dao.listCatalogs()]) {
      await rejectsWith(call, { code: 'CONNECTION', message: ['is closed', 'adapter.close()'] })
    }
  })

  it('an adapter closed before its first query ends its pool too', async () => {
    // Kysely ends its pool on destroy only if it ever ran a query: close() must end it anyway.
    const unused =
      db.adapter.kind === 'pg'
        ? await PostgresAdapter.create(
            { connectionString: PG_TEST_URL ?? '' },
            { schema: db.schema },
          )
        : await PostgresAdapter.embedded()
    const dao = new PostgresDao(unused)
    await unused.close()
    for (const call of [() => unused.healthCheck(), () => dao.listCatalogs()]) {
      await rejectsWith(call, { code: 'CONNECTION', message: ['is closed'] })
    }
  })
})

describeOnServer('reliability: connection faults', (url) => {
  const schema = randomSchemaName('cheap_faults')
  let admin: PostgresAdapter
  before(async () => {
    admin = await PostgresAdapter.create({ connectionString: url }, { schema, poolSize: 2 })
    await PostgresSchema.createSchema(admin)
  })
  after(async () => {
    try {
      await PostgresSchema.dropSchema(admin)
    } finally {
      await admin.close()
    }
  })

  it('an unreachable server fails at once with CONNECTION, naming the target, password masked', async () => {
    for (const target of [
      { connectionString: 'postgres://app:s3cret@127.0.0.1:1/cheap' },
      { host: '127.0.0.1', port: 1, user: 'app', password: 's3cret', database: 'cheap' },
    ]) {
      const started = performance.now()
      const error = await rejectsWith(
        () => PostgresAdapter.create(target, { connectTimeoutMs: 60_000 }),
        {
          code: 'CONNECTION',
          message: [
            'postgres://app:***@127.0.0.1:1/cheap',
            'ECONNREFUSED',
            'is the server running?',
          ],
        },
      )
      assert.ok(!error.message.includes('s3cret'), 'the password never appears')
      assert.ok(error instanceof CheapConnectionError)
      assert.equal(error.target, 'postgres://app:***@127.0.0.1:1/cheap')
      // Refused at once, not after the (long) connect timeout.
      assert.ok(performance.now() - started < 30_000)
    }
  })

  it('a server that accepts and never answers fails within connectTimeoutMs', async () => {
    const sockets = new Set<net.Socket>()
    const silent = net.createServer((socket) => {
      sockets.add(socket) // accept, read, never answer
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as net.AddressInfo
    try {
      for (const connectTimeoutMs of [300, 800]) {
        const started = performance.now()
        await rejectsWith(
          () =>
            PostgresAdapter.create(
              { connectionString: `postgres://app:s3cret@127.0.0.1:${port}/cheap` },
              { connectTimeoutMs },
            ),
          {
            code: 'CONNECTION',
            message: [
              `postgres://app:***@127.0.0.1:${port}/cheap`,
              `within ${connectTimeoutMs} ms`,
            ],
          },
        )
        const elapsed = performance.now() - started
        assert.ok(elapsed >= connectTimeoutMs * 0.9, `gave up too early: ${elapsed} ms`)
        // Bounded (without the timeout it would wait forever); wide, for a busy machine.
        assert.ok(elapsed < connectTimeoutMs + 20_000, `took ${elapsed} ms`)
      }
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it('a server that closes every connection at once fails with CONNECTION', async () => {
    const closing = net.createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve))
    const { port } = closing.address() as net.AddressInfo
    try {
      await rejectsWith(
        () => PostgresAdapter.create({ connectionString: `postgres://app@127.0.0.1:${port}/x` }),
        { code: 'CONNECTION', message: [`127.0.0.1:${port}`] },
      )
    } finally {
      await new Promise((resolve) => closing.close(resolve))
    }
  })

  it('a server that goes away: calls fail with CONNECTION; when it is back the pool recovers', async () => {
    const proxy = new LoopbackProxy(new URL(url))
    const port = await proxy.start()
    const target = new URL(url)
    target.host = `127.0.0.1:${port}`
    const adapter = await PostgresAdapter.create(
      { connectionString: target.toString() },
      { schema, poolSize: 2, connectTimeoutMs: 60_000 },
    )
    try {
      const dao = new PostgresDao(adapter)
      const catalog = createCatalog()
      await dao.saveCatalog(catalog)
      await proxy.stop() // the server "goes away": connections cut, new ones refused
      for (const call of [() => adapter.healthCheck(), () => dao.loadCatalog(catalog.globalId)]) {
        const started = performance.now()
        await rejectsWith(call, { code: 'CONNECTION', message: [`127.0.0.1:${port}`] })
        // At once, not after the 60 s connect timeout.
        assert.ok(performance.now() - started < 30_000)
      }
      await proxy.start(port) // back
      assert.equal((await adapter.healthCheck()).ok, true)
      catalog.version = 2n
      assert.equal((await dao.saveCatalog(catalog)).revision, 2n)
      assert.equal((await dao.loadCatalog(catalog.globalId))?.version, 2n)
    } finally {
      await adapter.close()
      await proxy.stop()
    }
  })

  it('the pool replaces connections the server terminated', async () => {
    const application = `cheap-faults-${process.pid}-${Date.now()}`
    const adapter = await PostgresAdapter.create(
      { connectionString: url },
      { schema, poolSize: 3, applicationName: application },
    )
    try {
      // Three connections at once, so the pool holds three.
      await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.05)`.execute(adapter.db)))
      const pids = await backendPids(application)
      assert.equal(pids.length, 3)
      await sql`select pg_terminate_backend(p) from unnest(${pids}::int[]) as p`.execute(raw(admin))
      await waitUntilGone(pids)
      const dao = new PostgresDao(adapter)
      for (let i = 0; i < 10; i++) assert.equal((await adapter.healthCheck()).ok, true)
      await dao.saveCatalog(createCatalog())
      const fresh = await backendPids(application)
      assert.ok(fresh.length >= 1 && fresh.every((p) => !pids.includes(p)), 'new connections')
    } finally {
      await adapter.close()
    }
  })

  it('statementTimeoutMs: a longer statement is a TIMEOUT, and the pool still works', async () => {
    const adapter = await PostgresAdapter.create(
      { connectionString: url },
      { schema, poolSize: 2, statementTimeoutMs: 300 },
    )
    const holder = await PostgresAdapter.create({ connectionString: url }, { schema, poolSize: 1 })
    try {
      const started = performance.now()
      const error = await rejectsWith(
        async () => {
          try {
            await sql`select pg_sleep(60)`.execute(adapter.db)
          } catch (e) {
            throw adapter.mapError(e, 'sleeping')
          }
        },
        { code: 'TIMEOUT', message: ['sleeping', '57014', 'statement timeout'] },
      )
      assert.ok(error instanceof CheapTimeoutError)
      // The statement timeout ended it, not the 60 s sleep.
      assert.ok(performance.now() - started < 30_000)
      // Through the DAO: a save and a partial write blocked by another session's row lock.
      const dao = new PostgresDao(adapter)
      const catalog = createCatalog()
      catalog.createEntityList('list')
      await dao.saveCatalog(catalog)
      let release = () => {}
      const released = new Promise<void>((resolve) => (release = resolve))
      let locked = () => {}
      const isLocked = new Promise<void>((resolve) => (locked = resolve))
      const holding = holder.withConnection(async ({ db }) => {
        await db.transaction().execute(async (trx) => {
          await sql`select 1 from catalog where catalog_id = ${catalog.globalId}::uuid for update`.execute(
            trx,
          )
          locked()
          await released
        })
      })
      await isLocked
      catalog.version = 5n
      const blocked = performance.now()
      await rejectsWith(() => dao.saveCatalog(catalog), {
        code: 'TIMEOUT',
        message: [`saving catalog ${catalog.globalId}`, 'statement timeout'],
      })
      await rejectsWith(() => dao.addToEntityList(catalog.globalId, 'list', [catalog.globalId]), {
        code: 'TIMEOUT',
        message: ['adding to entity list "list"'],
      })
      // The lock is held until release(): only the statement timeout can have ended them.
      assert.ok(performance.now() - blocked < 30_000)
      release()
      await holding
      assert.equal(
        await dao.catalogRevision(catalog.globalId),
        1n,
        'the timed-out writes left nothing',
      )
      assert.equal((await dao.saveCatalog(catalog)).revision, 2n, 'the pool still works')
      assert.equal((await adapter.healthCheck()).ok, true)
    } finally {
      await holder.close()
      await adapter.close()
    }
  })

  it('an exhausted pool: a waiting call fails with TIMEOUT after poolTimeoutMs, naming the pool size', async () => {
    assert.equal(DEFAULT_POOL_TIMEOUT_MS, 30_000)
    const adapter = await PostgresAdapter.create(
      { connectionString: url },
      { schema, poolSize: 1, poolTimeoutMs: 400 },
    )
    try {
      const dao = new PostgresDao(adapter)
      let release = () => {}
      const released = new Promise<void>((resolve) => (release = resolve))
      let held = () => {}
      const isHeld = new Promise<void>((resolve) => (held = resolve))
      const holding = adapter.withConnection(async () => {
        held()
        await released
      })
      await isHeld
      for (const call of [
        () => dao.listCatalogs(),
        () => adapter.healthCheck(),
        () => dao.saveCatalog(createCatalog()),
        () => adapter.withConnection(async () => {}),
      ]) {
        const started = performance.now()
        const error = await rejectsWith(call, {
          code: 'TIMEOUT',
          message: ['poolTimeoutMs = 400 ms', 'poolSize = 1', 'raise poolSize or poolTimeoutMs'],
        })
        assert.ok(error instanceof CheapTimeoutError)
        const elapsed = performance.now() - started
        // The pool is held until release(): only poolTimeoutMs can have ended the wait.
        assert.ok(elapsed >= 350 && elapsed < 30_000, `${elapsed} ms`)
      }
      release()
      await holding
      assert.equal((await adapter.healthCheck()).ok, true, 'the connection is free again')
      assert.equal((await dao.listCatalogs()).length >= 0, true)
    } finally {
      await adapter.close()
    }
  })

  async function backendPids(application: string): Promise<number[]> {
    const rows = await sql<{
      pid: number
    }>`select pid from pg_stat_activity where application_name = ${application} and datname = current_database()`.execute(
      raw(admin),
    )
    return rows.rows.map((r) => r.pid)
  }

  async function waitUntilGone(pids: readonly number[]): Promise<void> {
    for (let i = 0; i < 400; i++) {
      const rows = await sql<{
        n: number
      }>`select count(*)::int as n from pg_stat_activity where pid = any(${[...pids]}::int[])`.execute(
        raw(admin),
      )
      if ((rows.rows[0]?.n ?? 0) === 0) break
      await sleep(5)
    }
    await sleep(20)
  }
})

/** A TCP proxy on 127.0.0.1 to the test server, that can be stopped (cutting every connection) and restarted. */
class LoopbackProxy {
  readonly #upstream: { readonly host: string; readonly port: number }
  #server: net.Server | undefined
  readonly #sockets = new Set<net.Socket>()

  constructor(url: URL) {
    const host = url.hostname === '' || url.hostname === 'localhost' ? '127.0.0.1' : url.hostname
    if (host !== '127.0.0.1' && host !== '[::1]') throw new Error(`not a loopback server: ${host}`)
    this.#upstream = { host, port: url.port === '' ? 5432 : Number(url.port) }
  }

  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.#upstream.port, this.#upstream.host)
      for (const s of [client, upstream]) {
        this.#sockets.add(s)
        s.on('error', () => {})
        s.on('close', () => {
          this.#sockets.delete(s)
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream).pipe(client)
    })
    this.#server = server
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    return (server.address() as net.AddressInfo).port
  }

  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    for (const s of this.#sockets) s.destroy()
    if (server !== undefined) await new Promise((resolve) => server.close(resolve))
  }
}

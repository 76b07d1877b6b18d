/**
 * The adapter through real PgBouncer in transaction mode (scripts/replica-cluster.sh, started by
 * .ci/run; few server sessions handed out in turn, so consecutive transactions change session):
 * what it refuses and how it says so, and the schema operations. The round trip, partial calls,
 * transactions and concurrency suites run through it too (forEachBackendAndPgbouncer). Registered
 * only when the topology's variables are set, so no skipped test is left behind elsewhere.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { CheapConnectionError } from '../../src/errors.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { randomSchemaName } from '../db/backends.ts'
import { onNode } from './replica-support.ts'

const bouncerUrl = process.env['CHEAP_TEST_PGBOUNCER_URL']?.trim() || undefined
const primaryUrl = process.env['CHEAP_TEST_PRIMARY_URL']?.trim() || undefined

if (bouncerUrl !== undefined && primaryUrl !== undefined) {
  const bouncer: string = bouncerUrl
  const primary: string = primaryUrl
  describe('pgbouncer: transaction pooling', () => {
    const databases: string[] = []
    /** A database of its own on the primary, with `settings` as its defaults; its PgBouncer URL. */
    async function database(settings: readonly string[], pgbouncer = true): Promise<string> {
      const name = randomSchemaName('cheap_bounced')
      await onNode(primary, `CREATE DATABASE ${name}`)
      databases.push(name)
      for (const setting of settings) await onNode(primary, `ALTER DATABASE ${name} SET ${setting}`)
      const url = new URL(bouncer)
      url.pathname = `/${name}`
      if (pgbouncer) url.searchParams.set('pgbouncer', 'true')
      return url.toString()
    }
    after(async () => {
      for (const name of databases) {
        await onNode(primary, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      }
    })

    let ready = ''
    before(async () => {
      ready = await database(['search_path = cheap', "TimeZone = 'UTC'"])
    })

    it('without transactionPooling: PgBouncer refuses our startup parameters, and the error says what to pass', async () => {
      const url = new URL(ready)
      url.searchParams.delete('pgbouncer')
      await assert.rejects(
        PostgresAdapter.create({ connectionString: url.toString() }, { schema: 'cheap' }),
        (error: unknown) => {
          assert.ok(error instanceof CheapConnectionError, String(error))
          assert.match(error.message, /refused the startup parameter `options` \(08P01\)/)
          assert.match(error.message, /transactionPooling: true/)
          assert.match(error.message, /\?pgbouncer=true/)
          return true
        },
      )
    })

    it('a database without the settings is refused at create, naming the ALTER DATABASE to run', async () => {
      const url = await database(["TimeZone = 'Europe/Paris'"])
      const name = new URL(url).pathname.slice(1)
      await assert.rejects(
        PostgresAdapter.create({ connectionString: url }, { schema: 'cheap' }),
        (error: unknown) => {
          assert.ok(error instanceof CheapConnectionError, String(error))
          assert.match(error.message, /lack settings the adapter needs/)
          assert.ok(
            error.message.includes(
              `ALTER DATABASE "${name}" SET TimeZone = 'UTC'; ALTER DATABASE "${name}" SET search_path = "cheap";`,
            ),
            error.message,
          )
          return true
        },
      )
    })

    it('the option and the URL parameter are the same; the URL parameter never reaches the server', async () => {
      const url = new URL(ready)
      url.searchParams.delete('pgbouncer')
      const adapter = await PostgresAdapter.create(
        { connectionString: url.toString() },
        { schema: 'cheap', transactionPooling: true },
      )
      try {
        assert.doesNotMatch(adapter.target, /pgbouncer/)
        const health = await adapter.healthCheck()
        assert.equal(health.ok, true)
      } finally {
        await adapter.close()
      }
    })

    it('creates, migrates and reports the schema, with concurrent migrations applying each step once', async () => {
      const url = await database(['search_path = cheap', "TimeZone = 'UTC'"])
      const adapters = await Promise.all(
        [0, 1, 2].map(() =>
          PostgresAdapter.create({ connectionString: url }, { schema: 'cheap', poolSize: 2 }),
        ),
      )
      try {
        const results = await Promise.all(adapters.map((a) => PostgresSchema.migrate(a)))
        const created = results.filter((r) => r.from === null)
        assert.equal(created.length, 1, 'exactly one migration created the schema')
        assert.ok((created[0]?.applied.length ?? 0) > 0)
        for (const r of results.filter((x) => x.from !== null)) assert.deepEqual(r.applied, [])
        const status = await PostgresSchema.status(adapters[0] as PostgresAdapter)
        assert.deepEqual(status.pending, [])
        assert.equal(status.version, created[0]?.to)
        const again = await PostgresSchema.createSchema(adapters[1] as PostgresAdapter)
        assert.deepEqual(again.applied, [])
      } finally {
        for (const a of adapters) await a.close()
      }
    })
  })
}

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { sql, type Kysely } from 'kysely'
import { readSchemaSteps } from '../../src/persistence/schema/steps.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

forEachBackend('healthCheck', (backend) => {
  let db: TestDatabase
  before(async () => {
    db = await backend.open()
  })
  after(async () => db.close())

  it('reports the schema version against the library and the pool use', async () => {
    const steps = await readSchemaSteps()
    const last = steps.at(-1)?.version ?? 0
    const health = await db.adapter.healthCheck()
    assert.equal(health.ok, true)
    assert.deepEqual(health.schema, { version: last, libraryVersion: last, pendingSteps: 0 })
    if (backend.name === 'pglite') {
      assert.equal(health.pool, null)
    } else {
      assert.ok(health.pool !== null)
      assert.ok(
        health.pool.total >= 1 && health.pool.idle <= health.pool.total && health.pool.waiting >= 0,
      )
    }
  })

  it('counts the steps a schema lacks', async () => {
    const raw = db.adapter.db as unknown as Kysely<unknown>
    const row = await sql<{
      name: string
      checksum: string
    }>`delete from schema_migration where version = (select max(version) from schema_migration) returning name, checksum`.execute(
      raw,
    )
    try {
      const health = await db.adapter.healthCheck()
      assert.equal(health.schema.pendingSteps, 1)
      assert.equal(health.schema.version, health.schema.libraryVersion - 1)
    } finally {
      const r = row.rows[0]
      if (r !== undefined) {
        await sql`insert into schema_migration (version, name, checksum) values (${Number(r.name.slice(0, 3))}, ${r.name}, ${r.checksum})`.execute(
          raw,
        )
      }
    }
  })
})

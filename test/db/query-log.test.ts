/**
 * The adapter's `log` option: every statement the library runs — Kysely's, and COPY on a server
 * — reaches the logger with its text, parameter count and duration, parameter values only when
 * asked for, failures as `error`; a logger that throws never fails a statement.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
} from '../../src/model/index.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import type { QueryLogEvent, QueryLogOptions } from '../../src/persistence/connection/query-log.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { BACKENDS, PG_TEST_URL, randomSchemaName } from './backends.ts'

const secret = createAspectDef({
  name: 'com.example.log.secret',
  properties: [createPropertyDef({ name: 'token', type: 'STR' })],
})

async function open(name: 'pg' | 'pglite', options: QueryLogOptions): Promise<PostgresAdapter> {
  return name === 'pg'
    ? PostgresAdapter.create(
        { connectionString: PG_TEST_URL ?? '' },
        { ...options, schema: randomSchemaName('cheap_log') },
      )
    : PostgresAdapter.embedded(options)
}

for (const backend of BACKENDS) {
  describe(`${backend.name}: the query log`, () => {
    it('reports every statement with its duration, and values only when asked', async () => {
      for (const logParameters of [false, true]) {
        const events: QueryLogEvent[] = []
        const adapter = await open(backend.name, { log: (e) => events.push(e), logParameters })
        try {
          await PostgresSchema.createSchema(adapter)
          const catalog = createCatalog()
          const map = catalog.extend(secret)
          // Enough rows that a server save goes through COPY.
          for (let i = 0; i < 3000; i++)
            map.add(createAspect(secret, newEntityId(), { token: `s3cret-${i}` }))
          await new PostgresDao(adapter).saveCatalog(catalog)
          await new PostgresDao(adapter).loadCatalog(catalog.globalId)
          assert.ok(events.length > 5, `${events.length} events`)
          assert.ok(events.every((e) => e.durationMs >= 0 && e.sql.length > 0))
          assert.ok(events.some((e) => /select/i.test(e.sql) && e.parameterCount > 0))
          if (backend.name === 'pg') assert.ok(events.some((e) => e.sql.startsWith('COPY "')))
          // Values travel as parameters or COPY data, never in the logged text.
          assert.doesNotMatch(events.map((e) => e.sql).join('\n'), /s3cret/)
          if (logParameters) assert.ok(events.some((e) => (e.parameters?.length ?? 0) > 0))
          else {
            assert.ok(events.every((e) => e.parameters === undefined))
          }
        } finally {
          if (backend.name === 'pg') await PostgresSchema.dropSchema(adapter)
          await adapter.close()
        }
      }
    })

    it('reports a failed statement as an error, and a throwing logger breaks nothing', async () => {
      const events: QueryLogEvent[] = []
      const adapter = await open(backend.name, {
        log: (e) => {
          events.push(e)
          throw new Error('the logger is broken')
        },
      })
      try {
        await assert.rejects(sql`select * from no_such_table`.execute(adapter.db))
        const failed = events.find((e) => e.level === 'error')
        assert.ok(failed !== undefined)
        assert.match(failed.sql, /no_such_table/)
        assert.ok(failed.error instanceof Error)
        const { rows } = await sql<{ one: number }>`select 1 as one`.execute(adapter.db)
        assert.equal(rows[0]?.one, 1)
      } finally {
        await adapter.close()
      }
    })
  })
}

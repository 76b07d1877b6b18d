import { PGlite } from '@electric-sql/pglite'
import { randomBytes } from 'node:crypto'
import { after, describe } from 'node:test'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import type { QueryLogger } from '../../src/persistence/connection/query-log.ts'
import { preparePgliteRuntime } from '../../src/persistence/connection/pglite-runtime.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'

/** A database with the CHEAP schema applied, private to the test that opened it. */
export interface TestDatabase {
  readonly adapter: PostgresAdapter
  /** The PostgreSQL schema holding the tables (`adapter.schema`). */
  readonly schema: string
  /** Empties every definition and catalog table. */
  reset(): Promise<void>
  /** Drops the throw-away schema (pg) and closes the adapter. */
  close(): Promise<void>
}

export interface OpenOptions {
  readonly includeAudit?: boolean
  /** The adapter's statement log (counts round trips). */
  readonly log?: QueryLogger
}

export interface TestBackend {
  readonly name: 'pglite' | 'pg'
  open(options?: OpenOptions): Promise<TestDatabase>
}

/** A unique, valid schema name, so parallel runs on one server never collide. */
export function randomSchemaName(prefix = 'cheap_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`
}

/** The server for `pg`: CHEAP_TEST_PG_URL, else DATABASE_URL. */
export const PG_TEST_URL = nonEmpty(process.env['CHEAP_TEST_PG_URL'] ?? process.env['DATABASE_URL'])

// One PGlite start per test file (≈2 s), with the schema created in it once; every open() clones
// it (≈0.8 s) into a private instance, so no test pays for createSchema on WASM again. The
// adapter that created the schema is never closed: closing it would close the template, which
// the file's after() closes.
let template: Promise<PGlite> | undefined
after(async () => {
  if (template !== undefined) await (await template).close()
})

async function createTemplate(): Promise<PGlite> {
  // This file makes its PGlite instances itself: the library's Node 24 workaround comes first.
  await preparePgliteRuntime()
  const instance = await PGlite.create()
  await PostgresSchema.createSchema(await PostgresAdapter.embedded({ pglite: instance }), {
    includeAudit: false,
  })
  return instance
}

const pglite: TestBackend = {
  name: 'pglite',
  async open(options = {}) {
    template ??= createTemplate()
    // clone() is declared as PGliteInterface but returns a full PGlite instance.
    const instance = (await (await template).clone()) as PGlite
    const adapter = await PostgresAdapter.embedded({ pglite: instance, log: options.log })
    // Adds the audit layer when asked; otherwise finds the cloned schema current (one query).
    await PostgresSchema.createSchema(adapter, { includeAudit: options.includeAudit ?? false })
    return testDatabase(adapter, () => adapter.close())
  },
}

const pg: TestBackend = {
  name: 'pg',
  async open(options = {}) {
    if (PG_TEST_URL === undefined) {
      throw new Error('the pg backend needs CHEAP_TEST_PG_URL or DATABASE_URL')
    }
    const adapter = await PostgresAdapter.create(
      { connectionString: PG_TEST_URL },
      { schema: randomSchemaName(), poolSize: 4, log: options.log },
    )
    try {
      await PostgresSchema.createSchema(adapter, { includeAudit: options.includeAudit ?? false })
    } catch (error) {
      await PostgresSchema.dropSchema(adapter).finally(() => adapter.close())
      throw error
    }
    return testDatabase(adapter, async () => {
      try {
        await PostgresSchema.dropSchema(adapter)
      } finally {
        await adapter.close()
      }
    })
  },
}

function testDatabase(adapter: PostgresAdapter, close: () => Promise<void>): TestDatabase {
  return {
    adapter,
    schema: adapter.schema,
    reset: () => PostgresSchema.truncate(adapter),
    close,
  }
}

function selectBackends(): readonly TestBackend[] {
  const requested = nonEmpty(process.env['CHEAP_TEST_BACKENDS'])
  const names =
    requested === undefined
      ? ['pglite', ...(PG_TEST_URL === undefined ? [] : ['pg'])]
      : requested.split(',').map((name) => name.trim())
  return names.map((name) => {
    if (name === 'pglite') return pglite
    if (name === 'pg') {
      // Requested but not configured: fail loudly rather than skip silently.
      if (PG_TEST_URL === undefined) {
        throw new Error(
          'CHEAP_TEST_BACKENDS asks for pg, but neither CHEAP_TEST_PG_URL nor DATABASE_URL is set',
        )
      }
      return pg
    }
    throw new Error(`CHEAP_TEST_BACKENDS: unknown backend ${JSON.stringify(name)} (pglite, pg)`)
  })
}

/** The backends this run tests: CHEAP_TEST_BACKENDS, default pglite plus pg when a URL is set. */
export const BACKENDS: readonly TestBackend[] = selectBackends()

/** `describe(`${backend.name}: ${title}`, …)` once per backend. */
export function forEachBackend(title: string, fn: (backend: TestBackend) => void): void {
  for (const backend of BACKENDS) {
    describe(`${backend.name}: ${title}`, () => fn(backend))
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

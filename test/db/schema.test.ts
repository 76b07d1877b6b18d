import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import type { CheapAuditedDatabase, CheapDatabase } from '../../src/persistence/schema/database.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { readSchemaSteps } from '../../src/persistence/schema/steps.ts'
import { AUDITED_TABLE_NAMES, TABLE_NAMES, TABLES } from '../../src/persistence/schema/tables.ts'
import { forEachBackend, randomSchemaName } from './backends.ts'
import { liveTables } from '../support/introspect.ts'
import type { TestDatabase } from './backends.ts'
import { insertSampleCatalog } from './sample-rows.ts'

/** Every object createSchema makes, with its oid, so a re-created object shows up as changed. */
async function schemaObjects(db: Kysely<CheapDatabase>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ entry: string }>`
    WITH ns AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ${schema})
    SELECT 'class ' || c.relname || ' ' || c.relkind::text || ' ' || c.oid AS entry
      FROM pg_catalog.pg_class c WHERE c.relnamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT 'column ' || c.relname || '.' || a.attname || ' ' || a.attnum || ' ' || a.atttypid
      FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
      WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind = 'r' AND a.attnum > 0
    UNION ALL
    SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || oid
      FROM pg_catalog.pg_constraint WHERE connamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT 'trigger ' || t.tgname || ' ' || t.oid
      FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
      WHERE c.relnamespace = (SELECT oid FROM ns) AND NOT t.tgisinternal
    UNION ALL
    SELECT 'function ' || p.proname || ' ' || p.oid
      FROM pg_catalog.pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
    ORDER BY 1
  `.execute(db)
  return rows.map((row) => row.entry)
}

async function ledger(db: Kysely<CheapDatabase>, schema: string) {
  return db
    .withSchema(schema)
    .selectFrom('schema_migration')
    .selectAll()
    .orderBy('version')
    .execute()
}

async function rowCount(db: Kysely<CheapDatabase>, schema: string, table: string): Promise<number> {
  const { rows } = await sql<{ n: bigint }>`SELECT count(*) AS n FROM ${sql.table(
    `${schema}.${table}`,
  )}`.execute(db)
  return Number(rows[0]?.n)
}

async function columnsOf(db: Kysely<CheapDatabase>, schema: string, table: string) {
  const tables = await liveTables(db, schema)
  return (tables.find((t) => t.name === table)?.columns ?? []).map((column) => column.name)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const latest = Math.max(...(await readSchemaSteps()).map((step) => step.version))

forEachBackend('schema bootstrap', (backend) => {
  let plain: TestDatabase
  let audited: TestDatabase

  before(async () => {
    plain = await backend.open()
    audited = await backend.open({ includeAudit: true })
  })
  after(async () => {
    await plain.close()
    await audited.close()
  })

  it('changes nothing when createSchema runs a second time', async () => {
    const { adapter, schema } = audited
    const objects = await schemaObjects(adapter.db, schema)
    const recorded = await ledger(adapter.db, schema)
    const result = await PostgresSchema.createSchema(adapter, { includeAudit: true })
    assert.deepEqual(result, {
      applied: [],
      version: latest,
      addedAudit: false,
      distributed: false,
    })
    assert.deepEqual(await schemaObjects(adapter.db, schema), objects)
    assert.deepEqual(await ledger(adapter.db, schema), recorded)
  })

  it('records each applied file with its version, name and checksum', async () => {
    const files = await readSchemaSteps()
    const rows = await ledger(audited.adapter.db, audited.schema)
    assert.deepEqual(
      rows.map(({ version, name, checksum }) => ({ version, name, checksum })),
      files.map(({ version, name, checksum }) => ({ version, name, checksum })),
    )
    // Audit columns are not a step: both ledgers are the same.
    const plainRows = await ledger(plain.adapter.db, plain.schema)
    assert.deepEqual(
      plainRows.map((row) => row.version),
      files.map((file) => file.version),
    )
  })

  it('refuses a schema whose recorded file differs from the file on disk', async () => {
    const { adapter } = plain
    await adapter.db
      .updateTable('schema_migration')
      .set({ checksum: 'edited' })
      .where('version', '=', 2)
      .execute()
    try {
      await assert.rejects(PostgresSchema.createSchema(adapter), {
        name: 'CheapSchemaMismatchError',
        message: /002-lookups\.sql/,
      })
    } finally {
      const file = (await readSchemaSteps()).find((f) => f.version === 2)
      await adapter.db
        .updateTable('schema_migration')
        .set({ checksum: file?.checksum ?? '' })
        .where('version', '=', 2)
        .execute()
    }
  })

  it('adds the audit columns and triggers exactly when includeAudit is set', async () => {
    for (const db of [plain, audited]) {
      const isAudited = db === audited
      assert.equal((await PostgresSchema.status(db.adapter)).hasAudit, isAudited)
      for (const table of TABLE_NAMES) {
        const expected = [
          ...Object.keys(TABLES[table].columns),
          ...(isAudited && AUDITED_TABLE_NAMES.includes(table) ? ['created_at', 'updated_at'] : []),
        ]
        assert.deepEqual(await columnsOf(db.adapter.db, db.schema, table), expected, table)
      }
    }
  })

  it('adds audit columns to a schema created without them when asked later', async () => {
    const { adapter } = plain
    const schema = randomSchemaName('cheap_late_audit')
    try {
      await PostgresSchema.createSchema(adapter, { schema })
      assert.equal((await PostgresSchema.status(adapter, { schema })).hasAudit, false)
      const result = await PostgresSchema.createSchema(adapter, { schema, includeAudit: true })
      assert.deepEqual(result, {
        applied: [],
        version: latest,
        addedAudit: true,
        distributed: false,
      })
      assert.equal((await PostgresSchema.status(adapter, { schema })).hasAudit, true)
    } finally {
      await PostgresSchema.dropSchema(adapter, { schema })
    }
  })

  it('moves updated_at on a real change and leaves it on an update that changes nothing', async () => {
    const db = audited.adapter.db.withTables<CheapAuditedDatabase>()
    const catalogId = '7d3c1c52-93a5-4a4e-9bd6-0c64a5a3e0f1'
    await db.insertInto('catalog').values({ catalog_id: catalogId, species: 'SINK' }).execute()
    const stamps = () =>
      db
        .selectFrom('catalog')
        .select(['created_at', 'updated_at'])
        .where('catalog_id', '=', catalogId)
        .executeTakeFirstOrThrow()
    const inserted = await stamps()
    await sleep(20) // now() is the transaction start: each statement below is its own transaction
    await db.updateTable('catalog').set({ uri: null }).where('catalog_id', '=', catalogId).execute()
    assert.deepEqual(await stamps(), inserted)
    await sleep(20)
    await db
      .updateTable('catalog')
      .set({ uri: 'https://example.org/c' })
      .where('catalog_id', '=', catalogId)
      .execute()
    const changed = await stamps()
    assert.equal(changed.created_at, inserted.created_at)
    assert.ok(
      changed.updated_at > inserted.updated_at,
      `${changed.updated_at} > ${inserted.updated_at}`,
    )
    await audited.reset()
  })

  it('drops the schema and creates it again', async () => {
    const { adapter } = plain
    const schema = randomSchemaName('cheap_drop')
    await PostgresSchema.createSchema(adapter, { schema, includeAudit: true })
    await PostgresSchema.dropSchema(adapter, { schema })
    const dropped = await PostgresSchema.status(adapter, { schema })
    assert.equal(dropped.exists, false)
    assert.deepEqual(dropped.missingTables, TABLE_NAMES)
    try {
      const created = await PostgresSchema.createSchema(adapter, { schema })
      assert.equal(created.version, latest)
      assert.deepEqual((await PostgresSchema.status(adapter, { schema })).missingTables, [])
    } finally {
      await PostgresSchema.dropSchema(adapter, { schema })
    }
  })

  // Only PGlite's database is private to the test: on the server, tests never touch public.
  const onPublic = backend.name === 'pglite' ? it : () => undefined
  void onPublic('drops only its own tables and function from the public schema', async () => {
    const { adapter } = plain
    assert.equal(adapter.schema, 'public')
    await PostgresSchema.createSchema(adapter, { includeAudit: true })
    await adapter.execScript('CREATE TABLE keep_me (id int)')
    await PostgresSchema.dropSchema(adapter)
    const status = await PostgresSchema.status(adapter)
    assert.deepEqual(status.missingTables, TABLE_NAMES)
    assert.deepEqual(status.unexpectedTables, ['keep_me'])
    await adapter.execScript('DROP TABLE keep_me')
    await PostgresSchema.createSchema(adapter)
  })

  it('keeps two named schemas in one database apart', async () => {
    const { adapter } = plain
    const [left, right] = [randomSchemaName('cheap_left'), randomSchemaName('cheap_right')]
    try {
      await PostgresSchema.createSchema(adapter, { schema: left })
      await PostgresSchema.createSchema(adapter, { schema: right, includeAudit: true })
      await adapter.db
        .withSchema(left)
        .insertInto('catalog')
        .values({ catalog_id: 'c0a80001-0000-4000-8000-000000000001', species: 'SOURCE' })
        .execute()
      assert.equal(await rowCount(adapter.db, left, 'catalog'), 1)
      assert.equal(await rowCount(adapter.db, right, 'catalog'), 0)
      assert.equal((await PostgresSchema.status(adapter, { schema: left })).hasAudit, false)
      assert.equal((await PostgresSchema.status(adapter, { schema: right })).hasAudit, true)
    } finally {
      await PostgresSchema.dropSchema(adapter, { schema: left })
      await PostgresSchema.dropSchema(adapter, { schema: right })
    }
  })

  it('reports a dropped table as missing and an unknown one as unexpected, and refuses to guess', async () => {
    const { adapter } = plain
    const schema = randomSchemaName('cheap_damaged')
    try {
      await PostgresSchema.createSchema(adapter, { schema })
      await adapter.execScript(
        `DROP TABLE ${schema}.property_list; CREATE TABLE ${schema}.stray_table (id int)`,
      )
      const status = await PostgresSchema.status(adapter, { schema })
      assert.equal(status.exists, true)
      assert.equal(status.state, 'damaged')
      assert.equal(status.version, latest)
      assert.deepEqual(status.missingTables, ['property_list'])
      assert.deepEqual(status.unexpectedTables, ['stray_table'])
      // Steps transform what earlier steps made, so running them again cannot rebuild one table.
      await assert.rejects(PostgresSchema.createSchema(adapter, { schema }), {
        name: 'CheapSchemaMismatchError',
        message: /lacks the table property_list \(dropped by hand\?\)/,
      })
    } finally {
      await PostgresSchema.dropSchema(adapter, { schema })
    }
  })

  it('empties every definition and catalog table but keeps lookups and the ledger', async () => {
    const { adapter, schema } = audited
    await insertSampleCatalog(adapter.db)
    const before = await ledger(adapter.db, schema)
    await PostgresSchema.truncate(adapter)
    for (const table of TABLE_NAMES) {
      const count = await rowCount(adapter.db, schema, table)
      const group = TABLES[table].group
      if (group === 'definition' || group === 'catalog') assert.equal(count, 0, table)
      else assert.ok(count > 0, `${table} keeps its rows`)
    }
    assert.deepEqual(await ledger(adapter.db, schema), before)
  })

  it('rejects an invalid schema name before any SQL runs', async () => {
    await assert.rejects(PostgresSchema.createSchema(plain.adapter, { schema: 'x"; DROP' }), {
      name: 'CheapValidationError',
    })
  })
})

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, beforeEach, it } from 'node:test'
import fc from 'fast-check'
import { sql, type Kysely } from 'kysely'
import { DateTime } from 'luxon'
import { CheapError, type CheapErrorCode, type CheapValidationError } from '../../src/errors.ts'
import {
  Aspect,
  catalogDiff,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  toEntityId,
  type AspectDef,
  type Catalog,
} from '../../src/model/index.ts'
import { VALUE_TABLE_NAMES as VALUE_TABLES } from '../../src/persistence/store/codecs/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { catalogArb } from '../support/catalog-arbitraries.ts'
import { applyEdits, catalogWithEditsArb } from '../support/edits.ts'
import { assertProperty } from '../support/fast-check.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

const ROUND_TRIP_RUNS = 60
const EDIT_RUNS = 30
const MOVE_RUNS = 30

function tableName(): string {
  return `t_${randomBytes(6).toString('hex')}`
}

async function rejects(
  action: Promise<unknown>,
  code: CheapErrorCode,
  fragment?: string | RegExp,
): Promise<CheapError> {
  let thrown: unknown
  try {
    await action
  } catch (error) {
    thrown = error
  }
  assert.ok(thrown instanceof CheapError, `expected a CheapError ${code}, got ${String(thrown)}`)
  assert.equal(thrown.code, code, thrown.message)
  if (typeof fragment === 'string') assert.ok(thrown.message.includes(fragment), thrown.message)
  else if (fragment !== undefined) assert.match(thrown.message, fragment)
  return thrown
}

function raw(db: TestDatabase): Kysely<unknown> {
  return db.adapter.db as unknown as Kysely<unknown>
}

async function count(db: TestDatabase, table: string, where = sql`true`): Promise<number> {
  const rows = await sql<{
    n: bigint
  }>`select count(*) as n from ${sql.id(table)} where ${where}`.execute(raw(db))
  return Number(rows.rows[0]?.n ?? 0n)
}

/** Value rows (and list rows) of a def left in the generic tables. */
async function genericRows(db: TestDatabase, defId: string): Promise<number> {
  let n = 0
  for (const table of [...VALUE_TABLES, 'property_list']) {
    n += await count(
      db,
      table,
      sql`(catalog_id, aspect_id) in (select catalog_id, aspect_id from aspect where aspect_def_id = ${defId}::uuid)`,
    )
  }
  return n
}

async function mapAll(dao: PostgresDao, catalog: Catalog): Promise<Map<string, string>> {
  const tables = new Map<string, string>()
  for (const def of catalog.aspectDefs()) {
    const table = tableName()
    await dao.mapAspectDef(def, { table })
    tables.set(def.name, table)
  }
  return tables
}

forEachBackend('dedicated aspect tables', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())

  it('round-trips generated catalogs whose AspectDefs are mapped before saving', async () => {
    await assertProperty(
      fc.asyncProperty(catalogArb(), async (catalog) => {
        await db.reset()
        const tables = await mapAll(dao, catalog)
        await dao.saveCatalog(catalog)
        const loaded = await new PostgresDao(db.adapter).loadCatalog(catalog.globalId)
        assert.ok(loaded !== null)
        assert.equal(catalogDiff(loaded, catalog), undefined)
        // Every aspect has exactly one row in its table, and no value rows stayed generic.
        for (const def of catalog.aspectDefs()) {
          const table = tables.get(def.name) as string
          assert.equal(await count(db, table), catalog.aspects(def.name)?.size ?? 0)
          assert.equal(await genericRows(db, def.globalId), 0)
        }
      }),
      { numRuns: ROUND_TRIP_RUNS },
    )
  })

  it('saves random edits of a loaded catalog with mapped AspectDefs (incremental saves)', async () => {
    await assertProperty(
      fc.asyncProperty(catalogWithEditsArb(), async ([catalog, edits]) => {
        await db.reset()
        await mapAll(dao, catalog)
        await dao.saveCatalog(catalog)
        const loaded = await dao.loadCatalog(catalog.globalId)
        assert.ok(loaded !== null)
        applyEdits(loaded, edits)
        await dao.saveCatalog(loaded)
        const reloaded = await new PostgresDao(db.adapter).loadCatalog(catalog.globalId)
        assert.ok(reloaded !== null)
        assert.equal(catalogDiff(reloaded, loaded), undefined)
        applyEdits(catalog, edits)
        await dao.saveCatalog(catalog, { force: true })
        const again = await dao.loadCatalog(catalog.globalId)
        assert.ok(again !== null)
        assert.equal(catalogDiff(again, catalog), undefined)
      }),
      { numRuns: EDIT_RUNS },
    )
  })

  it('moves every aspect exactly into the table and back out (all catalogs)', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(catalogArb({ maxAspectDefs: 2 }), { minLength: 1, maxLength: 2 }),
        async (catalogs) => {
          await db.reset()
          // The second catalog shares the first one's defs, so a move spans catalogs.
          const first = catalogs[0] as Catalog
          const shared = [...first.aspectDefs()]
          const second = createCatalog()
          for (const def of shared) {
            const map = second.extend(def)
            for (const aspect of first.aspects(def.name) ?? []) {
              map.add(createAspectCopy(def, aspect.entityId, aspect))
            }
          }
          const all = [first, second]
          for (const c of all) await dao.saveCatalog(c)
          const tables = new Map<string, string>()
          for (const def of shared) {
            const table = tableName()
            const result = await dao.mapAspectDef(def.name, { table })
            tables.set(def.name, table)
            assert.equal(result.tableCreated, true)
            assert.equal(result.aspectsMoved, 2 * (first.aspects(def.name)?.size ?? 0))
            assert.equal(await genericRows(db, def.globalId), 0)
          }
          for (const c of all) {
            assert.equal(catalogDiff((await dao.loadCatalog(c.globalId)) as Catalog, c), undefined)
          }
          // Out again, keeping the tables; then in again (adopting the empty table) and out for good.
          for (const def of shared) {
            const out = await dao.unmapAspectDef(def.name, { dropTable: false })
            assert.equal(out.tableDropped, false)
            assert.equal(await count(db, tables.get(def.name) as string), 0)
          }
          for (const c of all) {
            assert.equal(catalogDiff((await dao.loadCatalog(c.globalId)) as Catalog, c), undefined)
          }
          for (const def of shared) {
            const again = await dao.mapAspectDef(def.name, {
              table: tables.get(def.name) as string,
            })
            assert.equal(again.tableCreated, false)
          }
          for (const c of all) {
            assert.equal(catalogDiff((await dao.loadCatalog(c.globalId)) as Catalog, c), undefined)
          }
          for (const def of shared) await dao.unmapAspectDef(def.name)
          for (const c of all) {
            assert.equal(catalogDiff((await dao.loadCatalog(c.globalId)) as Catalog, c), undefined)
          }
          assert.deepEqual(await dao.aspectTableMappings(), [])
        },
      ),
      { numRuns: MOVE_RUNS },
    )
  })

  it('cascades deleting a catalog, and removing an aspect, to the dedicated rows', async () => {
    await db.reset()
    const def = simpleDef()
    const table = tableName()
    await dao.mapAspectDef(def, { table })
    const keep = createCatalog()
    keep.extend(def).add(createAspect(def, newEntityId(), { name: 'kept' }))
    const gone = createCatalog()
    const map = gone.extend(def)
    const first = newEntityId()
    map.add(createAspect(def, first, { name: 'a', age: 1n }))
    map.add(createAspect(def, newEntityId(), { name: 'b' }))
    await dao.saveCatalog(keep)
    await dao.saveCatalog(gone)
    assert.equal(await count(db, table), 3)
    map.delete(first)
    await dao.saveCatalog(gone)
    assert.equal(await count(db, table), 2)
    assert.equal(await dao.deleteCatalog(gone.globalId), true)
    assert.equal(await count(db, table), 1)
    // A mapped table is part of the schema, not a stray one.
    assert.ok(!(await PostgresSchema.status(db.adapter)).unexpectedTables.includes(table))
    assert.equal(catalogDiff((await dao.loadCatalog(keep.globalId)) as Catalog, keep), undefined)
  })

  it('keeps absent, null, empty lists and zones exactly, with the NOT NULL rule enforced', async () => {
    await db.reset()
    const def = createAspectDef({
      name: 'exact',
      properties: [
        createPropertyDef({ name: 'req', type: 'STR', isNullable: false }),
        createPropertyDef({
          name: 'req list',
          type: 'INT',
          isMultivalued: true,
          isNullable: false,
        }),
        createPropertyDef({ name: 'when', type: 'DAT' }),
        createPropertyDef({ name: 'amount', type: 'BGF', isMultivalued: true }),
        createPropertyDef({ name: 'with default', type: 'INT', defaultValue: 7n }),
      ],
    })
    const table = tableName()
    await dao.mapAspectDef(def, { table, columns: { 'req list': 'numbers' } })
    const c = createCatalog()
    const m = c.extend(def)
    m.add(createAspect(def, newEntityId(), { req: 'a', 'req list': [0n] }))
    m.add(createAspect(def, newEntityId(), { req: 'x', 'req list': [], when: null, amount: null }))
    m.add(
      createAspect(def, newEntityId(), {
        req: 'y',
        'req list': [1n, -1n, 9223372036854775807n],
        when: DateTime.fromISO('2020-02-29T23:59:59.999+05:30', { setZone: true }),
        amount: ['0.10', '1E+5', '-3.000'],
        'with default': null as never,
      }),
    )
    await dao.saveCatalog(c)
    assert.equal(catalogDiff((await dao.loadCatalog(c.globalId)) as Catalog, c), undefined)
    const absent = await sql<{
      cheap_absent: string[] | null
    }>`select cheap_absent from ${sql.id(table)} order by req`.execute(raw(db))
    assert.deepEqual(
      absent.rows.map((r) => r.cheap_absent),
      [['when', 'amount', 'with default'], ['with default'], null],
    )
    // The database itself refuses a NULL in a non-nullable property that is not absent.
    await rejects(
      sql`update ${sql.id(table)} set req = null where req = 'x'`.execute(raw(db)).catch((e) => {
        throw db.adapter.mapError(e)
      }),
      'INTEGRITY',
    )
  })

  it('keeps a table to its version: a catalog saved with a new shape leaves it, evolveAspectDef moves it along', async () => {
    await db.reset()
    const props = [
      createPropertyDef({ name: 'a', type: 'STR' }),
      createPropertyDef({ name: 'b', type: 'INT', isNullable: false }),
    ]
    const def: AspectDef = createAspectDef({
      name: 'grows',
      properties: props,
      canAddProperties: true,
      canRemoveProperties: true,
    })
    const table = tableName()
    await dao.mapAspectDef(def, { table })
    const c = createCatalog()
    const e1 = newEntityId()
    c.extend(def).add(createAspect(def, e1, { a: 'one', b: 1n }))
    await dao.saveCatalog(c)
    const untouched = createCatalog()
    const e2 = newEntityId()
    untouched.extend(def).add(createAspect(def, e2, { a: 'two', b: 2n }))
    await dao.saveCatalog(untouched)
    def.addPropertyDef(createPropertyDef({ name: 'c', type: 'DAT', isMultivalued: true }))
    def.removePropertyDef('b')
    def.addPropertyDef(createPropertyDef({ name: 'b', type: 'BLB' }))
    c.aspects('grows')?.get(e1)?.unset('b')
    c.aspects('grows')?.add(
      createAspect(def, newEntityId(), { c: [DateTime.utc(2001, 2, 3)], b: new Uint8Array([7]) }),
    )
    await dao.saveCatalog(c)
    const fresh = new PostgresDao(db.adapter)
    assert.equal(catalogDiff((await fresh.loadCatalog(c.globalId)) as Catalog, c), undefined)
    // The other catalog is still on the first version, in the table, and kept 'b'.
    const other = await fresh.loadCatalog(untouched.globalId)
    assert.deepEqual(other?.aspects('grows')?.get(e2)?.storedNames(), ['a', 'b'])
    assert.equal(await count(db, table), 1)
    const columns = async () =>
      (
        await sql<{
          column_name: string
        }>`select column_name from information_schema.columns where table_schema = current_schema() and table_name = ${table} order by ordinal_position`.execute(
          raw(db),
        )
      ).rows.map((r) => r.column_name)
    assert.deepEqual(await columns(), [
      'catalog_id',
      'aspect_id',
      'entity_id',
      'aspect_def_id',
      'a',
      'b',
      'cheap_absent',
    ])
    // Evolving every catalog moves the table to the new version: 'b' retyped (its values
    // cannot be reinterpreted) and 'c' new, both absent in the old aspect; c's aspects move in.
    const evolved = await dao.evolveAspectDef(def)
    assert.deepEqual(
      evolved.catalogs.map((x) => x.catalogId),
      [untouched.globalId],
    )
    assert.deepEqual(await columns(), [
      'catalog_id',
      'aspect_id',
      'entity_id',
      'aspect_def_id',
      'a',
      'cheap_absent',
      'c',
      'c_zone',
      'b',
    ])
    assert.equal(await count(db, table), 3)
    assert.equal(await genericRows(db, def.globalId), 0)
    const after = await new PostgresDao(db.adapter).loadCatalog(untouched.globalId)
    assert.deepEqual(after?.aspects('grows')?.get(e2)?.storedNames(), ['a'])
    assert.equal(catalogDiff((await fresh.loadCatalog(c.globalId)) as Catalog, c), undefined)
  })

  it('moves a table along with evolveAspectDef even when no catalog of the new shape has aspects', async () => {
    await db.reset()
    const def: AspectDef = createAspectDef({
      name: 'empty.grows',
      properties: [createPropertyDef({ name: 'a', type: 'STR' })],
      canAddProperties: true,
    })
    const table = tableName()
    const holder = createCatalog()
    holder.extend(def).add(createAspect(def, newEntityId(), { a: 'x' }))
    await dao.saveCatalog(holder)
    await dao.mapAspectDef(def.name, { table })
    const empty = createCatalog()
    empty.extend(def)
    await dao.saveCatalog(empty)
    def.addPropertyDef(createPropertyDef({ name: 'b', type: 'INT' }))
    await dao.saveCatalog(empty)
    // The table still holds the first version: the holder's.
    let mapping = (await dao.aspectTableMappings()).find((m) => m.table === table)
    assert.deepEqual([...(mapping?.columns.keys() ?? [])], ['a'])
    await dao.evolveAspectDef(def)
    mapping = (await dao.aspectTableMappings()).find((m) => m.table === table)
    assert.deepEqual([...(mapping?.columns.keys() ?? [])], ['a', 'b'])
    assert.deepEqual(
      await dao.findEntities(holder.globalId, def.name, (p) =>
        p.and(p('b').isAbsent(), p('a').eq('x')),
      ),
      [...(holder.aspects(def.name)?.entityIds() ?? [])],
    )
  })

  it('moves a table along with evolveAspectDef when it holds a version no catalog is on', async () => {
    await db.reset()
    const flags = { canAddProperties: true, canRemoveProperties: true }
    const a = createPropertyDef({ name: 'a', type: 'STR' })
    const v1 = createAspectDef({ name: 'unused.latest', properties: [a], ...flags })
    const id = newEntityId()
    const holder = createCatalog()
    holder.extend(v1).add(createAspect(v1, id, { a: 'x' }))
    await dao.saveCatalog(holder)
    // Version 2 is stored by a catalog that is then deleted: the latest version, used by none.
    const v2 = createAspectDef({
      name: v1.name,
      globalId: v1.globalId,
      properties: [a, createPropertyDef({ name: 'b', type: 'INT' })],
      ...flags,
    })
    const passing = createCatalog()
    passing.extend(v2)
    await dao.saveCatalog(passing)
    await dao.deleteCatalog(passing.globalId)
    const table = tableName()
    await dao.mapAspectDef(v1.name, { table }) // by name: the latest version, 2
    const v3 = createAspectDef({
      name: v1.name,
      globalId: v1.globalId,
      properties: [a, createPropertyDef({ name: 'c', type: 'BLN' })],
      ...flags,
    })
    const evolved = await dao.evolveAspectDef(v3)
    assert.deepEqual(
      evolved.catalogs.map((c) => [c.catalogId, c.fromVersion]),
      [[holder.globalId, 1]],
    )
    const mapping = (await dao.aspectTableMappings()).find((m) => m.table === table)
    assert.equal(mapping?.version, evolved.version)
    assert.deepEqual([...(mapping?.columns.keys() ?? [])], ['a', 'c'])
    assert.equal(await count(db, table), 1, "the holder's aspect moved into the table")
    const loaded = await dao.loadCatalog(holder.globalId)
    assert.equal(loaded?.aspects(v1.name)?.get(id)?.get('a'), 'x')
    assert.deepEqual(await dao.findEntities(holder.globalId, v1.name, (p) => p('c').isAbsent()), [
      id,
    ])
  })

  // Both paths of loadAspects/upsertAspects: the few-aspects one must hand a mapped version to
  // the set-based one, which writes and reads the dedicated table.
  for (const path of ['always', 'never'] as const)
    it(`routes the partial calls (upsertAspects, loadAspects) through the dedicated table (small path ${path})`, async () => {
      await db.reset()
      const dao = new PostgresDao(db.adapter, { smallCatalogs: path })
      const def = simpleDef()
      const table = tableName()
      const c = createCatalog()
      const e1 = newEntityId()
      c.extend(def).add(createAspect(def, e1, { name: 'one', tags: ['a'] }))
      await dao.saveCatalog(c)
      await dao.mapAspectDef(def.name, { table })
      // Cached unmapped: the first upsert after the mapping must notice it.
      await dao.loadAspects(c.globalId, def.name, [e1])
      const e2 = newEntityId()
      await dao.upsertAspects(c.globalId, def.name, [
        createAspect(def, e1, { name: 'uno', age: 1n }),
        createAspect(def, e2, { name: 'two', tags: [] }),
      ])
      assert.equal(await count(db, table), 2)
      assert.equal(await genericRows(db, def.globalId), 0)
      const got = await dao.loadAspects(c.globalId, def.name, [e2, e1])
      assert.deepEqual([...got.keys()], [e1, e2])
      assert.equal(got.get(e1)?.get('name'), 'uno')
      assert.equal(got.get(e1)?.has('tags'), false)
      assert.deepEqual(got.get(e2)?.get('tags'), [])
    })

  it('notices a mapping made by another DAO and saves into the table anyway', async () => {
    await db.reset()
    const def = simpleDef()
    const other = new PostgresDao(db.adapter)
    const c = createCatalog()
    c.extend(def).add(createAspect(def, newEntityId(), { name: 'before' }))
    await dao.saveCatalog(c) // dao now caches 'not mapped'
    const table = tableName()
    await other.mapAspectDef(def.name, { table })
    c.aspects(def.name)?.add(createAspect(def, newEntityId(), { name: 'after', age: 2n }))
    await dao.saveCatalog(c)
    assert.equal(await count(db, table), 2)
    assert.equal(await genericRows(db, def.globalId), 0)
    assert.equal(catalogDiff((await other.loadCatalog(c.globalId)) as Catalog, c), undefined)
    await other.unmapAspectDef(def.name)
    c.aspects(def.name)?.add(createAspect(def, newEntityId(), { name: 'later' }))
    await dao.saveCatalog(c)
    assert.equal(catalogDiff((await other.loadCatalog(c.globalId)) as Catalog, c), undefined)
  })

  it('refuses conflicting mappings and incompatible existing tables', async () => {
    await db.reset()
    const def = simpleDef()
    const table = tableName()
    const first = await dao.mapAspectDef(def, { table })
    const again = await dao.mapAspectDef(def, { table })
    assert.equal(again.tableCreated, false)
    assert.deepEqual([...again.mapping.columns], [...first.mapping.columns])
    await rejects(dao.mapAspectDef(def, { table: tableName() }), 'CONFLICT', 'already mapped')
    const other = createAspectDef({
      name: 'other',
      properties: [createPropertyDef({ name: 'x', type: 'INT' })],
    })
    await rejects(dao.mapAspectDef(other, { table }), 'CONFLICT', 'already holds')
    await db.adapter.execScript('create table not_ours (x bigint)')
    await rejects(dao.mapAspectDef(other, { table: 'not_ours' }), 'CONFLICT', 'cannot hold')
    await rejects(dao.mapAspectDef('no such def', { table: tableName() }), 'NOT_FOUND')
    await rejects(dao.unmapAspectDef(def.name + ' nope'), 'NOT_FOUND', 'no AspectDef')
    await dao.unmapAspectDef(def.name)
    await rejects(dao.unmapAspectDef(def.name), 'NOT_FOUND', 'not mapped')
    await rejects(
      dao.mapAspectDef(other, { table: tableName(), columns: { nope: 'y' } }),
      'VALIDATION',
    )
    await rejects(
      dao.mapAspectDef(other, { table: tableName(), columns: { x: 'entity_id' } }),
      'VALIDATION',
      'reserved',
    )
  })

  it('rejects or safely quotes injection attempts in table, column and property names', async () => {
    await db.reset()
    const evil = [
      'x"; drop table catalog; --',
      "x'); drop table catalog; --",
      'a b',
      '1abc',
      '',
      'x'.repeat(64),
      'tab\u0000le',
      'ünïcode',
    ]
    const def = createAspectDef({
      name: 'it\'s \\ "weird"',
      properties: [
        createPropertyDef({ name: 'a"; drop table aspect; --', type: 'STR', isNullable: false }),
        createPropertyDef({
          name: "b'); delete from catalog; --",
          type: 'INT',
          isMultivalued: true,
        }),
        createPropertyDef({ name: 'c\\d', type: 'DAT', isNullable: false }),
        createPropertyDef({ name: '名前', type: 'BGF' }),
      ],
    })
    for (const name of evil) {
      const error = await rejects(dao.mapAspectDef(def, { table: name }), 'VALIDATION')
      assert.equal((error as CheapValidationError).reason, 'INVALID_NAME')
      await rejects(dao.adoptTable(name), 'VALIDATION')
      await rejects(dao.loadAdoptedTable(name), 'VALIDATION')
      await rejects(
        dao.mapAspectDef(def, { table: tableName(), columns: { 名前: name } }),
        'VALIDATION',
      )
    }
    // Names that need quoting in literals and identifiers are stored exactly.
    const table = tableName()
    const { mapping } = await dao.mapAspectDef(def, { table })
    assert.deepEqual(
      [...mapping.columns.values()],
      ['a_drop_table_aspect', 'b_delete_from_catalog', 'c_d', 'p'],
    )
    const c = createCatalog()
    const e = newEntityId()
    c.extend(def).add(
      createAspect(def, e, {
        'a"; drop table aspect; --': 'v',
        'c\\d': DateTime.utc(2000),
        名前: '1.5',
      }),
    )
    c.aspects(def.name)?.add(
      createAspect(def, newEntityId(), {
        'a"; drop table aspect; --': '',
        'c\\d': DateTime.utc(1999),
      }),
    )
    await dao.saveCatalog(c)
    assert.equal(catalogDiff((await dao.loadCatalog(c.globalId)) as Catalog, c), undefined)
    const found = await dao.findEntities(c.globalId, def.name, (p) =>
      p.and(p('a"; drop table aspect; --').eq('v'), p("b'); delete from catalog; --").isAbsent()),
    )
    assert.deepEqual(found, [e])
    assert.ok(await dao.catalogExists(c.globalId))
    // An existing table with hostile column names is adopted and read with quoted identifiers.
    await db.adapter.execScript(
      `create table hostile ("we""ird col" text, "Robert'); DROP TABLE catalog;--" integer not null, "MiXeD" boolean)`,
    )
    await db.adapter.execScript(`insert into hostile values ('a"b', 42, true)`)
    const adopted = await dao.adoptTable('hostile')
    assert.deepEqual(
      adopted.propertyDefs().map((p) => [p.name, p.type, p.isNullable]),
      [
        ['we"ird col', 'TXT', true],
        ["Robert'); DROP TABLE catalog;--", 'INT', false],
        ['MiXeD', 'BLN', true],
      ],
    )
    const rows = await dao.loadAdoptedTable('hostile')
    const only = [...rows.aspects()][0]
    assert.equal(only?.get('we"ird col'), 'a"b')
    assert.equal(only?.get("Robert'); DROP TABLE catalog;--"), 42n)
    assert.ok(await dao.catalogExists(c.globalId))
  })
})

forEachBackend('adopting Java AspectTableMapping tables (read-only)', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  const catalogA = '11111111-1111-4111-8111-111111111111'
  const catalogB = '22222222-2222-4222-8222-222222222222'
  const entity1 = '33333333-3333-4333-8333-333333333333'
  const entity2 = '44444444-4444-4444-8444-444444444444'
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())
  beforeEach(async () => {
    await db.reset()
    // The Java module's V1 and V3 test scripts (pgtest/resources/db/pg), with two rows each.
    const columns =
      'string_col TEXT, integer_col INTEGER, float_col DOUBLE PRECISION, date_col DATE, ' +
      'timestamp_col TIMESTAMPTZ, boolean_col BOOLEAN, uuid_col UUID, blob_col BYTEA'
    const values = (key: string) =>
      `'row1', 100, 1.5, '2025-01-01', '2025-01-11 18:18:18.018+00', true, '4186bfb6-b135-48af-9236-95cacdb20327', '\\xDEADBEEF'` +
      (key === '' ? '' : `, ${key}`)
    await db.adapter.execScript(`
      DROP TABLE IF EXISTS test_table, test_aspect_mapping_no_key, test_aspect_mapping_with_cat_id,
        test_aspect_mapping_with_entity_id, test_aspect_mapping_with_both_ids;
      CREATE TABLE test_table (id SERIAL PRIMARY KEY, string_col VARCHAR(100), integer_col INTEGER,
        float_col DOUBLE PRECISION, date_col DATE, timestamp_col TIMESTAMPTZ, boolean_col BOOLEAN,
        uuid_col UUID, blob_col BYTEA);
      INSERT INTO test_table (string_col, integer_col, float_col, date_col, timestamp_col, boolean_col, uuid_col, blob_col)
        VALUES ('string1', 1, 1.5, '2025-01-01', '2025-01-11 18:18:18.018+00', true, '4186bfb6-b135-48af-9236-95cacdb20327', '\\x48F308FB637E67EC3B27B09400914BEA'),
               ('string2', 2, 2.5, '2025-02-02', '2025-02-02 02:02:02.002+00', false, '655a99b9-af7c-4f2f-afa8-c4801986b9d4', '\\x013D7D16D7AE67EC3B27B95B765C8CEB');
      CREATE TABLE test_aspect_mapping_no_key (${columns});
      CREATE TABLE test_aspect_mapping_with_cat_id (catalog_id UUID NOT NULL, ${columns});
      CREATE TABLE test_aspect_mapping_with_entity_id (entity_id UUID NOT NULL PRIMARY KEY, ${columns});
      CREATE TABLE test_aspect_mapping_with_both_ids (catalog_id UUID NOT NULL, entity_id UUID NOT NULL, ${columns},
        PRIMARY KEY (catalog_id, entity_id));
      INSERT INTO test_aspect_mapping_no_key VALUES (${values('')}), (${values('').replace('row1', 'row2').replace('100', '200')});
      INSERT INTO test_aspect_mapping_with_cat_id (catalog_id, string_col, integer_col, float_col, date_col, timestamp_col, boolean_col, uuid_col, blob_col)
        VALUES ('${catalogA}', 'catid1', 300, 1.5, '2025-01-01', '2025-01-11 18:18:18.018+00', true, null, null),
               ('${catalogB}', 'catid2', 400, 2.5, null, null, false, null, '\\xCAFEBABE');
      INSERT INTO test_aspect_mapping_with_entity_id (entity_id, string_col, integer_col)
        VALUES ('${entity1}', 'entityid1', 500), ('${entity2}', 'entityid2', 600);
      INSERT INTO test_aspect_mapping_with_both_ids (catalog_id, entity_id, string_col, integer_col)
        VALUES ('${catalogA}', '${entity1}', 'bothids1', 700), ('${catalogB}', '${entity2}', 'bothids2', 800);
    `)
  })

  it('derives the AspectDef of test_table with the Java type map', async () => {
    const def = await dao.adoptTable('test_table')
    assert.equal(def.name, 'test_table')
    assert.deepEqual(
      def.propertyDefs().map((p) => [p.name, p.type, p.isNullable]),
      [
        ['id', 'INT', false],
        ['string_col', 'STR', true],
        ['integer_col', 'INT', true],
        ['float_col', 'FLT', true],
        ['date_col', 'DAT', true],
        ['timestamp_col', 'DAT', true],
        ['boolean_col', 'BLN', true],
        ['uuid_col', 'UID', true],
        ['blob_col', 'BLB', true],
      ],
    )
    const map = await dao.loadAdoptedTable('test_table')
    const [row1, row2] = [...map.aspects()]
    assert.equal(map.size, 2)
    assert.equal(row1?.get('id'), 1n)
    assert.equal(row1?.get('string_col'), 'string1')
    assert.equal(row1?.get('float_col'), 1.5)
    assert.equal((row1?.get('date_col') as DateTime).toMillis(), Date.UTC(2025, 0, 1))
    assert.equal((row1?.get('date_col') as DateTime).zoneName, 'UTC')
    assert.equal(
      (row1?.get('timestamp_col') as DateTime).toMillis(),
      Date.UTC(2025, 0, 11, 18, 18, 18, 18),
    )
    assert.equal(row1?.get('boolean_col'), true)
    assert.equal(row1?.get('uuid_col'), '4186bfb6-b135-48af-9236-95cacdb20327')
    assert.deepEqual(
      row1?.get('blob_col'),
      Uint8Array.from(Buffer.from('48F308FB637E67EC3B27B09400914BEA', 'hex')),
    )
    assert.equal(row2?.get('integer_col'), 2n)
    // Adopting again returns the stored def.
    assert.ok((await dao.adoptTable('test_table')).equals(def))
    assert.equal((await dao.loadAdoptedTable('test_table', { limit: 1 })).size, 1)
  })

  it('adopts the four layouts (with and without catalog_id and entity_id)', async () => {
    const cases = [
      {
        table: 'test_aspect_mapping_no_key',
        hasCatalogId: false,
        hasEntityId: false,
        strings: ['row1', 'row2'],
      },
      {
        table: 'test_aspect_mapping_with_cat_id',
        hasCatalogId: true,
        hasEntityId: false,
        strings: ['catid1', 'catid2'],
      },
      {
        table: 'test_aspect_mapping_with_entity_id',
        hasCatalogId: false,
        hasEntityId: true,
        strings: ['entityid1', 'entityid2'],
      },
      {
        table: 'test_aspect_mapping_with_both_ids',
        hasCatalogId: true,
        hasEntityId: true,
        strings: ['bothids1', 'bothids2'],
      },
    ]
    for (const t of cases) {
      const def = await dao.adoptTable(t.table, {
        aspectDefName: `java.${t.table}`,
        columns: { name: 'string_col', number: 'integer_col' },
      })
      assert.deepEqual(
        def.propertyDefs().map((p) => [p.name, p.type]),
        [
          ['name', 'TXT'],
          ['number', 'INT'],
        ],
      )
      const mapping = (await dao.aspectTableMappings()).find((m) => m.table === t.table)
      assert.equal(mapping?.hasCatalogId, t.hasCatalogId)
      assert.equal(mapping?.hasEntityId, t.hasEntityId)
      assert.equal(mapping?.isReadOnly, true)
      const all = await dao.loadAdoptedTable(t.table)
      assert.deepEqual(
        [...all.aspects()].map((a) => a.get('name')),
        t.strings,
      )
      const again = await dao.loadAdoptedTable(t.table)
      const ids = [...all.entityIds()]
      if (t.hasEntityId) {
        assert.deepEqual(ids, [entity1, entity2])
        assert.deepEqual([...again.entityIds()], ids)
      } else {
        assert.notDeepEqual(
          [...again.entityIds()],
          ids,
          'rows without entity_id get new random entities',
        )
      }
      const onlyA = await dao.loadAdoptedTable(t.table, { catalogId: catalogA })
      assert.equal(onlyA.size, t.hasCatalogId ? 1 : 2)
    }
  })

  it('refuses to save aspects of an adopted AspectDef, and to query or remap it', async () => {
    const def = await dao.adoptTable('test_aspect_mapping_with_both_ids', {
      aspectDefName: 'java.both',
    })
    const c = createCatalog({ globalId: catalogA })
    c.extend(def)
    await dao.saveCatalog(c) // an empty map writes nothing into the table
    c.aspects('java.both')?.add(createAspect(def, toEntityId(entity1), {}))
    const error = await rejects(dao.saveCatalog(c), 'VALIDATION', 'read-only')
    assert.equal((error as CheapValidationError).reason, 'NOT_WRITABLE')
    assert.equal(await count(db, 'test_aspect_mapping_with_both_ids'), 2)
    await rejects(dao.findEntities(catalogA, 'java.both'), 'VALIDATION', 'loadAdoptedTable')
    await rejects(dao.mapAspectDef('java.both', { table: tableName() }), 'CONFLICT')
    await rejects(
      dao.adoptTable('test_aspect_mapping_with_both_ids', { aspectDefName: 'java.other' }),
      'CONFLICT',
    )
    await rejects(dao.adoptTable('no_such_table'), 'NOT_FOUND')
    // Unmapping an adopted table forgets it and leaves the table alone.
    const out = await dao.unmapAspectDef('java.both')
    assert.equal(out.tableDropped, false)
    assert.equal(await count(db, 'test_aspect_mapping_with_both_ids'), 2)
  })
})

function simpleDef(): AspectDef {
  return createAspectDef({
    name: `simple_${randomBytes(4).toString('hex')}`,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'age', type: 'INT' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
    ],
  })
}

/** A copy of `from` for another catalog (stored values shared, no access checks). */
function createAspectCopy(def: AspectDef, entityId: string, from: Aspect): Aspect {
  return Aspect.restore(def, toEntityId(entityId), new Map(Aspect.stored(from)))
}

/**
 * dao.transaction on both backends: one primary transaction for every call on `tx`, committed
 * when the function returns, rolled back when it throws; its reads see its own writes, other
 * sessions see nothing before the commit, and a failed step is undone alone.
 */
import assert from 'node:assert/strict'
import { after, before, beforeEach, it } from 'node:test'
import { v4 as uuidV4 } from 'uuid'
import { CheapError, CheapNotFoundError, CheapValidationError } from '../../src/errors.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  toEntityId,
  type AspectDef,
  type Catalog,
  type EntityId,
} from '../../src/model/index.ts'
import type { CheapDao } from '../../src/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { forEachBackendAndCluster, type TestDatabase } from './backends.ts'

const id = (i: number): EntityId =>
  toEntityId(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)

function personDef(): AspectDef {
  return createAspectDef({
    name: `person_${uuidV4().slice(0, 8)}`,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR' }),
      createPropertyDef({ name: 'age', type: 'INT', isNullable: true }),
    ],
  })
}

function people(def: AspectDef, n: number): Catalog {
  const catalog = createCatalog()
  const map = catalog.extend(def)
  for (let i = 0; i < n; i++) map.add(createAspect(def, id(i), { name: `p${i}`, age: BigInt(i) }))
  return catalog
}

class Boom extends Error {}

forEachBackendAndCluster('dao.transaction', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())
  beforeEach(async () => db.reset())

  it('commits every step when the function returns, and returns its value', async () => {
    const def = personDef()
    const catalog = people(def, 3)
    const c = catalog.globalId
    const result = await dao.transaction(async (tx) => {
      const saved = await tx.saveCatalog(catalog)
      assert.equal(saved.revision, 1n)
      const upserted = await tx.upsertAspects(c, def, [
        createAspect(def, id(7), { name: 'new', age: 70n }),
      ])
      const removed = await tx.removeAspects(c, def, [id(0)])
      return { upserted: upserted.revision, removed: removed.revision }
    })
    assert.deepEqual(result, { upserted: 2n, removed: 3n })
    assert.equal(await dao.catalogRevision(c), 3n)
    const aspects = await dao.loadAspects(c, def, [id(0), id(1), id(7)])
    assert.deepEqual([...aspects.keys()], [id(1), id(7)])
  })

  it('lets code written against CheapDao take the DAO or a transaction alike', async () => {
    const def = personDef()
    const catalog = people(def, 1)
    const c = catalog.globalId
    // A function of the interface, not of PostgresDao: what application code would write.
    const addPerson = async (store: CheapDao, i: number): Promise<bigint> =>
      (await store.upsertAspects(c, def, [createAspect(def, id(i), { name: `p${i}`, age: 1n })]))
        .revision
    await dao.saveCatalog(catalog)
    assert.equal(await addPerson(dao, 1), 2n)
    await assert.rejects(
      dao.transaction(async (tx) => {
        assert.equal(await addPerson(tx, 2), 3n)
        throw new Boom()
      }),
      Boom,
    )
    assert.equal(await dao.catalogRevision(c), 2n)
    const stored = await dao.loadAspects(c, def, [id(1), id(2)])
    assert.deepEqual([...stored.keys()], [id(1)])
  })

  it('reads in it see its own writes; other sessions see none of them before the commit', async () => {
    const def = personDef()
    const catalog = people(def, 2)
    const c = catalog.globalId
    await dao.saveCatalog(catalog)
    const outside = new PostgresDao(db.adapter)
    await dao.transaction(async (tx) => {
      await tx.upsertAspects(c, def, [createAspect(def, id(5), { name: 'five', age: 5n })])
      const inside = await tx.loadCatalog(c)
      assert.ok(inside !== null)
      assert.equal(tx.revisionOf(inside), 2n)
      assert.equal(inside.aspects(def.name)?.get(id(5))?.get('name'), 'five')
      const found = await tx.findEntities(c, def, (p) => p('age').eq(5n))
      assert.deepEqual(found, [id(5)])
      assert.equal((await tx.loadAspects(c, def, [id(5)])).size, 1)
      assert.equal((await tx.listCatalogs())[0]?.revision, 2n)
      if (db.adapter.kind === 'pg') {
        // PGlite is one session: another DAO's read would queue behind this transaction.
        assert.equal(await outside.catalogRevision(c), 1n)
      }
    })
    assert.equal(await outside.catalogRevision(c), 2n)
  })

  it('rolls everything back when the function throws, rethrows its error, and undoes catalog states', async () => {
    const def = personDef()
    const catalog = people(def, 2)
    const c = catalog.globalId
    await dao.saveCatalog(catalog)
    const error = await dao
      .transaction(async (tx) => {
        catalog.aspects(def.name)?.add(createAspect(def, id(4), { name: 'four', age: 4n }))
        assert.equal((await tx.saveCatalog(catalog)).revision, 2n)
        await tx.addToEntityList(c, 'never', []).catch(() => undefined)
        throw new Boom('no')
      })
      .catch((e: unknown) => e)
    assert.ok(error instanceof Boom)
    assert.equal(await dao.catalogRevision(c), 1n)
    // The catalog object is back at revision 1: saving it again writes the change now.
    assert.equal(dao.revisionOf(catalog), 1n)
    assert.equal((await dao.saveCatalog(catalog)).revision, 2n)
    assert.equal((await dao.loadAspects(c, def, [id(4)])).size, 1)
  })

  it('a failed step is undone alone and mapped like any DAO call; the transaction goes on', async () => {
    const def = personDef()
    const catalog = people(def, 1)
    const c = catalog.globalId
    await dao.transaction(async (tx) => {
      await tx.saveCatalog(catalog)
      const missing = await tx
        .upsertAspects(uuidV4(), def, [createAspect(def, id(1), { name: 'x' })])
        .catch((e: unknown) => e)
      assert.ok(missing instanceof CheapNotFoundError, String(missing))
      await tx.upsertAspects(c, def, [createAspect(def, id(2), { name: 'two' })])
    })
    assert.equal(await dao.catalogRevision(c), 2n)
    assert.equal((await dao.loadAspects(c, def, [id(0), id(2)])).size, 2)
  })

  it('runs steps in call order even when they are not awaited one by one', async () => {
    const def = personDef()
    const catalog = people(def, 1)
    const c = catalog.globalId
    await dao.saveCatalog(catalog)
    const revisions = await dao.transaction((tx) =>
      Promise.all(
        [10, 11, 12].map((i) =>
          tx
            .upsertAspects(c, def, [createAspect(def, id(i), { name: `n${i}` })])
            .then((r) => r.revision),
        ),
      ),
    )
    assert.deepEqual(revisions, [2n, 3n, 4n])
  })

  it('refuses a nested transaction, a call after the end, and bad arguments', async () => {
    let kept: PostgresDao | undefined
    await dao.transaction(async (tx) => {
      kept = tx
      const nested = await tx.transaction(() => Promise.resolve()).catch((e: unknown) => e)
      assert.ok(nested instanceof CheapValidationError, String(nested))
    })
    const late = await kept?.listCatalogs().catch((e: unknown) => e)
    assert.ok(late instanceof CheapError && /has ended/.test(late.message), String(late))
    await assert.rejects(
      dao.transaction(null as unknown as () => Promise<void>),
      CheapValidationError,
    )
    await assert.rejects(
      dao.transaction(() => Promise.resolve(), {
        isolation: 'chaos' as 'serializable',
      }),
      /isolation must be one of/,
    )
  })

  // PGlite is one session: there is no concurrent writer for a snapshot to hide.
  if (backend.name !== 'pglite') {
    it('repeatable read: one snapshot for every read in it', async () => {
      const def = personDef()
      const catalog = people(def, 1)
      const c = catalog.globalId
      await dao.saveCatalog(catalog)
      await dao.transaction(
        async (tx) => {
          assert.equal(await tx.catalogRevision(c), 1n)
          await dao.upsertAspects(c, def, [createAspect(def, id(3), { name: 'three' })])
          assert.equal(await tx.catalogRevision(c), 1n)
        },
        { isolation: 'repeatable read' },
      )
      assert.equal(await dao.catalogRevision(c), 2n)
    })
  }
})

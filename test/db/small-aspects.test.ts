/**
 * The few-aspects path of loadAspects and upsertAspects (issue #16): its round trips, and that
 * it stores exactly the rows the set-based path stores, on both backends. partial-access,
 * mapping and def-versions.prop run their loadAspects/upsertAspects expectations with the path
 * forced on and off as well.
 */
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import fc from 'fast-check'
import { sql } from 'kysely'
import { CheapConflictError } from '../../src/errors.ts'
import { Aspect } from '../../src/model/aspect.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  restoreAspect,
  toEntityId,
  type AspectMap,
  type EntityId,
  type PropertyValue,
} from '../../src/model/index.ts'
import type { QueryLogEvent } from '../../src/persistence/connection/query-log.ts'
import type { SmallCatalogPath } from '../../src/persistence/dao/options.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { TABLE_NAMES, TABLES } from '../../src/persistence/schema/tables.ts'
import { catalogArb } from '../support/catalog-arbitraries.ts'
import { catalogEntityIds } from '../support/edits.ts'
import { assertProperty } from '../support/fast-check.ts'
import { aspectValuesArb } from '../support/hierarchy-arbitraries.ts'
import { forEachBackendAndPgbouncer, type TestDatabase } from './backends.ts'

const PATHS: readonly SmallCatalogPath[] = ['always', 'never']
const FRESH = toEntityId('ffffffff-ffff-4fff-bfff-ffffffffffff')

/**
 * Every stored row of one catalog, table by table, without the clocks (audit, saved_at), and
 * with a value's property named instead of numbered (the store is emptied between the two
 * paths, and property ids come from a sequence).
 */
async function storedRows(db: TestDatabase, catalogId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const table of TABLE_NAMES) {
    if (TABLES[table].group !== 'catalog') continue
    const named = 'property_id' in TABLES[table].columns
    const row = named
      ? sql`to_jsonb(t) - 'created_at' - 'updated_at' - 'saved_at' - 'property_id' || jsonb_build_object('property', (select p.name from property p where p.property_id = (to_jsonb(t) ->> 'property_id')::int4))`
      : sql`to_jsonb(t) - 'created_at' - 'updated_at' - 'saved_at'`
    const rows = await sql<{
      r: string
    }>`select (${row})::text as r from ${sql.id(table)} t where t.catalog_id = ${catalogId}::uuid order by 1`.execute(
      db.adapter.db,
    )
    out[table] = rows.rows.map((x) => x.r)
  }
  return out
}

/** An aspect's stored values, comparable with deepEqual. */
function values(aspect: Aspect | undefined): [string, PropertyValue][] | undefined {
  return aspect === undefined
    ? undefined
    : [...Aspect.stored(aspect)].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
}

function sessionDef() {
  return createAspectDef({
    name: `test.small_aspects_${newEntityId().slice(0, 8)}`,
    canAddProperties: true,
    properties: [
      createPropertyDef({ name: 'user', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'requests', type: 'INT' }),
      createPropertyDef({ name: 'score', type: 'FLT' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
    ],
  })
}

forEachBackendAndPgbouncer('few-aspects path of loadAspects/upsertAspects', (backend) => {
  let db: TestDatabase
  const events: QueryLogEvent[] = []
  let counting = false
  before(async () => {
    db = await backend.open({
      includeAudit: true,
      log: (event) => {
        if (counting) events.push(event)
      },
    })
  })
  after(async () => db.close())

  /** The statements `action` sends (BEGIN and COMMIT included). */
  async function statements<T>(action: () => Promise<T>): Promise<[T, string[]]> {
    events.length = 0
    counting = true
    try {
      const result = await action()
      return [result, events.map((e) => e.sql.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '')]
    } finally {
      counting = false
    }
  }

  it('loads a few aspects in one statement and upserts them in four round trips; forced off, more', async () => {
    await db.reset()
    const def = sessionDef()
    const catalog = createCatalog()
    const map = catalog.extend(def)
    const ids = [newEntityId(), newEntityId(), newEntityId()]
    ids.forEach((id, i) =>
      map.add(createAspect(def, id, { user: `u${i}`, requests: BigInt(i), tags: ['a', `t${i}`] })),
    )
    const c = catalog.globalId
    await new PostgresDao(db.adapter).saveCatalog(catalog)
    const counts: Record<string, Record<string, number>> = {}
    for (const path of PATHS) {
      const dao = new PostgresDao(db.adapter, { smallCatalogs: path })
      const k = PATHS.indexOf(path)
      const target = ids[k] as EntityId
      // The first call of a process reads the def's version; the ones counted find it cached.
      await dao.loadAspects(c, def, [])
      const [found, load] = await statements(() => dao.loadAspects(c, def, [target]))
      assert.deepEqual(found.get(target)?.get('tags'), ['a', `t${k}`])
      const changed = createAspect(def, target, { user: `${path}!`, score: 0.5 })
      const [replaced, replace] = await statements(() => dao.upsertAspects(c, def, [changed]))
      assert.deepEqual([replaced.inserted, replaced.updated], [0, 1])
      const added = createAspect(def, newEntityId(), { user: 'new', tags: [] })
      const [appended, append] = await statements(() => dao.upsertAspects(c, def, [added]))
      assert.deepEqual([appended.inserted, appended.updated], [1, 0])
      const back = await dao.loadAspects(c, def, [added.entityId, target])
      assert.deepEqual([...back.keys()], [target, added.entityId])
      assert.deepEqual(values(back.get(target)), values(changed))
      assert.deepEqual(values(back.get(added.entityId)), values(added))
      counts[path] = { load: load.length, replace: replace.length, append: append.length }
      if (path === 'always') {
        assert.deepEqual(load, ['with'])
        assert.deepEqual(replace, ['begin', 'with', 'with', 'commit'])
        assert.deepEqual(append, ['begin', 'with', 'with', 'commit'])
      }
    }
    const on = counts['always'] as Record<string, number>
    const off = counts['never'] as Record<string, number>
    for (const call of ['load', 'replace', 'append'])
      assert.ok((on[call] as number) < (off[call] as number), JSON.stringify(counts))
  })

  it('both paths store exactly the same rows and read back the same aspects (property)', async () => {
    const arb = catalogArb({ maxEntities: 8, maxHierarchies: 3, maxAspectDefs: 2 })
      .filter((catalog) => [...catalog.hierarchies()].some((h) => h.type === 'AM'))
      .chain((catalog) => {
        const maps = [...catalog.hierarchies()].filter((h): h is AspectMap => h.type === 'AM')
        const batch = fc.array(
          fc.tuple(
            fc.nat({ max: 1000 }),
            fc.boolean(),
            fc.constantFrom(...maps.map((m) => m.name)),
          ),
          { maxLength: 5 },
        )
        return fc.tuple(
          fc.constant(catalog),
          fc.array(
            batch.chain((items) =>
              fc.tuple(
                ...items.map(([slot, fresh, name]) =>
                  aspectValuesArb(
                    (catalog.aspects(name) as AspectMap).aspectDef.propertyDefs(),
                  ).map((values) => [slot, fresh, name, values] as const),
                ),
              ),
            ),
            { minLength: 1, maxLength: 3 },
          ),
        )
      })
    await assertProperty(
      fc.asyncProperty(arb, async ([catalog, batches]) => {
        const dumps: Record<string, string[]>[] = []
        const reads: string[] = []
        for (const path of PATHS) {
          await db.reset()
          const dao = new PostgresDao(db.adapter, { smallCatalogs: path })
          // Forced: the same catalog object is saved once per path, each time into an empty store.
          await new PostgresDao(db.adapter).saveCatalog(catalog, { force: true })
          const c = catalog.globalId
          const entities = [...catalogEntityIds(catalog), FRESH]
          for (const batch of batches) {
            // One call per map, in the order the batch names them.
            const byMap = new Map<string, ReturnType<typeof restoreAspect>[]>()
            for (const [slot, fresh, name, values] of batch) {
              const def = (catalog.aspects(name) as AspectMap).aspectDef
              const entity = fresh ? FRESH : (entities[slot % entities.length] as EntityId)
              const list = byMap.get(name) ?? []
              list.push(restoreAspect(def, entity, new Map<string, PropertyValue>(values)))
              byMap.set(name, list)
            }
            for (const [name, aspects] of byMap) await dao.upsertAspects(c, name, aspects)
          }
          dumps.push(await storedRows(db, c))
          const read: Record<string, unknown> = {}
          for (const h of catalog.hierarchies()) {
            if (h.type !== 'AM') continue
            const got = await dao.loadAspects(c, h.name, entities)
            read[h.name] = [...got].map(([id, a]) => [id, values(a)])
            // By the def itself: the one statement then reads only the def's tables.
            const byDef = await dao.loadAspects(c, h.aspectDef, entities)
            assert.deepEqual(
              [...byDef].map(([id, a]) => [id, values(a)]),
              read[h.name],
            )
          }
          reads.push(JSON.stringify(read, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))
        }
        assert.deepEqual(dumps[0], dumps[1])
        assert.equal(reads[0], reads[1])
      }),
      { numRuns: 15 },
    )
  })

  it('sends a call whose def the catalog no longer uses to the exact set-based errors', async () => {
    await db.reset()
    const def = sessionDef()
    const catalog = createCatalog()
    const id = newEntityId()
    catalog.extend(def).add(createAspect(def, id, { user: 'a' }))
    const dao = new PostgresDao(db.adapter, { smallCatalogs: 'always' })
    await dao.saveCatalog(catalog)
    // The same def with one more property: a new version the catalog is moved to.
    const evolved = createAspectDef({
      name: def.name,
      globalId: def.globalId,
      canAddProperties: true,
      properties: [...def.propertyDefs(), createPropertyDef({ name: 'extra', type: 'INT' })],
    })
    await dao.evolveAspectDef(evolved)
    const stale = createAspect(def, id, { user: 'b' })
    await assert.rejects(
      () => dao.upsertAspects(catalog.globalId, def.name, [stale]),
      CheapConflictError,
    )
    await assert.rejects(() => dao.loadAspects(catalog.globalId, def, [id]), CheapConflictError)
    const fresh = createAspect(evolved, id, { user: 'c', extra: 1n })
    assert.deepEqual(await dao.upsertAspects(catalog.globalId, def.name, [fresh]), {
      revision: 3n,
      inserted: 0,
      updated: 1,
    })
    const got = await dao.loadAspects(catalog.globalId, evolved, [id])
    assert.deepEqual(values(got.get(id)), values(fresh))
  })
})

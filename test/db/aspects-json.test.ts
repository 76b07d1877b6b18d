import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, it } from 'node:test'
import fc from 'fast-check'
import { sql } from 'kysely'
import { DateTime } from 'luxon'
import { CheapError } from '../../src/errors.ts'
import { catalogToJson } from '../../src/json/index.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
} from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { aspectsJson } from '../../src/persistence/query/aspects-json.ts'
import { aspectDefPlanArb, buildAspectDef } from '../support/def-arbitraries.ts'
import { aspectValuesArb, buildAspect } from '../support/hierarchy-arbitraries.ts'
import { assertProperty } from '../support/fast-check.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

forEachBackend('cheap_aspects_json', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())

  for (const mapped of [false, true]) {
    it(`${mapped ? 'dedicated tables' : 'generic tables'}: equals what catalogToJson writes (generated catalogs)`, async () => {
      const scenario = aspectDefPlanArb({ maxProperties: 6 }).chain((plan) =>
        fc.record({
          plan: fc.constant(plan),
          aspects: fc.array(aspectValuesArb(plan.properties), { maxLength: 6 }),
        }),
      )
      await assertProperty(
        fc.asyncProperty(scenario, async (s) => {
          const def = buildAspectDef(s.plan)
          const catalog = createCatalog()
          const map = catalog.extend(def)
          for (const values of s.aspects) map.add(buildAspect(def, newEntityId(), values))
          if (mapped) await dao.mapAspectDef(def, { table: `j_${randomBytes(6).toString('hex')}` })
          await dao.saveCatalog(catalog)
          // Compared as JSONB in the database, aspect by aspect: numbers by value (exactly, beyond
          // 2^53 too), keys unordered. FLT values are compared as doubles (below): the server
          // writes a double's shortest text, Java's writer sometimes other digits for the same
          // double (1.0E23 against 9.999999999999999e+22, both 99999999999999991611392).
          const json = catalogToJson(catalog)
          const floats = def
            .propertyDefs()
            .filter((p) => p.type === 'FLT')
            .map((p) => p.name)
          const { rows } = await sql<{ same: boolean; got: string | null; want: string | null }>`
            with got as (select entity_id::text as id, aspect
                         from cheap_aspects_json(${catalog.globalId}::uuid, ${def.name}, false)),
                 want as (select key as id, value as aspect from jsonb_each(
                           ${json}::jsonb #> array['hierarchies', ${def.name}::text, 'contents']))
            select (g.aspect - ${floats}::text[]) is not distinct from (w.aspect - ${floats}::text[])
                     as same, g.aspect::text as got, w.aspect::text as want
            from got g full join want w on g.id = w.id`.execute(db.adapter.db)
          assert.equal(rows.length, s.aspects.length)
          for (const row of rows) {
            assert.ok(row.same, `got ${row.got}\nwant ${row.want}`)
            const got = JSON.parse(row.got ?? 'null') as Record<string, unknown>
            const want = JSON.parse(row.want ?? 'null') as Record<string, unknown>
            for (const name of floats) assert.deepStrictEqual(got[name], want[name], name)
          }
          const listed = await dao.aspectsJson(catalog.globalId, def)
          assert.deepEqual(
            listed.map((r) => r.entityId),
            [...map.aspects()].map((a) => a.entityId),
          )
          await dao.deleteCatalog(catalog.globalId)
          if (mapped) await dao.unmapAspectDef(def.name)
        }),
        { numRuns: 25 },
      )
    })
  }

  it('big integers as strings, typed rows, clear refusals', async () => {
    const def = createAspectDef({
      name: `json.hand.${randomBytes(3).toString('hex')}`,
      properties: [
        createPropertyDef({ name: 'small', type: 'INT' }),
        createPropertyDef({ name: 'big', type: 'INT' }),
        createPropertyDef({ name: 'huge', type: 'BGI' }),
        createPropertyDef({ name: 'when', type: 'DAT' }),
        createPropertyDef({ name: 'bytes', type: 'BLB' }),
        createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
        createPropertyDef({ name: 'gone', type: 'STR' }),
      ],
    })
    const catalog = createCatalog()
    const id = newEntityId()
    catalog.extend(def).add(
      createAspect(def, id, {
        small: 9007199254740991n,
        big: -9007199254740992n,
        huge: 10n ** 30n,
        when: DateTime.fromISO('2025-01-15T10:30:00.250', { zone: 'Europe/Paris' }),
        bytes: new Uint8Array([0xca, 0xfe]),
        tags: ['a', 'b'],
        gone: null,
      }),
    )
    await dao.saveCatalog(catalog)
    const rows = await dao.aspectsJson(catalog.globalId, def)
    assert.deepEqual(rows, [
      {
        entityId: id,
        aspect: {
          small: 9007199254740991,
          big: '-9007199254740992',
          huge: '1000000000000000000000000000000',
          when: '2025-01-15T10:30:00.250+01:00[Europe/Paris]',
          bytes: 'cafe',
          tags: ['a', 'b'],
          gone: null,
        },
      },
    ])
    const { rows: typed } = await aspectsJson(catalog.globalId, def).execute(db.adapter.db)
    const tags: string[] | null | undefined = typed[0]?.aspect.tags
    assert.deepEqual(tags, ['a', 'b'])
    let thrown: unknown
    try {
      await dao.aspectsJson(catalog.globalId, 'no.such.def')
    } catch (error) {
      thrown = error
    }
    assert.ok(thrown instanceof CheapError && thrown.code === 'NOT_FOUND', String(thrown))
    assert.throws(() => aspectsJson('not-a-uuid', def), CheapError)
  })
})

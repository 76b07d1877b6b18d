import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, it } from 'node:test'
import fc from 'fast-check'
import { CheapError, type CheapErrorCode } from '../../src/errors.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  type EntityId,
} from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { matchesPredicate } from '../../src/persistence/query/evaluate.ts'
import type {
  Predicate,
  PredicateNode,
  WhereBuilder,
} from '../../src/persistence/query/predicate.ts'
import { assertProperty } from '../support/fast-check.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

async function rejects(action: Promise<unknown>, code: CheapErrorCode, fragment: string) {
  let thrown: unknown
  try {
    await action
  } catch (error) {
    thrown = error
  }
  assert.ok(thrown instanceof CheapError, `expected a CheapError ${code}, got ${String(thrown)}`)
  assert.equal(thrown.code, code, thrown.message)
  assert.ok(thrown.message.includes(fragment), thrown.message)
}

function docDef(name: string) {
  return createAspectDef({
    name,
    properties: [
      createPropertyDef({ name: 'title', type: 'STR' }),
      createPropertyDef({ name: 'body', type: 'TXT' }),
      createPropertyDef({ name: 'blob', type: 'CLB' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
      createPropertyDef({ name: 'motto', type: 'STR', defaultValue: 'dogs are running' }),
      createPropertyDef({ name: 'rank', type: 'INT' }),
    ],
  })
}

type Def = ReturnType<typeof docDef>

// ---- hand-checked answers ----------------------------------------------------------------------

forEachBackend('matches(): full-text predicates', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())

  for (const mapped of [false, true]) {
    it(`${mapped ? 'dedicated table' : 'generic tables'}: stemming, stop words, lists, defaults, negation, relevance`, async () => {
      const def = docDef(`fts.hand.${mapped ? 'd' : 'g'}.${randomBytes(3).toString('hex')}`)
      if (mapped) await dao.mapAspectDef(def, { table: `fts_${randomBytes(4).toString('hex')}` })
      const catalog = createCatalog()
      const map = catalog.extend(def)
      const ids: Record<string, EntityId> = {}
      const add = (key: string, values: Parameters<typeof createAspect<typeof def>>[2]) => {
        const aspect = createAspect(def, newEntityId(), values)
        ids[key] = aspect.entityId
        map.add(aspect)
      }
      add('runner', {
        title: 'The Running Dogs',
        body: 'a dog runs; dogs ran',
        tags: ['alpha'],
        motto: 'cats sleep',
      })
      add('cat', {
        title: 'Cats',
        body: 'the cat sat on the mat',
        tags: ['Running late', 'beta'],
        motto: 'cats sleep',
      })
      add('empty', { title: null, body: 'dog dog dog dog', tags: [] })
      add('clob', { blob: 'Jumping foxes quickly jumped', rank: 1n, motto: 'cats sleep' })
      await dao.saveCatalog(catalog)
      const find = (where: (p: WhereBuilder<Def>) => Predicate) =>
        dao.findEntities(catalog.globalId, def, where).then((r) => [...r].sort())
      const expect = (...keys: string[]) => keys.map((k) => ids[k] as EntityId).sort()

      // English stems: "run" finds running/runs (not "ran": snowball is no lemmatizer).
      assert.deepEqual(await find((p) => p('title').matches('run')), expect('runner'))
      assert.deepEqual(await find((p) => p('body').matches('dog')), expect('runner', 'empty'))
      // 'simple' only lower-cases: "run" is not "running".
      assert.deepEqual(await find((p) => p('title').matches('run', { language: 'simple' })), [])
      assert.deepEqual(
        await find((p) => p('title').matches('running', { language: 'simple' })),
        expect('runner'),
      )
      // A query of stop words only matches nothing; stop words in a longer query are dropped.
      assert.deepEqual(await find((p) => p('body').matches('the')), [])
      assert.deepEqual(await find((p) => p('body').matches('the cat')), expect('cat'))
      assert.deepEqual(
        await find((p) => p('body').matches('the', { language: 'simple' })),
        expect('cat'),
      )
      // Web-search syntax: phrase, or, -word.
      assert.deepEqual(await find((p) => p('body').matches('"cat sat"')), expect('cat'))
      assert.deepEqual(await find((p) => p('body').matches('"sat cat"')), [])
      assert.deepEqual(await find((p) => p('body').matches('mat or runs')), expect('runner', 'cat'))
      assert.deepEqual(await find((p) => p('body').matches('dog -ran')), expect('empty'))
      // CLB, and a list matches when an element does.
      assert.deepEqual(await find((p) => p('blob').matches('jump fox')), expect('clob'))
      assert.deepEqual(await find((p) => p('tags').matches('run')), expect('cat'))
      assert.deepEqual(await find((p) => p('tags').matches('late beta')), [])
      // An absent property matches by its default ("dogs are running").
      assert.deepEqual(await find((p) => p('motto').matches('dog')), expect('empty'))
      // not(): null and absent values are "not matching".
      assert.deepEqual(
        await find((p) => p.not(p('title').matches('cat'))),
        expect('runner', 'empty', 'clob'),
      )

      // Relevance: four "dog"s rank above one; the order is ts_rank's, paging keeps it.
      const ranked = await dao.findEntities(
        catalog.globalId,
        def,
        (p) => p('body').matches('dog'),
        {
          orderBy: { relevance: true },
        },
      )
      assert.deepEqual(ranked, [ids['empty'], ids['runner']])
      const ascending = await dao.findEntities(
        catalog.globalId,
        def,
        (p) => p('body').matches('dog'),
        {
          orderBy: { relevance: true, direction: 'asc' },
          limit: 1,
        },
      )
      assert.deepEqual(ascending, [ids['runner']])
      const next = await dao.findEntities(catalog.globalId, def, (p) => p('body').matches('dog'), {
        orderBy: { relevance: true, direction: 'asc' },
        after: ids['runner'] as string,
      })
      assert.deepEqual(next, [ids['empty']])

      // An absent property ranks by its default's text; every matching row is ranked.
      const byDefault = await dao.findEntities(
        catalog.globalId,
        def,
        (p) => p('motto').matches('dog or cat'),
        { orderBy: { relevance: true } },
      )
      assert.deepEqual([...byDefault].sort(), expect('runner', 'cat', 'empty', 'clob'))

      // The in-memory evaluator gives the same answers with the database's text search.
      const aspects = [...map.aspects()]
      const where = (p: WhereBuilder<Def>) =>
        p.or(p('tags').matches('run'), p('motto').matches('dog'))
      const inMemory = await dao.evaluatePredicate(aspects, where)
      assert.deepEqual(
        aspects
          .filter((_, i) => inMemory[i])
          .map((a) => a.entityId)
          .sort(),
        await find(where),
      )
      assert.deepEqual(inMemory.filter(Boolean).length, 2)
      await dao.deleteCatalog(catalog.globalId)
      if (mapped) await dao.unmapAspectDef(def.name)
    })
  }

  it('refuses bad input clearly', async () => {
    const def = docDef(`fts.bad.${randomBytes(3).toString('hex')}`)
    const catalog = createCatalog()
    const aspect = createAspect(def, newEntityId(), { title: 'x' })
    catalog.extend(def).add(aspect)
    await dao.saveCatalog(catalog)
    const untyped = def.name
    await rejects(
      dao.findEntities(catalog.globalId, def, (p) =>
        p('title').matches('x', { language: 'klingon' }),
      ),
      'VALIDATION',
      "no text search configuration 'klingon'",
    )
    await rejects(
      dao.findEntities(catalog.globalId, def, (p) =>
        p('title').matches('x', { language: "x'; drop" }),
      ),
      'VALIDATION',
      'configuration name',
    )
    await rejects(
      dao.findEntities(catalog.globalId, untyped, (p) => p('rank').matches('1')),
      'VALIDATION',
      'needs a STR, TXT or CLB property',
    )
    await rejects(
      dao.findEntities(catalog.globalId, def, (p) => p('rank').ge(0n), {
        orderBy: { relevance: true },
      }),
      'VALIDATION',
      'exactly one matches()',
    )
    await rejects(
      dao.indexProperty(def.name, 'rank', { fullText: {} }),
      'VALIDATION',
      'full-text index needs',
    )
    await rejects(
      dao.indexProperty(def.name, 'title', { fullText: { language: 'klingon' } }),
      'VALIDATION',
      "no text search configuration 'klingon'",
    )
    assert.throws(
      () => matchesPredicate(aspect, (p) => p('title').matches('x')),
      /dao\.evaluatePredicate/,
    )
    assert.equal(
      matchesPredicate(aspect, (p) => p('title').matches('x'), { textSearch: (d, q) => d === q }),
      true,
    )
  })
})

// ---- indexes -----------------------------------------------------------------------------------

forEachBackend('indexProperty fullText', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  const catalog = createCatalog()
  const generic = docDef(`fts.ix.g.${randomBytes(3).toString('hex')}`)
  const dedicated = docDef(`fts.ix.d.${randomBytes(3).toString('hex')}`)
  const N = 4000
  const words = ['apple', 'banana', 'cherry', 'damson', 'elder', 'fig', 'grape', 'hazel']
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
    for (const def of [generic, dedicated]) {
      const map = catalog.extend(def)
      for (let i = 0; i < N; i++) {
        map.add(
          createAspect(def, newEntityId(), {
            title: `item ${i} ${words[i % 8]} ${i === 1234 ? 'zebras galloping' : 'plain'}`,
            tags: [`tag${i % 100}`, i === 777 ? 'unicorns flying' : 'common'],
          }),
        )
      }
    }
    await dao.mapAspectDef(dedicated, { table: 'fts_ix_docs' })
    await dao.saveCatalog(catalog)
    await db.adapter.execScript('analyze')
  })
  after(async () => db.close())

  for (const [source, def] of [
    ['generic tables', generic],
    ['dedicated table', dedicated],
  ] as const) {
    it(`${source}: GIN indexes, idempotent, used by the plans`, async () => {
      for (const [property, query, hits] of [
        ['title', 'zebra gallop', 1],
        ['tags', 'unicorn', 1],
      ] as const) {
        const first = await dao.indexProperty(def.name, property, {
          fullText: { language: 'english' },
        })
        assert.equal(first.created, true)
        assert.deepEqual(
          await dao.indexProperty(def.name, property, { fullText: {} }),
          { ...first, created: false },
          'english is the default language',
        )
        const simple = await dao.indexProperty(def.name, property, {
          fullText: { language: 'simple' },
        })
        assert.notEqual(simple.indexName, first.indexName)
        const where = (p: WhereBuilder<Def>) => p(property).matches(query)
        const plan = await dao.explainFindEntities(catalog.globalId, def, where)
        assert.ok(
          plan.includes(first.indexName),
          `${property}: the plan does not use ${first.indexName}:\n${plan}`,
        )
        assert.equal((await dao.findEntities(catalog.globalId, def, where)).length, hits)
      }
    })
  }
})

// ---- generated: SQL and the in-memory evaluator agree ------------------------------------------

// Words chosen so stemming (run/running/runs, jump/jumped/jumping, fox/foxes) and stop words
// (the, a, of, and, or) decide answers, plus web-search syntax in queries.
const WORDS = [
  'run',
  'running',
  'runs',
  'ran',
  'jump',
  'jumped',
  'jumping',
  'fox',
  'foxes',
  'quick',
  'the',
  'a',
  'of',
  'and',
  'Dog',
  'DOGS',
]
const wordArb = fc.constantFrom(...WORDS)
const docArb = fc.array(wordArb, { minLength: 0, maxLength: 6 }).map((w) => w.join(' '))
const queryArb = fc.oneof(
  docArb,
  fc.tuple(wordArb, wordArb).map(([a, b]) => `"${a} ${b}"`),
  fc.tuple(wordArb, wordArb).map(([a, b]) => `${a} or ${b}`),
  fc.tuple(wordArb, wordArb).map(([a, b]) => `${a} -${b}`),
)
const valueArb = fc.option(docArb, { nil: undefined, freq: 4 })
const aspectArb = fc.record({
  title: fc.oneof(valueArb, fc.constant(null)),
  body: valueArb,
  blob: valueArb,
  tags: fc.option(fc.array(docArb, { maxLength: 3 }), { nil: undefined, freq: 4 }),
  motto: valueArb,
})
const leafArb: fc.Arbitrary<PredicateNode> = fc.record({
  kind: fc.constant('matches' as const),
  property: fc.constantFrom('title', 'body', 'blob', 'tags', 'motto'),
  query: queryArb,
  language: fc.constantFrom(undefined, 'english', 'simple'),
})
const predicateArb: fc.Arbitrary<PredicateNode> = fc.letrec<{ node: PredicateNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.record({ kind: fc.constant('not' as const), part: tie('node') }),
    fc.record({
      kind: fc.constantFrom('and' as const, 'or' as const),
      parts: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
    }),
  ),
})).node

forEachBackend(
  'matches() on generated data: findEntities agrees with the in-memory evaluator',
  (backend) => {
    let db: TestDatabase
    let dao: PostgresDao
    before(async () => {
      db = await backend.open()
      dao = new PostgresDao(db.adapter)
    })
    after(async () => db.close())

    for (const mapped of [false, true]) {
      it(mapped ? 'dedicated tables' : 'generic tables', async () => {
        const def = docDef(`fts.gen.${mapped ? 'd' : 'g'}.${randomBytes(3).toString('hex')}`)
        if (mapped)
          await dao.mapAspectDef(def, { table: `fts_g_${randomBytes(4).toString('hex')}` })
        await assertProperty(
          fc.asyncProperty(
            fc.array(aspectArb, { maxLength: 8 }),
            predicateArb,
            async (rows, predicate) => {
              const catalog = createCatalog()
              const map = catalog.extend(def)
              for (const row of rows) {
                const values = Object.fromEntries(
                  Object.entries(row).filter(([, v]) => v !== undefined),
                )
                map.add(createAspect(def, newEntityId(), values))
              }
              await dao.saveCatalog(catalog)
              const aspects = [...map.aspects()]
              const where: Predicate = { node: predicate }
              const inMemory = await dao.evaluatePredicate(aspects, where)
              const want = aspects.filter((_, i) => inMemory[i]).map((a) => a.entityId)
              assert.deepEqual(await dao.findEntities(catalog.globalId, def.name, where), want)
              await dao.deleteCatalog(catalog.globalId)
            },
          ),
          { numRuns: 40 },
        )
        if (mapped) await dao.unmapAspectDef(def.name)
      })
    }
  },
)

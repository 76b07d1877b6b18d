import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { DateTime } from 'luxon'
import { CheapError, type CheapErrorCode } from '../../src/errors.ts'
import {
  Aspect,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  toEntityId,
  valueEquals,
  type AspectDef,
  type EntityId,
  type PropertyDef,
  type PropertyValue,
  type ScalarValue,
} from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import type { FindEntitiesOptions } from '../../src/persistence/query/find-entities.ts'
import { checkPredicate } from '../../src/persistence/query/checked.ts'
import {
  compareValues,
  evaluateChecked,
  matchesPredicate,
} from '../../src/persistence/query/evaluate.ts'
import type {
  Predicate,
  PredicateNode,
  WhereBuilder,
} from '../../src/persistence/query/predicate.ts'
import { aspectDefPlanArb, buildAspectDef, type AspectDefPlan } from '../support/def-arbitraries.ts'
import {
  aspectValuesArb,
  buildAspect,
  type AspectValuesPlan,
} from '../support/hierarchy-arbitraries.ts'
import { assertProperty } from '../support/fast-check.ts'
import { valueOf } from '../support/value-arbitraries.ts'
import { forEachBackendAndCitus, type TestDatabase } from './backends.ts'

const PROPERTY_RUNS = 60

async function rejects(
  action: Promise<unknown>,
  code: CheapErrorCode,
  fragment?: string,
): Promise<void> {
  let thrown: unknown
  try {
    await action
  } catch (error) {
    thrown = error
  }
  assert.ok(thrown instanceof CheapError, `expected a CheapError ${code}, got ${String(thrown)}`)
  assert.equal(thrown.code, code, thrown.message)
  if (fragment !== undefined) assert.ok(thrown.message.includes(fragment), thrown.message)
}

// ---- the hand-built dataset --------------------------------------------------------------------

function personDef(name: string) {
  return createAspectDef({
    name,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'age', type: 'INT' }),
      createPropertyDef({ name: 'score', type: 'FLT' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
      createPropertyDef({ name: 'nick', type: 'STR', defaultValue: 'nobody' }),
      createPropertyDef({ name: 'level', type: 'INT', defaultValue: 5n }),
      createPropertyDef({ name: 'born', type: 'DAT' }),
      createPropertyDef({ name: 'price', type: 'BGF' }),
      createPropertyDef({ name: 'code', type: 'UID' }),
      createPropertyDef({ name: 'data', type: 'BLB' }),
      createPropertyDef({ name: 'note', type: 'TXT' }),
      createPropertyDef({ name: 'flag', type: 'BLN' }),
      createPropertyDef({ name: 'scores', type: 'INT', isMultivalued: true, defaultValue: [1n] }),
    ],
  })
}
type Person = ReturnType<typeof personDef>

const UUID_A = '0a5b8f2e-1111-4111-8111-111111111111'
const UUID_B = 'f00dfeed-2222-4222-8222-222222222222'
const E = Array.from({ length: 6 }, (_, i) => toEntityId(`00000000-0000-4000-8000-00000000000${i}`))
const [e0, e1, e2, e3, e4, e5] = E as [EntityId, EntityId, EntityId, EntityId, EntityId, EntityId]

function fill(def: Person, map: { add(a: Aspect<Person>): unknown }): void {
  map.add(
    createAspect(def, e0, {
      name: 'Alice',
      age: 31n,
      score: 1.5,
      tags: ['x', 'y'],
      nick: 'ally',
      born: DateTime.fromISO('2000-01-01T00:00:00Z', { setZone: true }),
      price: '10.50',
      code: UUID_A,
      data: new Uint8Array([1, 2]),
      flag: true,
      scores: [3n, 4n],
    }),
  )
  map.add(
    createAspect(def, e1, {
      name: 'bob',
      age: 25n,
      score: Number.NaN,
      tags: [],
      nick: null,
      level: 7n,
      price: '2',
      flag: false,
      scores: [],
    }),
  )
  map.add(
    createAspect(def, e2, {
      name: 'Anna',
      age: null,
      score: -0,
      tags: null,
      born: DateTime.fromISO('1990-06-01T12:00:00', { zone: 'Europe/Berlin' }),
      price: '10.5',
      data: new Uint8Array([1]),
      scores: null,
    }),
  )
  map.add(
    createAspect(def, e3, {
      name: 'ALFRED',
      score: Number.POSITIVE_INFINITY,
      tags: ['X'],
      note: 'hello world',
      level: null,
    }),
  )
  map.add(
    createAspect(def, e4, {
      name: 'carl',
      age: 40n,
      tags: ['x'],
      nick: 'c',
      price: '1E+2',
      code: UUID_B,
      data: new Uint8Array([2]),
    }),
  )
  // Everything absent but the required name, which sorts last and matches no name condition.
  map.add(createAspect(def, e5, { name: 'zed' }))
}

type Case = readonly [string, (p: WhereBuilder<Person>) => Predicate, readonly EntityId[]]

const CASES: readonly Case[] = [
  ['=', (p) => p('age').eq(31n), [e0]],
  ['<>', (p) => p('age').ne(31n), [e1, e4]],
  ['not =', (p) => p.not(p('age').eq(31n)), [e1, e2, e3, e4, e5]],
  ['<', (p) => p('age').lt(31n), [e1]],
  ['<=', (p) => p('age').le(31n), [e0, e1]],
  ['>', (p) => p('age').gt(30n), [e0, e4]],
  ['>=', (p) => p('age').ge(40n), [e4]],
  ['in', (p) => p('age').in([25n, 40n, 99n]), [e1, e4]],
  ['in []', (p) => p('age').in([]), []],
  ['not in', (p) => p.not(p('age').in([25n])), [e0, e2, e3, e4, e5]],
  ['isNull', (p) => p('age').isNull(), [e2, e3, e5]],
  ['isNotNull', (p) => p('age').isNotNull(), [e0, e1, e4]],
  ['isAbsent', (p) => p('age').isAbsent(), [e3, e5]],
  ['isPresent', (p) => p('age').isPresent(), [e0, e1, e2, e4]],
  ['default = 5', (p) => p('level').eq(5n), [e0, e2, e4, e5]],
  ['default > 6', (p) => p('level').gt(6n), [e1]],
  ['default isNull', (p) => p('level').isNull(), [e3]],
  ['default isAbsent', (p) => p('level').isAbsent(), [e0, e2, e4, e5]],
  ['default text =', (p) => p('nick').eq('nobody'), [e2, e3, e5]],
  ['default text isNull', (p) => p('nick').isNull(), [e1]],
  ['startsWith default', (p) => p('nick').startsWith('no'), [e2, e3, e5]],
  ['startsWith', (p) => p('name').startsWith('A'), [e0, e2, e3]],
  ['startsWith case-sensitive', (p) => p('name').startsWith('Al'), [e0]],
  ['startsWith %', (p) => p('name').startsWith('%'), []],
  ['equalsIgnoreCase', (p) => p('name').equalsIgnoreCase('alfred'), [e3]],
  ['ilike prefix', (p) => p('name').ilike('a%'), [e0, e2, e3]],
  ['ilike contains', (p) => p('name').ilike('%L%'), [e0, e3, e4]],
  ['ilike _', (p) => p('name').ilike('_OB'), [e1]],
  ['text < by code point', (p) => p('name').lt('B'), [e0, e2, e3]],
  ['TXT startsWith', (p) => p('note').startsWith('hello'), [e3]],
  ['contains', (p) => p('tags').contains('x'), [e0, e4]],
  ['contains case-sensitive', (p) => p('tags').contains('X'), [e3]],
  ['not contains', (p) => p.not(p('tags').contains('x')), [e1, e2, e3, e5]],
  ['isEmpty', (p) => p('tags').isEmpty(), [e1]],
  ['list isNull', (p) => p('tags').isNull(), [e2, e5]],
  ['list default contains', (p) => p('scores').contains(1n), [e3, e4, e5]],
  ['list default isNull', (p) => p('scores').isNull(), [e2]],
  ['FLT > with NaN and Infinity', (p) => p('score').gt(1), [e0, e1, e3]],
  ['FLT = NaN', (p) => p('score').eq(Number.NaN), [e1]],
  ['FLT -0 = 0', (p) => p('score').eq(0), [e2]],
  ['DAT >', (p) => p('born').gt(DateTime.fromISO('1995-01-01T00:00:00Z')), [e0]],
  [
    'DAT = instant in another zone',
    (p) => p('born').eq(DateTime.fromISO('1990-06-01T10:00:00Z')),
    [e2],
  ],
  ['BGF = by value', (p) => p('price').eq('10.5'), [e0, e2]],
  ['BGF >', (p) => p('price').gt('50'), [e4]],
  ['BGF <=', (p) => p('price').le('2.0'), [e1]],
  ['UID =', (p) => p('code').eq(UUID_A), [e0]],
  ['UID >', (p) => p('code').gt(UUID_A), [e4]],
  ['BLB =', (p) => p('data').eq(new Uint8Array([1, 2])), [e0]],
  ['BLB <', (p) => p('data').lt(new Uint8Array([2])), [e0, e2]],
  ['BLB >', (p) => p('data').gt(new Uint8Array([1])), [e0, e4]],
  ['BLN =', (p) => p('flag').eq(false), [e1]],
  ['BLN isNull', (p) => p('flag').isNull(), [e2, e3, e4, e5]],
  [
    'and/or/not',
    (p) =>
      p.and(
        p('age').gt(20n),
        p.or(p('name').startsWith('A'), p('tags').contains('x')),
        p.not(p('flag').eq(false)),
      ),
    [e0, e4],
  ],
  ['empty and', (p) => p.and(), E],
  ['empty or', (p) => p.or(), []],
  ['all', (p) => p.all(), E],
]

forEachBackendAndCitus('findEntities', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  const catalog = createCatalog()
  const generic = personDef(`q.generic.${randomBytes(3).toString('hex')}`)
  const dedicated = personDef(`q.dedicated.${randomBytes(3).toString('hex')}`)
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
    fill(generic, catalog.extend(generic))
    fill(dedicated, catalog.extend(dedicated))
    await dao.mapAspectDef(dedicated, { table: 'q_person' })
    await dao.saveCatalog(catalog)
  })
  after(async () => db.close())

  for (const [source, def] of [
    ['generic tables', generic],
    ['dedicated table', dedicated],
  ] as const) {
    describe(source, () => {
      for (const [title, where, expected] of CASES) {
        it(title, async () => {
          assert.deepEqual(await dao.findEntities(catalog.globalId, def, where), expected)
          // The in-memory evaluator agrees.
          const inMemory = [...(catalog.aspects(def.name)?.aspects() ?? [])]
            .filter((a) => matchesPredicate(a as Aspect<Person>, where))
            .map((a) => a.entityId)
          assert.deepEqual(inMemory, expected)
        })
      }

      it('orders by a property (nulls last, defaults applied, map order breaks ties)', async () => {
        const find = (orderBy: FindEntitiesOptions<Person> & { readonly select?: 'ids' }) =>
          dao.findEntities(catalog.globalId, def, undefined, orderBy)
        assert.deepEqual(await find({ orderBy: 'age' }), [e1, e0, e4, e2, e3, e5])
        assert.deepEqual(await find({ orderBy: { property: 'age', direction: 'desc' } }), [
          e4,
          e0,
          e1,
          e2,
          e3,
          e5,
        ])
        assert.deepEqual(await find({ orderBy: 'level' }), [e0, e2, e4, e5, e1, e3])
        assert.deepEqual(await find({ orderBy: 'name' }), [e3, e0, e2, e1, e4, e5])
        assert.deepEqual(await find({ orderBy: 'score' }), [e2, e0, e3, e1, e4, e5])
      })

      it('pages with limit and after (keyset)', async () => {
        const page = (after?: EntityId) =>
          dao.findEntities(catalog.globalId, def, undefined, {
            orderBy: 'age',
            limit: 2,
            ...(after === undefined ? {} : { after }),
          })
        assert.deepEqual(await page(), [e1, e0])
        assert.deepEqual(await page(e0), [e4, e2])
        assert.deepEqual(await page(e2), [e3, e5])
        assert.deepEqual(await page(e5), [])
        assert.deepEqual(
          await dao.findEntities(catalog.globalId, def, undefined, { limit: 2, after: e1 }),
          [e2, e3],
        )
        const desc = await dao.findEntities(catalog.globalId, def, (p) => p('age').isPresent(), {
          orderBy: { property: 'age', direction: 'desc' },
          after: e4,
        })
        assert.deepEqual(desc, [e0, e1, e2])
      })

      it('returns the aspects themselves with select: aspects', async () => {
        const found = await dao.findEntities(catalog.globalId, def, (p) => p('name').ilike('a%'), {
          select: 'aspects',
          orderBy: { property: 'name', direction: 'desc' },
        })
        assert.deepEqual(
          found.map((a) => a.entityId),
          [e2, e0, e3],
        )
        for (const aspect of found) {
          const original = catalog.aspects(def.name)?.get(aspect.entityId) as Aspect
          assert.deepEqual(aspect.storedNames(), original.storedNames())
          for (const name of original.storedNames()) {
            assert.ok(
              valueEquals(Aspect.stored(aspect).get(name), Aspect.stored(original).get(name)),
              name,
            )
          }
          // Typed by the def passed: `name` is a string here.
          const text: string | undefined = aspect.get('name')
          assert.equal(typeof text, 'string')
        }
      })

      it('rejects bad predicates and options before querying', async () => {
        const id = catalog.globalId
        await rejects(
          dao.findEntities(id, def.name, (p) => p('nope').eq(1n)),
          'VALIDATION',
          'no such property',
        )
        await rejects(
          dao.findEntities(id, def.name, (p) => p('age').eq(1)),
          'VALIDATION',
          'bigint',
        )
        await rejects(
          dao.findEntities(id, def.name, (p) => p('age').startsWith('1')),
          'VALIDATION',
          'STR, TXT',
        )
        await rejects(
          dao.findEntities(id, def.name, (p) => p('tags').eq('x')),
          'VALIDATION',
          'single-valued',
        )
        await rejects(
          dao.findEntities(id, def.name, (p) => p('age').contains(1n)),
          'VALIDATION',
          'multivalued',
        )
        await rejects(
          dao.findEntities(id, def.name, (p) => p('name').ilike('a\\')),
          'VALIDATION',
          'escape',
        )
        await rejects(
          dao.findEntities(id, def.name, undefined, { orderBy: 'tags' }),
          'VALIDATION',
          'multivalued',
        )
        await rejects(
          dao.findEntities(id, def.name, undefined, { limit: 0 }),
          'VALIDATION',
          'limit',
        )
        await rejects(dao.findEntities(id, def.name, undefined, { after: 'nope' }), 'VALIDATION')
        await rejects(dao.findEntities('nope', def.name), 'VALIDATION')
        await rejects(dao.findEntities(id, 'no such def'), 'NOT_FOUND')
        const impostor = createAspectDef({
          name: def.name,
          properties: [createPropertyDef({ name: 'x', type: 'INT' })],
        })
        await rejects(dao.findEntities(id, impostor), 'CONFLICT', 'differs')
        // Like every partial read: a catalog that is not stored is NOT_FOUND, not an empty result.
        await rejects(dao.findEntities(newEntityId(), def), 'NOT_FOUND', 'not stored')
      })
    })
  }

  it('checks property names and value types at compile time', () => {
    // Never run: these lines only have to type-check (or fail to, where marked).
    /* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the @ts-expect-error lines */
    const check = (d: Person) => {
      void dao.findEntities(catalog.globalId, d, (p) =>
        p.and(p('age').gt(30n), p('name').startsWith('A'), p.not(p('tags').contains('x'))),
      )
      // @ts-expect-error -- no such property
      void dao.findEntities(catalog.globalId, d, (p) => p('nope').isNull())
      // @ts-expect-error -- INT compares with bigint, not number
      void dao.findEntities(catalog.globalId, d, (p) => p('age').gt(30))
      // @ts-expect-error -- no text operations on INT
      void dao.findEntities(catalog.globalId, d, (p) => p('age').startsWith('3'))
      // @ts-expect-error -- no comparisons on a multivalued property
      void dao.findEntities(catalog.globalId, d, (p) => p('tags').eq('x'))
      // @ts-expect-error -- contains is for multivalued properties
      void dao.findEntities(catalog.globalId, d, (p) => p('age').contains(1n))
      // @ts-expect-error -- orderBy names a property
      void dao.findEntities(catalog.globalId, d, undefined, { orderBy: 'nope' })
      // By name the def is untyped: any property and value type compiles (checked at run time).
      void dao.findEntities(catalog.globalId, 'person', (p) => p('anything').eq('x'))
    }
    /* eslint-enable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
    void check
  })
})

// ---- generated data: the SQL agrees with the in-memory evaluator --------------------------------

const TEXT = new Set(['STR', 'TXT', 'URI', 'CLB'])

interface Scenario {
  readonly plan: AspectDefPlan
  readonly aspects: readonly AspectValuesPlan[]
  readonly predicate: PredicateNode
  readonly orderBy: { readonly index: number; readonly direction: 'asc' | 'desc' } | undefined
}

function poolOf(prop: PropertyDef, aspects: readonly AspectValuesPlan[]): ScalarValue[] {
  const out: ScalarValue[] = []
  const add = (v: PropertyValue | undefined) => {
    if (v === null || v === undefined) return
    if (Array.isArray(v)) out.push(...(v as readonly ScalarValue[]))
    else out.push(v as ScalarValue)
  }
  for (const values of aspects) add(values.find(([n]) => n === prop.name)?.[1])
  if (prop.hasDefaultValue) add(prop.defaultValue)
  return out
}

function elementArb(prop: PropertyDef, pool: readonly ScalarValue[]): fc.Arbitrary<ScalarValue> {
  const random = valueOf(prop.type) as fc.Arbitrary<ScalarValue>
  return pool.length === 0
    ? random
    : fc.oneof({ arbitrary: fc.constantFrom(...pool), weight: 3 }, { arbitrary: random, weight: 1 })
}

function leafArb(
  props: readonly PropertyDef[],
  aspects: readonly AspectValuesPlan[],
): fc.Arbitrary<PredicateNode> {
  return fc.constantFrom(...props).chain((prop): fc.Arbitrary<PredicateNode> => {
    const property = prop.name
    const pool = poolOf(prop, aspects)
    const element = elementArb(prop, pool)
    const nullTest = fc
      .constantFrom(
        'isNull' as const,
        'isNotNull' as const,
        'isAbsent' as const,
        'isPresent' as const,
      )
      .map((test): PredicateNode => ({ kind: 'null', property, test }))
    if (prop.isMultivalued) {
      return fc.oneof(
        nullTest,
        element.map((value): PredicateNode => ({ kind: 'contains', property, value })),
        fc.constant<PredicateNode>({ kind: 'isEmpty', property }),
      )
    }
    const options: fc.Arbitrary<PredicateNode>[] = [
      nullTest,
      fc
        .tuple(
          fc.constantFrom(
            '=' as const,
            '<>' as const,
            '<' as const,
            '<=' as const,
            '>' as const,
            '>=' as const,
          ),
          element,
        )
        .map(([op, value]): PredicateNode => ({ kind: 'compare', property, op, value })),
      fc
        .array(element, { maxLength: 3 })
        .map((values): PredicateNode => ({ kind: 'in', property, values })),
    ]
    if (TEXT.has(prop.type)) {
      const text = element.map((v) => v as string)
      options.push(
        fc.tuple(text, fc.nat({ max: 6 })).map(([v, n]): PredicateNode => ({
          kind: 'text',
          property,
          op: 'startsWith',
          value: [...v].slice(0, n).join(''),
        })),
        // Case-insensitive tests on ASCII letters: case folding beyond ASCII is the database's.
        fc.tuple(text, fc.nat({ max: 4 }), fc.boolean()).map(([v, n, upper]): PredicateNode => {
          const ascii = [...v]
            .filter((c) => /^[A-Za-z0-9 ]$/.test(c))
            .slice(0, n)
            .join('')
          return upper
            ? { kind: 'text', property, op: 'equalsIgnoreCase', value: ascii.toUpperCase() }
            : { kind: 'text', property, op: 'ilike', value: `%${ascii}%` }
        }),
      )
    }
    return fc.oneof(...options)
  })
}

function predicateArb(
  props: readonly PropertyDef[],
  aspects: readonly AspectValuesPlan[],
): fc.Arbitrary<PredicateNode> {
  if (props.length === 0) return fc.constant<PredicateNode>({ kind: 'and', parts: [] })
  const { tree } = fc.letrec<{ tree: PredicateNode }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leafArb(props, aspects),
      fc
        .array(tie('tree'), { maxLength: 3 })
        .map((parts): PredicateNode => ({ kind: 'and', parts })),
      fc
        .array(tie('tree'), { maxLength: 3 })
        .map((parts): PredicateNode => ({ kind: 'or', parts })),
      tie('tree').map((part): PredicateNode => ({ kind: 'not', part })),
    ),
  }))
  return tree
}

const scenarioArb: fc.Arbitrary<Scenario> = aspectDefPlanArb({ maxProperties: 5 }).chain((plan) =>
  fc.array(aspectValuesArb(plan.properties), { maxLength: 12 }).chain((aspects) =>
    fc.record({
      plan: fc.constant(plan),
      aspects: fc.constant(aspects),
      predicate: predicateArb(plan.properties, aspects),
      orderBy: fc.option(
        fc.record({ index: fc.nat(), direction: fc.constantFrom('asc' as const, 'desc' as const) }),
        { nil: undefined },
      ),
    }),
  ),
)

/** What findEntities must return, computed in memory. */
function expected(
  def: AspectDef,
  aspects: readonly Aspect[],
  s: Scenario,
  orderProp: PropertyDef | undefined,
): EntityId[] {
  const checked = checkPredicate(def, s.predicate)
  const matching = aspects
    .map((a, order) => ({ a, order }))
    .filter(({ a }) => evaluateChecked(checked, Aspect.stored(a)))
  if (orderProp !== undefined) {
    const key = (a: Aspect): ScalarValue | null => {
      const stored = Aspect.stored(a)
      const v = stored.has(orderProp.name)
        ? stored.get(orderProp.name)
        : orderProp.hasDefaultValue
          ? orderProp.defaultValue
          : null
      return (v ?? null) as ScalarValue | null
    }
    const sign = s.orderBy?.direction === 'desc' ? -1 : 1
    matching.sort((x, y) => {
      const kx = key(x.a)
      const ky = key(y.a)
      if (kx === null || ky === null) {
        if (kx === null && ky === null) return x.order - y.order
        return kx === null ? 1 : -1
      }
      return sign * compareValues(orderProp.type, kx, ky) || x.order - y.order
    })
  }
  return matching.map(({ a }) => a.entityId)
}

forEachBackendAndCitus(
  'findEntities on generated data agrees with the in-memory evaluator',
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
        await assertProperty(
          fc.asyncProperty(scenarioArb, async (s) => {
            const def = buildAspectDef(s.plan)
            const catalog = createCatalog()
            const map = catalog.extend(def)
            for (const values of s.aspects) map.add(buildAspect(def, newEntityId(), values))
            if (mapped)
              await dao.mapAspectDef(def, { table: `g_${randomBytes(6).toString('hex')}` })
            await dao.saveCatalog(catalog)
            const singles = def.propertyDefs().filter((p) => !p.isMultivalued)
            const orderProp =
              s.orderBy === undefined || singles.length === 0
                ? undefined
                : singles[s.orderBy.index % singles.length]
            const options =
              orderProp === undefined
                ? {}
                : {
                    orderBy: { property: orderProp.name, direction: s.orderBy?.direction ?? 'asc' },
                  }
            const want = expected(def, [...map.aspects()], s, orderProp)
            const got = await dao.findEntities(
              catalog.globalId,
              def.name,
              { node: s.predicate },
              options,
            )
            assert.deepEqual(got, want)
            // Paging through two at a time gives the same sequence.
            const paged: EntityId[] = []
            for (let after: EntityId | undefined; ;) {
              const page = await dao.findEntities(
                catalog.globalId,
                def.name,
                { node: s.predicate },
                {
                  ...options,
                  limit: 2,
                  ...(after === undefined ? {} : { after }),
                },
              )
              paged.push(...page)
              if (page.length < 2) break
              after = page[page.length - 1]
            }
            assert.deepEqual(paged, want)
            await dao.deleteCatalog(catalog.globalId)
            if (mapped) await dao.unmapAspectDef(def.name)
          }),
          { numRuns: PROPERTY_RUNS },
        )
      })
    }
  },
)

// ---- indexes -----------------------------------------------------------------------------------

forEachBackendAndCitus('indexProperty', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  const catalog = createCatalog()
  const generic = createAspectDef({
    name: `ix.generic.${randomBytes(3).toString('hex')}`,
    properties: [
      createPropertyDef({ name: 'age', type: 'INT' }),
      createPropertyDef({ name: 'name', type: 'STR' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
    ],
  })
  const dedicated = createAspectDef({
    name: `ix.dedicated.${randomBytes(3).toString('hex')}`,
    properties: generic.propertyDefs(),
  })
  const N = 6000
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
    for (const def of [generic, dedicated]) {
      const map = catalog.extend(def)
      for (let i = 0; i < N; i++) {
        map.add(
          createAspect(def, newEntityId(), {
            age: BigInt(i),
            name: `name ${i} ${'x'.repeat(i % 7 === 0 ? 3000 : 10)}`,
            tags: [`t${i % 1000}`, 'common'],
          }),
        )
      }
    }
    await dao.mapAspectDef(dedicated, { table: 'ix_people' })
    await dao.saveCatalog(catalog)
    // Planner statistics for every table (PGlite runs no autovacuum).
    await db.adapter.execScript('analyze')
  })
  after(async () => db.close())

  for (const [source, def] of [
    ['generic tables', generic],
    ['dedicated table', dedicated],
  ] as const) {
    it(`${source}: is idempotent, and the query plans use the indexes`, async () => {
      const queries: [string, (p: WhereBuilder<typeof def>) => Predicate, number][] = [
        ['age', (p) => p('age').eq(4242n), 1],
        ['name', (p) => p('name').startsWith('name 4242 '), 1],
        ['tags', (p) => p('tags').contains('t7'), N / 1000],
      ]
      for (const [property, where, hits] of queries) {
        const first = await dao.indexProperty(def.name, property)
        assert.equal(first.created, true)
        const second = await dao.indexProperty(def.name, property)
        assert.deepEqual(second, { ...first, created: false })
        const plan = await dao.explainFindEntities(catalog.globalId, def, where)
        assert.ok(
          plan.includes(first.indexName),
          `${property}: the plan does not use ${first.indexName}:\n${plan}`,
        )
        assert.equal((await dao.findEntities(catalog.globalId, def, where)).length, hits)
      }
      // Long text values (3000 characters) are indexed by a bounded prefix: saving still works.
      const more = createAspect(def, newEntityId(), { name: 'y'.repeat(8000), age: -1n })
      await dao.upsertAspects(catalog.globalId, def.name, [more])
      assert.deepEqual(
        await dao.findEntities(catalog.globalId, def, (p) => p('name').eq('y'.repeat(8000))),
        [more.entityId],
      )
    })
  }
})

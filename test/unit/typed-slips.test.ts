/**
 * The compile-time slips of issue #21 (point 1): each mistake below is a `@ts-expect-error`
 * that `npm run typecheck` (tsc over test/) verifies *is* an error, next to the correct code,
 * which must compile with the result types the README promises. What TypeScript cannot see (a
 * name or id known only at run time) is asserted at run time instead.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  AspectMap,
  CATALOG_SPECIES_CODES,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  matchesPredicate,
  newEntityId,
  toEntityId,
  whereBuilder,
  type Aspect,
  type AspectDef,
  type EntityId,
  type PostgresDao,
  type Where,
} from '../../src/index.ts'
import { assertRejected } from '../support/assert-error.ts'

/** True when A and B are the same type (not merely assignable). */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
/** Compiles only when `T` is `true`. */
function expectType<T extends true>(): T | undefined {
  return undefined
}

const person = createAspectDef({
  name: 'com.example.slips.person',
  properties: [
    createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
    createPropertyDef({ name: 'age', type: 'INT' }),
  ],
})
// Two defs whose properties are alike: only their names tell them apart.
const product = createAspectDef({
  name: 'com.example.slips.product',
  properties: [
    createPropertyDef({ name: 'sku', type: 'STR', isNullable: false }),
    createPropertyDef({ name: 'price', type: 'BGF' }),
    createPropertyDef({ name: 'maker', type: 'UID' }),
  ],
})
const supplier = createAspectDef({
  name: 'com.example.slips.supplier',
  properties: [
    createPropertyDef({ name: 'sku', type: 'STR', isNullable: false }),
    createPropertyDef({ name: 'price', type: 'BGF' }),
    createPropertyDef({ name: 'maker', type: 'UID' }),
  ],
})
const alice = toEntityId('10000000-0000-4000-8000-000000000001')

/** Type-checked, never run: the DAO calls need a database. */
export async function daoSlips(dao: PostgresDao, catalogId: string): Promise<void> {
  // (a) typed results when the def object is passed
  const loaded = await dao.loadAspects(catalogId, person, [alice])
  const _age = loaded.get(alice)?.get('age')
  expectType<Equal<typeof _age, bigint | null | undefined>>()
  // @ts-expect-error (a) a typo in a property name of a loaded aspect
  loaded.get(alice)?.get('agee')
  const found = await dao.findEntities(catalogId, person, (p) => p('age').gt(30n), {
    select: 'aspects',
  })
  expectType<Equal<typeof found, Aspect<typeof person>[]>>()
  // @ts-expect-error (a) a typo on an aspect findEntities returned
  found[0]?.get('agee')
  // @ts-expect-error (a) a typo in a predicate
  await dao.findEntities(catalogId, person, (p) => p('agee').gt(30n))
  // A name alone is untyped by property (accepted; checked at run time)...
  const _byName = await dao.loadAspects(catalogId, person.name, [alice])
  expectType<Equal<typeof _byName, Map<EntityId, Aspect>>>()
  // ...and cannot be given a type it is not checked against.
  // @ts-expect-error (a) an explicit type argument with a name
  await dao.loadAspects<typeof product>(catalogId, supplier.name, [alice])
  // @ts-expect-error (a) an explicit type argument with a name
  await dao.findEntities<typeof product>(catalogId, supplier.name)

  // (b) aspects of another def
  const fromSupplier = createAspect(supplier, alice, { sku: 's-1' })
  await dao.upsertAspects(catalogId, product, [createAspect(product, alice, { sku: 'p-1' })])
  // @ts-expect-error (b) an aspect of another def, however alike
  await dao.upsertAspects(catalogId, product, [fromSupplier])

  // (c) a predicate over another def
  const bySupplier: Where<typeof supplier> = (p) => p('sku').eq('s-1')
  // @ts-expect-error (c) a Where of supplier for a product query
  await dao.findEntities(catalogId, product, bySupplier)
  // @ts-expect-error (c) nor as a variable of product's Where type
  const asProduct: Where<typeof product> = bySupplier
  const untyped: Where = bySupplier // an untyped Where takes any
  void [asProduct, untyped]

  // (d) hierarchies are named by strings: a kind-specific call on another kind compiles and is
  // a CheapValidationError WRONG_HIERARCHY naming both kinds (test/db/partial-access.test.ts).
  await dao.putDirectoryEntries(catalogId, 'queue', { k: alice })
}

describe('compile-time slips (issue #21)', () => {
  it('(a) types maps of a catalog by the def object, and takes no type argument with a name', () => {
    const catalog = createCatalog()
    catalog.extend(person).add(createAspect(person, alice, { name: 'Alice', age: 42n }))
    const age = catalog.aspects(person)?.get(alice)?.get('age')
    expectType<Equal<typeof age, bigint | null | undefined>>()
    assert.equal(age, 42n)
    // @ts-expect-error (a) a typo on a map got by the def
    assert.throws(() => catalog.aspects(person)?.get(alice)?.get('agee'))
    // By name: untyped by property, checked at run time.
    assert.throws(() => catalog.aspects(person.name)?.get(alice)?.get('agee'))
    // @ts-expect-error (a) an explicit type argument that does not match the name
    assert.equal(catalog.aspects<typeof product>(supplier.name), undefined)
    // A different def of the same name is refused at run time.
    const impostor = createAspectDef({
      name: person.name,
      properties: [createPropertyDef({ name: 'name', type: 'TXT' })],
    })
    assertRejected(() => catalog.aspects(impostor), 'WRONG_ASPECT_DEF', {
      aspectDefName: person.name,
    })
  })

  it('(b) keeps aspects of one def out of a map of another', () => {
    const map = createCatalog().extend(product)
    const fromSupplier = createAspect(supplier, alice, { sku: 's-1' })
    assertRejected(
      // @ts-expect-error (b) an aspect of another def, whose properties look alike
      () => map.add(fromSupplier),
      'WRONG_ASPECT_DEF',
    )
    assertRejected(
      // @ts-expect-error (b) the same through addAll
      () => map.addAll([fromSupplier]),
      'WRONG_ASPECT_DEF',
    )
    map.add(createAspect(product, alice, { sku: 'p-1' }))
    // A def whose name is a `string` (built at run time) is not told apart at compile time.
    const name: string = 'com.example.slips.runtime'
    const runtimeDef = createAspectDef({ name, properties: product.propertyDefs() })
    const untypedMap: AspectMap = new AspectMap(runtimeDef)
    assertRejected(() => untypedMap.add(fromSupplier), 'WRONG_ASPECT_DEF')
  })

  it('(c) a predicate of one def is not one of another', () => {
    const aspect = createAspect(product, alice, { sku: 'p-1' })
    const bySupplier: Where<typeof supplier> = (p) => p('sku').eq('p-1')
    // @ts-expect-error (c) a Where of supplier on a product aspect
    assert.equal(matchesPredicate(aspect, bySupplier), true)
    assert.equal(
      matchesPredicate(aspect, (p) => p('sku').eq('p-1')),
      true,
    )
    // A built Predicate is plain data, untyped: its property names are checked at run time.
    const built = whereBuilder<AspectDef>()('nope').eq('x')
    assert.throws(() => matchesPredicate(aspect, built))
  })

  it('(e) refuses an explicit undefined for a property', () => {
    assertRejected(
      // @ts-expect-error (e) undefined is not a value: omit the property or pass null
      () => createAspect(person, alice, { name: 'Alice', age: undefined }),
      'WRONG_TYPE',
    )
    const aspect = createAspect(person, alice, { name: 'Alice' })
    // @ts-expect-error (e) nor through set
    assert.throws(() => aspect.set('age', undefined))
    // @ts-expect-error (e) nor for a non-nullable property
    assert.throws(() => aspect.set('name', undefined))
    aspect.set('age', null)
  })

  it('(f) requires the non-nullable properties without a default', () => {
    assertRejected(
      // @ts-expect-error (f) name is missing
      () => createAspect(person, alice, { age: 1n }),
      'MISSING_PROPERTY',
    )
    // @ts-expect-error (f) nor without any values
    assertRejected(() => createAspect(person, alice), 'MISSING_PROPERTY')
  })

  it('(g) checks BGF and UUID literals; strings known at run time are checked then', () => {
    createAspect(product, alice, { sku: 'p', price: '12.50', maker: alice })
    assertRejected(
      // @ts-expect-error (g) a BGF literal that is not decimal text
      () => createAspect(product, alice, { sku: 'p', price: 'abc' }),
      'INVALID_DECIMAL',
    )
    const aspect = createAspect(product, alice, { sku: 'p' })
    // @ts-expect-error (g) the same through set
    assertRejected(() => aspect.set('price', '1,5'), 'INVALID_DECIMAL')
    assertRejected(
      // @ts-expect-error (g) an upper-case UUID literal for a UID property
      () => aspect.set('maker', '10000000-0000-4000-8000-00000000000A'),
      'INVALID_UUID',
    )
    assertRejected(
      // @ts-expect-error (g) a BGF default that is not decimal text
      () => createPropertyDef({ name: 'p', type: 'BGF', defaultValue: 'abc' }),
      'INVALID_DECIMAL',
    )
    // @ts-expect-error (g) a malformed entity id literal
    assertRejected(() => toEntityId('10000000-0000-4000-8000-00000000001'), 'INVALID_UUID')
    // @ts-expect-error (g) an upper-case one
    assertRejected(() => toEntityId('10000000-0000-4000-8000-00000000000A'), 'INVALID_UUID')
    // @ts-expect-error (g) a literal that is not a UUID at all, as an aspect's entity
    assertRejected(() => createAspect(person, 'alice', { name: 'Alice' }), 'INVALID_UUID')
    // @ts-expect-error (g) a catalog id literal that is not a UUID
    assertRejected(() => createCatalog({ globalId: 'catalog-1' }), 'INVALID_UUID')
    assertRejected(
      () =>
        // @ts-expect-error (g) an AspectDef id literal that is not a UUID
        createAspectDef({
          name: 'com.example.slips.id',
          globalId: 'def-1',
          properties: [createPropertyDef({ name: 'a', type: 'INT' })],
        }),
      'INVALID_UUID',
    )
    // A plain string compiles (the brand is for literals and EntityIds) and is checked at run time.
    const fromInput: string = 'ABC'
    assertRejected(() => toEntityId(fromInput), 'INVALID_UUID')
    assertRejected(() => aspect.set('price', fromInput), 'INVALID_DECIMAL')
    assertRejected(() => aspect.set('maker', fromInput), 'INVALID_UUID')
    assertRejected(() => createAspect(person, fromInput, { name: 'Alice' }), 'INVALID_UUID')
  })

  it('(h) refuses two properties of the same name in a def literal', () => {
    assertRejected(
      () =>
        // @ts-expect-error (h) 'a' twice
        createAspectDef({
          name: 'com.example.slips.dup',
          properties: [
            createPropertyDef({ name: 'a', type: 'INT' }),
            createPropertyDef({ name: 'a', type: 'STR' }),
          ],
        }),
      'DUPLICATE_NAME',
    )
    // Names known only at run time are checked then.
    const name: string = 'a'
    assertRejected(
      () =>
        createAspectDef({
          name: 'com.example.slips.dup',
          properties: [
            createPropertyDef({ name, type: 'INT' }),
            createPropertyDef({ name: 'a', type: 'STR' }),
          ],
        }),
      'DUPLICATE_NAME',
    )
  })

  it('(i) checks a literal species against the upstream', () => {
    const upstream = newEntityId()
    assertRejected(
      // @ts-expect-error (i) a SOURCE catalog has no upstream
      () => createCatalog({ species: 'SOURCE', upstream }),
      'SPECIES_UPSTREAM',
    )
    // @ts-expect-error (i) a MIRROR needs one
    assertRejected(() => createCatalog({ species: 'MIRROR' }), 'SPECIES_UPSTREAM')
    assert.equal(createCatalog({ species: 'MIRROR', upstream }).upstream, upstream)
    assert.equal(createCatalog({ species: 'SOURCE' }).upstream, null)
    // A species known only at run time is checked then.
    const species = CATALOG_SPECIES_CODES.find((s) => s.startsWith('SO'))
    assert.ok(species !== undefined)
    assertRejected(() => createCatalog({ species, upstream }), 'SPECIES_UPSTREAM')
  })

  it('names what a wrong defaultValue must be', () => {
    assertRejected(
      // @ts-expect-error the message reads "error: defaultValue must be a bigint or null (type INT)"
      () => createPropertyDef({ name: 'n', type: 'INT', defaultValue: 'n' }),
      'WRONG_TYPE',
    )
    const p = createPropertyDef({ name: 'n', type: 'INT', defaultValue: 5n })
    assert.equal(p.defaultValue, 5n)
  })
})

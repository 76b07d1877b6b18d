import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createAspectDef, createPropertyDef, type PropertyTypeCode } from '../../src/model/index.ts'
import { assertCheapError, assertRejected } from '../support/assert-error.ts'

function personDef(flags: { canAddProperties?: boolean; canRemoveProperties?: boolean } = {}) {
  return createAspectDef({
    name: 'person',
    globalId: '12348400-e24b-41d4-a716-446644440000',
    properties: [
      createPropertyDef({ name: 'age', type: 'INT', isNullable: true }),
      createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
    ],
    ...flags,
  })
}

describe('PropertyDef', () => {
  it('defaults to nullable, single-valued, readable, writable and without a default', () => {
    const def = createPropertyDef({ name: 'age', type: 'INT' })
    assert.equal(def.isNullable, true)
    assert.equal(def.isMultivalued, false)
    assert.equal(def.isReadable, true)
    assert.equal(def.isWritable, true)
    assert.equal(def.hasDefaultValue, false)
    assert.equal(def.defaultValue, undefined)
  })

  it('distinguishes a null default from no default', () => {
    const withNull = createPropertyDef({ name: 'nick', type: 'STR', defaultValue: null })
    assert.equal(withNull.hasDefaultValue, true)
    assert.equal(withNull.defaultValue, null)
    assert.equal(withNull.equals(createPropertyDef({ name: 'nick', type: 'STR' })), false)
  })

  it('keeps a typed default in canonical form', () => {
    assert.equal(
      createPropertyDef({ name: 'price', type: 'BGF', defaultValue: '1e3' }).defaultValue,
      '1E+3',
    )
    assert.deepEqual(
      createPropertyDef({
        name: 'tags',
        type: 'STR',
        isMultivalued: true,
        defaultValue: ['a', 'a'],
      }).defaultValue,
      ['a', 'a'],
    )
  })

  it('rejects a null default on a non-nullable property', () => {
    assertRejected(
      () =>
        createPropertyDef({
          name: 'name',
          type: 'STR',
          isNullable: false,
          defaultValue: null as unknown as string,
        }),
      'NOT_NULLABLE',
      {
        propertyName: 'name',
      },
    )
  })

  it('rejects a default of the wrong type, naming the property and the value', () => {
    assertRejected(
      () => createPropertyDef({ name: 'age', type: 'INT', defaultValue: 42 as unknown as bigint }),
      'WRONG_TYPE',
      {
        propertyName: 'age',
      },
      ['42'],
    )
  })

  it('rejects an unknown type code', () => {
    assertRejected(
      () => createPropertyDef({ name: 'x', type: 'XYZ' as PropertyTypeCode }),
      'WRONG_TYPE',
      { propertyName: 'x' },
      ['XYZ'],
    )
  })

  it('rejects an empty name and a name PostgreSQL text cannot store', () => {
    assertRejected(() => createPropertyDef({ name: '', type: 'INT' }), 'INVALID_NAME')
    assertRejected(() => createPropertyDef({ name: 'a\u0000b', type: 'INT' }), 'INVALID_NAME')
    assertRejected(() => createPropertyDef({ name: '\ud800', type: 'INT' }), 'INVALID_NAME')
  })

  it('rejects a flag that is not a boolean', () => {
    assertRejected(
      () => createPropertyDef({ name: 'x', type: 'INT', isNullable: 'yes' as unknown as boolean }),
      'INVALID_ARGUMENT',
    )
  })

  it('is frozen', () => {
    const def = createPropertyDef({ name: 'age', type: 'INT' })
    assert.throws(() => {
      ;(def as { isNullable: boolean }).isNullable = false
    }, TypeError)
    assert.equal(def.isNullable, true)
  })

  it('equals a def with the same fields and differs on any field, including isMultivalued', () => {
    const a = createPropertyDef({ name: 'age', type: 'INT' })
    assert.equal(a.equals(createPropertyDef({ name: 'age', type: 'INT' })), true)
    assert.equal(
      a.equals(createPropertyDef({ name: 'age', type: 'INT', isMultivalued: true })),
      false,
    )
    assert.equal(a.equals(createPropertyDef({ name: 'age', type: 'BGI' })), false)
    assert.equal(a.equals(createPropertyDef({ name: 'age', type: 'INT', defaultValue: 1n })), false)
  })
})

describe('AspectDef', () => {
  it('defaults to readable, writable and immutable', () => {
    const def = personDef()
    assert.equal(def.isReadable, true)
    assert.equal(def.isWritable, true)
    assert.equal(def.canAddProperties, false)
    assert.equal(def.canRemoveProperties, false)
    assert.equal(def.isMutable, false)
  })

  it('keeps its properties in definition order', () => {
    assert.deepEqual(
      personDef()
        .propertyDefs()
        .map((p) => p.name),
      ['age', 'name'],
    )
    assert.equal(personDef().indexOf('name'), 1)
    assert.equal(personDef().propertyDef('missing'), undefined)
  })

  it('hashes like the Java reference (golden vectors person and document)', () => {
    assert.equal(personDef().hash(), 1313298930219677025n)
    const document = createAspectDef({
      name: 'document',
      globalId: '73737400-e24b-41d4-a716-446644440000',
      properties: [
        createPropertyDef({ name: 'title', type: 'STR', isNullable: false }),
        createPropertyDef({ name: 'description', type: 'STR', isNullable: true }),
      ],
    })
    assert.equal(document.hash(), -6152646145403974329n)
  })

  it('rejects an immutable def without properties', () => {
    assertRejected(
      () => createAspectDef({ name: 'empty', properties: [] }),
      'EMPTY_IMMUTABLE_DEF',
      { aspectDefName: 'empty' },
      ['empty'],
    )
  })

  it('accepts a mutable def without properties', () => {
    assert.equal(createAspectDef({ name: 'grows', properties: [], canAddProperties: true }).size, 0)
    assert.equal(
      createAspectDef({ name: 'shrinks', properties: [], canRemoveProperties: true }).size,
      0,
    )
  })

  it('rejects two properties with the same name', () => {
    assertRejected(
      () =>
        // @ts-expect-error the literal names a property twice: a compile-time error too
        createAspectDef({
          name: 'dup',
          properties: [
            createPropertyDef({ name: 'a', type: 'INT' }),
            createPropertyDef({ name: 'a', type: 'STR' }),
          ],
        }),
      'DUPLICATE_NAME',
      { aspectDefName: 'dup', propertyName: 'a' },
    )
  })

  it('rejects a globalId that is not a canonical UUID', () => {
    assertCheapError(
      () =>
        // @ts-expect-error not a UUID literal: a compile-time error too
        createAspectDef({
          name: 'x',
          globalId: 'ABC',
          properties: [createPropertyDef({ name: 'a', type: 'INT' })],
        }),
      {
        code: 'VALIDATION',
        reason: 'INVALID_UUID',
        message: ['ABC'],
      },
    )
  })

  it('rejects an empty name', () => {
    assertRejected(
      () =>
        createAspectDef({ name: '', properties: [createPropertyDef({ name: 'a', type: 'INT' })] }),
      'INVALID_NAME',
    )
  })

  it('gains a property at the end when it can add properties, changing its hash', () => {
    const def = personDef({ canAddProperties: true })
    const hash = def.hash()
    const count = def.changeCount
    def.addPropertyDef(createPropertyDef({ name: 'email', type: 'URI' }))
    assert.deepEqual(
      def.propertyDefs().map((p) => p.name),
      ['age', 'name', 'email'],
    )
    assert.notEqual(def.hash(), hash)
    assert.equal(def.changeCount, count + 1)
  })

  it('refuses to gain a property when canAddProperties is false', () => {
    assertRejected(
      () =>
        personDef({ canRemoveProperties: true }).addPropertyDef(
          createPropertyDef({ name: 'email', type: 'URI' }),
        ),
      'NOT_MUTABLE',
      {
        aspectDefName: 'person',
        propertyName: 'email',
      },
    )
  })

  it('refuses a second property of the same name even when it can add properties', () => {
    assertRejected(
      () =>
        personDef({ canAddProperties: true }).addPropertyDef(
          createPropertyDef({ name: 'age', type: 'BGI' }),
        ),
      'DUPLICATE_NAME',
      {
        aspectDefName: 'person',
        propertyName: 'age',
      },
    )
  })

  it('loses a property when it can remove properties, and reports an unknown one', () => {
    const def = personDef({ canRemoveProperties: true })
    assert.equal(def.removePropertyDef('age'), true)
    assert.equal(def.removePropertyDef('age'), false)
    assert.deepEqual(
      def.propertyDefs().map((p) => p.name),
      ['name'],
    )
    assert.equal(def.hasProperty('age'), false)
  })

  it('refuses to lose a property when canRemoveProperties is false', () => {
    assertRejected(
      () => personDef({ canAddProperties: true }).removePropertyDef('age'),
      'NOT_MUTABLE',
      {
        aspectDefName: 'person',
        propertyName: 'age',
      },
    )
  })

  it('equals a structurally identical def and differs on any flag or property', () => {
    assert.equal(personDef().equals(personDef()), true)
    assert.equal(personDef().equals(personDef({ canAddProperties: true })), false)
    const grown = personDef({ canAddProperties: true }).addPropertyDef(
      createPropertyDef({ name: 'x', type: 'BLN' }),
    )
    assert.equal(grown.equals(personDef({ canAddProperties: true })), false)
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  checkRequiredProperties,
  createAspect,
  createAspectDef,
  createPropertyDef,
  newEntityId,
  restoreAspect,
  type PropertyDef,
} from '../../src/model/index.ts'
import type { CheapValidationError } from '../../src/errors.ts'
import { assertCheapError, assertRejected } from '../support/assert-error.ts'

const ALICE = newEntityId()

function personDef(
  flags: {
    isReadable?: boolean
    isWritable?: boolean
    canAddProperties?: boolean
    canRemoveProperties?: boolean
  } = {},
  extra: readonly PropertyDef[] = [],
) {
  return createAspectDef({
    name: 'com.example.person',
    properties: [
      createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'age', type: 'INT' }),
      createPropertyDef({ name: 'country', type: 'STR', defaultValue: 'NZ' }),
      createPropertyDef({ name: 'nickname', type: 'STR', defaultValue: null }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true, defaultValue: [] }),
      ...extra,
    ],
    ...flags,
  })
}

const person = { aspectDefName: 'com.example.person' }

describe('Aspect', () => {
  describe('absent, null and default', () => {
    it('reads an absent property without a default as undefined, and has() is false', () => {
      const aspect = createAspect(personDef(), ALICE, { name: 'Alice' })
      assert.equal(aspect.get('age'), undefined)
      assert.equal(aspect.has('age'), false)
    })

    it('reads an absent property with a default as the default, and has() is still false', () => {
      const aspect = createAspect(personDef(), ALICE, { name: 'Alice' })
      assert.equal(aspect.get('country'), 'NZ')
      assert.equal(aspect.get('nickname'), null)
      assert.deepEqual(aspect.get('tags'), [])
      assert.equal(aspect.has('country'), false)
      assert.equal(aspect.has('nickname'), false)
    })

    it('reads a stored null as null even when the default is not null', () => {
      const aspect = createAspect(personDef(), ALICE, { name: 'Alice', country: null })
      assert.equal(aspect.get('country'), null)
      assert.equal(aspect.has('country'), true)
    })

    it('lists the stored properties in def order', () => {
      const aspect = createAspect(personDef(), ALICE, { name: 'Alice' })
        .set('tags', ['a'])
        .set('name', 'Alice')
        .set('age', null)
      assert.deepEqual(aspect.storedNames(), ['name', 'age', 'tags'])
    })
  })

  describe('writing', () => {
    it('stores validated values and keeps its entity id', () => {
      const aspect = createAspect(personDef(), ALICE, { name: 'Alice', age: 42n })
      assert.equal(aspect.entityId, ALICE)
      assert.equal(aspect.get('name'), 'Alice')
      assert.equal(aspect.get('age'), 42n)
    })

    it('rejects a wrong value in the initial values, naming def, property and value', () => {
      assertRejected(
        () => createAspect(personDef(), ALICE, { name: 'Alice', age: 42 }),
        'WRONG_TYPE',
        {
          ...person,
          propertyName: 'age',
        },
        ['42'],
      )
    })

    it('rejects an unknown property on write and on read', () => {
      const aspect = createAspect(personDef(), ALICE, { name: 'Alice' })
      assertRejected(() => aspect.set('height', 1n), 'UNKNOWN_PROPERTY', {
        ...person,
        propertyName: 'height',
      })
      assertRejected(() => aspect.get('height'), 'UNKNOWN_PROPERTY', {
        ...person,
        propertyName: 'height',
      })
    })

    it('hints at addPropertyDef for an unknown property when the def can gain properties', () => {
      const aspect = createAspect(personDef({ canAddProperties: true }), ALICE, { name: 'Alice' })
      assertRejected(
        () => aspect.set('height', 1n),
        'UNKNOWN_PROPERTY',
        { ...person, propertyName: 'height' },
        ['addPropertyDef'],
      )
    })

    it('accepts a property added to a mutable def after the aspect was created', () => {
      const def = personDef({ canAddProperties: true })
      const aspect = createAspect(def, ALICE, { name: 'Alice' })
      def.addPropertyDef(createPropertyDef({ name: 'height', type: 'FLT' }))
      assert.equal(aspect.set('height', 1.8).get('height'), 1.8)
    })

    it('rejects writing any property of a non-writable def, naming def, property and value', () => {
      const aspect = restoreAspect(
        personDef({ isWritable: false }),
        ALICE,
        new Map([['name', 'Alice']]),
      )
      assertRejected(
        () => aspect.set('age', 7n),
        'NOT_WRITABLE',
        { ...person, propertyName: 'age' },
        ['7n'],
      )
      // The first write is refused: 'name', which a non-writable def can therefore never get
      // through createAspect (aspects of such defs come from storage or restoreAspect).
      assertRejected(
        () => createAspect(personDef({ isWritable: false }), ALICE, { name: 'Alice', age: 7n }),
        'NOT_WRITABLE',
        {
          ...person,
          propertyName: 'name',
        },
      )
    })

    it('rejects writing a non-writable property, naming def, property and value', () => {
      const def = personDef({}, [createPropertyDef({ name: 'id', type: 'UID', isWritable: false })])
      const aspect = createAspect(def, ALICE, { name: 'Alice' })
      const value = '123e4567-e89b-12d3-a456-426614174000'
      assertRejected(
        () => aspect.set('id', value),
        'NOT_WRITABLE',
        { ...person, propertyName: 'id' },
        [value],
      )
    })

    it('rejects an aspect for an entity id that is not a canonical UUID', () => {
      // @ts-expect-error a literal that is not a UUID: a compile-time error too
      assertCheapError(() => createAspect(personDef(), 'ALICE', { name: 'Alice' }), {
        code: 'VALIDATION',
        reason: 'INVALID_UUID',
        message: ['ALICE'],
      })
    })

    it('counts its changes', () => {
      const aspect = createAspect(personDef({ canRemoveProperties: true }), ALICE, {
        name: 'Alice',
      })
      const before = aspect.changeCount
      aspect.set('age', 1n).set('age', 2n)
      aspect.unset('age')
      assert.equal(aspect.changeCount, before + 3)
    })
  })

  describe('required properties (non-nullable, no default)', () => {
    it('cannot be omitted from the initial values', () => {
      assertRejected(() => createAspect(personDef(), ALICE, {}), 'MISSING_PROPERTY', {
        ...person,
        propertyName: 'name',
      })
    })

    it('cannot be omitted when restoring stored values, and the path names the property', () => {
      const error = assertCheapError(
        () => restoreAspect(personDef(), ALICE, new Map(), 'contents.x'),
        {
          code: 'VALIDATION',
          reason: 'MISSING_PROPERTY',
          message: ["'name' is not nullable and has no default"],
        },
      )
      assert.equal((error as CheapValidationError).path, 'contents.x.name')
    })

    it('cannot be unset, even when the def can lose properties', () => {
      const aspect = createAspect(personDef({ canRemoveProperties: true }), ALICE, {
        name: 'Alice',
      })
      assertRejected(() => aspect.unset('name'), 'MISSING_PROPERTY', {
        ...person,
        propertyName: 'name',
      })
      assert.equal(aspect.get('name'), 'Alice')
    })

    it('makes older aspects incomplete when a def gains one, which checkRequiredProperties finds', () => {
      const def = personDef({ canAddProperties: true })
      const aspect = createAspect(def, ALICE, { name: 'Alice' })
      checkRequiredProperties(aspect)
      def.addPropertyDef(createPropertyDef({ name: 'email', type: 'STR', isNullable: false }))
      assertRejected(() => checkRequiredProperties(aspect), 'MISSING_PROPERTY', {
        ...person,
        propertyName: 'email',
      })
      def.addPropertyDef(
        createPropertyDef({ name: 'plan', type: 'STR', isNullable: false, defaultValue: 'free' }),
      )
      aspect.set('email', 'alice@example.org')
      checkRequiredProperties(aspect)
    })
  })

  describe('unset', () => {
    it('makes a stored property absent again when the def can lose properties', () => {
      const aspect = createAspect(personDef({ canRemoveProperties: true }), ALICE, {
        name: 'Alice',
        country: 'FR',
      })
      assert.equal(aspect.unset('country'), true)
      assert.equal(aspect.has('country'), false)
      assert.equal(aspect.get('country'), 'NZ')
      assert.equal(aspect.unset('country'), false)
    })

    it('is refused when the def cannot lose properties', () => {
      const aspect = createAspect(personDef(), ALICE, { name: 'Alice', country: 'FR' })
      assertRejected(() => aspect.unset('country'), 'NOT_MUTABLE', {
        ...person,
        propertyName: 'country',
      })
      assert.equal(aspect.get('country'), 'FR')
    })
  })

  describe('reading', () => {
    it('rejects reads of a non-readable def', () => {
      const aspect = createAspect(personDef({ isReadable: false }), ALICE, {
        name: 'Alice',
        age: 3n,
      })
      assertRejected(() => aspect.get('age'), 'NOT_READABLE', { ...person, propertyName: 'age' })
    })

    it('rejects reads of a non-readable property but allows the others', () => {
      const def = personDef({}, [
        createPropertyDef({ name: 'secret', type: 'STR', isReadable: false }),
      ])
      const aspect = createAspect(def, ALICE, { name: 'Alice', secret: 'x', age: 3n })
      assertRejected(() => aspect.get('secret'), 'NOT_READABLE', {
        ...person,
        propertyName: 'secret',
      })
      assert.equal(aspect.get('age'), 3n)
    })
  })

  describe('restoreAspect', () => {
    it('builds an aspect of a non-writable def from stored values', () => {
      const aspect = restoreAspect(
        personDef({ isWritable: false }),
        ALICE,
        new Map<string, unknown>([
          ['name', 'Alice'],
          ['age', 5n],
        ]),
      )
      assert.equal(aspect.get('age'), 5n)
      assert.equal(aspect.has('country'), false)
    })

    it('still validates every value', () => {
      assertRejected(() => restoreAspect(personDef(), ALICE, new Map([['age', 5]])), 'WRONG_TYPE', {
        ...person,
        propertyName: 'age',
      })
      assertRejected(
        () => restoreAspect(personDef(), ALICE, new Map([['name', null]])),
        'NOT_NULLABLE',
        {
          ...person,
          propertyName: 'name',
        },
      )
    })

    it('rejects an unknown property', () => {
      assertRejected(
        () => restoreAspect(personDef(), ALICE, new Map([['height', 1.5]])),
        'UNKNOWN_PROPERTY',
        {
          ...person,
          propertyName: 'height',
        },
      )
    })
  })
})

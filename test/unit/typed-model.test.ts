import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  CheapValidationError,
  createAspect,
  createAspectDef,
  createPropertyDef,
  isCheapError,
  newEntityId,
  type Aspect,
  type AspectDef,
} from '../../src/index.ts'

// These tests are checked by the type-checker (`npm test` runs tsc first): every
// `@ts-expect-error` must be an error, and every annotation must hold.
const book = createAspectDef({
  name: 'com.example.typed.book',
  properties: [
    createPropertyDef({ name: 'title', type: 'STR', isNullable: false }),
    createPropertyDef({ name: 'pages', type: 'INT' }),
    createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true, isNullable: false }),
    createPropertyDef({ name: 'price', type: 'BGF', defaultValue: '0.00' }),
  ],
})

describe('typed aspects', () => {
  it('requires the non-nullable properties without a default in createAspect', () => {
    assert.throws(
      // @ts-expect-error title (not nullable, no default) is missing
      () => createAspect(book, newEntityId(), { tags: ['sf'] }),
      (e) => e instanceof CheapValidationError && e.reason === 'MISSING_PROPERTY',
    )
    assert.throws(
      // @ts-expect-error tags (not nullable, no default) is missing
      () => createAspect(book, newEntityId(), { title: 'Dune' }),
      (e) => e instanceof CheapValidationError && e.reason === 'MISSING_PROPERTY',
    )
    // A nullable property and one with a default may be left out.
    const minimal = createAspect(book, newEntityId(), { title: 'Dune', tags: [] })
    assert.equal(minimal.get('price'), '0.00')
  })

  it('types reads and writes from the AspectDef literal', () => {
    const aspect = createAspect(book, newEntityId(), { title: 'Dune', tags: ['sf'] })
    const title: string | undefined = aspect.get('title')
    const pages: bigint | null | undefined = aspect.get('pages')
    const tags: readonly string[] | undefined = aspect.get('tags')
    aspect.set('pages', 412n)
    aspect.set('pages', null)
    assert.throws(
      // @ts-expect-error INT takes a bigint, not a number
      () => aspect.set('pages', 412),
      (e) => isCheapError(e, 'VALIDATION'),
    )
    assert.throws(
      // @ts-expect-error title is not nullable
      () => aspect.set('title', null),
      (e) => isCheapError(e, 'VALIDATION'),
    )
    assert.throws(
      // @ts-expect-error there is no such property
      () => aspect.get('isbn'),
      (e) => isCheapError(e, 'VALIDATION'),
    )
    assert.deepEqual([title, pages, tags, aspect.get('price')], ['Dune', undefined, ['sf'], '0.00'])
  })

  it('accepts any property name on an aspect of an AspectDef known only at run time', () => {
    const def: AspectDef = book
    const aspect: Aspect = createAspect(def, newEntityId(), { title: 'Emma', tags: [] })
    assert.equal(aspect.get('title'), 'Emma')
    assert.throws(
      () => aspect.get('isbn'),
      (e) => isCheapError(e, 'VALIDATION'),
    )
  })

  it('checks the type of a default value at compile time', () => {
    assert.throws(
      // @ts-expect-error the default of an INT property must be a bigint
      () => createPropertyDef({ name: 'n', type: 'INT', defaultValue: 'five' }),
      (e) => isCheapError(e, 'VALIDATION'),
    )
    const p = createPropertyDef({
      name: 'n',
      type: 'INT',
      isMultivalued: true,
      defaultValue: [1n, 2n],
    })
    assert.deepEqual(p.defaultValue, [1n, 2n])
  })
})

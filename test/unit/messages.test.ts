/** Messages read as English: an article fits the word it stands before, never doubled. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CheapValidationError } from '../../src/errors.ts'
import { javaHashCodeOfDefault } from '../../src/model/hash/def-hash.ts'
import {
  createAspect,
  createAspectDef,
  createPropertyDef,
  newEntityId,
} from '../../src/model/index.ts'
import { withArticle } from '../../src/model/names.ts'

function messageOf(work: () => unknown): string {
  try {
    work()
  } catch (error) {
    assert.ok(error instanceof CheapValidationError, String(error))
    return error.message
  }
  assert.fail('expected a CheapValidationError')
}

describe('messages', () => {
  it('withArticle picks a or an by the sound of the word', () => {
    assert.equal(withArticle('Object'), 'an Object')
    assert.equal(withArticle('Array'), 'an Array')
    assert.equal(withArticle('entity list (EL)'), 'an entity list (EL)')
    assert.equal(withArticle('aspect map (AM)'), 'an aspect map (AM)')
    assert.equal(withArticle('Map'), 'a Map')
    assert.equal(withArticle('Uint8Array'), 'a Uint8Array')
    assert.equal(withArticle('undefined'), 'an undefined')
    assert.equal(withArticle('symbol'), 'a symbol')
  })

  it('a value of the wrong kind is described with the right article', () => {
    const def = createAspectDef({
      name: 'com.example.m',
      properties: [createPropertyDef({ name: 'n', type: 'INT' })],
    })
    const object = messageOf(() => createAspect(def, newEntityId(), { n: {} as unknown as bigint }))
    assert.match(object, /got an Object\b/)
    const map = messageOf(() =>
      createAspect(def, newEntityId(), { n: new Map() as unknown as bigint }),
    )
    assert.match(map, /got a Map\b/)
    assert.doesNotMatch(`${object} ${map}`, /\ba an\b|\ban a\b|\ba Object|\ban Map/)
  })

  it('a default of the wrong type names its type without a wrong article', () => {
    assert.equal(
      messageOf(() => javaHashCodeOfDefault('INT', {})),
      'A default of type INT cannot be an Object',
    )
    assert.equal(
      messageOf(() => javaHashCodeOfDefault('STR', Symbol('s'))),
      'A default of type STR cannot be a symbol',
    )
  })
})

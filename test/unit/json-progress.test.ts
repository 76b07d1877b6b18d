/** catalogFromJson's `signal` and `onProgress`: bytes parsed, up to the document's size. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CheapAbortError, CheapValidationError } from '../../src/errors.ts'
import { catalogFromJson, catalogToJson, type JsonReadProgress } from '../../src/json/index.ts'
import { utf8Length } from '../../src/json/utf8.ts'
import { catalogEquals } from '../../src/model/equality.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  toEntityId,
  type Catalog,
} from '../../src/model/index.ts'

function bigCatalog(n: number): Catalog {
  const def = createAspectDef({
    name: 'person',
    properties: [
      createPropertyDef({ name: 'name', type: 'STR' }),
      createPropertyDef({ name: 'age', type: 'INT' }),
    ],
  })
  const catalog = createCatalog()
  const map = catalog.extend(def)
  for (let i = 0; i < n; i++) {
    const id = toEntityId(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
    // Two- and four-byte characters: the byte counts are UTF-8's, not UTF-16's.
    map.add(createAspect(def, id, { name: `Jürgen 🎉 ${i}`, age: BigInt(i) }))
  }
  return catalog
}

const catalog = bigCatalog(8000)
const text = catalogToJson(catalog)
const bytes = new TextEncoder().encode(text)

function assertEvents(events: readonly JsonReadProgress[], total: number): void {
  assert.ok(events.length >= 3, `${events.length} events`)
  for (let i = 1; i < events.length; i++) {
    assert.ok(
      (events[i] as JsonReadProgress).bytesDone >= (events[i - 1] as JsonReadProgress).bytesDone,
    )
  }
  for (const e of events) {
    assert.equal(e.phase, 'parse')
    assert.equal(e.bytesTotal, total)
    assert.ok(e.bytesDone <= total)
  }
  assert.equal(events.at(-1)?.bytesDone, total)
}

describe('catalogFromJson signal and onProgress', () => {
  it('reports UTF-8 bytes parsed up to the size, from text and from bytes', () => {
    assert.ok(bytes.length > 600_000, `${bytes.length} bytes`)
    for (const input of [text, bytes]) {
      const events: JsonReadProgress[] = []
      const read = catalogFromJson(input, { onProgress: (e) => events.push(e) })
      assert.ok(catalogEquals(read, catalog))
      assertEvents(events, bytes.length)
    }
  })

  it('an aborted signal reads nothing; an abort from onProgress stops the read', () => {
    const controller = new AbortController()
    const reason = new Error('closed the window')
    controller.abort(reason)
    let calls = 0
    assert.throws(
      () => catalogFromJson(bytes, { signal: controller.signal, onProgress: () => calls++ }),
      (error: unknown) =>
        error instanceof CheapAbortError &&
        error.code === 'ABORTED' &&
        error.cause === reason &&
        /reading catalog JSON: aborted: closed the window/.test(error.message),
    )
    assert.equal(calls, 0)
    const later = new AbortController()
    const events: JsonReadProgress[] = []
    assert.throws(
      () =>
        catalogFromJson(text, {
          signal: later.signal,
          onProgress: (e) => {
            events.push(e)
            later.abort('stop')
          },
        }),
      (error: unknown) => error instanceof CheapAbortError && error.cause === 'stop',
    )
    assert.equal(events.length, 1)
    assert.ok((events[0] as JsonReadProgress).bytesDone < bytes.length)
  })

  it('what onProgress throws is the error', () => {
    const boom = new Error('boom')
    assert.throws(
      () =>
        catalogFromJson(text, {
          onProgress: () => {
            throw boom
          },
        }),
      (error: unknown) => error === boom,
    )
  })

  it('bad options are INVALID_ARGUMENT', () => {
    for (const options of [{ signal: 1 }, { onProgress: {} }, 'fast', null]) {
      assert.throws(
        () => catalogFromJson(text, options as never),
        (error: unknown) =>
          error instanceof CheapValidationError && error.reason === 'INVALID_ARGUMENT',
      )
    }
  })

  it('utf8Length agrees with TextEncoder, lone surrogates included', () => {
    const encoder = new TextEncoder()
    for (const s of ['', 'abc', 'é', '€', '🎉', 'a\ud800b', '\udc00', 'x🎉y€z', '\ud83c']) {
      assert.equal(utf8Length(s), encoder.encode(s).length, JSON.stringify(s))
    }
    assert.equal(utf8Length('a🎉b', 1, 3), 4)
  })
})

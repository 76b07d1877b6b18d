/**
 * What catalogFromJson refuses at the door: invalid UTF-8 (with its byte offset), the bare
 * NaN/Infinity tokens, and a CatalogDef document; and the byte-order mark it skips.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { CheapValidationError, type ValidationReason } from '../../src/errors.ts'
import { catalogFromJson, catalogToJson } from '../../src/json/index.ts'
import { decodeJsonBytes, firstInvalidUtf8 } from '../../src/json/utf8.ts'
import { Aspect } from '../../src/model/index.ts'

const ID = '550e8400-e29b-41d4-a716-444444444444'
const E0 = '550e8400-e29b-41d4-a716-446655440000'
const FULL = readFileSync(new URL('../fixtures/json/full-catalog.json', import.meta.url), 'utf8')

function floatDoc(value: string): string {
  const def = `{"v":{"name":"v","globalId":"30000000-0000-4000-8000-000000000001","propertyDefs":[{"name":"x","type":"Float"}]}}`
  return `{"globalId":"${ID}","uri":null,"species":"sink","aspectDefs":${def},"hierarchies":{"v":{"type":"AM","name":"v","contents":{"${E0}":{"x":${value}}}}}}`
}

function thrownBy(work: () => unknown): CheapValidationError {
  let thrown: unknown
  try {
    work()
  } catch (error) {
    thrown = error
  }
  assert.ok(
    thrown instanceof CheapValidationError,
    `expected a CheapValidationError, got ${String(thrown)}`,
  )
  assert.equal(thrown.code, 'VALIDATION')
  return thrown
}

function expectReason(
  error: CheapValidationError,
  reason: ValidationReason,
  fragments: string[],
): void {
  assert.equal(error.reason, reason, error.message)
  for (const fragment of fragments)
    assert.ok(
      error.message.includes(fragment),
      `${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`,
    )
}

describe('catalogFromJson input checks', () => {
  describe('invalid UTF-8', () => {
    it('is rejected with the byte offset of the first bad byte, not replaced by U+FFFD', () => {
      const good = Buffer.from(FULL, 'utf8')
      const at = good.indexOf('John Doe') + 4 // the space in "John Doe", line 47 of the fixture
      const bad = Buffer.from(good)
      bad[at] = 0xff
      const error = thrownBy(() => catalogFromJson(bad))
      expectReason(error, 'INVALID_TEXT', [`byte offset ${at}`, '0xFF', 'invalid UTF-8'])
      const line = FULL.slice(0, at).split('\n').length
      assert.ok(error.message.includes(`(line ${line})`), error.message)
      assert.equal(error.path, '')
    })

    it('finds truncated, overlong, surrogate and out-of-range sequences', () => {
      const cases: [number[], number][] = [
        [[0x41, 0xc3], 1], // truncated two-byte sequence at the end
        [[0x41, 0xc0, 0x80], 1], // overlong NUL
        [[0x41, 0x42, 0xe0, 0x80, 0x80], 2], // overlong three-byte
        [[0xed, 0xa0, 0x80], 0], // a UTF-16 surrogate encoded
        [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
        [[0xe2, 0x82, 0xac, 0x80], 3], // a stray continuation byte after €
        [[0xf0, 0x9f, 0x98, 0x80, 0x41], -1], // valid: 😀 then A
      ]
      for (const [bytes, offset] of cases) {
        assert.equal(firstInvalidUtf8(Uint8Array.from(bytes)), offset, bytes.join(','))
        if (offset >= 0) {
          const error = thrownBy(() => decodeJsonBytes(Uint8Array.from(bytes)))
          expectReason(error, 'INVALID_TEXT', [`byte offset ${offset}`])
        }
      }
    })

    it('reads valid UTF-8 bytes like the text', () => {
      const fromBytes = catalogFromJson(Buffer.from(FULL, 'utf8'))
      assert.equal(catalogToJson(fromBytes, { pretty: true }), FULL)
    })
  })

  describe('a leading byte-order mark', () => {
    it('is skipped in bytes and in text, as Jackson does', () => {
      const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(FULL, 'utf8')])
      assert.equal(catalogToJson(catalogFromJson(bom), { pretty: true }), FULL)
      assert.equal(catalogToJson(catalogFromJson(`\uFEFF${FULL}`), { pretty: true }), FULL)
    })

    it('is not skipped anywhere else', () => {
      const error = thrownBy(() => catalogFromJson(` \uFEFF${FULL}`))
      expectReason(error, 'INVALID_JSON', ['line 1, column 2'])
      const twice = thrownBy(() => catalogFromJson(`\uFEFF\uFEFF${FULL}`))
      expectReason(twice, 'INVALID_JSON', ['line 1'])
    })
  })

  describe('the bare tokens NaN, Infinity and -Infinity', () => {
    for (const token of ['NaN', 'Infinity', '-Infinity']) {
      it(`rejects a bare ${token} as invalid JSON with the path, line and column`, () => {
        const text = floatDoc(token)
        const error = thrownBy(() => catalogFromJson(text))
        const column = text.indexOf(`"x":${token}`) + 5
        expectReason(error, 'INVALID_JSON', [
          'invalid JSON at line 1, column ' + String(column),
          `found the bare token ${token}, expected a JSON value: ${token} is not JSON`,
          `write the string "${token}" for a Float`,
        ])
        assert.equal(error.path, `hierarchies.v.contents.${E0}.x`)
      })
    }

    it('still reads the quoted strings into a Float and writes them back as strings', () => {
      for (const [token, value] of [
        ['NaN', Number.NaN],
        ['Infinity', Infinity],
        ['-Infinity', -Infinity],
      ] as const) {
        const catalog = catalogFromJson(floatDoc(`"${token}"`))
        const aspect = catalog.aspects('v')?.get(E0)
        assert.ok(aspect !== undefined)
        assert.ok(Object.is(Aspect.stored(aspect).get('x'), value))
        assert.ok(catalogToJson(catalog).includes(`"x":"${token}"`))
      }
    })
  })

  describe('a CatalogDef document', () => {
    // What the Java CheapJacksonSerializer writes for a CatalogDef (CatalogDefToJson).
    const CATALOG_DEF = JSON.stringify({
      aspectDefs: [
        {
          name: 'person',
          globalId: '82758400-e29b-41d4-a716-446655440000',
          propertyDefs: [{ name: 'name', type: 'String', isNullable: false }],
        },
      ],
      hierarchyDefs: [
        { name: 'userDirectory', type: 'ED' },
        { name: 'taskQueue', type: 'EL' },
      ],
    })

    it('is named as such, at the document', () => {
      const error = thrownBy(() => catalogFromJson(CATALOG_DEF))
      expectReason(error, 'INVALID_JSON', ['this is a CatalogDef, not a catalog', 'aspectDefs'])
      assert.equal(error.path, '')
      assert.ok(error.message.startsWith('(document): '), error.message)
    })

    it('is recognised by its hierarchyDefs too, and when empty', () => {
      const error = thrownBy(() => catalogFromJson('{"hierarchyDefs":[],"aspectDefs":[]}'))
      expectReason(error, 'INVALID_JSON', ['this is a CatalogDef, not a catalog', 'hierarchyDefs'])
      const empty = thrownBy(() => catalogFromJson('{"aspectDefs":[],"hierarchyDefs":[]}'))
      expectReason(empty, 'INVALID_JSON', ['this is a CatalogDef, not a catalog'])
    })

    it('is not claimed for a catalog that has a stray hierarchyDefs key', () => {
      const error = thrownBy(() =>
        catalogFromJson(`{"globalId":"${ID}","species":"sink","hierarchyDefs":[]}`),
      )
      expectReason(error, 'INVALID_JSON', ['unknown key "hierarchyDefs"'])
      assert.ok(!error.message.includes('CatalogDef'), error.message)
    })
  })
})

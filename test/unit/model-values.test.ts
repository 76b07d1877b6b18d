import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DateTime, FixedOffsetZone, IANAZone } from 'luxon'
import {
  createAspect,
  createAspectDef,
  createPropertyDef,
  newEntityId,
  validateScalar,
  validateValue,
  type PropertyTypeCode,
  type PropertyValue,
} from '../../src/model/index.ts'
import { assertRejected } from '../support/assert-error.ts'

const DEF = 'com.example.values'
const INT64_MAX = 2n ** 63n - 1n
const INT64_MIN = -(2n ** 63n)

/** Writes `value` into a fresh aspect whose only property `field` has the given shape. */
function write(
  type: PropertyTypeCode,
  value: unknown,
  shape: { isNullable?: boolean; isMultivalued?: boolean } = {},
): PropertyValue | undefined {
  const def = createAspectDef({
    name: DEF,
    properties: [
      createPropertyDef({
        name: 'field',
        type,
        isNullable: shape.isNullable ?? true,
        isMultivalued: shape.isMultivalued ?? false,
      }),
    ],
  })
  const aspect = createAspect(def, newEntityId(), { field: value as PropertyValue })
  return aspect.get('field')
}

const field = { aspectDefName: DEF, propertyName: 'field' }

describe('property values', () => {
  describe('wrong types', () => {
    const cases: [PropertyTypeCode, unknown, string][] = [
      ['INT', 42, '42'],
      ['INT', '42', '"42"'],
      ['FLT', 1n, '1n'],
      ['FLT', '1.5', '"1.5"'],
      ['BLN', 'true', '"true"'],
      ['BLN', 0, '0'],
      ['STR', 5, '5'],
      ['TXT', 5, '5'],
      ['CLB', true, 'true'],
      ['BGI', 1.5, '1.5'],
      ['BGF', 1.5, '1.5'],
      ['DAT', new Date(0), 'Date'],
      ['DAT', '2025-01-15T10:30Z', '2025-01-15T10:30Z'],
      ['URI', 5, '5'],
      ['UID', 5, '5'],
      ['BLB', 'abc', '"abc"'],
      ['BLB', new ArrayBuffer(2), 'ArrayBuffer'],
    ]
    for (const [type, value, shown] of cases) {
      it(`rejects ${typeof value} ${String(value)} for ${type}, naming the def, the property and the value`, () => {
        assertRejected(() => write(type, value), 'WRONG_TYPE', field, [shown, type])
      })
    }

    it('rejects the number 42 for INT and suggests a bigint', () => {
      const error = assertRejected(() => write('INT', 42), 'WRONG_TYPE', field, ['42'])
      assert.match(error.message, /bigint/)
      assert.match(error.message, /42n|BigInt/)
    })

    it('rejects a number for BGI and suggests a bigint', () => {
      assertRejected(() => write('BGI', 7), 'WRONG_TYPE', field, ['7', 'bigint'])
    })

    it('rejects undefined as a value (null or absence are the alternatives)', () => {
      assertRejected(() => write('STR', undefined), 'WRONG_TYPE', field, ['undefined'])
    })

    it('rejects a scalar for a multivalued property and an array for a single-valued one', () => {
      assertRejected(() => write('INT', 1n, { isMultivalued: true }), 'WRONG_TYPE', field, [
        'multivalued',
      ])
      assertRejected(() => write('INT', [1n]), 'WRONG_TYPE', field, ['single-valued'])
    })

    it('rejects a wrongly typed element of a multivalued value', () => {
      assertRejected(() => write('INT', [1n, 2], { isMultivalued: true }), 'WRONG_TYPE', field, [
        '2',
      ])
    })
  })

  describe('nullability', () => {
    it('rejects null in a non-nullable property', () => {
      assertRejected(() => write('STR', null, { isNullable: false }), 'NOT_NULLABLE', field, [
        'null',
      ])
    })

    it('accepts null in a nullable property', () => {
      assert.equal(write('STR', null), null)
    })

    it('rejects a null element in a multivalued list, even when the property is nullable', () => {
      assertRejected(
        () => write('STR', ['a', null], { isMultivalued: true }),
        'NOT_NULLABLE',
        field,
        ['element 1'],
      )
    })

    it('keeps an empty list distinct from null', () => {
      assert.deepEqual(write('STR', [], { isMultivalued: true }), [])
      assert.equal(write('STR', null, { isMultivalued: true }), null)
    })
  })

  describe('INT and BGI ranges', () => {
    it('accepts the int64 limits', () => {
      assert.equal(write('INT', INT64_MAX), INT64_MAX)
      assert.equal(write('INT', INT64_MIN), INT64_MIN)
    })

    it('rejects an INT one beyond either int64 limit, naming the value', () => {
      assertRejected(() => write('INT', INT64_MAX + 1n), 'OUT_OF_RANGE', field, [
        '9223372036854775808',
      ])
      assertRejected(() => write('INT', INT64_MIN - 1n), 'OUT_OF_RANGE', field, [
        '-9223372036854775809',
      ])
    })

    it('accepts a BGI far beyond 64 bits', () => {
      const big = -(10n ** 60n) - 7n
      assert.equal(write('BGI', big), big)
    })
  })

  describe('FLT', () => {
    it('accepts NaN, the infinities and negative zero unchanged', () => {
      assert.ok(Number.isNaN(write('FLT', Number.NaN)))
      assert.equal(write('FLT', Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY)
      assert.equal(write('FLT', Number.NEGATIVE_INFINITY), Number.NEGATIVE_INFINITY)
      assert.ok(Object.is(write('FLT', -0), -0))
      assert.equal(write('FLT', Number.MIN_VALUE), Number.MIN_VALUE)
    })
  })

  describe('text', () => {
    it('accepts a STR of exactly 8192 characters and rejects 8193', () => {
      assert.equal(write('STR', 'x'.repeat(8192)), 'x'.repeat(8192))
      assertRejected(() => write('STR', 'x'.repeat(8193)), 'TOO_LONG', field, ['8193', '8192'])
    })

    it('counts code points, so 8192 astral characters (16384 UTF-16 units) fit a STR', () => {
      const emoji = '😀'.repeat(8192)
      assert.equal(write('STR', emoji), emoji)
      assertRejected(() => write('STR', `${emoji}😀`), 'TOO_LONG', field, ['8193'])
    })

    it('accepts TXT and CLB longer than 8192 characters', () => {
      assert.equal(write('TXT', 'y'.repeat(20_000))?.toString().length, 20_000)
      assert.equal(write('CLB', 'z'.repeat(20_000))?.toString().length, 20_000)
    })

    for (const type of ['STR', 'TXT', 'CLB'] as const) {
      it(`rejects U+0000 in ${type}, which PostgreSQL text cannot store`, () => {
        assertRejected(() => write(type, 'a\u0000b'), 'INVALID_TEXT', field, ['U+0000'])
      })

      it(`rejects lone surrogates in ${type}`, () => {
        assertRejected(() => write(type, 'a\ud800b'), 'INVALID_TEXT', field, ['surrogate'])
        assertRejected(() => write(type, '\udc00'), 'INVALID_TEXT', field, ['surrogate'])
        assertRejected(() => write(type, 'end\ud83d'), 'INVALID_TEXT', field, ['surrogate'])
      })
    }

    it('accepts the empty string, emoji, combining marks and control characters other than U+0000', () => {
      for (const text of ['', '👩‍👩‍👧‍👦', 'e\u0301', '\u0001\t\n', '\u{10FFFF}'])
        assert.equal(write('STR', text), text)
    })
  })

  describe('URI', () => {
    it('stores a URI reference verbatim, without normalising it', () => {
      for (const uri of [
        'HTTP://Example.COM/a/../b',
        'urn:isbn:0451450523',
        'mailto:a@b.c',
        '../rel?q#f',
        '',
        'http://h/%c3%A9',
      ]) {
        assert.equal(write('URI', uri), uri)
      }
    })

    it('rejects text that is not an RFC 3986 URI reference, naming it', () => {
      for (const bad of [
        'http://exa mple.com',
        '%zz',
        'http://[::1',
        ':no-scheme',
        'a\\b',
        'http://h/<x>',
      ]) {
        assertRejected(() => write('URI', bad), 'INVALID_URI', field, [JSON.stringify(bad)])
      }
    })
  })

  describe('UID', () => {
    it('accepts a canonical lower-case UUID', () => {
      assert.equal(
        write('UID', '123e4567-e89b-12d3-a456-426614174000'),
        '123e4567-e89b-12d3-a456-426614174000',
      )
    })

    it('rejects upper case, missing dashes and braces', () => {
      for (const bad of [
        '123E4567-E89B-12D3-A456-426614174000',
        '123e4567e89b12d3a456426614174000',
        '{123e4567-e89b-12d3-a456-426614174000}',
      ]) {
        assertRejected(() => write('UID', bad), 'INVALID_UUID', field, [bad])
      }
    })
  })

  describe('DAT', () => {
    it('keeps the instant and the zone, fixed or IANA', () => {
      const paris = DateTime.fromMillis(1_700_000_000_123, {
        zone: IANAZone.create('Europe/Paris'),
      })
      const fixed = DateTime.fromMillis(1_700_000_000_123, { zone: FixedOffsetZone.instance(330) })
      assert.equal(write('DAT', paris), paris)
      assert.equal(write('DAT', fixed), fixed)
    })

    it('rejects an invalid DateTime with its reason', () => {
      assertRejected(() => write('DAT', DateTime.invalid('made up')), 'INVALID_DATETIME', field, [
        'made up',
      ])
    })

    it('rejects years 0 and 10000 and accepts years 1 and 9999', () => {
      assertRejected(() => write('DAT', DateTime.utc(0, 6, 1)), 'OUT_OF_RANGE', field, ['0000'])
      assertRejected(() => write('DAT', DateTime.utc(10000, 1, 1)), 'OUT_OF_RANGE', field, [
        '10000',
      ])
      assert.ok(write('DAT', DateTime.utc(1, 1, 1)) !== undefined)
      assert.ok(write('DAT', DateTime.utc(9999, 12, 31, 23, 59, 59, 999)) !== undefined)
    })
  })

  describe('BGF', () => {
    it('keeps the scale of canonical decimal text', () => {
      for (const text of ['123.4500', '0.00', '-1', '1E+3', '1.50E+3', '-4.5E-10', '0E-10'])
        assert.equal(write('BGF', text), text)
    })

    it('stores the canonical (Java BigDecimal.toString) form of other decimal text', () => {
      assert.equal(write('BGF', '+1'), '1')
      assert.equal(write('BGF', '1e3'), '1E+3')
      assert.equal(write('BGF', '0.0000001'), '1E-7')
      assert.equal(write('BGF', '.5'), '0.5')
    })

    it('rejects text that is not a decimal number, naming it', () => {
      for (const bad of ['abc', 'NaN', 'Infinity', '1e', '', '1.2.3', '0x10', '١٢']) {
        assertRejected(() => write('BGF', bad), 'INVALID_DECIMAL', field, [JSON.stringify(bad)])
      }
    })
  })

  describe('validateScalar and validateValue', () => {
    it('validate without an aspect and return the canonical value', () => {
      assert.equal(validateScalar('BGF', '1e3'), '1E+3')
      assert.equal(validateScalar('INT', 5n), 5n)
      const list = validateValue(
        { name: 'x', type: 'INT', isNullable: false, isMultivalued: true },
        [1n, 1n],
        {},
      )
      assert.deepEqual(list, [1n, 1n])
    })

    it('copy a multivalued value so later changes to the caller array do not leak in', () => {
      const input = [1n, 2n]
      const stored = write('INT', input, { isMultivalued: true })
      input.push(3n)
      assert.deepEqual(stored, [1n, 2n])
    })

    it('name the def and property given as context', () => {
      assertRejected(
        () => validateScalar('INT', 1, { aspectDefName: 'd', propertyName: 'p' }),
        'WRONG_TYPE',
        {
          aspectDefName: 'd',
          propertyName: 'p',
        },
      )
    })
  })
})

describe('date-times in the process time zone', () => {
  it('pins a DateTime in luxon system zone to the IANA zone of that name', () => {
    const local = DateTime.local(2025, 3, 1, 12, 0)
    const stored = validateScalar('DAT', local)
    assert.equal(stored.zone.type, 'iana')
    assert.equal(stored.zone.name, local.zone.name)
    assert.equal(stored.toMillis(), local.toMillis())
  })
})

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { CheapValidationError } from '../../src/errors.ts'
import {
  canonicalDecimal,
  decimalFromPlain,
  decimalToPlainString,
  formatDecimal,
  parseDecimal,
} from '../../src/model/values/java-decimal.ts'
import type { JavaDecimal } from '../../src/model/values/java-decimal.ts'
import { assertProperty } from '../support/fast-check.ts'

const MIN_INT = -(2 ** 31)
const MAX_INT = 2 ** 31 - 1
const invalidDecimal = (error: unknown) =>
  error instanceof CheapValidationError && error.reason === 'INVALID_DECIMAL'
const decimal = (unscaled: bigint, scale: number): JavaDecimal => ({ unscaled, scale })
const arbitraryDecimal = (scale: fc.Arbitrary<number>) =>
  fc
    .tuple(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), scale)
    .map(([unscaled, scale]) => decimal(unscaled, scale))

describe('parseDecimal and formatDecimal (JDK 17 BigDecimal vectors)', () => {
  // [input to new BigDecimal, toString(), unscaledValue(), scale(), toPlainString()]
  const vectors: readonly [string, string, bigint, number, string][] = [
    ['0', '0', 0n, 0, '0'],
    ['-0', '0', 0n, 0, '0'],
    ['1.', '1', 1n, 0, '1'],
    ['.5', '0.5', 5n, 1, '0.5'],
    ['+.5', '0.5', 5n, 1, '0.5'],
    ['-.5', '-0.5', -5n, 1, '-0.5'],
    ['+1', '1', 1n, 0, '1'],
    ['1e+0', '1', 1n, 0, '1'],
    ['1.0', '1.0', 10n, 1, '1.0'],
    ['123.4500', '123.4500', 1234500n, 4, '123.4500'],
    ['00012.30', '12.30', 1230n, 2, '12.30'],
    ['1E3', '1E+3', 1n, -3, '1000'],
    ['1e-3', '0.001', 1n, 3, '0.001'],
    ['0.000', '0.000', 0n, 3, '0.000'],
    ['0E+3', '0E+3', 0n, -3, '0'],
    ['0E-7', '0E-7', 0n, 7, '0.0000000'],
    ['1E-7', '1E-7', 1n, 7, '0.0000001'],
    ['-0.0000001', '-1E-7', -1n, 7, '-0.0000001'],
    ['0.000001', '0.000001', 1n, 6, '0.000001'],
    ['-4.5E-10', '-4.5E-10', -45n, 11, '-0.00000000045'],
    ['1.23E+5', '1.23E+5', 123n, -3, '123000'],
    ['12.3E+1', '123', 123n, 0, '123'],
    [
      '-8.2460535439020979E+24',
      '-8.2460535439020979E+24',
      -82460535439020979n,
      -8,
      '-8246053543902097900000000',
    ],
    ['-8.649E-34', '-8.649E-34', -8649n, 37, '-0.0000000000000000000000000000000008649'],
    [
      '-0.000018735368018969',
      '-0.000018735368018969',
      -18735368018969n,
      18,
      '-0.000018735368018969',
    ],
    [
      '18446744073709551616.5',
      '18446744073709551616.5',
      184467440737095516165n,
      1,
      '18446744073709551616.5',
    ],
    ['1E-2147483647', '1E-2147483647', 1n, 2147483647, ''],
    ['1e000000000000000000003', '1E+3', 1n, -3, '1000'],
  ]
  for (const [input, text, unscaled, scale, plain] of vectors) {
    it(`reads ${JSON.stringify(input)} as unscaled ${unscaled} scale ${scale}, printed ${text}`, () => {
      assert.deepEqual(parseDecimal(input), decimal(unscaled, scale))
      assert.equal(formatDecimal(decimal(unscaled, scale)), text)
      assert.equal(canonicalDecimal(input), text)
      if (plain !== '') assert.equal(decimalToPlainString(decimal(unscaled, scale)), plain)
    })
  }

  const rejected = [
    '',
    '.',
    '+',
    '-',
    '1e',
    '1e+',
    'e5',
    '++1',
    '--1',
    '1..2',
    '1.2.3',
    '0x10',
    ' 1',
    '1 ',
    '1_0',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e2147483648',
    '1e+2147483648',
    '1E-2147483648',
    '1.5e-2147483647',
    // Java also accepts other Unicode decimal digits; we refuse them on purpose.
    '١٢',
  ]
  for (const text of rejected) {
    it(`refuses ${JSON.stringify(text)} with INVALID_DECIMAL naming the text`, () => {
      assert.throws(
        () => parseDecimal(text),
        (error: unknown) => invalidDecimal(error) && (error as Error).message.includes(`'${text}'`),
      )
    })
  }

  it('round-trips any unscaled value and Java int scale through the canonical text', () => {
    // Near the lowest scales the printed exponent passes MAX_INT and Java itself cannot read its
    // own text back (see the next test), so the property leaves a margin there.
    const scale = fc.oneof(
      fc.integer({ min: -30, max: 30 }),
      fc.integer({ min: MIN_INT + 64, max: MAX_INT }),
    )
    assertProperty(
      fc.property(arbitraryDecimal(scale), (value) => {
        const text = formatDecimal(value)
        assert.deepEqual(parseDecimal(text), value)
        assert.equal(canonicalDecimal(text), text)
      }),
      { numRuns: 1000 },
    )
  })

  it('refuses, like Java, the text of a decimal whose adjusted exponent exceeds an int', () => {
    const text = formatDecimal(decimal(10n ** 23n, -2147483625))
    assert.equal(text, '1.00000000000000000000000E+2147483648')
    assert.throws(() => parseDecimal(text), invalidDecimal)
  })

  it('prints scientific notation exactly for a negative scale or an adjusted exponent below -6', () => {
    assertProperty(
      fc.property(arbitraryDecimal(fc.integer({ min: -30, max: 30 })), ({ unscaled, scale }) => {
        const digits = (unscaled < 0n ? -unscaled : unscaled).toString().length
        const isScientific = scale < 0 || digits - 1 - scale < -6
        assert.equal(formatDecimal({ unscaled, scale }).includes('E'), isScientific)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('decimalToPlainString and decimalFromPlain (PostgreSQL numeric)', () => {
  it('writes a negative scale as trailing zeros and reads it back with the stored scale', () => {
    assert.equal(decimalToPlainString(decimal(1n, -3)), '1000')
    assert.deepEqual(decimalFromPlain('1000', -3), decimal(1n, -3))
    assert.deepEqual(decimalFromPlain('-1230', -1), decimal(-123n, -1))
  })

  it('restores trailing fraction zeros that the numeric text lost or kept', () => {
    assert.deepEqual(decimalFromPlain('123.45', 4), decimal(1234500n, 4))
    assert.deepEqual(decimalFromPlain('123.4500', 4), decimal(1234500n, 4))
    assert.deepEqual(decimalFromPlain('0', 3), decimal(0n, 3))
    assert.deepEqual(decimalFromPlain('-0.00', 0), decimal(0n, 0))
  })

  it('refuses numeric text that does not fit the stored scale or is not plain', () => {
    for (const [plain, scale] of [
      ['1001', -3],
      ['0.5', 0],
      ['1E+3', -3],
      ['NaN', 0],
      ['Infinity', 0],
      ['', 0],
      ['1.', 0],
    ] as const) {
      assert.throws(() => decimalFromPlain(plain, scale), invalidDecimal, `${plain} / ${scale}`)
    }
    assert.throws(() => decimalFromPlain('1', 2 ** 31), invalidDecimal)
  })

  it('refuses to spell out a number beyond the PostgreSQL numeric limits', () => {
    const outOfRange = (error: unknown) =>
      error instanceof CheapValidationError && error.reason === 'OUT_OF_RANGE'
    assert.throws(() => decimalToPlainString(decimal(1n, -2147483647)), outOfRange)
    assert.throws(() => decimalToPlainString(decimal(1n, 20000)), outOfRange)
    assert.equal(decimalToPlainString(decimal(0n, -2147483647)), '0')
  })

  it('round-trips any decimal through its plain text and scale', () => {
    assertProperty(
      fc.property(arbitraryDecimal(fc.integer({ min: -40, max: 40 })), (value) => {
        assert.deepEqual(decimalFromPlain(decimalToPlainString(value), value.scale), value)
      }),
      { numRuns: 1000 },
    )
  })

  it('writes plain text that denotes the same number as the canonical text', () => {
    assertProperty(
      fc.property(arbitraryDecimal(fc.integer({ min: -40, max: 40 })), (value) => {
        const plain = parseDecimal(decimalToPlainString(value))
        const shift = plain.scale - value.scale
        assert.ok(shift >= 0)
        assert.equal(plain.unscaled, value.unscaled * 10n ** BigInt(shift))
      }),
      { numRuns: 1000 },
    )
  })
})

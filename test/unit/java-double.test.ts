import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { formatJavaDouble } from '../../src/model/values/java-double.ts'
import { assertProperty } from '../support/fast-check.ts'

const doubleOf = (bitsHex: string): number => {
  const view = new DataView(new ArrayBuffer(8))
  view.setBigUint64(0, BigInt(`0x${bitsHex}`))
  return view.getFloat64(0)
}
const JAVA_DOUBLE_TEXT = /^-?(?:NaN|Infinity|\d+\.\d+|\d\.\d+E-?\d+)$/

describe('formatJavaDouble', () => {
  it('prints the special values as Java does', () => {
    assert.equal(formatJavaDouble(NaN), 'NaN')
    assert.equal(formatJavaDouble(Infinity), 'Infinity')
    assert.equal(formatJavaDouble(-Infinity), '-Infinity')
    assert.equal(formatJavaDouble(0), '0.0')
    assert.equal(formatJavaDouble(-0), '-0.0')
  })

  // [raw bits, Double.toString] printed by JDK 25 (shortest digits), where JDK 17 agrees.
  const agreed: readonly [string, string][] = [
    ['3ff0000000000000', '1.0'],
    ['4059000000000000', '100.0'],
    ['400921f9f01b866e', '3.14159'],
    ['3f50624dd2f1a9fc', '0.001'],
    ['3f50624dd2f1a9fb', '9.999999999999998E-4'],
    ['416312d000000000', '1.0E7'],
    ['416312cfe0000000', '9999999.0'],
    ['416312cfffffffff', '9999999.999999998'],
    ['4202a05f20000000', '1.0E10'],
    ['3f1a36e2eb1c432d', '1.0E-4'],
    ['41678c29c0000000', '1.2345678E7'],
    ['0000000000000001', '4.9E-324'],
    ['7fefffffffffffff', '1.7976931348623157E308'],
    ['0010000000000000', '2.2250738585072014E-308'],
    ['3fd3333333333334', '0.30000000000000004'],
    ['40fe240c9fbe76c9', '123456.789'],
    ['c012000000000000', '-4.5'],
    ['3ee4f8b588e368f1', '1.0E-5'],
    ['444b1ae4d6e2ef50', '1.0E21'],
    ['4340000000000000', '9.007199254740992E15'],
    ['ba419d350dfe8af7', '-4.446421636188976E-28'],
    ['df2f3ddb2760b3c7', '-3.1958138356391172E150'],
    ['3fbebee5d3473cd8', '0.12010036857758466'],
    ['418b10211b0cc9f0', '5.675523538124454E7'],
    ['3e5683816fd1e2c3', '2.0967511272777315E-8'],
    ['3f7a67dadaac8960', '0.0064467'],
    ['000000000000194b', '3.199E-320'],
    ['0000000000000496', '5.8E-321'],
  ]
  for (const [bits, java] of agreed) {
    it(`prints the double with bits ${bits} as ${java}`, () => {
      assert.equal(formatJavaDouble(doubleOf(bits)), java)
    })
  }

  // JDK 17's FloatingDecimal (before JDK-4511638 was fixed in JDK 19) is not always shortest:
  // 620 of 275,045 sampled doubles differ, all in scientific notation (mostly 1E16–1E19, where
  // it adds digits). We print the JDK 19+ form; JDK 17's Double.parseDouble reads both back to
  // the same double. [bits, JDK 17, JDK 19+ and ours]
  const jdk17Differs: readonly [string, string, string][] = [
    ['44b52d02c7e14af6', '9.999999999999999E22', '1.0E23'],
    ['44c52d02c7e14af6', '1.9999999999999998E23', '2.0E23'],
    ['447c7e83209e90b2', '8.409999999999999E21', '8.41E21'],
    ['438f67ea69ed3795', '2.82879384806159008E17', '2.82879384806159E17'],
    ['c3c29b3529ace642', '-2.6814475343671142E18', '-2.681447534367114E18'],
    ['0000000000000002', '1.0E-323', '9.9E-324'],
  ]
  for (const [bits, jdk17, ours] of jdk17Differs) {
    it(`prints ${ours} where JDK 17 prints ${jdk17}, both reading back to the same double`, () => {
      const value = doubleOf(bits)
      assert.equal(formatJavaDouble(value), ours)
      assert.equal(Number(jdk17.replace('E', 'e')), value)
    })
  }

  it('round-trips every double through its Java text', () => {
    assertProperty(
      fc.property(fc.double(), (value) => {
        const text = formatJavaDouble(value)
        assert.match(text, JAVA_DOUBLE_TEXT)
        assert.ok(Object.is(Number(text.replace('E', 'e')), value))
      }),
      { numRuns: 1000 },
    )
  })

  it('uses plain notation exactly for magnitudes from 10^-3 up to but excluding 10^7', () => {
    assertProperty(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const magnitude = Math.abs(value)
        const isPlain = magnitude >= 1e-3 && magnitude < 1e7
        assert.equal(!formatJavaDouble(value).includes('E'), isPlain || magnitude === 0)
      }),
      { numRuns: 1000 },
    )
  })

  it('prints integral values of the plain range with one fraction digit', () => {
    assertProperty(
      fc.property(fc.integer({ min: -9_999_999, max: 9_999_999 }), (value) => {
        fc.pre(value !== 0)
        assert.equal(formatJavaDouble(value), `${value}.0`)
      }),
      { numRuns: 1000 },
    )
  })
})

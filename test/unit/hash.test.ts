import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { DateTime, IANAZone } from 'luxon'
import { CheapValidationError } from '../../src/errors.ts'
import { CheapHasher } from '../../src/model/hash/cheap-hasher.ts'
import {
  hashAspectDef,
  hashCatalogDef,
  hashHierarchyDef,
  hashPropertyDef,
  javaHashCodeOfDefault,
} from '../../src/model/hash/def-hash.ts'
import type { PropertyDefHashInput } from '../../src/model/hash/def-hash.ts'
import {
  bigDecimalHashCode,
  bigIntegerHashCode,
  booleanHashCode,
  byteArrayHashCode,
  doubleHashCode,
  longHashCode,
  stringHashCode,
  uuidHashCode,
} from '../../src/model/hash/java-hash-code.ts'
import { assertProperty } from '../support/fast-check.ts'

const unsigned = (value: bigint): bigint => BigInt.asUintN(64, value)
const bytesOf = (hex: string): Uint8Array =>
  Uint8Array.from((hex.match(/../g) ?? []).map((pair) => Number.parseInt(pair, 16)))
const doubleOf = (bitsHex: string): number => {
  const view = new DataView(new ArrayBuffer(8))
  view.setBigUint64(0, BigInt(`0x${bitsHex}`))
  return view.getFloat64(0)
}

function propertyDef(
  name: string,
  typeCode: string,
  isNullable: boolean,
  defaultValue?: { hashCode: number | null },
): bigint {
  const input: PropertyDefHashInput = {
    name,
    typeCode,
    isReadable: true,
    isWritable: true,
    isNullable,
    hasDefaultValue: defaultValue !== undefined,
    defaultValueHashCode: defaultValue?.hashCode ?? null,
  }
  return hashPropertyDef(input)
}

const age = propertyDef('age', 'INT', true)
const name = propertyDef('name', 'STR', false)
const title = propertyDef('title', 'STR', false)
const description = propertyDef('description', 'STR', true)
const aspectFlags = {
  isReadable: true,
  isWritable: true,
  canAddProperties: false,
  canRemoveProperties: false,
}
const person = hashAspectDef({
  ...aspectFlags,
  name: 'person',
  globalId: '12348400-e24b-41d4-a716-446644440000',
  propertyDefHashes: [age, name],
})
const documentDef = hashAspectDef({
  ...aspectFlags,
  name: 'document',
  globalId: '73737400-e24b-41d4-a716-446644440000',
  propertyDefHashes: [title, description],
})

// Plain bigint FNV-1a 64, the definition itself, to check the two-halves implementation.
function referenceFnv(bytes: Uint8Array, start = 0xcbf29ce484222325n): bigint {
  let hash = start
  for (const byte of bytes) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n)
  return BigInt.asIntN(64, hash)
}

describe('CheapHasher primitives (reference §1.13 golden vectors)', () => {
  it('starts at the FNV offset basis and leaves it unchanged for an empty string', () => {
    assert.equal(unsigned(new CheapHasher().value()), 0xcbf29ce484222325n)
    assert.equal(unsigned(CheapHasher.ofString('')), 0xcbf29ce484222325n)
    assert.equal(unsigned(CheapHasher.ofBytes(new Uint8Array())), 0xcbf29ce484222325n)
  })

  it('hashes the UTF-8 bytes of a string', () => {
    assert.equal(unsigned(CheapHasher.ofString('hello')), 0xa430d84680aabd0bn)
  })

  it('hashes a null string as the null marker byte 0xFF', () => {
    assert.equal(unsigned(CheapHasher.ofString(null)), 0xaf64724c8602eb6en)
    assert.equal(unsigned(new CheapHasher().updateNull().value()), 0xaf64724c8602eb6en)
    assert.equal(unsigned(CheapHasher.ofBytes(null)), 0xaf64724c8602eb6en)
    assert.equal(unsigned(new CheapHasher().updateUuid(null).value()), 0xaf64724c8602eb6en)
  })

  it('hashes a long as 8 little-endian bytes', () => {
    assert.equal(unsigned(CheapHasher.ofLong(12345n)), 0xe71eb185e2edcc4cn)
    assert.equal(unsigned(CheapHasher.ofLong(-1n)), 0x8cf51a8bfca3883dn)
  })

  it('hashes a boolean as one byte 1 or 0', () => {
    assert.equal(unsigned(new CheapHasher().updateBoolean(true).value()), 0xaf63bc4c8601b62cn)
    assert.equal(unsigned(new CheapHasher().updateBoolean(false).value()), 0xaf63bd4c8601b7dfn)
  })

  it('hashes a double through its raw IEEE-754 bits', () => {
    assert.equal(unsigned(new CheapHasher().updateDouble(3.14159).value()), 0x3d51d34522f3c4ddn)
  })

  it('hashes a byte array byte by byte', () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5])
    assert.equal(unsigned(CheapHasher.ofBytes(bytes)), 0x0f66dcbf4f6b7d88n)
  })

  it('hashes a UUID as its most then least significant long, each little-endian', () => {
    const uuid = '123e4567-e89b-12d3-a456-426614174000'
    assert.equal(unsigned(new CheapHasher().updateUuid(uuid).value()), 0x9d13fad705124f66n)
    assert.equal(
      unsigned(new CheapHasher().updateUuid(uuid.toUpperCase()).value()),
      0x9d13fad705124f66n,
    )
  })
})

describe('CheapHasher against the JDK 17 (String.getBytes(UTF_8) + FNV-1a)', () => {
  // [UTF-16 code units as hex, signed hash] computed by a Java program.
  const strings: readonly [string, bigint][] = [
    ['0061', -5808556873153909620n],
    ['006800e9006c006c006f', -6674344407707008800n],
    ['65e5672c8a9e', -1252314375984451705n],
    ['d83dde00', -72331129952009592n],
    ['005a00fc0072006900630068002020ac', -7525939081802255616n],
    ['0000', -5808590958014384161n],
    ['007f008007ff0800ffff', -920242049591806071n],
    // Lone surrogates: Java writes '?' for each.
    ['0061d800', 620380777380918313n],
    ['dc000062', 580194726889381924n],
    ['d800d800dc00', 2162047517762582414n],
  ]
  for (const [units, expected] of strings) {
    it(`hashes the string of UTF-16 units ${units} as Java does`, () => {
      const text = String.fromCharCode(
        ...(units.match(/..../g) ?? []).map((u) => Number.parseInt(u, 16)),
      )
      assert.equal(CheapHasher.ofString(text), expected)
    })
  }

  it('hashes longs, ints and doubles as Java does', () => {
    assert.equal(CheapHasher.ofLong(0n), -6284781860667377211n)
    assert.equal(CheapHasher.ofLong(9223372036854775807n), -8289549613075766851n)
    assert.equal(CheapHasher.ofLong(-9223372036854775808n), -6284922598155788219n)
    assert.equal(CheapHasher.ofLong(4294967296n), 634246865027890484n)
    assert.equal(new CheapHasher().updateInt(-2147483648).value(), -8292642442000284767n)
    assert.equal(new CheapHasher().updateInt(5).value(), 1000385178204227360n)
    assert.equal(new CheapHasher().updateDouble(-0).value(), -6284922598155788219n)
    assert.equal(new CheapHasher().updateDouble(NaN).value(), -6154686545331558080n)
    assert.equal(new CheapHasher().updateDouble(Infinity).value(), -6147086720958877448n)
    assert.equal(new CheapHasher().updateDouble(doubleOf('1')).value(), -8517097267634966620n)
    assert.equal(
      new CheapHasher().updateDouble(doubleOf('ac2aa61cd1e3dedb')).value(),
      -7733359134860014364n,
    )
  })

  it('hashes UUIDs and byte arrays as Java does', () => {
    const uuid = new CheapHasher().updateUuid('99e18a76-d293-6ee9-d6c4-afd8f5fc12d5').value()
    assert.equal(uuid, 7719808062745764098n)
    const bytes = bytesOf(
      '70850bd7fdfc8e11057d5b71c7e5e0675995f3e98d0adcef06d72fa189d4886cfe7f297740a2285ceba7',
    )
    assert.equal(CheapHasher.ofBytes(bytes), 8577926393567595770n)
  })

  it('hashes the unsigned view of a long like the signed one', () => {
    assert.equal(CheapHasher.ofLong(0xffff_ffff_ffff_ffffn), CheapHasher.ofLong(-1n))
  })
})

describe('CheapHasher properties', () => {
  it('agrees with a plain bigint FNV-1a on any bytes', () => {
    assertProperty(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        assert.equal(CheapHasher.ofBytes(bytes), referenceFnv(bytes))
      }),
      { numRuns: 1000 },
    )
  })

  it('hashes any well-formed string as its TextEncoder UTF-8 bytes', () => {
    assertProperty(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (text) => {
        assert.equal(CheapHasher.ofString(text), referenceFnv(new TextEncoder().encode(text)))
      }),
      { numRuns: 1000 },
    )
  })

  it('hashes a string too long for the shared encoding buffer, and a short one after it', () => {
    const long = 'é€'.repeat(20000)
    assert.equal(CheapHasher.ofString(long), referenceFnv(new TextEncoder().encode(long)))
    assert.equal(CheapHasher.ofString('a'), referenceFnv(new TextEncoder().encode('a')))
  })

  it('hashes an int like the long it widens to', () => {
    assertProperty(
      fc.property(fc.integer(), (value) => {
        assert.equal(new CheapHasher().updateInt(value).value(), CheapHasher.ofLong(BigInt(value)))
      }),
      { numRuns: 1000 },
    )
  })

  it('continues from a seed exactly where an earlier hasher stopped', () => {
    assertProperty(
      fc.property(
        fc.string(),
        fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        (text, long) => {
          const whole = new CheapHasher().updateString(text).updateLong(long).value()
          const seed = CheapHasher.ofString(text)
          assert.equal(new CheapHasher(seed).updateLong(long).value(), whole)
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('refuses an int outside 32 bits, a long outside 64 bits and a malformed UUID', () => {
    const reasonIs = (reason: string) => (error: unknown) =>
      error instanceof CheapValidationError && error.reason === reason
    assert.throws(() => new CheapHasher().updateInt(2 ** 31), reasonIs('OUT_OF_RANGE'))
    assert.throws(() => new CheapHasher().updateInt(1.5), reasonIs('OUT_OF_RANGE'))
    assert.throws(() => CheapHasher.ofLong(1n << 64n), reasonIs('OUT_OF_RANGE'))
    assert.throws(() => CheapHasher.ofLong(-(1n << 63n) - 1n), reasonIs('OUT_OF_RANGE'))
    assert.throws(() => new CheapHasher().updateUuid('not-a-uuid'), reasonIs('INVALID_UUID'))
  })
})

describe('Java hashCode of default values (JDK 17 vectors)', () => {
  it('computes String.hashCode over UTF-16 code units with 32-bit wrap-around', () => {
    assert.equal(stringHashCode(''), 0)
    assert.equal(stringHashCode('abc'), 96354)
    assert.equal(stringHashCode('hello'), 99162322)
    assert.equal(stringHashCode('polygenelubricants'), -2147483648)
    assert.equal(stringHashCode('Zürich €'), 1615519946)
    assert.equal(stringHashCode('\u{1F600}'), 1772899)
  })

  it('computes Long.hashCode as the XOR of both halves', () => {
    assert.equal(longHashCode(5n), 5)
    assert.equal(longHashCode(-1n), 0)
    assert.equal(longHashCode(9223372036854775807n), -2147483648)
    assert.equal(longHashCode(-2147483648n), 2147483647)
    assert.equal(longHashCode(4294967296n), 1)
    assert.equal(longHashCode(-1953737418605n), -472701270)
  })

  it('computes Double.hashCode on doubleToLongBits with the canonical NaN', () => {
    assert.equal(doubleHashCode(0), 0)
    assert.equal(doubleHashCode(-0), -2147483648)
    assert.equal(doubleHashCode(3.14159), -1340954729)
    assert.equal(doubleHashCode(NaN), 2146959360)
    assert.equal(doubleHashCode(-Infinity), -1048576)
    assert.equal(doubleHashCode(-2.5), -1073479680)
  })

  it('computes Boolean.hashCode as 1231 or 1237', () => {
    assert.equal(booleanHashCode(true), 1231)
    assert.equal(booleanHashCode(false), 1237)
  })

  it('computes UUID.hashCode from the XOR of its longs', () => {
    assert.equal(uuidHashCode('123e4567-e89b-12d3-a456-426614174000'), 1256478162)
    assert.equal(uuidHashCode('95377b6a-758d-9ce8-89e0-56d2f90a896c'), -1873790916)
  })

  it('computes BigInteger.hashCode over the magnitude words times the signum', () => {
    assert.equal(bigIntegerHashCode(0n), 0)
    assert.equal(bigIntegerHashCode(-1n), -1)
    assert.equal(bigIntegerHashCode(2147483648n), -2147483648)
    assert.equal(bigIntegerHashCode(-2147483648n), -2147483648)
    assert.equal(bigIntegerHashCode(-9223372036854775808n), -2147483648)
    assert.equal(bigIntegerHashCode(18446744073709551616n), 961)
    assert.equal(bigIntegerHashCode(123456789012345678901234567890n), 1915528825)
    assert.equal(bigIntegerHashCode(-98765432109876543210n), 550835337)
    assert.equal(bigIntegerHashCode(18613695961189908101146309n), -328958112)
  })

  it('computes BigDecimal.hashCode from the unscaled value and the scale', () => {
    assert.equal(bigDecimalHashCode('0'), 0)
    assert.equal(bigDecimalHashCode('1.0'), 311)
    assert.equal(bigDecimalHashCode('1.00'), 3102)
    assert.equal(bigDecimalHashCode('123.4500'), 38269504)
    assert.equal(bigDecimalHashCode('-4.5E-10'), -1384)
    assert.equal(bigDecimalHashCode('1E+3'), 28)
    assert.equal(bigDecimalHashCode('0E+3'), -3)
    assert.equal(bigDecimalHashCode('-9223372036854775808'), -2147483648)
    assert.equal(bigDecimalHashCode('9223372036854775807'), 2147482656)
    assert.equal(bigDecimalHashCode('18446744073709551616.5'), 298066)
    assert.equal(bigDecimalHashCode('-8.2460535439020979E+24'), -461564256)
    assert.equal(bigDecimalHashCode('-450251755772023.7822559109868444148037495'), 1589746405)
  })

  it('computes java.util.Arrays.hashCode over signed bytes', () => {
    assert.equal(byteArrayHashCode(new Uint8Array()), 1)
    assert.equal(byteArrayHashCode(new Uint8Array([1, 2, 3, 4, 5])), 29615266)
    assert.equal(
      byteArrayHashCode(
        bytesOf(
          '0b5826c08f54e1174ae38bfe5a7843edb74c4fabe627a5d2808dc6dde01527161661a525661f3c7a2d35f2da94b224',
        ),
      ),
      -845147306,
    )
  })

  it('dispatches on the type code and hashes a multivalued default like java.util.List', () => {
    assert.equal(javaHashCodeOfDefault('INT', 5n), 5)
    assert.equal(javaHashCodeOfDefault('BGI', -1n), -1)
    assert.equal(javaHashCodeOfDefault('FLT', 3.14159), -1340954729)
    assert.equal(javaHashCodeOfDefault('BLN', true), 1231)
    assert.equal(javaHashCodeOfDefault('STR', 'abc'), 96354)
    assert.equal(javaHashCodeOfDefault('CLB', 'abc'), 96354)
    assert.equal(
      javaHashCodeOfDefault('URI', 'https://example.com/a'),
      stringHashCode('https://example.com/a'),
    )
    assert.equal(javaHashCodeOfDefault('UID', '123e4567-e89b-12d3-a456-426614174000'), 1256478162)
    assert.equal(javaHashCodeOfDefault('BGF', '1.00'), 3102)
    assert.equal(javaHashCodeOfDefault('BLB', new Uint8Array([1, 2, 3, 4, 5])), 29615266)
    // Arrays.asList("abc", null, "x").hashCode(), List.of(5L, -7L).hashCode(), List.of().hashCode()
    assert.equal(javaHashCodeOfDefault('STR', ['abc', null, 'x']), 92626105)
    assert.equal(javaHashCodeOfDefault('INT', [5n, -7n]), 1122)
    assert.equal(javaHashCodeOfDefault('INT', []), 1)
  })

  it('hashes a DAT default as the String of its ZonedDateTime.toString form', () => {
    const paris = DateTime.fromISO('2025-01-15T10:30:00Z').setZone(IANAZone.create('Europe/Paris'))
    assert.equal(
      javaHashCodeOfDefault('DAT', paris),
      stringHashCode('2025-01-15T11:30+01:00[Europe/Paris]'),
    )
  })

  it('refuses a default whose representation does not match its type', () => {
    const wrongType = (error: unknown) =>
      error instanceof CheapValidationError && error.reason === 'WRONG_TYPE'
    assert.throws(() => javaHashCodeOfDefault('INT', 5), wrongType)
    assert.throws(() => javaHashCodeOfDefault('STR', 5n), wrongType)
    assert.throws(() => javaHashCodeOfDefault('DAT', '2025-01-15T10:30Z'), wrongType)
    assert.throws(() => javaHashCodeOfDefault('BLB', [1, 2]), wrongType)
  })
})

describe('definition hashes (reference §1.13 golden vectors)', () => {
  it('hashes PropertyDefs without a default', () => {
    assert.equal(age, 1955165270433955678n)
    assert.equal(unsigned(age), 0x1b2224745d657f5en)
    assert.equal(name, 1772853023676214901n)
    assert.equal(unsigned(title), 0x154da9755991c6c0n)
    assert.equal(description, 8248928352243765469n)
  })

  it('hashes the Java hashCode of a String default, sign-extended', () => {
    const abc = propertyDef('x', 'STR', true, { hashCode: javaHashCodeOfDefault('STR', 'abc') })
    assert.equal(unsigned(abc), 0x594b4eddc6c2e77fn)
    const minInt = javaHashCodeOfDefault('STR', 'polygenelubricants')
    assert.equal(minInt, -(2 ** 31))
    assert.equal(unsigned(propertyDef('x', 'STR', true, { hashCode: minInt })), 0x69e5bfbda293c728n)
  })

  it('hashes a present but null default by its flag alone', () => {
    const nullDefault = propertyDef('x', 'STR', true, { hashCode: null })
    assert.equal(unsigned(nullDefault), 0x9bf0c944570a7454n)
  })

  it('hashes an INT default through Long.hashCode', () => {
    const five = propertyDef('x', 'INT', true, { hashCode: javaHashCodeOfDefault('INT', 5n) })
    assert.equal(unsigned(five), 0xc52f6c83b5a5a787n)
  })

  it('ignores a default hash code when the def says it has no default', () => {
    const input = {
      name: 'x',
      typeCode: 'STR',
      isReadable: true,
      isWritable: true,
      isNullable: true,
      hasDefaultValue: false,
      defaultValueHashCode: 96354,
    }
    assert.equal(hashPropertyDef(input), propertyDef('x', 'STR', true))
  })

  it('hashes a HierarchyDef from its name and type code', () => {
    const taskQueue = hashHierarchyDef('taskQueue', 'EL')
    assert.equal(taskQueue, -8222149163481107782n)
    assert.equal(unsigned(taskQueue), 0x8de50ee60c6ef2ban)
  })

  it('hashes AspectDefs from their flags, name, global id and PropertyDef hashes', () => {
    assert.equal(person, 1313298930219677025n)
    assert.equal(unsigned(person), 0x1239c66b3ba4f561n)
    assert.equal(documentDef, -6152646145403974329n)
    assert.equal(unsigned(documentDef), 0xaa9d68edca850d47n)
  })

  it('hashes a CatalogDef from its AspectDef hashes then its HierarchyDef hashes', () => {
    const catalog = hashCatalogDef(
      [person, documentDef],
      [
        hashHierarchyDef('userDirectory', 'ED'),
        hashHierarchyDef('taskQueue', 'EL'),
        hashHierarchyDef('activeUsers', 'ES'),
      ],
    )
    assert.equal(unsigned(catalog), 0x642fa41ddf41f3aan)
  })
})

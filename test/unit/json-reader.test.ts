/**
 * The catalog JSON reader: the Java deserializer's scenarios on the fixtures, the lenient forms
 * the Java reader accepts, lossless numbers, and an error with a JSON path for every bad input.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { DateTime } from 'luxon'
import { CheapValidationError, type ValidationReason } from '../../src/errors.ts'
import { catalogFromJson, catalogToJson } from '../../src/json/index.ts'
import { Aspect, catalogDiff, type PropertyValue, type TreeNode } from '../../src/model/index.ts'

const FIXTURE_NAMES = [
  'simple-catalog',
  'catalog-with-aspectdef',
  'entity-directory',
  'entity-list',
  'entity-set',
  'entity-tree',
  'aspect-map',
  'full-catalog',
  'multivalued-properties',
  'all-value-types',
] as const
const ID = '550e8400-e29b-41d4-a716-444444444444'
const E0 = '550e8400-e29b-41d4-a716-446655440000'
const E1 = '550e8400-e29b-41d4-a716-446655440001'
const entity = (n: number): string => `10000000-0000-0000-0000-00000000000${n}`

function fixture(name: string, pretty = true): string {
  return readFileSync(
    new URL(`../fixtures/json/${name}${pretty ? '' : '-compact'}.json`, import.meta.url),
    'utf8',
  )
}

const PERSON = {
  name: 'person',
  globalId: '12348400-e24b-41d4-a716-446644440000',
  propertyDefs: [
    { name: 'age', type: 'Integer' },
    { name: 'name', type: 'String', isNullable: false },
  ],
}

/** A catalog document around the given raw JSON texts. */
function doc(
  aspectDefs = '{}',
  hierarchies = '{}',
  header = `"globalId":"${ID}","uri":null,"species":"sink"`,
): string {
  return `{${header},"aspectDefs":${aspectDefs},"hierarchies":${hierarchies}}`
}

/** A document whose AM `person` holds one aspect (raw JSON) for E0. */
function personDoc(aspect: string): string {
  return doc(
    `{"person":${JSON.stringify(PERSON)}}`,
    `{"person":{"type":"AM","name":"person","contents":{"${E0}":${aspect}}}}`,
  )
}

/** A document with AspectDef `v` = one property `x` and an aspect of E0 with `"x": value`. */
function valueDoc(type: string, value: string, flags = ''): string {
  const def = `{"v":{"name":"v","globalId":"30000000-0000-4000-8000-000000000001","propertyDefs":[{"name":"x","type":"${type}"${flags}}]}}`
  return doc(def, `{"v":{"type":"AM","name":"v","contents":{"${E0}":{"x":${value}}}}}`)
}

const VALUE_PATH = `hierarchies.v.contents.${E0}.x`

function readValue(type: string, value: string, flags = ''): PropertyValue | undefined {
  const aspect = catalogFromJson(valueDoc(type, value, flags))
    .aspects('v')
    ?.get(E0)
  assert.ok(aspect !== undefined)
  return Aspect.stored(aspect).get('x')
}

function rejects(
  text: string,
  path: string,
  reason: ValidationReason,
  fragments: readonly string[] = [],
): CheapValidationError {
  let thrown: unknown
  try {
    catalogFromJson(text)
  } catch (error) {
    thrown = error
  }
  assert.ok(
    thrown instanceof CheapValidationError,
    `expected a CheapValidationError, got ${String(thrown)}`,
  )
  assert.equal(thrown.path, path, thrown.message)
  assert.equal(thrown.reason, reason, thrown.message)
  assert.ok(thrown.message.startsWith(`${path === '' ? '(document)' : path}: `), thrown.message)
  for (const fragment of fragments)
    assert.ok(
      thrown.message.includes(fragment),
      `${JSON.stringify(thrown.message)} lacks ${JSON.stringify(fragment)}`,
    )
  return thrown
}

describe('catalogFromJson', () => {
  describe('reads the Java fixtures (CheapJacksonDeserializerTest)', () => {
    it('reads the simple catalog: id, no uri, species SINK, nothing else', () => {
      const catalog = catalogFromJson(fixture('simple-catalog'))
      assert.equal(catalog.globalId, ID)
      assert.equal(catalog.uri, null)
      assert.equal(catalog.species, 'SINK')
      assert.equal(catalog.upstream, null)
      assert.equal(catalog.version, 0n)
      assert.equal([...catalog.aspectDefs()].length, 0)
      assert.equal(catalog.hierarchyCount, 0)
    })

    it('reads the pretty and the compact form alike', () => {
      for (const name of FIXTURE_NAMES) {
        assert.equal(
          catalogDiff(catalogFromJson(fixture(name, true)), catalogFromJson(fixture(name, false))),
          undefined,
          name,
        )
      }
    })

    it('reads an AspectDef with its properties, nullability and an empty aspect map', () => {
      const catalog = catalogFromJson(fixture('catalog-with-aspectdef'))
      const person = catalog.aspectDef('person')
      assert.equal(person?.globalId, '82758400-e24b-41d4-a726-446644440000')
      assert.deepEqual(
        person?.propertyDefs().map((p) => [p.name, p.type, p.isNullable]),
        [
          ['name', 'STR', false],
          ['age', 'INT', true],
        ],
      )
      assert.equal(catalog.aspects('person')?.size, 0)
    })

    it('reads an entity directory, list, set and tree', () => {
      const directory = catalogFromJson(fixture('entity-directory')).hierarchy('userDirectory')
      assert.ok(directory?.type === 'ED')
      assert.deepEqual(
        [...directory.entries()],
        [
          ['admin', E0],
          ['user1', E1],
        ],
      )
      const list = catalogFromJson(fixture('entity-list')).hierarchy('taskQueue')
      assert.ok(list?.type === 'EL')
      assert.deepEqual(list.toArray(), [E0, E1])
      const set = catalogFromJson(fixture('entity-set')).hierarchy('activeUsers')
      assert.ok(set?.type === 'ES' && set.size === 2 && set.has(E0))
      const tree = catalogFromJson(fixture('entity-tree')).hierarchy('fileSystem')
      assert.ok(tree?.type === 'ET')
      assert.equal(tree.root.entityId, E0)
      assert.equal(tree.root.child('documents')?.entityId, E1)
    })

    it('reads an aspect map through its AspectDef', () => {
      const catalog = catalogFromJson(fixture('aspect-map'))
      const people = catalog.aspects('person')
      assert.equal(people?.aspectDef.globalId, '12348400-e24b-41d4-a716-446644440000')
      assert.equal(people?.get(E0)?.get('name'), 'John Doe')
    })

    it('reads the full catalog: 2 AspectDefs, 6 hierarchies, documents → reports, age 30n', () => {
      const catalog = catalogFromJson(fixture('full-catalog'))
      assert.deepEqual(
        [...catalog.aspectDefs()].map((d) => d.name),
        ['person', 'document'],
      )
      assert.deepEqual(
        [...catalog.hierarchies()].map((h) => `${h.name}:${h.type}`),
        [
          'person:AM',
          'document:AM',
          'userDirectory:ED',
          'taskQueue:EL',
          'activeUsers:ES',
          'fileSystem:ET',
        ],
      )
      const tree = catalog.hierarchy('fileSystem')
      assert.ok(tree?.type === 'ET')
      assert.equal(tree.find('documents/reports')?.entityId, entity(4))
      assert.equal(tree.find('images')?.entityId, entity(3))
      const john = catalog.aspects('person')?.get(entity(1))
      assert.equal(john?.get('name'), 'John Doe')
      assert.equal(john?.get('age'), 30n)
      const queue = catalog.hierarchy('taskQueue')
      assert.ok(queue?.type === 'EL')
      assert.deepEqual(queue.toArray(), [entity(1), entity(2), entity(3), entity(1)])
      assert.equal(
        catalog.aspects('document')?.get(entity(4))?.get('description'),
        'REST API reference',
      )
    })

    it('reads multivalued properties as typed lists', () => {
      const products = catalogFromJson(fixture('multivalued-properties', false)).aspects('product')
      assert.ok(products !== undefined)
      assert.deepEqual(
        products.aspectDef.propertyDefs().map((p) => [p.name, p.type, p.isMultivalued]),
        [
          ['tags', 'STR', true],
          ['scores', 'INT', true],
          ['ratings', 'FLT', true],
          ['title', 'STR', false],
        ],
      )
      assert.equal(products.size, 2)
      const watch = products.get(E0)
      assert.deepEqual(watch?.get('tags'), ['electronics', 'gadget', 'popular'])
      assert.deepEqual(watch?.get('scores'), [100n, 95n, 87n])
      assert.deepEqual(watch?.get('ratings'), [4.5, 4.8, 4.2])
      assert.equal(products.get(E1)?.get('title'), 'Office Suite')
      assert.deepEqual(products.get(E1)?.get('tags'), ['software', 'productivity'])
    })

    it('writes every fixture back byte for byte', () => {
      for (const name of FIXTURE_NAMES) {
        for (const pretty of [true, false]) {
          assert.equal(
            catalogToJson(catalogFromJson(fixture(name, pretty)), { pretty }),
            fixture(name, pretty),
            name,
          )
        }
      }
    })
  })

  describe('reads our additions exactly', () => {
    const catalog = catalogFromJson(fixture('all-value-types'))
    const def = catalog.aspectDef('com.example.everything')
    const map = catalog.aspects('com.example.everything')

    it('keeps catalog and hierarchy versions, uri, upstream and species', () => {
      assert.equal(catalog.version, 7n)
      assert.equal(catalog.species, 'MIRROR')
      assert.equal(catalog.upstream, '20000000-0000-4000-8000-000000000001')
      assert.equal(catalog.uri, 'https://example.com/catalogs/all?x=1#top')
      assert.equal(map?.version, 3n)
      assert.equal(catalog.hierarchy('dir')?.version, 9223372036854775807n)
      assert.equal(catalog.hierarchy('list')?.version, -5n)
    })

    it('keeps all four AspectDef flags and per-property access flags', () => {
      assert.ok(def !== undefined)
      assert.deepEqual(
        [def.isReadable, def.isWritable, def.canAddProperties, def.canRemoveProperties],
        [true, false, true, true],
      )
      assert.equal(def.propertyDef('txt')?.isReadable, false)
      assert.equal(def.propertyDef('txt')?.isWritable, false)
      assert.equal(def.propertyDef('uri')?.isWritable, true)
    })

    it('reads typed defaults, a null default, and no default', () => {
      assert.equal(def?.propertyDef('int')?.defaultValue, -1n)
      assert.equal(def?.propertyDef('bgi')?.defaultValue, 10n ** 30n)
      assert.equal(def?.propertyDef('bgf')?.defaultValue, '1E+3')
      assert.deepEqual(def?.propertyDef('blb')?.defaultValue, new Uint8Array([0xca, 0xfe]))
      assert.deepEqual(def?.propertyDef('tags')?.defaultValue, [])
      assert.equal(def?.propertyDef('str')?.hasDefaultValue, true)
      assert.equal(def?.propertyDef('str')?.defaultValue, null)
      assert.equal(def?.propertyDef('uid')?.hasDefaultValue, false)
    })

    it('tells a stored null from an absent property', () => {
      const sparse = map?.get(E1)
      assert.ok(sparse !== undefined)
      const stored = Aspect.stored(sparse)
      assert.equal(stored.get('str'), null)
      assert.equal(stored.has('str'), true)
      assert.equal(stored.has('uid'), false)
      assert.equal(stored.has('bln'), false)
      assert.deepEqual(stored.get('tags'), [])
    })

    it('reads a leaf node, a root without entity and child order', () => {
      const tree = catalog.hierarchy('tree')
      assert.ok(tree?.type === 'ET')
      assert.equal(tree.root.entityId, null)
      assert.equal(tree.find('branch/leaf')?.isLeaf, true)
      assert.equal(tree.find('branch/empty')?.isLeaf, false)
      assert.deepEqual(
        [...tree.root.children()].map(([name]) => name),
        ['branch', 'with space'],
      )
    })
  })

  describe('accepts the forms the Java reader accepts', () => {
    it('takes catalog keys in any order, hierarchies before aspectDefs included', () => {
      const text = `{"hierarchies":{"person":{"type":"AM","name":"person","contents":{"${E0}":{"name":"Ann"}}}},"species":"SINK","aspectDefs":{"person":${JSON.stringify(PERSON)}},"globalId":"${ID}"}`
      const catalog = catalogFromJson(text)
      assert.equal(catalog.aspects('person')?.get(E0)?.get('name'), 'Ann')
      assert.equal(catalog.uri, null)
    })

    it('reads the species in any case and an optional catalog version', () => {
      const catalog = catalogFromJson(
        doc('{}', '{}', `"globalId":"${ID}","species":"Source","version":-3`),
      )
      assert.equal(catalog.species, 'SOURCE')
      assert.equal(catalog.version, -3n)
    })

    it('takes hierarchy keys in any order, contents first and version last included', () => {
      const text = personDoc('{}').replace(
        `{"type":"AM","name":"person","contents":{"${E0}":{}}}`,
        `{"contents":{"${E0}":{"age":1,"name":"x"}},"name":"person","type":"AM","version":12}`,
      )
      const people = catalogFromJson(text).aspects('person')
      assert.equal(people?.version, 12n)
      assert.equal(people?.get(E0)?.get('age'), 1n)
    })

    it('reads a tree node with "entityId": null, keys in any order, and isLeaf', () => {
      const tree = `{"fs":{"type":"ET","name":"fs","contents":{"children":{"a":{"isLeaf":true,"entityId":"${E1}"},"b":{"children":{},"entityId":null}},"entityId":null}}}`
      const found = catalogFromJson(doc('{}', tree)).hierarchy('fs')
      assert.ok(found?.type === 'ET')
      assert.equal(found.root.entityId, null)
      assert.equal(found.find('a')?.isLeaf, true)
      assert.equal(found.find('a')?.entityId, E1)
      assert.equal(found.find('b')?.size, 0)
    })

    it('reads a defaultValue written before the type, and property flags defaulting to the AspectDef', () => {
      const def = `{"d":{"propertyDefs":[{"defaultValue":[1,2],"isMultivalued":true,"name":"xs","type":"Integer"}],"isReadable":false,"name":"d","globalId":"30000000-0000-4000-8000-000000000002"}}`
      const read = catalogFromJson(doc(def)).aspectDef('d')
      assert.deepEqual(read?.propertyDef('xs')?.defaultValue, [1n, 2n])
      assert.equal(read?.propertyDef('xs')?.isReadable, false)
      assert.equal(read?.propertyDef('xs')?.isWritable, true)
    })

    it('gives an AspectDef without an aspect map in the document an empty one, after the others', () => {
      const catalog = catalogFromJson(
        doc(
          `{"person":${JSON.stringify(PERSON)}}`,
          `{"queue":{"type":"EL","name":"queue","contents":[]}}`,
        ),
      )
      assert.deepEqual(
        [...catalog.hierarchies()].map((h) => h.name),
        ['queue', 'person'],
      )
      assert.equal(catalog.aspects('person')?.size, 0)
    })

    it('reads DateTime in ZonedDateTime forms and the zone-less Timestamp form as UTC', () => {
      const paris = readValue(
        'DateTime',
        '"2025-01-15T10:30:15.500+01:00[Europe/Paris]"',
      ) as DateTime
      assert.equal(paris.zoneName, 'Europe/Paris')
      assert.equal(paris.toMillis(), Date.parse('2025-01-15T09:30:15.500Z'))
      const offset = readValue('DateTime', '"2025-01-15T10:30+02:00"') as DateTime
      assert.equal(offset.offset, 120)
      const zoneless = readValue('DateTime', '"2025-01-15 10:30:00.0"') as DateTime
      assert.equal(zoneless.toMillis(), Date.parse('2025-01-15T10:30:00Z'))
      assert.equal(zoneless.offset, 0)
    })

    it('reads Float from numbers and the "NaN"/"Infinity"/"-Infinity" strings', () => {
      assert.ok(Number.isNaN(readValue('Float', '"NaN"')))
      assert.equal(readValue('Float', '"-Infinity"'), -Infinity)
      assert.equal(readValue('Float', '"Infinity"'), Infinity)
      assert.ok(Object.is(readValue('Float', '-0.0'), -0))
      assert.equal(readValue('Float', '1.0E10'), 1e10)
      assert.equal(readValue('Float', '3'), 3)
    })

    it('reads Integer and BigInteger from strings of digits, BigDecimal from strings', () => {
      assert.equal(readValue('Integer', '"-42"'), -42n)
      assert.equal(
        readValue('BigInteger', '"123456789012345678901234567890"'),
        123456789012345678901234567890n,
      )
      assert.equal(readValue('BigDecimal', '"1000E-2"'), '10.00')
    })

    it('reads BLOB hex in either case', () => {
      assert.deepEqual(readValue('BLOB', '"00aBfF"'), new Uint8Array([0, 0xab, 0xff]))
    })
  })

  describe('reads numbers losslessly from the token text', () => {
    it('keeps the int64 extremes', () => {
      assert.equal(readValue('Integer', '9223372036854775807'), 9223372036854775807n)
      assert.equal(readValue('Integer', '-9223372036854775808'), -9223372036854775808n)
    })

    it('keeps a 40-digit BigInteger', () => {
      assert.equal(
        readValue('BigInteger', '-1234567890123456789012345678901234567890'),
        -1234567890123456789012345678901234567890n,
      )
    })

    it('keeps BigDecimal scale and precision as Java BigDecimal.toString', () => {
      assert.equal(readValue('BigDecimal', '123.4500'), '123.4500')
      assert.equal(readValue('BigDecimal', '1E+3'), '1E+3')
      assert.equal(readValue('BigDecimal', '1e3'), '1E+3')
      assert.equal(
        readValue('BigDecimal', '0.1000000000000000055511151231257827'),
        '0.1000000000000000055511151231257827',
      )
    })

    it('round-trips each of them through write and read', () => {
      for (const [type, value] of [
        ['Integer', '-9223372036854775808'],
        ['BigInteger', '1234567890123456789012345678901234567890'],
        ['BigDecimal', '123.4500'],
        ['BigDecimal', '1E+3'],
        ['Float', '1.0E10'],
        ['Float', '"NaN"'],
        ['Float', '-0.0'],
      ] as const) {
        const text = valueDoc(type, value)
        assert.equal(catalogToJson(catalogFromJson(text)), text)
      }
    })
  })

  describe('reports every problem with the JSON path', () => {
    it('names line and column of syntax errors', () => {
      rejects(`{\n  "globalId" : "${ID}",\n  "uri" : nul\n}`, 'uri', 'INVALID_JSON', [
        'line 3, column 11',
        'found "nul\\n}"',
      ])
      const full = fixture('full-catalog')
      rejects(
        full.slice(0, full.indexOf('"name" : "name"') + 12),
        'aspectDefs.person.propertyDefs[1].name',
        'INVALID_JSON',
        ['the end of the document', 'the closing quote'],
      )
      rejects(`${fixture('simple-catalog')} x`, '', 'INVALID_JSON', [
        'line 7, column 3',
        'found "x"',
        'one JSON value only',
      ])
      rejects('', '', 'INVALID_JSON', ['line 1, column 1', 'the end of the document'])
      rejects(
        doc('{}', `{"l":{"type":"EL","name":"l","contents":["${E0}" "${E1}"]}}`),
        'hierarchies.l.contents',
        'INVALID_JSON',
        ['expected "," or "]"'],
      )
    })

    it('rejects bad escapes, raw control characters, lone surrogates and leading zeros', () => {
      rejects(valueDoc('String', '"a\\x"'), VALUE_PATH, 'INVALID_JSON', ['"\\x"'])
      rejects(valueDoc('String', '"a\nb"'), VALUE_PATH, 'INVALID_JSON', ['U+000A', 'escaped'])
      rejects(valueDoc('String', '"\\ud800"'), VALUE_PATH, 'INVALID_TEXT', [
        '\\uD800',
        'high surrogate',
      ])
      rejects(valueDoc('String', '"\\udc00x"'), VALUE_PATH, 'INVALID_TEXT', ['lone low surrogate'])
      rejects(valueDoc('String', '"\ud800"'), VALUE_PATH, 'INVALID_TEXT', ['lone surrogate'])
      rejects(valueDoc('Integer', '012'), VALUE_PATH, 'INVALID_JSON', ['leading zeros'])
      rejects(valueDoc('Integer', '1.'), VALUE_PATH, 'INVALID_JSON', [
        'a digit after the decimal point',
      ])
    })

    it('rejects unknown, duplicate and missing keys', () => {
      rejects(
        doc('{}', '{}', `"globalId":"${ID}","species":"sink","owner":"me"`),
        'owner',
        'INVALID_JSON',
        ['unknown key "owner"', 'globalId, uri'],
      )
      rejects(
        doc('{}', '{"l":{"type":"EL","name":"l","order":1,"contents":[]}}'),
        'hierarchies.l.order',
        'INVALID_JSON',
        ['unknown key "order"'],
      )
      rejects(
        doc(
          '{"d":{"name":"d","globalId":"30000000-0000-4000-8000-000000000002","mutable":true,"propertyDefs":[]}}',
        ),
        'aspectDefs.d.mutable',
        'INVALID_JSON',
      )
      rejects(
        doc(
          `{"person":${JSON.stringify({ ...PERSON, propertyDefs: [{ name: 'a', type: 'String', isRemovable: true }] })}}`,
        ),
        'aspectDefs.person.propertyDefs[0].isRemovable',
        'INVALID_JSON',
      )
      rejects(
        doc('{}', '{}', `"globalId":"${ID}","species":"sink","species":"source"`),
        'species',
        'INVALID_JSON',
        ['a second time'],
      )
      rejects(doc('{}', '{}', `"species":"sink"`), '', 'INVALID_JSON', ['"globalId"'])
      rejects(doc('{}', '{}', `"globalId":"${ID}"`), '', 'INVALID_JSON', ['"species"'])
      rejects(doc('{}', '{"l":{"type":"EL","name":"l"}}'), 'hierarchies.l', 'INVALID_JSON', [
        '"contents"',
      ])
      rejects(
        personDoc('{"age":1,"age":2}'),
        `hierarchies.person.contents.${E0}.age`,
        'INVALID_JSON',
        ['a second time'],
      )
    })

    it('rejects a bad catalog header', () => {
      rejects(
        doc('{}', '{}', `"globalId":"550E8400-E29B-41D4-A716-444444444444","species":"sink"`),
        'globalId',
        'INVALID_UUID',
      )
      rejects(
        doc('{}', '{}', `"globalId":"${ID}","species":"lake"`),
        'species',
        'SPECIES_UPSTREAM',
        ['source, sink, mirror'],
      )
      rejects(
        doc('{}', '{}', `"globalId":"${ID}","species":"sink","upstream":"${E0}"`),
        'upstream',
        'SPECIES_UPSTREAM',
      )
      rejects(doc('{}', '{}', `"globalId":"${ID}","species":"fork"`), '', 'SPECIES_UPSTREAM', [
        'upstream',
      ])
      rejects(
        doc('{}', '{}', `"globalId":"${ID}","species":"sink","uri":"a b"`),
        'uri',
        'INVALID_URI',
      )
      rejects(
        doc('{}', '{}', `"globalId":"${ID}","species":"sink","version":9223372036854775808`),
        'version',
        'OUT_OF_RANGE',
      )
      rejects(
        doc('{}', '{}', `"globalId":"${ID}","species":"sink","version":1.5`),
        'version',
        'INVALID_JSON',
      )
    })

    it('rejects bad AspectDefs and PropertyDefs', () => {
      const withProps = (props: unknown[]): string =>
        doc(`{"person":${JSON.stringify({ ...PERSON, propertyDefs: props })}}`)
      rejects(
        withProps([
          { name: 'age', type: 'Integer' },
          { name: 'n', type: 'Int' },
        ]),
        'aspectDefs.person.propertyDefs[1].type',
        'WRONG_TYPE',
        ['found the string "Int"', 'Integer, Float'],
      )
      rejects(
        withProps([
          { name: 'a', type: 'String' },
          { name: 'a', type: 'Text' },
        ]),
        'aspectDefs.person.propertyDefs[1].name',
        'DUPLICATE_NAME',
      )
      rejects(
        withProps([{ type: 'String' }]),
        'aspectDefs.person.propertyDefs[0]',
        'INVALID_JSON',
        ['"name"'],
      )
      rejects(
        withProps([{ name: '', type: 'String' }]),
        'aspectDefs.person.propertyDefs[0].name',
        'INVALID_NAME',
      )
      rejects(
        withProps([{ name: 'a', type: 'Integer', defaultValue: 'x' }]),
        'aspectDefs.person.propertyDefs[0].defaultValue',
        'WRONG_TYPE',
      )
      rejects(
        withProps([{ name: 'a', type: 'String', isNullable: false, defaultValue: null }]),
        'aspectDefs.person.propertyDefs[0].defaultValue',
        'NOT_NULLABLE',
      )
      rejects(withProps([]), 'aspectDefs.person', 'EMPTY_IMMUTABLE_DEF')
      rejects(
        doc(`{"person":${JSON.stringify({ ...PERSON, name: 'human' })}}`),
        'aspectDefs.person.name',
        'INVALID_JSON',
        ['found the string "human"'],
      )
      rejects(
        doc(`{"person":${JSON.stringify({ ...PERSON, globalId: 'nope' })}}`),
        'aspectDefs.person.globalId',
        'INVALID_UUID',
      )
    })

    it('rejects bad hierarchies', () => {
      rejects(
        doc('{}', '{"l":{"type":"XX","name":"l","contents":[]}}'),
        'hierarchies.l.type',
        'INVALID_JSON',
        ['EL, ES, ED, ET, AM'],
      )
      rejects(
        doc('{}', '{"l":{"type":"EL","name":"m","contents":[]}}'),
        'hierarchies.l.name',
        'INVALID_JSON',
      )
      rejects(
        doc('{}', '{"ghost":{"type":"AM","name":"ghost","contents":{}}}'),
        'hierarchies.ghost.name',
        'INVALID_JSON',
        ['AspectDef'],
      )
      rejects(
        doc(
          `{"person":${JSON.stringify(PERSON)}}`,
          '{"person":{"type":"EL","name":"person","contents":[]}}',
        ),
        'hierarchies.person.type',
        'INVALID_JSON',
        ['expected "AM"'],
      )
      rejects(
        doc('{}', `{"l":{"type":"EL","name":"l","contents":["${E0}","x"]}}`),
        'hierarchies.l.contents[1]',
        'INVALID_UUID',
      )
      rejects(
        doc('{}', `{"s":{"type":"ES","name":"s","contents":["${E0}","${E0}"]}}`),
        'hierarchies.s.contents[1]',
        'INVALID_JSON',
        ['a second time'],
      )
      rejects(
        doc('{}', `{"d":{"type":"ED","name":"d","contents":{"k":"${E0}","k":"${E1}"}}}`),
        'hierarchies.d.contents.k',
        'INVALID_JSON',
      )
      rejects(
        doc('{}', `{"d":{"type":"ED","name":"d","contents":{"k\\u0000":"${E0}"}}}`),
        'hierarchies.d.contents["k\\u0000"]',
        'INVALID_NAME',
      )
      rejects(
        doc('{}', '{"l":{"type":"EL","name":"l","contents":{}}}'),
        'hierarchies.l.contents',
        'INVALID_JSON',
        ['found an object', 'an array'],
      )
      rejects(personDoc('{}').replace(E0, 'E0'), 'hierarchies.person.contents.E0', 'INVALID_UUID')
    })

    it('rejects bad trees', () => {
      const tree = (contents: string): string =>
        doc('{}', `{"t":{"type":"ET","name":"t","contents":${contents}}}`)
      rejects(
        tree('{"children":{"a":{},"a":{}}}'),
        'hierarchies.t.contents.children.a',
        'INVALID_JSON',
        ['a second time'],
      )
      rejects(
        tree('{"children":{"a":{"isLeaf":true,"children":{}}}}'),
        'hierarchies.t.contents.children.a.children',
        'INVALID_TREE',
      )
      rejects(
        tree('{"children":{"a":{"children":{},"isLeaf":true}}}'),
        'hierarchies.t.contents.children.a.isLeaf',
        'INVALID_TREE',
      )
      rejects(tree('{"isLeaf":true}'), 'hierarchies.t.contents.isLeaf', 'INVALID_TREE')
      rejects(
        tree('{"children":{"a/b":{}}}'),
        'hierarchies.t.contents.children.a/b',
        'INVALID_NAME',
      )
      rejects(
        tree('{"children":{"a":{"entityId":"nope"}}}'),
        'hierarchies.t.contents.children.a.entityId',
        'INVALID_UUID',
      )
      rejects(tree('{"value":1}'), 'hierarchies.t.contents.value', 'INVALID_JSON', [
        'entityId, children, isLeaf',
      ])
    })

    it('rejects property values of the wrong JSON type', () => {
      rejects(
        personDoc('{"age":"thirty","name":"x"}'),
        `hierarchies.person.contents.${E0}.age`,
        'WRONG_TYPE',
        ['found the string "thirty"', 'Integer'],
      )
      rejects(valueDoc('Integer', '30.5'), VALUE_PATH, 'WRONG_TYPE', ['found the number 30.5'])
      rejects(valueDoc('Integer', '3e1'), VALUE_PATH, 'WRONG_TYPE')
      rejects(valueDoc('Integer', '"NaN"'), VALUE_PATH, 'WRONG_TYPE')
      rejects(valueDoc('Boolean', '1'), VALUE_PATH, 'WRONG_TYPE', ['true or false'])
      rejects(valueDoc('String', '12'), VALUE_PATH, 'WRONG_TYPE')
      rejects(valueDoc('BigInteger', '1.5'), VALUE_PATH, 'WRONG_TYPE')
      rejects(valueDoc('Float', '"1.5"'), VALUE_PATH, 'WRONG_TYPE')
      rejects(valueDoc('BLOB', '"abc"'), VALUE_PATH, 'WRONG_TYPE', ['odd length'])
      rejects(valueDoc('BLOB', '"zz"'), VALUE_PATH, 'WRONG_TYPE', ['non-hex'])
      rejects(valueDoc('String', '"a"', ',"isMultivalued":true'), VALUE_PATH, 'WRONG_TYPE', [
        'array',
      ])
      rejects(valueDoc('String', '["a"]'), VALUE_PATH, 'WRONG_TYPE', ['array'])
      rejects(
        valueDoc('String', '["a",null]', ',"isMultivalued":true'),
        `${VALUE_PATH}[1]`,
        'NOT_NULLABLE',
      )
      rejects(valueDoc('String', '{}'), VALUE_PATH, 'WRONG_TYPE', ['found an object'])
    })

    it('re-throws the model’s value checks with the JSON path', () => {
      rejects(
        personDoc('{"age":9223372036854775808,"name":"x"}'),
        `hierarchies.person.contents.${E0}.age`,
        'OUT_OF_RANGE',
      )
      rejects(
        personDoc(`{"age":${'9'.repeat(400)}}`),
        `hierarchies.person.contents.${E0}.age`,
        'OUT_OF_RANGE',
      )
      rejects(
        personDoc('{"age":1,"name":null}'),
        `hierarchies.person.contents.${E0}.name`,
        'NOT_NULLABLE',
        ["AspectDef 'person', property 'name'"],
      )
      rejects(valueDoc('String', JSON.stringify('x'.repeat(8193))), VALUE_PATH, 'TOO_LONG', [
        '8192',
      ])
      rejects(valueDoc('Text', '"a\\u0000b"'), VALUE_PATH, 'INVALID_TEXT', ['U+0000'])
      rejects(valueDoc('URI', '"http://a b"'), VALUE_PATH, 'INVALID_URI')
      rejects(
        valueDoc('UUID', '"550E8400-E29B-41D4-A716-446655440000"'),
        VALUE_PATH,
        'INVALID_UUID',
      )
      rejects(valueDoc('BigDecimal', '"1.2.3"'), VALUE_PATH, 'INVALID_DECIMAL')
      rejects(valueDoc('DateTime', '"2025-02-30T10:30Z"'), VALUE_PATH, 'INVALID_DATETIME', [
        '2025-02-30',
      ])
      rejects(
        personDoc('{"height":2}'),
        `hierarchies.person.contents.${E0}.height`,
        'UNKNOWN_PROPERTY',
        ['age, name'],
      )
    })

    it('quotes path keys that contain dots or spaces', () => {
      const def = { ...PERSON, name: 'com.example.person' }
      const text = doc(
        `{"com.example.person":${JSON.stringify(def)}}`,
        `{"com.example.person":{"type":"AM","name":"com.example.person","contents":{"${E0}":{"age":true}}}}`,
      )
      rejects(text, `hierarchies["com.example.person"].contents.${E0}.age`, 'WRONG_TYPE')
    })
  })

  describe('scales', () => {
    it('reads and writes a 10,000-level tree without overflowing the stack', () => {
      const depth = 10_000
      const text = doc(
        '{}',
        `{"deep":{"type":"ET","name":"deep","contents":${'{"children":{"n":'.repeat(depth)}{"entityId":"${E0}"}${'}}'.repeat(depth)}}}`,
      )
      const catalog = catalogFromJson(text)
      const tree = catalog.hierarchy('deep')
      assert.ok(tree?.type === 'ET')
      let node: TreeNode = tree.root
      let levels = 0
      for (let child = node.child('n'); child !== undefined; child = node.child('n')) {
        node = child
        levels++
      }
      assert.equal(levels, depth)
      assert.equal(node.entityId, E0)
      assert.equal(catalogToJson(catalog), text)
      const bad = text.replace(`{"entityId":"${E0}"}`, '{"entityId":5}')
      rejects(
        bad,
        `hierarchies.deep.contents${'.children.n'.repeat(depth)}.entityId`,
        'INVALID_JSON',
      )
    })

    it('reads a document of about 10 MB in well under a few seconds', () => {
      const aspects: string[] = []
      for (let i = 0; i < 60_000; i++) {
        aspects.push(
          `"${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000":{"age":${i},"name":"person number ${i} \\u00e9\\n"}`,
        )
      }
      const text = doc(
        `{"person":${JSON.stringify(PERSON)}}`,
        `{"person":{"type":"AM","name":"person","contents":{${aspects.join(',')}}}}`,
      )
      assert.ok(text.length > 5_000_000)
      const started = performance.now()
      const catalog = catalogFromJson(text)
      const elapsed = performance.now() - started
      assert.equal(catalog.aspects('person')?.size, 60_000)
      assert.ok(elapsed < 10_000, `took ${elapsed} ms`)
    })
  })
})

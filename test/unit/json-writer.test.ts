/**
 * The catalog JSON writer: byte-exact parity with the Java serializer's fixtures (each built
 * as CheapJacksonSerializerTest builds it), Jackson's layouts, and every value encoding.
 *
 * `CHEAP_WRITE_FIXTURES=1` rewrites test/fixtures/json/ from the builders below instead of
 * comparing (as the Java test's WRITE_OUTPUT_PATH does). The Java fixtures must then still be
 * byte-identical to the Java project's files (full-catalog.json has md5 f30eaa7e…).
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { DateTime } from 'luxon'
import { catalogFromJson, catalogToJson, writeCatalogJson } from '../../src/json/index.ts'
import {
  catalogDiff,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  restoreAspect,
  toEntityId,
  type Catalog,
  type PropertyTypeCode,
  type PropertyValue,
} from '../../src/model/index.ts'

const FIXTURES = new URL('../fixtures/json/', import.meta.url)
const CATALOG_ID = '550e8400-e29b-41d4-a716-444444444444'
const E0 = '550e8400-e29b-41d4-a716-446655440000'
const E1 = '550e8400-e29b-41d4-a716-446655440001'
const entity = (n: number): string => `10000000-0000-0000-0000-00000000000${n}`

function javaCatalog(): Catalog {
  return createCatalog({ globalId: CATALOG_ID, species: 'SINK' })
}

/** The scenarios of CheapJacksonSerializerTest, built with this model's API. */
const FIXTURE_BUILDERS: Record<string, () => Catalog> = {
  'simple-catalog': javaCatalog,
  'catalog-with-aspectdef': () => {
    const catalog = javaCatalog()
    catalog.extend(
      createAspectDef({
        name: 'person',
        globalId: '82758400-e24b-41d4-a726-446644440000',
        properties: [
          createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
          createPropertyDef({ name: 'age', type: 'INT' }),
        ],
      }),
    )
    return catalog
  },
  'entity-directory': () => {
    const catalog = javaCatalog()
    catalog.createEntityDirectory('userDirectory').set('admin', E0).set('user1', E1)
    return catalog
  },
  'entity-list': () => {
    const catalog = javaCatalog()
    catalog.createEntityList('taskQueue').add(E0, E1)
    return catalog
  },
  'entity-set': () => {
    const catalog = javaCatalog()
    catalog.createEntitySet('activeUsers').add(E0, E1)
    return catalog
  },
  'entity-tree': () => {
    const catalog = javaCatalog()
    catalog
      .createEntityTree('fileSystem', { rootEntityId: E0 })
      .root.addChild('documents', { entityId: E1 })
    return catalog
  },
  'aspect-map': () => {
    const catalog = javaCatalog()
    const person = createAspectDef({
      name: 'person',
      globalId: '12348400-e24b-41d4-a716-446644440000',
      properties: [createPropertyDef({ name: 'name', type: 'STR', isNullable: false })],
    })
    catalog.extend(person).add(createAspect(person, E0, { name: 'John Doe' }))
    return catalog
  },
  'full-catalog': fullCatalog,
  'multivalued-properties': () => {
    const catalog = javaCatalog()
    const product = createAspectDef({
      name: 'product',
      globalId: '09348400-e24b-41d4-a716-446644440000',
      properties: [
        createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
        createPropertyDef({ name: 'scores', type: 'INT', isMultivalued: true }),
        createPropertyDef({ name: 'ratings', type: 'FLT', isMultivalued: true }),
        createPropertyDef({ name: 'title', type: 'STR', isNullable: false }),
      ],
    })
    const products = catalog.extend(product)
    // Java's AspectMap is a HashMap: its fixture lists …440001 before …440000. Our maps keep
    // insertion order, so inserting in that order reproduces the Java bytes.
    products.add(
      createAspect(product, E1, {
        tags: ['software', 'productivity'],
        scores: [98n, 92n],
        ratings: [4.7, 4.9],
        title: 'Office Suite',
      }),
    )
    products.add(
      createAspect(product, E0, {
        tags: ['electronics', 'gadget', 'popular'],
        scores: [100n, 95n, 87n],
        ratings: [4.5, 4.8, 4.2],
        title: 'Smart Watch',
      }),
    )
    return catalog
  },
  'all-value-types': allValueTypes,
}

/** §3.6 of the reference: the full catalog, hierarchies in the Java test's order. */
function fullCatalog(): Catalog {
  const catalog = javaCatalog()
  const person = createAspectDef({
    name: 'person',
    globalId: '12348400-e24b-41d4-a716-446644440000',
    properties: [
      createPropertyDef({ name: 'age', type: 'INT' }),
      createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
    ],
  })
  const document = createAspectDef({
    name: 'document',
    globalId: '73737400-e24b-41d4-a716-446644440000',
    properties: [
      createPropertyDef({ name: 'title', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'description', type: 'STR' }),
    ],
  })
  const people = catalog.extend(person)
  const documents = catalog.extend(document)
  catalog
    .createEntityDirectory('userDirectory')
    .set('admin', entity(1))
    .set('user1', entity(2))
    .set('guest', entity(3))
  catalog.createEntityList('taskQueue').add(entity(1), entity(2), entity(3), entity(1))
  catalog.createEntitySet('activeUsers').add(entity(1), entity(2), entity(4))
  const tree = catalog.createEntityTree('fileSystem', { rootEntityId: entity(1) })
  tree.root
    .addChild('documents', { entityId: entity(2) })
    .addChild('reports', { entityId: entity(4) })
  tree.root.addChild('images', { entityId: entity(3) })
  people.add(createAspect(person, entity(1), { age: 30n, name: 'John Doe' }))
  people.add(createAspect(person, entity(2), { age: 25n, name: 'Jane Smith' }))
  documents.add(
    createAspect(document, entity(3), { title: 'User Manual', description: 'Complete user guide' }),
  )
  documents.add(
    createAspect(document, entity(4), {
      title: 'API Documentation',
      description: 'REST API reference',
    }),
  )
  return catalog
}

/**
 * Our own fixture (no Java counterpart): every type, defaults (including null and a list),
 * all four def flags, per-property access flags, versions, explicit nulls next to absent
 * properties, a leaf node, a root without entity, and keys that need escaping.
 */
function allValueTypes(): Catalog {
  const catalog = createCatalog({
    globalId: '20000000-0000-4000-8000-000000000000',
    species: 'MIRROR',
    upstream: '20000000-0000-4000-8000-000000000001',
    uri: 'https://example.com/catalogs/all?x=1#top',
    version: 7n,
  })
  const def = createAspectDef({
    name: 'com.example.everything',
    globalId: '20000000-0000-4000-8000-0000000000de',
    isWritable: false,
    canAddProperties: true,
    canRemoveProperties: true,
    properties: [
      createPropertyDef({ name: 'int', type: 'INT', isWritable: false, defaultValue: -1n }),
      createPropertyDef({ name: 'flt', type: 'FLT', isWritable: false, defaultValue: 0.5 }),
      createPropertyDef({
        name: 'bln',
        type: 'BLN',
        isWritable: false,
        isNullable: false,
        defaultValue: true,
      }),
      createPropertyDef({ name: 'str', type: 'STR', isWritable: false, defaultValue: null }),
      createPropertyDef({ name: 'txt', type: 'TXT', isWritable: false, isReadable: false }),
      createPropertyDef({ name: 'bgi', type: 'BGI', isWritable: false, defaultValue: 10n ** 30n }),
      createPropertyDef({ name: 'bgf', type: 'BGF', isWritable: false, defaultValue: '1E+3' }),
      createPropertyDef({
        name: 'dat',
        type: 'DAT',
        isWritable: false,
        defaultValue: DateTime.fromISO('2025-01-15T10:30:00Z', { zone: 'utc' }),
      }),
      createPropertyDef({ name: 'uri', type: 'URI' }),
      createPropertyDef({ name: 'uid', type: 'UID', isWritable: false }),
      createPropertyDef({ name: 'clb', type: 'CLB', isWritable: false }),
      createPropertyDef({
        name: 'blb',
        type: 'BLB',
        isWritable: false,
        defaultValue: new Uint8Array([0xca, 0xfe]),
      }),
      createPropertyDef({
        name: 'tags',
        type: 'STR',
        isWritable: false,
        isMultivalued: true,
        defaultValue: [],
      }),
      createPropertyDef({
        name: 'when',
        type: 'DAT',
        isWritable: false,
        isMultivalued: true,
        isNullable: false,
      }),
    ],
  })
  const map = catalog.extend(def, { version: 3n })
  const full = new Map<string, PropertyValue>([
    ['int', -(2n ** 63n)],
    ['flt', Number.NaN],
    ['bln', false],
    [
      'str',
      'quote " backslash \\ slash / tab \t newline \n nul-free \u0001 \u001f del \u007f é 😀',
    ],
    ['txt', 'line 1\r\nline 2'],
    ['bgi', -(10n ** 40n) + 1n],
    ['bgf', '0.1000000000000000055511151231257827'],
    ['dat', DateTime.fromISO('2025-01-15T11:30:15.5', { zone: 'Europe/Paris' })],
    ['uri', 'urn:isbn:0451450523'],
    ['uid', '550e8400-e29b-41d4-a716-446655440000'],
    ['clb', ''],
    ['blb', new Uint8Array([0, 1, 0x7f, 0x80, 0xff])],
    ['tags', ['a', 'a', '']],
    ['when', [DateTime.fromISO('2024-02-29T23:59:59.999+05:30', { setZone: true })]],
  ])
  map.add(restoreAspect(def, toEntityId(E0), full))
  const sparse = new Map<string, PropertyValue>([
    ['int', null],
    ['flt', -0],
    ['str', null],
    ['bgf', '123.4500'],
    ['tags', []],
    ['when', []],
  ])
  map.add(restoreAspect(def, toEntityId(E1), sparse))
  catalog.createEntityList('list', { version: -5n })
  catalog.createEntitySet('set').add(E1, E0)
  catalog
    .createEntityDirectory('dir', { version: 9223372036854775807n })
    .set('tab\tkey "quoted"', E0)
    .set('ключ', E1)
    .set('same', E0)
  const tree = catalog.createEntityTree('tree', { version: 1n })
  const branch = tree.root.addChild('branch')
  branch.addChild('leaf', { entityId: E1, isLeaf: true })
  branch.addChild('empty')
  tree.root.addChild('with space', { entityId: E0 })
  return catalog
}

function fixturePath(name: string, pretty: boolean): URL {
  return new URL(`${name}${pretty ? '' : '-compact'}.json`, FIXTURES)
}

function fixture(name: string, pretty: boolean): string {
  return readFileSync(fixturePath(name, pretty), 'utf8')
}

const rewrite = process.env['CHEAP_WRITE_FIXTURES'] === '1'

describe('catalogToJson', () => {
  describe('matches the Java serializer fixtures byte for byte', () => {
    for (const [name, build] of Object.entries(FIXTURE_BUILDERS)) {
      for (const pretty of [true, false]) {
        it(`writes ${name} ${pretty ? 'pretty' : 'compact'} exactly as the fixture`, () => {
          const text = catalogToJson(build(), { pretty })
          if (rewrite) writeFileSync(fixturePath(name, pretty), text)
          assert.equal(text, fixture(name, pretty))
        })
      }
      it(`reads the ${name} fixture back to the catalog it was written from`, () => {
        assert.equal(catalogDiff(catalogFromJson(fixture(name, true)), build()), undefined)
        assert.equal(catalogDiff(catalogFromJson(fixture(name, false)), build()), undefined)
      })
    }

    it('produces the Java full-catalog.json itself (md5 f30eaa7e…)', () => {
      const md5 = createHash('md5')
        .update(catalogToJson(fullCatalog(), { pretty: true }))
        .digest('hex')
      assert.equal(md5.slice(0, 8), 'f30eaa7e')
    })
  })

  describe('layout', () => {
    const text = catalogToJson(FIXTURE_BUILDERS['multivalued-properties']?.() ?? javaCatalog(), {
      pretty: true,
    })

    it('indents objects by two spaces with "key" : value and no trailing newline', () => {
      assert.ok(text.startsWith('{\n  "globalId" : "550e8400'))
      assert.ok(text.endsWith('\n  }\n}'))
    })

    it('keeps arrays of scalars on one line and opens arrays of objects as [ { … }, { … } ]', () => {
      assert.ok(text.includes('"tags" : [ "software", "productivity" ],'))
      assert.ok(text.includes('"propertyDefs" : [ {\n        "name" : "tags",'))
      assert.ok(text.includes('"isMultivalued" : true\n      }, {\n        "name" : "scores"'))
      assert.ok(text.includes('"isNullable" : false\n      } ]\n    }'))
    })

    it('writes empty containers as { } and [ ] when pretty and {} and [] when compact', () => {
      const catalog = javaCatalog()
      catalog.createEntityList('l')
      assert.ok(catalogToJson(catalog, { pretty: true }).includes('"aspectDefs" : { },'))
      assert.ok(catalogToJson(catalog, { pretty: true }).includes('"contents" : [ ]'))
      assert.equal(
        catalogToJson(catalog),
        `{"globalId":"${CATALOG_ID}","uri":null,"species":"sink","aspectDefs":{},"hierarchies":{"l":{"type":"EL","name":"l","contents":[]}}}`,
      )
    })

    it('writes a multivalued default inside the propertyDefs array inline', () => {
      const catalog = javaCatalog()
      const def = createAspectDef({
        name: 'd',
        globalId: '30000000-0000-4000-8000-000000000000',
        properties: [
          createPropertyDef({
            name: 'xs',
            type: 'INT',
            isMultivalued: true,
            defaultValue: [1n, 2n],
          }),
        ],
      })
      catalog.extend(def)
      assert.ok(
        catalogToJson(catalog, { pretty: true }).includes(
          '"propertyDefs" : [ {\n        "name" : "xs",\n        "type" : "Integer",\n        "defaultValue" : [ 1, 2 ],\n        "isMultivalued" : true\n      } ]',
        ),
      )
    })
  })

  describe('values', () => {
    function written(
      type: PropertyTypeCode,
      value: PropertyValue,
      options: { isMultivalued?: boolean } = {},
    ): string {
      const catalog = javaCatalog()
      const def = createAspectDef({
        name: 'v',
        globalId: '30000000-0000-4000-8000-000000000001',
        properties: [
          createPropertyDef({ name: 'x', type, isMultivalued: options.isMultivalued ?? false }),
        ],
      })
      catalog.extend(def).add(restoreAspect(def, toEntityId(E0), new Map([['x', value]])))
      const text = catalogToJson(catalog)
      const match = /"contents":\{"[^"]+":\{"x":([\s\S]*)\}\}\}\}\}$/.exec(text)
      assert.ok(match !== null, text)
      return match[1] as string
    }

    it('writes INT as bare integers across the whole int64 range', () => {
      assert.equal(written('INT', 9223372036854775807n), '9223372036854775807')
      assert.equal(written('INT', -9223372036854775808n), '-9223372036854775808')
    })

    it('writes FLT as Double.toString and non-finite values as strings', () => {
      assert.equal(written('FLT', 1e10), '1.0E10')
      assert.equal(written('FLT', 100), '100.0')
      assert.equal(written('FLT', -0), '-0.0')
      assert.equal(written('FLT', 1e-4), '1.0E-4')
      assert.equal(written('FLT', Number.NaN), '"NaN"')
      assert.equal(written('FLT', Infinity), '"Infinity"')
      assert.equal(written('FLT', -Infinity), '"-Infinity"')
    })

    it('writes BGI and BGF as bare number tokens with full precision', () => {
      assert.equal(
        written('BGI', 1234567890123456789012345678901234567890n),
        '1234567890123456789012345678901234567890',
      )
      assert.equal(written('BGF', '123.4500'), '123.4500')
      assert.equal(written('BGF', '1E+3'), '1E+3')
      assert.equal(written('BGF', '1000'), '1000')
      assert.equal(
        written('BGF', '0.1000000000000000055511151231257827'),
        '0.1000000000000000055511151231257827',
      )
    })

    it('writes DAT as ZonedDateTime.toString, with the region when the zone is one', () => {
      assert.equal(
        written('DAT', DateTime.fromISO('2025-01-15T10:30:00Z', { zone: 'utc' })),
        '"2025-01-15T10:30Z"',
      )
      assert.equal(
        written('DAT', DateTime.fromISO('2025-01-15T10:30:15.500+02:00', { setZone: true })),
        '"2025-01-15T10:30:15.500+02:00"',
      )
      assert.equal(
        written('DAT', DateTime.fromISO('2025-01-15T11:30', { zone: 'Europe/Paris' })),
        '"2025-01-15T11:30+01:00[Europe/Paris]"',
      )
    })

    it('writes BLB as lower-case hex and BLN as true/false', () => {
      assert.equal(written('BLB', new Uint8Array([0, 0xab, 0xff])), '"00abff"')
      assert.equal(written('BLB', new Uint8Array()), '""')
      assert.equal(written('BLN', false), 'false')
    })

    it('escapes strings exactly as Jackson: quote, backslash and C0 controls only', () => {
      assert.equal(written('STR', 'a"b\\c/d'), '"a\\"b\\\\c/d"')
      assert.equal(written('STR', '\b\t\n\f\r'), '"\\b\\t\\n\\f\\r"')
      assert.equal(written('STR', '\u0001\u001f\u007f'), '"\\u0001\\u001F\u007f"')
      assert.equal(written('STR', 'é€😀\u2028'), '"é€😀\u2028"')
    })

    it('writes multivalued values as arrays, keeping duplicates and empty lists', () => {
      assert.equal(written('STR', ['a', 'a', ''], { isMultivalued: true }), '["a","a",""]')
      assert.equal(written('INT', [], { isMultivalued: true }), '[]')
      assert.equal(written('INT', null, { isMultivalued: true }), 'null')
    })

    it('writes a stored null as null and leaves an absent property out', () => {
      assert.equal(written('STR', null), 'null')
      const catalog = javaCatalog()
      const def = createAspectDef({
        name: 'p',
        globalId: '30000000-0000-4000-8000-000000000002',
        properties: [
          createPropertyDef({ name: 'a', type: 'STR' }),
          createPropertyDef({ name: 'b', type: 'STR' }),
        ],
      })
      catalog.extend(def).add(createAspect(def, E0, { b: null }))
      assert.ok(catalogToJson(catalog).includes(`"contents":{"${E0}":{"b":null}}`))
    })
  })

  describe('definitions and versions', () => {
    const text = catalogToJson(allValueTypes(), { pretty: true })

    it('writes upstream and a non-zero catalog version after species', () => {
      assert.ok(
        text.includes(
          '"species" : "mirror",\n  "upstream" : "20000000-0000-4000-8000-000000000001",\n  "version" : 7,\n  "aspectDefs"',
        ),
      )
    })

    it('writes only the non-default AspectDef flags, before propertyDefs', () => {
      assert.ok(
        text.includes(
          '"globalId" : "20000000-0000-4000-8000-0000000000de",\n      "isWritable" : false,\n      "canAddProperties" : true,\n      "canRemoveProperties" : true,\n      "propertyDefs"',
        ),
      )
    })

    it('writes isReadable/isWritable of a property only where they differ from the AspectDef', () => {
      assert.ok(
        text.includes('"name" : "txt",\n        "type" : "Text",\n        "isReadable" : false\n'),
      )
      assert.ok(
        text.includes('"name" : "uri",\n        "type" : "URI",\n        "isWritable" : true\n'),
      )
      assert.ok(text.includes('"name" : "uid",\n        "type" : "UUID"\n'))
    })

    it('writes defaultValue exactly when the property has one, a null default included', () => {
      assert.ok(
        text.includes(
          '"name" : "str",\n        "type" : "String",\n        "defaultValue" : null\n',
        ),
      )
      assert.ok(text.includes('"defaultValue" : "2025-01-15T10:30Z"'))
      assert.ok(text.includes('"defaultValue" : "cafe"'))
      assert.ok(text.includes('"defaultValue" : [ ],\n        "isMultivalued" : true'))
    })

    it('writes a hierarchy version between name and contents, and isLeaf for leaf nodes', () => {
      assert.ok(
        text.includes(
          '"type" : "AM",\n      "name" : "com.example.everything",\n      "version" : 3,\n      "contents"',
        ),
      )
      assert.ok(
        text.includes(
          '"leaf" : {\n                "entityId" : "550e8400-e29b-41d4-a716-446655440001",\n                "isLeaf" : true\n              }',
        ),
      )
      assert.ok(text.includes('"empty" : { }'))
    })
  })

  describe('streaming', () => {
    it('hands the same text to writeCatalogJson’s sink in chunks of about 64 KiB', () => {
      const catalog = javaCatalog()
      const list = catalog.createEntityList('big')
      for (let i = 0; i < 20_000; i++)
        list.add(`00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`)
      const chunks: string[] = []
      writeCatalogJson(catalog, (chunk) => chunks.push(chunk), { pretty: true })
      assert.ok(chunks.length > 5)
      assert.ok(chunks.every((chunk) => chunk.length < 70_000))
      assert.equal(chunks.join(''), catalogToJson(catalog, { pretty: true }))
    })
  })

  describe('deep trees', () => {
    it('writes a 10,000-level tree without overflowing the stack, compact and streamed pretty', () => {
      const catalog = javaCatalog()
      let node = catalog.createEntityTree('deep').root
      for (let i = 0; i < 10_000; i++) node = node.addChild('n')
      const compact = catalogToJson(catalog)
      assert.ok(compact.includes('{"children":{"n":'.repeat(100)))
      assert.ok(compact.endsWith(`${'}'.repeat(20_000 + 4)}`))
      // Pretty output of this tree is ~800 MB of indentation; stream it and only count.
      let length = 0
      writeCatalogJson(catalog, (chunk) => (length += chunk.length), { pretty: true })
      assert.ok(length > 400_000_000)
    })
  })
})

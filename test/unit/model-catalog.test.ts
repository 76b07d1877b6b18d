import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  AspectMap,
  CATALOG_SPECIES_CODES,
  EntityList,
  catalogDiff,
  catalogEquals,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  toEntityId,
  type Catalog,
  type CatalogSpecies,
} from '../../src/model/index.ts'
import { assertCheapError, assertRejected } from '../support/assert-error.ts'

const UPSTREAM = '99999999-0000-4000-8000-000000000000'
const CATALOG_ID = '11111111-0000-4000-8000-000000000000'
const A = toEntityId('0000000a-0000-4000-8000-000000000000')
const B = toEntityId('0000000b-0000-4000-8000-000000000000')

function personDef(type: 'STR' | 'TXT' = 'STR') {
  return createAspectDef({
    name: 'com.example.person',
    globalId: '22222222-0000-4000-8000-000000000000',
    properties: [
      createPropertyDef({ name: 'name', type }),
      createPropertyDef({ name: 'age', type: 'INT', defaultValue: 0n }),
    ],
  })
}

/** The same catalog, built from scratch each time. */
function build(): Catalog {
  const catalog = createCatalog({
    globalId: CATALOG_ID,
    species: 'SOURCE',
    uri: 'https://example.com/c',
    version: 3n,
  })
  catalog.createEntityList('queue').add(A, B, A)
  const def = personDef()
  catalog.extend(def).add(createAspect(def, A, { name: 'Alice', age: null }))
  catalog.createEntityTree('tree').root.addChild('x', { entityId: B })
  return catalog
}

describe('Catalog', () => {
  describe('species and upstream', () => {
    it('defaults to SINK without upstream, uri null and version 0', () => {
      const catalog = createCatalog()
      assert.equal(catalog.species, 'SINK')
      assert.equal(catalog.upstream, null)
      assert.equal(catalog.uri, null)
      assert.equal(catalog.version, 0n)
    })

    for (const species of ['SOURCE', 'SINK'] as const) {
      it(`rejects a ${species} catalog with an upstream`, () => {
        assertRejected(
          // @ts-expect-error a literal SOURCE or SINK species with an upstream: a compile-time error too
          () => createCatalog({ species, upstream: UPSTREAM }),
          'SPECIES_UPSTREAM',
          {},
          [species, UPSTREAM],
        )
      })
    }

    for (const species of ['MIRROR', 'CACHE', 'CLONE', 'FORK'] as const) {
      it(`rejects a ${species} catalog without an upstream and accepts one with`, () => {
        // @ts-expect-error a literal derived species without an upstream: a compile-time error too
        assertRejected(() => createCatalog({ species }), 'SPECIES_UPSTREAM', {}, [species])
        assert.equal(createCatalog({ species, upstream: UPSTREAM }).upstream, UPSTREAM)
      })
    }

    it('rejects an unknown species', () => {
      assertRejected(
        () => createCatalog({ species: 'BOGUS' as CatalogSpecies }),
        'SPECIES_UPSTREAM',
        {},
        ['BOGUS'],
      )
    })

    it('knows all six species', () => {
      assert.deepEqual(
        [...CATALOG_SPECIES_CODES],
        ['SOURCE', 'SINK', 'MIRROR', 'CACHE', 'CLONE', 'FORK'],
      )
    })

    it('rejects an upstream or globalId that is not a canonical UUID', () => {
      assertRejected(
        // @ts-expect-error an upper-case UUID literal: a compile-time error too
        () => createCatalog({ species: 'FORK', upstream: 'ABCDEF00-0000-4000-8000-000000000000' }),
        'INVALID_UUID',
      )
      // @ts-expect-error not a UUID literal: a compile-time error too
      assertRejected(() => createCatalog({ globalId: 'x' }), 'INVALID_UUID')
    })
  })

  describe('uri and version', () => {
    it('validates the uri on creation and on change, keeping it verbatim', () => {
      assertRejected(() => createCatalog({ uri: 'http://exa mple' }), 'INVALID_URI', {}, [
        'exa mple',
      ])
      const catalog = createCatalog()
      catalog.uri = 'HTTP://Example.COM/a/../b'
      assert.equal(catalog.uri, 'HTTP://Example.COM/a/../b')
      assertRejected(() => {
        catalog.uri = '%zz'
      }, 'INVALID_URI')
      catalog.uri = null
      assert.equal(catalog.uri, null)
    })

    it('keeps any int64 version and rejects one beyond', () => {
      const catalog = createCatalog({ version: 2n ** 63n - 1n })
      assert.equal(catalog.version, 2n ** 63n - 1n)
      assertRejected(() => {
        catalog.version = 2n ** 63n
      }, 'OUT_OF_RANGE')
    })
  })

  describe('hierarchies', () => {
    it('lists hierarchies (AspectMaps included) in insertion order', () => {
      assert.deepEqual(
        [...build().hierarchies()].map((h) => [h.name, h.type]),
        [
          ['queue', 'EL'],
          ['com.example.person', 'AM'],
          ['tree', 'ET'],
        ],
      )
    })

    it('extends with a def: adds the def and its empty AspectMap named after it', () => {
      const catalog = createCatalog()
      const def = personDef()
      const map = catalog.extend(def, { version: 7n })
      assert.equal(map.size, 0)
      assert.equal(map.version, 7n)
      assert.equal(catalog.aspects(def.name), map)
      assert.equal(catalog.aspectDef(def.name), def)
    })

    it('returns the same AspectMap when extended again with the same or an identical def', () => {
      const catalog = createCatalog()
      const map = catalog.extend(personDef())
      assert.equal(catalog.extend(personDef()), map)
      assert.equal(catalog.hierarchyCount, 1)
    })

    it('rejects extending with a different def of the same name (CONFLICT)', () => {
      const catalog = createCatalog()
      catalog.extend(personDef('STR'))
      assertCheapError(() => catalog.extend(personDef('TXT')), {
        code: 'CONFLICT',
        message: ['com.example.person'],
      })
    })

    it('never replaces an AspectMap (CONFLICT)', () => {
      const catalog = createCatalog()
      catalog.extend(personDef())
      assertCheapError(() => catalog.createEntityList('com.example.person'), {
        code: 'CONFLICT',
        message: ['com.example.person'],
      })
      assert.equal(catalog.hierarchy('com.example.person')?.type, 'AM')
    })

    it('refuses a second AspectMap under the name of an existing one (CONFLICT)', () => {
      const catalog = createCatalog()
      const map = catalog.extend(personDef())
      assertCheapError(() => catalog.addHierarchy(new AspectMap(personDef())), {
        code: 'CONFLICT',
        message: ['com.example.person'],
      })
      assert.equal(catalog.aspects('com.example.person'), map)
    })

    it('replaces another hierarchy of the same name and returns the old one', () => {
      const catalog = createCatalog()
      const old = catalog.createEntityList('queue').add(A)
      const replacement = new EntityList('queue').add(B)
      assert.equal(catalog.addHierarchy(replacement), old)
      assert.equal(catalog.hierarchy('queue'), replacement)
      assert.equal(catalog.hierarchyCount, 1)
    })

    it('rejects a hierarchy that belongs to another catalog', () => {
      const list = createCatalog().createEntityList('queue')
      assertRejected(() => createCatalog().addHierarchy(list), 'WRONG_HIERARCHY', {}, ['queue'])
    })

    it('removes hierarchies, an AspectMap together with its def', () => {
      const catalog = build()
      assert.equal(catalog.removeHierarchy('queue'), true)
      assert.equal(catalog.removeHierarchy('queue'), false)
      assert.equal(catalog.removeHierarchy('com.example.person'), true)
      assert.equal(catalog.aspectDef('com.example.person'), undefined)
      assert.deepEqual(
        [...catalog.hierarchies()].map((h) => h.name),
        ['tree'],
      )
      // the name is free again, even for a different def
      assert.equal(catalog.extend(personDef('TXT')).size, 0)
    })

    it('counts changes to its own fields and to its set of hierarchies', () => {
      const catalog = createCatalog()
      let count = catalog.changeCount
      const next = (): void => {
        assert.ok(catalog.changeCount > count, 'changeCount did not increase')
        count = catalog.changeCount
      }
      catalog.createEntitySet('s')
      next()
      catalog.extend(personDef())
      next()
      catalog.removeHierarchy('s')
      next()
      catalog.version = 9n
      next()
      catalog.uri = 'urn:x:y'
      next()
    })
  })

  describe('equality', () => {
    it('finds two catalogs built the same way equal', () => {
      assert.equal(catalogDiff(build(), build()), undefined)
      assert.equal(catalogEquals(build(), build()), true)
    })

    it('tells null from absent in an aspect', () => {
      const other = build()
      const aspect = other.aspects('com.example.person')?.get(A)
      assert.ok(aspect !== undefined)
      aspect.set('age', 0n)
      assert.match(catalogDiff(build(), other) ?? '', /age/)
    })

    it('notices order, version and uri differences', () => {
      const reordered = build()
      const list = reordered.hierarchy('queue')
      assert.ok(list?.type === 'EL')
      list.removeAt(0)
      list.add(A)
      assert.notEqual(catalogDiff(build(), reordered), undefined)

      const versioned = build()
      versioned.version = 4n
      assert.match(catalogDiff(build(), versioned) ?? '', /version/)

      const moved = build()
      moved.uri = null
      assert.match(catalogDiff(build(), moved) ?? '', /uri/)
    })
  })
})

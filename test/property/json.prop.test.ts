import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { catalogFromJson, catalogToJson } from '../../src/json/index.ts'
import { catalogDiff } from '../../src/model/index.ts'
import { catalogArb } from '../support/catalog-arbitraries.ts'
import { assertProperty } from '../support/fast-check.ts'

describe('JSON round trip of generated catalogs', () => {
  it('reads back every generated catalog exactly, compact and pretty, and writes the same text again', () => {
    assertProperty(
      fc.property(catalogArb(), fc.boolean(), (catalog, pretty) => {
        const text = catalogToJson(catalog, { pretty })
        const back = catalogFromJson(text)
        assert.equal(catalogDiff(back, catalog), undefined)
        assert.equal(catalogToJson(back, { pretty }), text)
      }),
      // At least 1,000 catalogs per run (CHEAP_FC_RUNS can raise it; the seed is printed on failure).
      { numRuns: Math.max(1000, Number(process.env['CHEAP_FC_RUNS'] ?? 0)) },
    )
  })
})

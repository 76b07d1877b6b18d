import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  PROPERTY_TYPE_CODES,
  catalogDiff,
  catalogEquals,
  createAspectDef,
  scalarEquals,
  validateScalar,
  validateValue,
  valueEquals,
  type Catalog,
} from '../../src/model/index.ts'
import {
  aspectDefArb,
  buildCatalog,
  catalogPlanArb,
  catalogArb,
  propertyDefArb,
  propertyValueFor,
  valueOf,
} from '../support/arbitraries.ts'
import { applyEdits, catalogWithEditsArb } from '../support/edits.ts'
import { assertProperty } from '../support/fast-check.ts'

describe('model properties', () => {
  for (const type of PROPERTY_TYPE_CODES) {
    it(`validateScalar accepts every generated ${type} value and returns it unchanged`, () => {
      assertProperty(
        fc.property(valueOf(type), (value) => {
          const checked = validateScalar(type, value)
          assert.ok(scalarEquals(checked, value), `${String(value)} became ${String(checked)}`)
          if (type !== 'FLT') assert.equal(checked, value)
        }),
        { numRuns: 200 },
      )
    })
  }

  it('validateValue accepts every value generated for a PropertyDef', () => {
    assertProperty(
      fc.property(
        propertyDefArb().chain((def) => fc.tuple(fc.constant(def), propertyValueFor(def))),
        ([def, value]) => {
          assert.ok(valueEquals(validateValue(def, value, {}), value))
        },
      ),
    )
  })

  it('a generated catalog equals itself', () => {
    assertProperty(
      fc.property(catalogArb(), (catalog) => {
        assert.equal(catalogDiff(catalog, catalog), undefined)
        assert.ok(catalogEquals(catalog, catalog))
      }),
    )
  })

  it('a catalog built twice from the same plan and ids is equal to itself', () => {
    assertProperty(
      fc.property(catalogPlanArb(), fc.uuid(), (plan, catalogId) => {
        const ids = {
          catalogId,
          aspectDefIds: plan.aspectMaps.map(
            (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
          ),
        }
        assert.equal(catalogDiff(buildCatalog(plan, ids), buildCatalog(plan, ids)), undefined)
      }),
    )
  })

  it('edits applied to two equal catalogs leave them equal, and usually change them', () => {
    let changed = 0
    assertProperty(
      fc.property(catalogWithEditsArb(), ([catalog, edits]) => {
        const copy = (catalog as Catalog & { [fc.cloneMethod]: () => Catalog })[fc.cloneMethod]()
        const original = (catalog as Catalog & { [fc.cloneMethod]: () => Catalog })[
          fc.cloneMethod
        ]()
        applyEdits(catalog, edits)
        applyEdits(copy, edits)
        assert.equal(catalogDiff(catalog, copy), undefined)
        if (!catalogEquals(catalog, original)) changed++
      }),
      { numRuns: 100 },
    )
    assert.ok(changed > 50, `only ${changed} of 100 edit lists changed their catalog`)
  })

  it("an AspectDef's hash is stable and equal for an identical def", () => {
    assertProperty(
      fc.property(aspectDefArb(), (def) => {
        assert.equal(def.hash(), def.hash())
        const twin = createAspectDef({
          name: def.name,
          globalId: def.globalId,
          isReadable: def.isReadable,
          isWritable: def.isWritable,
          canAddProperties: def.canAddProperties,
          canRemoveProperties: def.canRemoveProperties,
          properties: def.propertyDefs(),
        })
        assert.equal(twin.hash(), def.hash())
        assert.ok(twin.equals(def))
      }),
    )
  })

  it('adding a property to a mutable AspectDef changes its hash', () => {
    assertProperty(
      fc.property(
        aspectDefArb().filter((def) => def.canAddProperties),
        propertyDefArb(),
        (def, extra) => {
          fc.pre(!def.hasProperty(extra.name))
          const before = def.hash()
          def.addPropertyDef(extra)
          assert.notEqual(def.hash(), before)
        },
      ),
    )
  })
})

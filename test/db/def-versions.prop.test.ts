/**
 * The rule of docs/ASPECT-DEFS.md, as a property: random interleavings of saves, partial writes,
 * deletions and (un)mappings of several catalogs over random versions of one shared AspectDef
 * (properties added, removed, retyped; flags changed; immutable and mutable versions). After
 * every step, every catalog loads exactly as it was last written, or the step was refused with a
 * CheapConflictError and nothing anywhere changed.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, it } from 'node:test'
import fc from 'fast-check'
import { v4 as uuidV4 } from 'uuid'
import { isCheapError } from '../../src/errors.ts'
import { catalogFromJson, catalogToJson } from '../../src/json/index.ts'
import {
  Aspect,
  createAspectDef,
  createCatalog,
  newEntityId,
  type AspectDef,
  type PropertyDef,
  type PropertyTypeCode,
} from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import {
  aspectValuesArb,
  buildAspect,
  type AspectValuesPlan,
} from '../support/hierarchy-arbitraries.ts'
import { buildPropertyDef, nameArb, propertyTypeArb } from '../support/def-arbitraries.ts'
import type { PropertyDefPlan } from '../support/def-arbitraries.ts'
import { assertProperty } from '../support/fast-check.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'
import { assertNoOrphans } from '../support/integrity.ts'

// CI runs 100 per backend (CHEAP_FC_RUNS overrides).
const RUNS = 100
const CATALOGS = 3

interface VariantPlan {
  readonly canAddProperties: boolean
  readonly canRemoveProperties: boolean
  readonly properties: readonly PropertyDefPlan[]
}

/** A property plan with no default (defaults are exercised by the round-trip properties). */
const propertyPlanArb = (name: fc.Arbitrary<string>): fc.Arbitrary<PropertyDefPlan> =>
  fc.record({
    name,
    type: propertyTypeArb,
    isNullable: fc.boolean(),
    isMultivalued: fc.boolean(),
    isReadable: fc.constant(true),
    isWritable: fc.constant(true),
  })

const baseArb: fc.Arbitrary<VariantPlan> = fc.record({
  canAddProperties: fc.boolean(),
  canRemoveProperties: fc.boolean(),
  properties: fc
    .uniqueArray(nameArb, { minLength: 1, maxLength: 4 })
    .chain((names) => fc.tuple(...names.map((n) => propertyPlanArb(fc.constant(n))))),
})

type Mutation =
  | { readonly kind: 'add'; readonly property: PropertyDefPlan }
  | { readonly kind: 'remove'; readonly index: number }
  | { readonly kind: 'retype'; readonly index: number; readonly type: PropertyTypeCode }
  | { readonly kind: 'nullable'; readonly index: number }
  | { readonly kind: 'flags'; readonly canAdd: boolean; readonly canRemove: boolean }

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  propertyPlanArb(nameArb.map((n) => `${n}+`)).map((property) => ({
    kind: 'add' as const,
    property,
  })),
  fc.nat().map((index) => ({ kind: 'remove' as const, index })),
  fc
    .tuple(fc.nat(), propertyTypeArb)
    .map(([index, type]) => ({ kind: 'retype' as const, index, type })),
  fc.nat().map((index) => ({ kind: 'nullable' as const, index })),
  fc
    .tuple(fc.boolean(), fc.boolean())
    .map(([canAdd, canRemove]) => ({ kind: 'flags' as const, canAdd, canRemove })),
)

function mutate(plan: VariantPlan, m: Mutation): VariantPlan {
  const props = [...plan.properties]
  const at = (i: number) => i % Math.max(1, props.length)
  switch (m.kind) {
    case 'add':
      if (!props.some((p) => p.name === m.property.name)) props.push(m.property)
      break
    case 'remove':
      if (props.length > 1) props.splice(at(m.index), 1)
      break
    case 'retype': {
      const p = props[at(m.index)]
      if (p !== undefined) props[at(m.index)] = { ...p, type: m.type }
      break
    }
    case 'nullable': {
      const p = props[at(m.index)]
      if (p !== undefined) props[at(m.index)] = { ...p, isNullable: !p.isNullable }
      break
    }
    case 'flags':
      return { ...plan, canAddProperties: m.canAdd, canRemoveProperties: m.canRemove }
  }
  return { ...plan, properties: props }
}

/** A base shape and three descendants, each one mutation from the one before. */
const variantsArb: fc.Arbitrary<readonly VariantPlan[]> = fc
  .tuple(baseArb, fc.array(mutationArb, { minLength: 3, maxLength: 3 }))
  .map(([base, mutations]) => {
    const out = [base]
    for (const m of mutations) out.push(mutate(out[out.length - 1] as VariantPlan, m))
    return out
  })

type Step =
  | {
      readonly kind: 'save'
      readonly catalog: number
      readonly variant: number
      readonly aspects: readonly AspectValuesPlan[]
    }
  | { readonly kind: 'upsert'; readonly catalog: number; readonly aspect: number }
  | { readonly kind: 'delete'; readonly catalog: number }
  | { readonly kind: 'map' }

function stepsArb(variants: readonly PropertyDef[][]): fc.Arbitrary<readonly Step[]> {
  const catalog = fc.nat({ max: CATALOGS - 1 })
  const save = fc
    .tuple(catalog, fc.nat({ max: variants.length - 1 }))
    .chain(([c, v]) =>
      fc
        .array(aspectValuesArb(variants[v] as PropertyDef[]), { maxLength: 3 })
        .map((aspects): Step => ({ kind: 'save', catalog: c, variant: v, aspects })),
    )
  return fc.array(
    fc.oneof(
      { arbitrary: save, weight: 6 },
      {
        arbitrary: fc
          .tuple(catalog, fc.nat())
          .map(([c, a]): Step => ({ kind: 'upsert', catalog: c, aspect: a })),
        weight: 2,
      },
      { arbitrary: catalog.map((c): Step => ({ kind: 'delete', catalog: c })), weight: 1 },
      { arbitrary: fc.constant<Step>({ kind: 'map' }), weight: 1 },
    ),
    { minLength: 4, maxLength: 10 },
  )
}

const scenarioArb = variantsArb.chain((plans) => {
  const properties = plans.map((p) => p.properties.map(buildPropertyDef))
  return stepsArb(properties).map((steps) => ({ plans, steps }))
})

function defOf(name: string, id: string, plan: VariantPlan): AspectDef {
  const mutable = plan.canAddProperties || plan.canRemoveProperties
  return createAspectDef({
    name,
    globalId: id,
    canAddProperties: plan.canAddProperties,
    canRemoveProperties: plan.canRemoveProperties,
    // An immutable def needs a property; the mutations never leave it empty.
    properties: mutable || plan.properties.length > 0 ? plan.properties.map(buildPropertyDef) : [],
  })
}

forEachBackend('AspectDef versions: no write to one catalog changes another', (backend) => {
  let db: TestDatabase
  before(async () => {
    db = await backend.open()
  })
  afterEach(async () => {
    await assertNoOrphans(db.adapter.db)
  })
  after(async () => db.close())

  // upsertAspects with its few-aspects path forced on and off: a version moved or mapped by
  // another step must send it to the set-based path's exact errors and writes.
  for (const path of ['always', 'never'] as const)
    it(`every catalog loads as last written, or the step is refused and nothing changes (small path ${path})`, async () => {
      await assertProperty(
        fc.asyncProperty(scenarioArb, async ({ plans, steps }) => {
          await db.reset()
          const dao = new PostgresDao(db.adapter, { smallCatalogs: path })
          const name = `shared.def_${uuidV4().slice(0, 8)}`
          const id = uuidV4()
          const catalogIds = Array.from({ length: CATALOGS }, () => uuidV4())
          const expected: (string | undefined)[] = catalogIds.map(() => undefined)
          let mapped = false
          for (const step of steps) {
            const versionsBefore = await versionCount(dao)
            let refused = false
            try {
              switch (step.kind) {
                case 'save': {
                  const def = defOf(name, id, plans[step.variant] as VariantPlan)
                  const catalog = createCatalog({ globalId: catalogIds[step.catalog] as string })
                  const map = catalog.extend(def)
                  for (const values of step.aspects)
                    map.add(buildAspect(def, newEntityId(), values))
                  catalog.createEntityList('items').addAll(map.entityIds())
                  await dao.saveCatalog(catalog, { force: true })
                  expected[step.catalog] = catalogToJson(catalog)
                  break
                }
                case 'upsert': {
                  const json = expected[step.catalog]
                  if (json === undefined) break
                  // The stored def, as the catalog knows it, with a copy of one of its aspects.
                  const model = catalogFromJson(json)
                  const map = model.aspects(name)
                  const source =
                    map === undefined
                      ? undefined
                      : [...map.aspects()][step.aspect % Math.max(1, map.size)]
                  if (map === undefined || source === undefined) break
                  const copy = buildAspect(map.aspectDef, newEntityId(), [...Aspect.stored(source)])
                  await dao.upsertAspects(catalogIds[step.catalog] as string, name, [copy])
                  map.add(copy)
                  expected[step.catalog] = catalogToJson(model)
                  break
                }
                case 'delete':
                  await dao.deleteCatalog(catalogIds[step.catalog] as string)
                  expected[step.catalog] = undefined
                  break
                case 'map':
                  if ((await versionCount(dao)) === 0) break
                  if (mapped) await dao.unmapAspectDef(name)
                  else await dao.mapAspectDef(name, { table: `t_${id.slice(0, 8)}` })
                  mapped = !mapped
                  break
              }
            } catch (error) {
              if (!isCheapError(error, 'CONFLICT')) throw error
              refused = true
            }
            if (refused)
              assert.equal(
                await versionCount(dao),
                versionsBefore,
                'a refused step stored no version',
              )
            for (const [i, catalogId] of catalogIds.entries()) {
              const loaded = await new PostgresDao(db.adapter).loadCatalog(catalogId)
              assert.equal(
                loaded === null ? undefined : catalogToJson(loaded),
                expected[i],
                `catalog ${i} after ${JSON.stringify(step.kind)}${refused ? ' (refused)' : ''}`,
              )
            }
          }
        }),
        { numRuns: RUNS },
      )
    })
})

async function versionCount(dao: PostgresDao): Promise<number> {
  return (await dao.listAspectDefs()).reduce((n, d) => n + d.versions.length, 0)
}

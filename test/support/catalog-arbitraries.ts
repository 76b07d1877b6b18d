/**
 * Whole generated catalogs. A catalog is generated as a plain plan (species, fields, an entity
 * pool, AspectDef shapes with their aspects, entity hierarchies) and built with fresh catalog
 * and AspectDef ids, so many generated catalogs fit in one database (catalog ids and AspectDef
 * names and ids are global there). Each generated Catalog carries fast-check's clone method
 * (fast-check hands every reader an identical fresh copy, so a test may mutate its catalog
 * freely) and a printer for counterexamples.
 */
import fc from 'fast-check'
import { v4 as uuidV4 } from 'uuid'
import {
  CATALOG_SPECIES,
  CATALOG_SPECIES_CODES,
  createCatalog,
  toEntityId,
  type Catalog,
  type CatalogSpecies,
  type EntityId,
} from '../../src/model/index.ts'
import { aspectDefPlanArb, buildAspectDef, nameArb, type AspectDefPlan } from './def-arbitraries.ts'
import {
  aspectValuesArb,
  buildAspect,
  buildEntityHierarchy,
  entityHierarchyPlanArb,
  versionArb,
  type AspectValuesPlan,
  type EntityHierarchyPlan,
} from './hierarchy-arbitraries.ts'
import { uriValue } from './value-arbitraries.ts'

export interface CatalogArbOptions {
  /** Size of the shared entity pool. Default 40. */
  readonly maxEntities?: number
  /** Entity hierarchies (EL, ES, ED, ET) besides the AspectMaps. Default 6. */
  readonly maxHierarchies?: number
  /** AspectDefs, each with its AspectMap. Default 3. */
  readonly maxAspectDefs?: number
  /** Default 12. */
  readonly maxAspectsPerMap?: number
  /** Entries of an EL, ES or ED. Default 12. */
  readonly maxItems?: number
  /** Nodes of an ET besides the root. Default 40. */
  readonly maxTreeNodes?: number
  /** Properties of an AspectDef. Default 8. */
  readonly maxProperties?: number
}

export interface AspectMapPlan {
  readonly def: AspectDefPlan
  readonly version: bigint
  readonly aspects: readonly (readonly [number, AspectValuesPlan])[]
  /** Sort key placing the map among the other hierarchies. */
  readonly position: number
}

export interface NamedHierarchyPlan {
  readonly name: string
  readonly plan: EntityHierarchyPlan
  readonly position: number
}

/** Everything a generated catalog is built from, except its fresh ids. */
export interface CatalogPlan {
  readonly species: CatalogSpecies
  readonly upstream: string | null
  readonly uri: string | null
  readonly version: bigint
  readonly entities: readonly string[]
  readonly aspectMaps: readonly AspectMapPlan[]
  readonly hierarchies: readonly NamedHierarchyPlan[]
}

const speciesAndUpstream = fc.constantFrom(...CATALOG_SPECIES_CODES).chain((species) =>
  fc.record({
    species: fc.constant(species),
    upstream: CATALOG_SPECIES[species].requiresUpstream ? fc.uuid() : fc.constant(null),
  }),
)

/** The plan of a catalog (see {@link catalogArb}). */
export function catalogPlanArb(options: CatalogArbOptions = {}): fc.Arbitrary<CatalogPlan> {
  const sizes = { maxItems: options.maxItems ?? 12, maxTreeNodes: options.maxTreeNodes ?? 40 }
  const maxAspects = options.maxAspectsPerMap ?? 12
  const aspectMap: fc.Arbitrary<AspectMapPlan> = aspectDefPlanArb(
    options.maxProperties === undefined ? {} : { maxProperties: options.maxProperties },
  ).chain((def) =>
    fc.record({
      def: fc.constant(def),
      version: versionArb,
      aspects: fc.array(fc.tuple(fc.nat({ max: 1000 }), aspectValuesArb(def.properties)), {
        maxLength: maxAspects,
      }),
      position: fc.nat(),
    }),
  )
  const hierarchy: fc.Arbitrary<Omit<NamedHierarchyPlan, 'name'>> = fc.record({
    plan: fc
      .constantFrom('EL' as const, 'ES' as const, 'ED' as const, 'ET' as const)
      .chain((type) => entityHierarchyPlanArb(type, sizes)),
    position: fc.nat(),
  })
  return fc
    .tuple(
      speciesAndUpstream,
      fc.option(uriValue, { nil: null }),
      versionArb,
      fc.uniqueArray(fc.uuid(), { maxLength: options.maxEntities ?? 40 }),
      fc.array(aspectMap, { maxLength: options.maxAspectDefs ?? 3 }),
      fc.uniqueArray(fc.tuple(nameArb, hierarchy), {
        maxLength: options.maxHierarchies ?? 6,
        selector: ([name]) => name,
      }),
    )
    .map(([{ species, upstream }, uri, version, entities, aspectMaps, hierarchies]) => ({
      species,
      upstream,
      uri,
      version,
      entities,
      aspectMaps,
      hierarchies: hierarchies.map(([name, body]) => ({ name, ...body })),
    }))
}

/** The fresh ids of one generated catalog: its globalId and one per AspectDef. */
export interface CatalogIds {
  readonly catalogId: string
  readonly aspectDefIds: readonly string[]
}

/** Builds the catalog of a plan; the same plan and ids always build equal catalogs. */
export function buildCatalog(plan: CatalogPlan, ids: CatalogIds): Catalog {
  const catalog = createCatalog({
    globalId: ids.catalogId,
    species: plan.species,
    upstream: plan.upstream,
    uri: plan.uri,
    version: plan.version,
  })
  const pool: EntityId[] = plan.entities.map(toEntityId)
  type Step = { readonly position: number; readonly add: () => void }
  const steps: Step[] = [
    ...plan.hierarchies.map((h) => ({
      position: h.position,
      add: () => void catalog.addHierarchy(buildEntityHierarchy(h.name, h.plan, pool)),
    })),
    ...plan.aspectMaps.map((m, i) => ({
      position: m.position,
      add: () => {
        const def = buildAspectDef(m.def, ids.aspectDefIds[i])
        const map = catalog.extend(def, { version: m.version })
        if (pool.length === 0) return
        for (const [slot, values] of m.aspects) {
          const id = pool[slot % pool.length] as EntityId
          if (!map.has(id)) map.add(buildAspect(def, id, values))
        }
      },
    })),
  ]
  // Array.prototype.sort is stable: equal positions keep plan order.
  for (const step of steps.sort((a, b) => a.position - b.position)) step.add()
  return catalog
}

const MAX_PRINTED = 20_000

/** Gives a built catalog fast-check's clone method and printer. */
function materialize(plan: CatalogPlan, ids: CatalogIds): Catalog {
  const catalog = buildCatalog(plan, ids)
  Object.defineProperty(catalog, fc.cloneMethod, { value: () => materialize(plan, ids) })
  Object.defineProperty(catalog, fc.toStringMethod, {
    value: () => {
      const text = fc.stringify({ ids, plan })
      return `Catalog(${text.length > MAX_PRINTED ? `${text.slice(0, MAX_PRINTED)}…` : text})`
    },
  })
  return catalog
}

/**
 * Whole catalogs: all six species (with an upstream where required), uri null or a URI,
 * version 0 or any int64; an entity pool shared by all hierarchies; entity lists, sets,
 * directories and trees in random order interleaved with AspectMaps of generated AspectDefs.
 * Names are unique across the catalog; AspectDef names and ids, and the catalog id, are fresh
 * random UUID-based values (unique across every generated catalog, not replayed by a seed).
 * Sizes are moderate by default (≤ 40 entities, ≤ 6 entity hierarchies, ≤ 3 AspectDefs).
 *
 * @example
 * ```ts
 * assertProperty(fc.asyncProperty(catalogArb(), async (catalog) => {
 *   await dao.saveCatalog(catalog)
 *   assert.equal(catalogDiff(await dao.loadCatalog(catalog.globalId), catalog), undefined)
 * }))
 * ```
 */
export function catalogArb(options: CatalogArbOptions = {}): fc.Arbitrary<Catalog> {
  return catalogPlanArb(options).map((plan) =>
    materialize(plan, { catalogId: uuidV4(), aspectDefIds: plan.aspectMaps.map(() => uuidV4()) }),
  )
}

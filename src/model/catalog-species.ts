/** Catalog species and whether each requires an upstream catalog. */
export const CATALOG_SPECIES = {
  SOURCE: { code: 'SOURCE', requiresUpstream: false },
  SINK: { code: 'SINK', requiresUpstream: false },
  MIRROR: { code: 'MIRROR', requiresUpstream: true },
  CACHE: { code: 'CACHE', requiresUpstream: true },
  CLONE: { code: 'CLONE', requiresUpstream: true },
  FORK: { code: 'FORK', requiresUpstream: true },
} as const

export type CatalogSpecies = keyof typeof CATALOG_SPECIES

export const CATALOG_SPECIES_CODES: readonly CatalogSpecies[] = Object.freeze(
  Object.keys(CATALOG_SPECIES) as CatalogSpecies[],
)

export function isCatalogSpecies(text: string): text is CatalogSpecies {
  return Object.hasOwn(CATALOG_SPECIES, text)
}

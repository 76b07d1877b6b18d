import type { Catalog } from '../model/catalog.ts'
import type { Hierarchy } from '../model/hierarchy/index.ts'
import { HIERARCHY_TYPES } from '../model/hierarchy/hierarchy-type.ts'
import type { CommandSpec } from './command.ts'
import { EXIT } from './exit-codes.ts'
import { loadStoredCatalog } from './load-stored.ts'
import { formatCount } from './progress.ts'
import { table } from './table.ts'

export const showCommand: CommandSpec = {
  name: 'show',
  summary: 'summarise a stored catalog',
  synopsis: '<catalog-id>',
  usage: ['cheap show <catalog-id>'],
  description: [
    'Prints the catalog’s species, upstream, URI, version and revision, its hierarchies',
    'with their types and sizes, and its AspectDefs with their property and aspect counts.',
  ],
  options: {},
  positionals: { min: 1, max: 1 },
  examples: ['cheap show 550e8400-e29b-41d4-a716-444444444444', 'cheap show <id> --json'],
  async run(ctx, { positionals }) {
    const { catalog, revision, target, schema, expiresAt } = await loadStoredCatalog(
      ctx,
      positionals[0] ?? '',
    )
    const summary = summarise(catalog, revision)
    if (ctx.global.json) {
      ctx.json({ ...summary, expiresAt })
      return EXIT.OK
    }
    ctx.out(`catalog   ${catalog.globalId}`)
    ctx.out(`stored in ${target}, schema ${schema}`)
    ctx.out(`species   ${catalog.species}`)
    ctx.out(`upstream  ${catalog.upstream ?? '-'}`)
    ctx.out(`uri       ${catalog.uri ?? '-'}`)
    ctx.out(`version   ${catalog.version}`)
    ctx.out(`revision  ${revision}`)
    ctx.out(`expires   ${expiresAt?.toISOString() ?? '-'}`)
    ctx.out('')
    ctx.out(`hierarchies (${summary.hierarchies.length})`)
    const hierarchyRows = summary.hierarchies.map((h) => [
      h.name,
      `${h.type} (${HIERARCHY_TYPES[h.type].name})`,
      `${formatCount(h.size)} ${h.unit}`,
    ])
    for (const line of table(['NAME', 'TYPE', 'SIZE'], hierarchyRows)) ctx.out(`  ${line}`)
    ctx.out('')
    ctx.out(`aspect defs (${summary.aspectDefs.length})`)
    const defRows = summary.aspectDefs.map((d) => [
      d.name,
      String(d.properties),
      formatCount(d.aspects),
      d.globalId,
    ])
    for (const line of table(['NAME', 'PROPERTIES', 'ASPECTS', 'ID'], defRows)) ctx.out(`  ${line}`)
    return EXIT.OK
  },
}

export interface CatalogOverview {
  readonly catalogId: string
  readonly species: string
  readonly uri: string | null
  readonly upstream: string | null
  readonly version: bigint
  readonly revision: bigint
  readonly hierarchies: readonly {
    readonly name: string
    readonly type: Hierarchy['type']
    readonly size: number
    readonly unit: string
    readonly version: bigint
  }[]
  readonly aspectDefs: readonly {
    readonly name: string
    readonly globalId: string
    readonly properties: number
    readonly aspects: number
    readonly isMutable: boolean
  }[]
}

/** What `show` prints, as data (also its --json output). */
export function summarise(catalog: Catalog, revision: bigint): CatalogOverview {
  return {
    catalogId: catalog.globalId,
    species: catalog.species,
    uri: catalog.uri,
    upstream: catalog.upstream,
    version: catalog.version,
    revision,
    hierarchies: [...catalog.hierarchies()].map((h) => ({
      name: h.name,
      type: h.type,
      ...sizeOf(h),
      version: h.version,
    })),
    aspectDefs: [...catalog.aspectDefs()].map((def) => ({
      name: def.name,
      globalId: def.globalId,
      properties: def.size,
      aspects: catalog.aspects(def.name)?.size ?? 0,
      isMutable: def.isMutable,
    })),
  }
}

function sizeOf(h: Hierarchy): { size: number; unit: string } {
  switch (h.type) {
    case 'EL':
      return { size: h.size, unit: h.size === 1 ? 'entry' : 'entries' }
    case 'ES':
      return { size: h.size, unit: h.size === 1 ? 'entity' : 'entities' }
    case 'ED':
      return { size: h.size, unit: h.size === 1 ? 'name' : 'names' }
    case 'ET': {
      const nodes = h.nodeCount
      return { size: nodes, unit: nodes === 1 ? 'node' : 'nodes' }
    }
    case 'AM':
      return { size: h.size, unit: h.size === 1 ? 'aspect' : 'aspects' }
  }
}

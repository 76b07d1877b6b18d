import { notExpired } from '../store/expiry.ts'
import type { Kysely, Transaction } from 'kysely'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { createCatalog, type Catalog } from '../../model/catalog.ts'
import type { CatalogSpecies } from '../../model/catalog-species.ts'
import type { EntityId } from '../../model/entity.ts'
import type { TreeNode } from '../../model/hierarchy/entity-tree.ts'
import type { HierarchyTypeCode } from '../../model/hierarchy/hierarchy-type.ts'
import type { CheapDatabase, CheapRow } from '../schema/database.ts'
import { readAspectValues } from '../store/aspect-store.ts'
import { AspectAssembler } from '../store/aspect-values.ts'
import {
  generationOf,
  loadVersions,
  versionIn,
  type DefVersionCache,
  type StoredVersion,
} from '../store/def-versions.ts'
import { readMappings, type DedicatedTable } from '../store/dedicated/table.ts'
import { readOnlySnapshot } from '../store/catalog-lock.ts'
import type { CallProgress } from './progress.ts'

type Trx = Transaction<CheapDatabase>

export interface LoadedCatalog {
  readonly catalog: Catalog
  readonly revision: bigint
}

export type TreeRow = Pick<
  CheapRow<'hierarchy_entity_tree_node'>,
  'hierarchy_id' | 'node_id' | 'parent_node_id' | 'node_key' | 'entity_id' | 'is_leaf'
>

/**
 * Loads a catalog in one read-only REPEATABLE READ transaction (a consistent snapshot), reading
 * each table once for the whole catalog, never once per aspect, and rebuilds it exactly.
 * `progress` hears of each table read and may stop the load between statements.
 */
export async function loadCatalog(
  db: Kysely<CheapDatabase>,
  catalogId: string,
  cache: DefVersionCache,
  progress?: CallProgress,
): Promise<LoadedCatalog | null> {
  return readOnlySnapshot(db, async (trx) => {
    // Run again on a retry (a snapshot that met a replaced table): counts start over.
    progress?.restart()
    const row = await trx
      .selectFrom('catalog')
      .select(['catalog_id', 'species', 'uri', 'upstream_catalog_id', 'version_number', 'revision'])
      .where('catalog_id', '=', catalogId)
      .where(notExpired())
      .executeTakeFirst()
    if (row === undefined) return null
    progress?.rows('catalog', 1)
    const hierarchies = await trx
      .selectFrom('hierarchy as h')
      .leftJoin('catalog_aspect_def as p', (join) =>
        join
          .onRef('p.catalog_id', '=', 'h.catalog_id')
          .onRef('p.aspect_def_id', '=', 'h.aspect_def_id'),
      )
      .leftJoin('aspect_def as d', 'd.aspect_def_id', 'p.aspect_def_id')
      .select([
        'h.name',
        'h.hierarchy_type',
        'h.version_number',
        'h.aspect_def_id',
        'h.hierarchy_id',
        'p.version',
        generationOf('d').as('generation'),
      ])
      .where('h.catalog_id', '=', catalogId)
      .orderBy('h.position')
      .execute()
    progress?.rows('hierarchy', hierarchies.length)
    const pins = pinsOf(hierarchies)
    const versions = await loadVersions(trx, pins, cache)
    await progress?.between()
    const pinned = new Map(pins.map((p) => [p.defId, versionIn(versions, p.defId, p.version)]))
    const aspects = await loadAspects(trx, catalogId, pinned, progress)
    const contents = await loadContents(trx, catalogId, hierarchies, progress)
    return buildCatalog(row, hierarchies, pinned, aspects, contents)
  })
}

/** A stored catalog row as a load reads it: the manifest's columns (CheapRow), not a copy. */
export type CatalogRowRead = Readonly<
  Pick<
    CheapRow<'catalog'>,
    'catalog_id' | 'species' | 'uri' | 'upstream_catalog_id' | 'version_number' | 'revision'
  >
>

/**
 * A hierarchy row with its def pin (`version` of the left-joined catalog_aspect_def, null for a
 * hierarchy that is no AspectMap) and the def's generation, in position order.
 */
export type HierarchyRowRead = Readonly<
  Pick<
    CheapRow<'hierarchy'>,
    'name' | 'hierarchy_type' | 'version_number' | 'aspect_def_id' | 'hierarchy_id'
  > & {
    readonly version: CheapRow<'catalog_aspect_def'>['version'] | null
    readonly generation: string | null
  }
>

/** The contents of a catalog's non-AspectMap hierarchies, by hierarchy id, in order. */
export interface ContentsRead {
  readonly lists: ReadonlyMap<number, readonly EntityId[]>
  readonly sets: ReadonlyMap<number, readonly EntityId[]>
  readonly directories: ReadonlyMap<number, readonly [string, EntityId][]>
  readonly trees: ReadonlyMap<number, readonly TreeRow[]>
}

/** The def versions a catalog's AspectMaps are pinned to, with their def's generation. */
export function pinsOf(
  hierarchies: readonly HierarchyRowRead[],
): { defId: string; version: number; generation: string | null }[] {
  return hierarchies.flatMap((h) =>
    h.aspect_def_id === null || h.version === null
      ? []
      : [{ defId: h.aspect_def_id, version: h.version, generation: h.generation }],
  )
}

/** Rebuilds a catalog from what a load read (the bulk and the small path alike). */
export function buildCatalog(
  row: CatalogRowRead,
  hierarchies: readonly HierarchyRowRead[],
  pinned: ReadonlyMap<string, StoredVersion>,
  aspects: ReadonlyMap<string, { def: AspectDef; aspects: Aspect[] }>,
  contents: ContentsRead,
): LoadedCatalog {
  const catalog = createCatalog({
    globalId: row.catalog_id,
    species: row.species as CatalogSpecies,
    uri: row.uri,
    upstream: row.upstream_catalog_id,
    version: row.version_number,
  })
  for (const h of hierarchies) {
    const options = { version: h.version_number }
    const id = h.hierarchy_id
    switch (h.hierarchy_type as HierarchyTypeCode) {
      case 'AM': {
        const defId = h.aspect_def_id as string
        const found = aspects.get(defId)
        const map = catalog.extend(
          found?.def ?? (pinned.get(defId) as StoredVersion).toAspectDef(),
          options,
        )
        if (found !== undefined) map.addAll(found.aspects)
        break
      }
      case 'EL':
        catalog.createEntityList(h.name, options).addAll(contents.lists.get(id) ?? [])
        break
      case 'ES':
        catalog.createEntitySet(h.name, options).addAll(contents.sets.get(id) ?? [])
        break
      case 'ED':
        catalog.createEntityDirectory(h.name, options).setAll(contents.directories.get(id) ?? [])
        break
      case 'ET':
        buildTree(catalog, h.name, options.version, contents.trees.get(id) ?? [])
        break
    }
  }
  return { catalog, revision: row.revision }
}

/** Every aspect of the catalog, by def id, in map order, with its values. */
async function loadAspects(
  trx: Trx,
  catalogId: string,
  pinned: ReadonlyMap<string, StoredVersion>,
  progress: CallProgress | undefined,
): Promise<Map<string, { def: AspectDef; aspects: Aspect[] }>> {
  const out = new Map<string, { def: AspectDef; aspects: Aspect[] }>()
  if (pinned.size === 0) return out
  const rows = await trx
    .selectFrom('aspect')
    .select(['aspect_id', 'aspect_def_id', 'entity_id'])
    .where('catalog_id', '=', catalogId)
    .orderBy('aspect_def_id')
    .orderBy('map_order')
    .execute()
  progress?.rows('aspect', rows.length)
  if (rows.length === 0) return out
  const assembler = new AspectAssembler()
  for (const r of rows) {
    const version = pinned.get(r.aspect_def_id)
    if (version !== undefined)
      assembler.register(Number(r.aspect_id), version, r.entity_id as EntityId)
  }
  await progress?.between()
  const mappings = await readMappings(trx, { defIds: [...pinned.keys()] })
  const storage = new Map<StoredVersion, DedicatedTable>()
  for (const version of pinned.values()) {
    const m = mappings.find(
      (x) => x.defId === version.defId && x.version === version.version && !x.isReadOnly,
    )
    if (m !== undefined) storage.set(version, m)
  }
  await readAspectValues(trx, catalogId, pinned.values(), storage, assembler, undefined, progress)
  const defs = new Map([...pinned].map(([defId, v]) => [defId, v.toAspectDef()]))
  for (const r of rows) {
    const def = defs.get(r.aspect_def_id)
    if (def === undefined) continue
    let entry = out.get(r.aspect_def_id)
    if (entry === undefined) {
      entry = { def, aspects: [] }
      out.set(r.aspect_def_id, entry)
    }
    entry.aspects.push(assembler.build(Number(r.aspect_id), def) as Aspect)
  }
  return out
}

async function loadContents(
  trx: Trx,
  catalogId: string,
  hierarchies: readonly { readonly hierarchy_type: string }[],
  progress: CallProgress | undefined,
) {
  const has = (type: HierarchyTypeCode) => hierarchies.some((h) => h.hierarchy_type === type)
  const lists = new Map<number, EntityId[]>()
  const sets = new Map<number, EntityId[]>()
  const directories = new Map<number, [string, EntityId][]>()
  const trees = new Map<number, TreeRow[]>()
  if (has('EL')) {
    await progress?.between()
    const rows = await trx
      .selectFrom('hierarchy_entity_list')
      .select(['hierarchy_id', 'entity_id'])
      .where('catalog_id', '=', catalogId)
      .orderBy('hierarchy_id')
      .orderBy('list_order')
      .execute()
    for (const r of rows) group(lists, r.hierarchy_id, r.entity_id as EntityId)
    progress?.rows('hierarchy_entity_list', rows.length)
  }
  if (has('ES')) {
    await progress?.between()
    const rows = await trx
      .selectFrom('hierarchy_entity_set')
      .select(['hierarchy_id', 'entity_id'])
      .where('catalog_id', '=', catalogId)
      .orderBy('hierarchy_id')
      .orderBy('set_order')
      .execute()
    for (const r of rows) group(sets, r.hierarchy_id, r.entity_id as EntityId)
    progress?.rows('hierarchy_entity_set', rows.length)
  }
  if (has('ED')) {
    await progress?.between()
    const rows = await trx
      .selectFrom('hierarchy_entity_directory')
      .select(['hierarchy_id', 'entity_key', 'entity_id'])
      .where('catalog_id', '=', catalogId)
      .orderBy('hierarchy_id')
      .orderBy('dir_order')
      .execute()
    for (const r of rows)
      group(directories, r.hierarchy_id, [r.entity_key, r.entity_id as EntityId])
    progress?.rows('hierarchy_entity_directory', rows.length)
  }
  if (has('ET')) {
    await progress?.between()
    const rows = await trx
      .selectFrom('hierarchy_entity_tree_node')
      .select(['hierarchy_id', 'node_id', 'parent_node_id', 'node_key', 'entity_id', 'is_leaf'])
      .where('catalog_id', '=', catalogId)
      .orderBy('hierarchy_id')
      .orderBy('tree_order')
      .execute()
    for (const r of rows) group(trees, r.hierarchy_id, r)
    progress?.rows('hierarchy_entity_tree_node', rows.length)
  }
  return { lists, sets, directories, trees }
}

export function group<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}

/**
 * Rebuilds a tree from its node rows (siblings in tree_order: the rows are sorted by it, and
 * grouping by parent keeps that order), iteratively: depth costs no stack.
 */
export function buildTree(
  catalog: Catalog,
  name: string,
  version: bigint,
  rows: readonly TreeRow[],
): void {
  const root = rows.find((r) => r.parent_node_id === null)
  const tree = catalog.createEntityTree(name, {
    version,
    rootEntityId: root?.entity_id ?? null,
    ...(root === undefined ? {} : { rootNodeId: root.node_id }),
  })
  if (root === undefined) return
  const children = new Map<string, TreeRow[]>()
  for (const r of rows) if (r.parent_node_id !== null) group(children, r.parent_node_id, r)
  const stack: [string, TreeNode][] = [[root.node_id, tree.root]]
  while (stack.length > 0) {
    const [nodeId, node] = stack.pop() as [string, TreeNode]
    for (const child of children.get(nodeId) ?? []) {
      const added = node.addChild(
        child.node_key,
        { entityId: child.entity_id, isLeaf: child.is_leaf },
        child.node_id,
      )
      stack.push([child.node_id, added])
    }
  }
}

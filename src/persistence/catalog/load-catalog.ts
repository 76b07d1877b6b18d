import { sql, type Kysely } from 'kysely'
import { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { createCatalog, type Catalog } from '../../model/catalog.ts'
import type { CatalogSpecies } from '../../model/catalog-species.ts'
import type { EntityId } from '../../model/entity.ts'
import type { TreeNode } from '../../model/hierarchy/entity-tree.ts'
import type { HierarchyTypeCode } from '../../model/hierarchy/hierarchy-type.ts'
import {
  PROPERTY_TYPE_CODES,
  type PropertyValue,
  type ScalarValue,
} from '../../model/property-type.ts'
import { loadAspectDefsById } from '../aspect-def-store.ts'
import { loadDedicatedValues } from '../mapping/dedicated-load.ts'
import { VALUE_CODECS } from '../store/value-codecs.ts'

type Executor = Kysely<unknown>

interface CatalogRow {
  catalog_id: string
  species: CatalogSpecies
  uri: string | null
  upstream_catalog_id: string | null
  version_number: bigint
  revision: bigint
}

interface HierarchyRow {
  name: string
  hierarchy_type: HierarchyTypeCode
  version_number: bigint
  aspect_def_id: string | null
}

interface TreeRow {
  hierarchy_name: string
  node_id: string
  parent_node_id: string | null
  node_key: string
  tree_order: number
  entity_id: EntityId | null
  is_leaf: boolean
}

/** Stored values of every aspect, by AspectDef id then entity id, in map order. */
type AspectValues = Map<string, Map<EntityId, Map<string, PropertyValue>>>

export interface LoadedCatalog {
  readonly catalog: Catalog
  readonly revision: bigint
}

/**
 * Loads a catalog in one read-only REPEATABLE READ transaction (a consistent snapshot), reading
 * each table once for the whole catalog, never once per aspect, and rebuilds it exactly.
 */
export async function loadCatalog(db: Executor, catalogId: string): Promise<LoadedCatalog | null> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const head =
        await sql<CatalogRow>`select catalog_id, species, uri, upstream_catalog_id, version_number, revision from catalog where catalog_id = ${catalogId}::uuid`.execute(
          trx,
        )
      const row = head.rows[0]
      if (row === undefined) return null
      const id = row.catalog_id
      const hierarchies = (
        await sql<HierarchyRow>`select name, hierarchy_type, version_number, aspect_def_id from hierarchy where catalog_id = ${id}::uuid order by position`.execute(
          trx,
        )
      ).rows
      const defIds = hierarchies.flatMap((h) => (h.aspect_def_id === null ? [] : [h.aspect_def_id]))
      const defs = await loadAspectDefsById(trx, defIds)
      const values = await loadAspectValues(trx, id, defs)
      const catalog = createCatalog({
        globalId: id,
        species: row.species,
        uri: row.uri,
        upstream: row.upstream_catalog_id,
        version: row.version_number,
      })
      const contents = await loadContents(trx, id, hierarchies)
      for (const h of hierarchies) {
        const options = { version: h.version_number }
        switch (h.hierarchy_type) {
          case 'AM': {
            const def = defs.get(h.aspect_def_id as string) as AspectDef
            const map = catalog.extend(def, options)
            for (const [entityId, stored] of values.get(def.globalId) ?? []) {
              map.add(Aspect.restore(def, entityId, stored))
            }
            break
          }
          case 'EL':
            catalog.createEntityList(h.name, options).addAll(contents.lists.get(h.name) ?? [])
            break
          case 'ES':
            catalog.createEntitySet(h.name, options).addAll(contents.sets.get(h.name) ?? [])
            break
          case 'ED': {
            const dir = catalog.createEntityDirectory(h.name, options)
            for (const [key, entity] of contents.directories.get(h.name) ?? []) dir.set(key, entity)
            break
          }
          case 'ET':
            buildTree(catalog, h.name, options.version, contents.trees.get(h.name) ?? [])
            break
        }
      }
      return { catalog, revision: row.revision }
    })
}

async function loadContents(trx: Executor, id: string, hierarchies: readonly HierarchyRow[]) {
  const has = (type: HierarchyTypeCode) => hierarchies.some((h) => h.hierarchy_type === type)
  const lists = new Map<string, EntityId[]>()
  const sets = new Map<string, EntityId[]>()
  const directories = new Map<string, [string, EntityId][]>()
  const trees = new Map<string, TreeRow[]>()
  if (has('EL')) {
    const rows = await sql<{
      hierarchy_name: string
      entity_id: EntityId
    }>`select hierarchy_name, entity_id from hierarchy_entity_list where catalog_id = ${id}::uuid order by hierarchy_name, list_order`.execute(
      trx,
    )
    for (const r of rows.rows) group(lists, r.hierarchy_name, r.entity_id)
  }
  if (has('ES')) {
    const rows = await sql<{
      hierarchy_name: string
      entity_id: EntityId
    }>`select hierarchy_name, entity_id from hierarchy_entity_set where catalog_id = ${id}::uuid order by hierarchy_name, set_order`.execute(
      trx,
    )
    for (const r of rows.rows) group(sets, r.hierarchy_name, r.entity_id)
  }
  if (has('ED')) {
    const rows = await sql<{
      hierarchy_name: string
      entity_key: string
      entity_id: EntityId
    }>`select hierarchy_name, entity_key, entity_id from hierarchy_entity_directory where catalog_id = ${id}::uuid order by hierarchy_name, dir_order`.execute(
      trx,
    )
    for (const r of rows.rows) group(directories, r.hierarchy_name, [r.entity_key, r.entity_id])
  }
  if (has('ET')) {
    const rows =
      await sql<TreeRow>`select hierarchy_name, node_id, parent_node_id, node_key, tree_order, entity_id, is_leaf from hierarchy_entity_tree_node where catalog_id = ${id}::uuid order by hierarchy_name, parent_node_id nulls first, tree_order`.execute(
        trx,
      )
    for (const r of rows.rows) group(trees, r.hierarchy_name, r)
  }
  return { lists, sets, directories, trees }
}

function group<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}

/** Rebuilds a tree from its node rows (siblings already in tree_order), iteratively. */
function buildTree(
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

/** Every aspect's stored values: aspect rows in map order, then one pass per value table. */
async function loadAspectValues(
  trx: Executor,
  id: string,
  defs: ReadonlyMap<string, AspectDef>,
): Promise<AspectValues> {
  const out: AspectValues = new Map()
  if (defs.size === 0) return out
  const aspects = await sql<{
    aspect_def_id: string
    entity_id: EntityId
  }>`select aspect_def_id, entity_id from aspect where catalog_id = ${id}::uuid order by aspect_def_id, map_order`.execute(
    trx,
  )
  for (const r of aspects.rows) {
    let byEntity = out.get(r.aspect_def_id)
    if (byEntity === undefined) {
      byEntity = new Map()
      out.set(r.aspect_def_id, byEntity)
    }
    byEntity.set(r.entity_id, new Map())
  }
  if (aspects.rows.length === 0) return out
  // Defs mapped to dedicated tables: their values come from there (one query per def).
  const mapped = await loadDedicatedValues(trx, id, defs, out)
  const types = new Set(
    [...defs.values()]
      .filter((d) => !mapped.has(d.globalId))
      .flatMap((d) => d.propertyDefs().map((p) => p.type)),
  )
  const lists = await sql<{
    aspect_def_id: string
    entity_id: EntityId
    property_name: string
    length: number | null
  }>`select aspect_def_id, entity_id, property_name, length from property_list where catalog_id = ${id}::uuid`.execute(
    trx,
  )
  for (const r of lists.rows) {
    const stored = out.get(r.aspect_def_id)?.get(r.entity_id)
    stored?.set(r.property_name, r.length === null ? null : new Array<ScalarValue>(r.length))
  }
  for (const type of PROPERTY_TYPE_CODES) {
    if (!types.has(type)) continue
    const codec = VALUE_CODECS[type]
    const decode = codec.decode as (raw: unknown, extra?: unknown) => ScalarValue
    const extra = codec.extra === undefined ? sql`null` : sql.id(codec.extra.column)
    const rows = await sql<{
      aspect_def_id: string
      entity_id: EntityId
      property_name: string
      value_index: number
      value: unknown
      extra: unknown
    }>`select aspect_def_id, entity_id, property_name, value_index, value, ${extra} as extra from ${sql.id(codec.table)} where catalog_id = ${id}::uuid`.execute(
      trx,
    )
    // Rows come in physical order, which groups an aspect's values: remember the last target.
    let lastDef = ''
    let lastEntity = ''
    let stored: Map<string, PropertyValue> | undefined
    for (const r of rows.rows) {
      if (r.entity_id !== lastEntity || r.aspect_def_id !== lastDef) {
        lastDef = r.aspect_def_id
        lastEntity = r.entity_id
        stored = out.get(lastDef)?.get(r.entity_id)
      }
      if (stored === undefined) continue
      const value = r.value === null ? null : decode(r.value, r.extra)
      const list = stored.get(r.property_name)
      if (Array.isArray(list)) (list as ScalarValue[])[r.value_index] = value as ScalarValue
      else stored.set(r.property_name, value)
    }
  }
  for (const byEntity of out.values()) {
    for (const stored of byEntity.values()) {
      for (const [name, value] of stored)
        if (Array.isArray(value)) stored.set(name, Object.freeze(value))
    }
  }
  return out
}

import type { DedicatedConnection } from '../connection/held-connection.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { EntityId } from '../../model/entity.ts'
import { AspectAssembler, VALUE_TYPES } from '../store/aspect-values.ts'
import { codecOf } from '../store/codecs/index.ts'
import { preparedName } from '../store/prepared.ts'
import { branch, Kind, valueBranch, type WideRow } from '../store/wide-rows.ts'
import {
  loadVersions,
  findVersion,
  type DefVersionCache,
  type StoredVersion,
} from '../store/def-versions.ts'
import {
  buildCatalog,
  group,
  pinsOf,
  type CatalogRowRead,
  type HierarchyRowRead,
  type LoadedCatalog,
  type TreeRow,
} from './load-catalog.ts'
import type { CallProgress } from './progress.ts'

/**
 * A whole catalog in ONE statement: every table's rows of the catalog in one result (a
 * `UNION ALL` over a wide row, each table's columns in columns of their own SQL type, so the
 * driver's type parsers decode every value exactly as the bulk path's per-table queries do).
 * One statement is one snapshot: no transaction, one round trip. Rows carry their order
 * columns and are put in order here.
 *
 * The bulk path ({@link loadCatalog}) is still used when:
 * - the catalog has more than `maxRows` rows (the statement stops after `maxRows + 1`),
 * - one of its AspectDef versions is stored in a dedicated table (a mapping),
 * - a def version was not cached and was re-stored meanwhile (its generation moved).
 * `undefined` says "use the bulk path"; `null` that no catalog is stored under the id.
 */
export async function loadSmallCatalog(
  connection: Pick<DedicatedConnection, 'db' | 'prepared'>,
  catalogId: string,
  cache: DefVersionCache,
  maxRows: number | undefined,
  progress?: CallProgress,
): Promise<LoadedCatalog | null | undefined> {
  const db = connection.db
  const limit = maxRows === undefined ? null : maxRows + 1
  progress?.restart()
  const rows = await connection.prepared<WideRow>(LOAD_NAME, LOAD_TEXT, [catalogId, limit])
  if (maxRows !== undefined && rows.length > maxRows) return undefined
  // One statement read every table: one event (a bulk load that follows starts over).
  progress?.rows(undefined, rows.length)
  let catalogRow: CatalogRowRead | undefined
  const hierarchies: (HierarchyRowRead & { position: bigint })[] = []
  const aspectRows: WideRow[] = []
  const other: WideRow[] = []
  for (const r of rows) {
    switch (r.k) {
      case Kind.catalog:
        catalogRow = {
          catalog_id: catalogId,
          species: r.t1 as string,
          uri: r.t2,
          upstream_catalog_id: r.u1,
          version_number: r.a as bigint,
          revision: r.o as bigint,
        }
        break
      case Kind.mapped:
        return undefined
      case Kind.hierarchy:
        hierarchies.push({
          name: r.t1 as string,
          hierarchy_type: r.t2 as string,
          version_number: r.a as bigint,
          aspect_def_id: r.u1,
          hierarchy_id: r.c as number,
          version: r.d,
          generation: r.t3,
          position: r.o as bigint,
        })
        break
      case Kind.aspect:
        aspectRows.push(r)
        break
      default:
        other.push(r)
    }
  }
  if (catalogRow === undefined) return null
  hierarchies.sort((x, y) => compare(x.position, y.position))
  const pins = pinsOf(hierarchies)
  const versions = await loadVersions(db, pins, cache)
  const pinned = new Map<string, StoredVersion>()
  for (const p of pins) {
    const version = findVersion(versions, p.defId, p.version)
    // Read after the statement, outside its snapshot: a def deleted meanwhile (gone) or deleted
    // and stored again (another generation) sends the load to the bulk path, which reads both in
    // one snapshot.
    if (version === undefined || version.generation !== p.generation) return undefined
    pinned.set(p.defId, version)
  }
  const assembler = new AspectAssembler()
  aspectRows.sort((x, y) => compare(x.o as bigint, y.o as bigint))
  for (const r of aspectRows) {
    const version = pinned.get(r.u1 as string)
    if (version !== undefined) assembler.register(Number(r.a), version, r.u2 as EntityId)
  }
  const lists = new Map<number, [bigint, EntityId][]>()
  const sets = new Map<number, [bigint, EntityId][]>()
  const directories = new Map<number, [bigint, [string, EntityId]][]>()
  const trees = new Map<number, [bigint, TreeRow][]>()
  // Lists first: a value row of a list fills the array its property_list row made.
  other.sort((x, y) => x.k - y.k)
  for (const r of other) {
    switch (r.k) {
      case Kind.list:
        assembler.list(Number(r.a), r.c as number, r.d)
        break
      case Kind.entityList:
        group(lists, r.c as number, [r.o as bigint, r.u1 as EntityId])
        break
      case Kind.entitySet:
        group(sets, r.c as number, [r.o as bigint, r.u1 as EntityId])
        break
      case Kind.directory:
        group(directories, r.c as number, [r.o as bigint, [r.t1 as string, r.u1 as EntityId]])
        break
      case Kind.treeNode:
        group(trees, r.c as number, [
          r.o as bigint,
          {
            hierarchy_id: r.c as number,
            node_id: r.u1 as string,
            parent_node_id: r.u2,
            node_key: r.t1 as string,
            entity_id: r.u3,
            is_leaf: r.l as boolean,
          },
        ])
        break
      default: {
        const type = VALUE_TYPES[r.k - Kind.firstValue]
        if (type === undefined) break
        const codec = codecOf(type)
        const raw = r[`v_${codec.sqlType}`]
        const extra = codec.extra === undefined ? null : codec.extra.column === 'zone' ? r.xz : r.xs
        assembler.value(Number(r.a), r.c as number, r.d as number, raw, extra)
      }
    }
  }
  const aspects = new Map<string, { def: AspectDef; aspects: Aspect[] }>()
  const defs = new Map([...pinned].map(([defId, v]) => [defId, v.toAspectDef()]))
  for (const r of aspectRows) {
    const def = defs.get(r.u1 as string)
    if (def === undefined) continue
    let entry = aspects.get(r.u1 as string)
    if (entry === undefined) {
      entry = { def, aspects: [] }
      aspects.set(r.u1 as string, entry)
    }
    entry.aspects.push(assembler.build(Number(r.a), def) as Aspect)
  }
  return buildCatalog(catalogRow, hierarchies, pinned, aspects, {
    lists: ordered(lists),
    sets: ordered(sets),
    directories: ordered(directories),
    trees: ordered(trees),
  })
}

function compare(x: bigint, y: bigint): number {
  return x < y ? -1 : x > y ? 1 : 0
}

function ordered<V>(groups: Map<number, [bigint, V][]>): Map<number, V[]> {
  const out = new Map<number, V[]>()
  for (const [id, list] of groups) {
    list.sort((x, y) => compare(x[0], y[0]))
    out.set(
      id,
      list.map((e) => e[1]),
    )
  }
  return out
}

/**
 * The statement, built once: `$1` is the catalog id, `$2` the row limit (null: none). `c` is the
 * live catalog row (an expired one is absent, as everywhere); every branch joins it, so an
 * absent catalog costs one index probe.
 */
function statement(): string {
  const live = `c as materialized (select catalog_id, species, uri, upstream_catalog_id, version_number, revision from catalog where catalog_id = `
  const rest = ` and (expires_at is null or expires_at > now()))`
  // Each table is also filtered by the id itself, not only through `c`: that is what lets Citus
  // route the whole statement to the one worker holding the catalog (a router plan); a
  // materialized CTE hides the constant from its planner. Same rows on a single node.
  const join = (table: string) =>
    `from c join ${table} t on t.catalog_id = c.catalog_id and t.catalog_id = $1::uuid`
  const branches = [
    branch(
      Kind.catalog,
      {
        a: 'c.version_number',
        o: 'c.revision',
        t1: 'c.species',
        t2: 'c.uri',
        u1: 'c.upstream_catalog_id',
      },
      'from c',
    ),
    branch(
      Kind.hierarchy,
      {
        a: 't.version_number',
        o: 't.position',
        c: 't.hierarchy_id',
        d: 'p.version',
        t1: 't.name',
        t2: 't.hierarchy_type',
        t3: 'd.xmin::text',
        u1: 't.aspect_def_id',
      },
      `${join('hierarchy')} left join catalog_aspect_def p on p.catalog_id = t.catalog_id and p.aspect_def_id = t.aspect_def_id left join aspect_def d on d.aspect_def_id = p.aspect_def_id`,
    ),
    // A version stored in a dedicated table: the bulk path reads it (one row says so).
    branch(
      Kind.mapped,
      {},
      'from c where exists (select 1 from catalog_aspect_def p join aspect_table_mapping m on m.aspect_def_id = p.aspect_def_id and m.version = p.version where p.catalog_id = c.catalog_id and p.catalog_id = $1::uuid)',
    ),
    branch(
      Kind.aspect,
      { a: 't.aspect_id', o: 't.map_order', u1: 't.aspect_def_id', u2: 't.entity_id' },
      join('aspect'),
    ),
    branch(
      Kind.list,
      { a: 't.aspect_id', c: 't.property_id', d: 't.length' },
      join('property_list'),
    ),
    branch(
      Kind.entityList,
      { c: 't.hierarchy_id', o: 't.list_order', u1: 't.entity_id' },
      join('hierarchy_entity_list'),
    ),
    branch(
      Kind.entitySet,
      { c: 't.hierarchy_id', o: 't.set_order', u1: 't.entity_id' },
      join('hierarchy_entity_set'),
    ),
    branch(
      Kind.directory,
      { c: 't.hierarchy_id', o: 't.dir_order', t1: 't.entity_key', u1: 't.entity_id' },
      join('hierarchy_entity_directory'),
    ),
    branch(
      Kind.treeNode,
      {
        c: 't.hierarchy_id',
        o: 't.tree_order',
        t1: 't.node_key',
        u1: 't.node_id',
        u2: 't.parent_node_id',
        u3: 't.entity_id',
        l: 't.is_leaf',
      },
      join('hierarchy_entity_tree_node'),
    ),
    ...VALUE_TYPES.map((type, i) => valueBranch(i, codecOf(type), join)),
  ]
  return `with ${live}$1::uuid${rest} select * from (${branches.join(' union all ')}) rows limit $2::int8`
}

const LOAD_TEXT = statement()
/** Named after its text: a connection never holds two texts under one name. */
const LOAD_NAME = preparedName('cheap_load_catalog', LOAD_TEXT)

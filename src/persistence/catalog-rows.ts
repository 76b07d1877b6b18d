import { Aspect, checkRequiredProperties, isRequired } from '../model/aspect.ts'
import type { AspectDef } from '../model/aspect-def.ts'
import type { Catalog } from '../model/catalog.ts'
import type { Hierarchy } from '../model/hierarchy/index.ts'
import {
  PROPERTY_TYPE_CODES,
  type PropertyTypeCode,
  type ScalarValue,
} from '../model/property-type.ts'
import type { ColumnData } from './store/bulk-write.ts'
import type { DedicatedRows } from './mapping/dedicated-rows.ts'
import { VALUE_CODECS } from './store/value-codecs.ts'

/** Column-major rows for one value table: keys, value, and the DAT/BGF extra column. */
export interface ValueRows {
  readonly defIds: string[]
  readonly entityIds: string[]
  readonly names: string[]
  readonly indexes: number[]
  readonly values: unknown[]
  readonly extras: unknown[]
}

function newValueRows(): ValueRows {
  return { defIds: [], entityIds: [], names: [], indexes: [], values: [], extras: [] }
}

export function valueColumns(type: PropertyTypeCode, rows: ValueRows): ColumnData {
  const base: unknown[][] = [rows.defIds, rows.entityIds, rows.names, rows.indexes, rows.values]
  return VALUE_CODECS[type].extra === undefined ? base : [...base, rows.extras]
}

/** Everything a save writes for the hierarchies it covers, already encoded for the driver. */
export interface ContentRows {
  readonly entities: Set<string>
  readonly lists: ColumnData
  readonly sets: ColumnData
  readonly directories: ColumnData
  readonly treeNodes: ColumnData
  readonly aspects: ColumnData
  readonly propertyLists: ColumnData
  readonly values: Map<PropertyTypeCode, ValueRows>
  rowCount: number
  /** Values of AspectDefs mapped to dedicated tables (mapping/dedicated-rows.ts), if attached. */
  readonly dedicated?: DedicatedRows
}

export function newContentRows(dedicated?: DedicatedRows): ContentRows {
  return {
    ...(dedicated === undefined ? {} : { dedicated }),
    entities: new Set(),
    lists: [[], [], []],
    sets: [[], [], []],
    directories: [[], [], [], []],
    treeNodes: [[], [], [], [], [], [], [], []],
    aspects: [[], [], []],
    propertyLists: [[], [], [], [], []],
    values: new Map(PROPERTY_TYPE_CODES.map((t) => [t, newValueRows()])),
    rowCount: 0,
  }
}

function push(data: ColumnData, ...row: unknown[]): void {
  for (let i = 0; i < row.length; i++) (data[i] as unknown[]).push(row[i])
}

/** Adds the content rows of one hierarchy (tree, list, …, or an AspectMap's aspects). */
export function addHierarchyRows(out: ContentRows, hierarchy: Hierarchy): void {
  const name = hierarchy.name
  switch (hierarchy.type) {
    case 'EL': {
      let i = 0
      for (const id of hierarchy) {
        push(out.lists, name, i++, id)
        out.entities.add(id)
      }
      out.rowCount += i
      return
    }
    case 'ES': {
      let i = 0
      for (const id of hierarchy) {
        push(out.sets, name, id, i++)
        out.entities.add(id)
      }
      out.rowCount += i
      return
    }
    case 'ED': {
      let i = 0
      for (const [key, id] of hierarchy.entries()) {
        push(out.directories, name, key, id, i++)
        out.entities.add(id)
      }
      out.rowCount += i
      return
    }
    case 'ET': {
      const siblingIndex = new Map<string, number>()
      for (const [path, node, parent] of hierarchy.walk()) {
        const key = path.slice(path.lastIndexOf('/') + 1)
        let order = 0
        if (parent !== null) {
          order = siblingIndex.get(parent.id) ?? 0
          siblingIndex.set(parent.id, order + 1)
        }
        push(
          out.treeNodes,
          name,
          node.id,
          parent?.id ?? null,
          key,
          path,
          order,
          node.entityId,
          node.isLeaf,
        )
        if (node.entityId !== null) out.entities.add(node.entityId)
        out.rowCount++
      }
      return
    }
    case 'AM':
      addAspectRows(out, hierarchy.aspectDef, hierarchy.aspects(), 0)
      return
  }
}

/**
 * Adds aspect rows and their property rows. `firstOrder` is the map_order of the first aspect
 * (0 for a whole map). Values are read without access checks: saving needs no read right.
 */
export function addAspectRows(
  out: ContentRows,
  def: AspectDef,
  aspects: Iterable<Aspect>,
  firstOrder: number,
): void {
  const props = def.propertyDefs()
  let order = firstOrder
  const checkRequired = props.some(isRequired)
  for (const aspect of aspects) {
    // Before any statement: a def that gained a required property leaves older aspects without it.
    if (checkRequired) checkRequiredProperties(aspect)
    const entityId = aspect.entityId
    push(out.aspects, def.globalId, entityId, order++)
    out.entities.add(entityId)
    out.rowCount++
    // A mapped def's values go to its dedicated table (one row per aspect) instead.
    if (out.dedicated?.add(def, aspect) === true) continue
    const stored = Aspect.stored(aspect)
    if (stored.size === 0) continue
    for (const prop of props) {
      if (!stored.has(prop.name)) continue
      const value = stored.get(prop.name)
      const codec = VALUE_CODECS[prop.type]
      const rows = out.values.get(prop.type) as ValueRows
      if (prop.isMultivalued) {
        const list = value as readonly ScalarValue[] | null
        push(
          out.propertyLists,
          def.globalId,
          entityId,
          prop.name,
          prop.type,
          list === null ? null : list.length,
        )
        out.rowCount++
        if (list === null) continue
        for (let i = 0; i < list.length; i++) {
          addValue(rows, def.globalId, entityId, prop.name, i, list[i] as ScalarValue, codec)
        }
        out.rowCount += list.length
      } else {
        addValue(rows, def.globalId, entityId, prop.name, 0, value as ScalarValue | null, codec)
        out.rowCount++
      }
    }
  }
}

function addValue(
  rows: ValueRows,
  defId: string,
  entityId: string,
  name: string,
  index: number,
  value: ScalarValue | null,
  codec: (typeof VALUE_CODECS)[PropertyTypeCode],
): void {
  rows.defIds.push(defId)
  rows.entityIds.push(entityId)
  rows.names.push(name)
  rows.indexes.push(index)
  if (value === null) {
    rows.values.push(null)
    rows.extras.push(null)
    return
  }
  const encode = codec.encode as (v: ScalarValue) => unknown
  rows.values.push(encode(value))
  const encodeExtra = codec.encodeExtra as ((v: ScalarValue) => unknown) | undefined
  rows.extras.push(encodeExtra === undefined ? null : encodeExtra(value))
}

/** The catalog row and the ordered def/hierarchy rows of a catalog. */
export function catalogHeaderRows(catalog: Catalog): {
  readonly catalogAspectDefs: ColumnData
  readonly hierarchies: ColumnData
} {
  const catalogAspectDefs: ColumnData = [[], []]
  let position = 0
  for (const def of catalog.aspectDefs()) push(catalogAspectDefs, def.globalId, position++)
  const hierarchies: ColumnData = [[], [], [], [], []]
  position = 0
  for (const h of catalog.hierarchies()) {
    push(
      hierarchies,
      h.name,
      h.type,
      position++,
      h.version,
      h.type === 'AM' ? h.aspectDef.globalId : null,
    )
  }
  return { catalogAspectDefs, hierarchies }
}

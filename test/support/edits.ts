/**
 * Random edits of a catalog, for "modify a loaded catalog, save, reload" tests.
 *
 * Edits are generated from a catalog (to know its hierarchies, defs and property types) but
 * name their targets by hierarchy name, property name and position, so they apply to any
 * catalog equal to it, e.g. the copy loaded from the database. Positions are taken modulo the
 * current size, and an edit whose target has gone (an earlier edit removed it) is skipped.
 *
 * Edits respect the model: values of non-writable defs or properties are changed by rebuilding
 * the aspect with `restoreAspect` (as an importer would) instead of through `aspect.set`, and
 * `unset` is used only where the def allows it.
 *
 * @example
 * ```ts
 * assertProperty(fc.asyncProperty(catalogWithEditsArb(), async ([catalog, edits]) => {
 *   await dao.saveCatalog(catalog)
 *   const loaded = await dao.loadCatalog(catalog.globalId)
 *   applyEdits(loaded, edits)
 *   applyEdits(catalog, edits)
 *   await dao.saveCatalog(loaded)
 *   assert.equal(catalogDiff(await dao.loadCatalog(catalog.globalId), catalog), undefined)
 * }))
 * ```
 */
import fc from 'fast-check'
import {
  Aspect,
  isRequired,
  restoreAspect,
  toEntityId,
  type AspectDef,
  type AspectMap,
  type Catalog,
  type EntityId,
  type Hierarchy,
  type PropertyValue,
  type TreeNode,
} from '../../src/model/index.ts'
import { catalogArb, type CatalogArbOptions } from './catalog-arbitraries.ts'
import { nameArb, propertyValueFor } from './def-arbitraries.ts'
import {
  aspectValuesArb,
  buildEntityHierarchy,
  entityHierarchyPlanArb,
  versionArb,
  type AspectValuesPlan,
} from './hierarchy-arbitraries.ts'
import { uriValue } from './value-arbitraries.ts'

/** One edit; `apply` returns false when its target no longer exists and nothing changed. */
export interface CatalogEdit {
  readonly description: string
  apply(catalog: Catalog): boolean
}

function edit(description: string, apply: (catalog: Catalog) => boolean): CatalogEdit {
  const value: CatalogEdit = { description, apply }
  Object.defineProperty(value, fc.toStringMethod, { value: () => `edit(${description})` })
  return value
}

/** Applies edits in order; returns how many applied (the others were skipped). */
export function applyEdits(catalog: Catalog, edits: readonly CatalogEdit[]): number {
  let applied = 0
  for (const e of edits) if (e.apply(catalog)) applied++
  return applied
}

/** Every entity id a catalog's hierarchies mention, in first-seen order. */
export function catalogEntityIds(catalog: Catalog): EntityId[] {
  const ids = new Set<EntityId>()
  for (const h of catalog.hierarchies()) {
    switch (h.type) {
      case 'EL':
      case 'ES':
        for (const id of h) ids.add(id)
        break
      case 'ED':
        for (const [, id] of h) ids.add(id)
        break
      case 'ET':
        for (const [, node] of h.walk()) if (node.entityId !== null) ids.add(node.entityId)
        break
      case 'AM':
        for (const id of h.entityIds()) ids.add(id)
        break
    }
  }
  return [...ids]
}

const position = fc.nat({ max: 10_000 })
const show = (value: unknown): string => {
  const text = fc.stringify(value)
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

function at<T>(items: Iterable<T>, index: number): T | undefined {
  const list = [...items]
  return list.length === 0 ? undefined : list[index % list.length]
}

function typed<T extends Hierarchy['type']>(
  catalog: Catalog,
  name: string,
  type: T,
): Extract<Hierarchy, { type: T }> | undefined {
  const h = catalog.hierarchy(name)
  return h?.type === type ? (h as Extract<Hierarchy, { type: T }>) : undefined
}

// ---- catalog-level edits -------------------------------------------------------------------

function catalogEdits(entities: fc.Arbitrary<EntityId>): fc.Arbitrary<CatalogEdit>[] {
  return [
    versionArb.map((v) =>
      edit(`catalog.version = ${v}n`, (c) => {
        c.version = v
        return true
      }),
    ),
    fc.option(uriValue, { nil: null }).map((uri) =>
      edit(`catalog.uri = ${show(uri)}`, (c) => {
        c.uri = uri
        return true
      }),
    ),
    fc
      .tuple(nameArb, fc.constantFrom('EL' as const, 'ES' as const, 'ED' as const, 'ET' as const))
      .chain(([name, type]) =>
        fc.tuple(
          fc.constant(`added ${name}`),
          entityHierarchyPlanArb(type),
          fc.array(entities, { maxLength: 8 }),
        ),
      )
      .map(([name, plan, pool]) =>
        edit(`add or replace ${plan.type} ${show(name)}`, (c) => {
          if (c.hierarchy(name)?.type === 'AM') return false
          c.addHierarchy(buildEntityHierarchy(name, plan, pool))
          return true
        }),
      ),
  ]
}

function hierarchyEdits(
  h: Hierarchy,
  entities: fc.Arbitrary<EntityId>,
): fc.Arbitrary<CatalogEdit>[] {
  const name = h.name
  const common = [
    versionArb.map((v) =>
      edit(`${show(name)}.version = ${v}n`, (c) => {
        const target = c.hierarchy(name)
        if (target === undefined) return false
        target.version = v
        return true
      }),
    ),
    fc.constant(edit(`remove hierarchy ${show(name)}`, (c) => c.removeHierarchy(name))),
  ]
  switch (h.type) {
    case 'EL':
      return [...common, ...listEdits(name, entities)]
    case 'ES':
      return [...common, ...setEdits(name, entities)]
    case 'ED':
      return [...common, ...directoryEdits(name, entities)]
    case 'ET':
      return [...common, ...treeEdits(name, entities)]
    case 'AM':
      return [...common, ...aspectMapEdits(h, entities)]
  }
}

// ---- entity hierarchies ----------------------------------------------------------------------

function listEdits(name: string, entities: fc.Arbitrary<EntityId>): fc.Arbitrary<CatalogEdit>[] {
  return [
    position.map((i) =>
      edit(`${show(name)}.removeAt(${i} mod size)`, (c) => {
        const list = typed(c, name, 'EL')
        if (list === undefined || list.size === 0) return false
        list.removeAt(i % list.size)
        return true
      }),
    ),
    fc.tuple(position, entities).map(([i, id]) =>
      edit(`${show(name)}.insert(${i} mod size+1, ${id})`, (c) => {
        const list = typed(c, name, 'EL')
        if (list === undefined) return false
        list.insert(i % (list.size + 1), id)
        return true
      }),
    ),
    fc.array(entities, { minLength: 1, maxLength: 4 }).map((ids) =>
      edit(`${show(name)}.add(${ids.join(', ')})`, (c) => {
        const list = typed(c, name, 'EL')
        if (list === undefined) return false
        list.add(...ids)
        return true
      }),
    ),
  ]
}

function setEdits(name: string, entities: fc.Arbitrary<EntityId>): fc.Arbitrary<CatalogEdit>[] {
  return [
    position.map((i) =>
      edit(`${show(name)}.delete(member ${i} mod size)`, (c) => {
        const set = typed(c, name, 'ES')
        const id = set === undefined ? undefined : at(set, i)
        return set !== undefined && id !== undefined && set.delete(id)
      }),
    ),
    fc.array(entities, { minLength: 1, maxLength: 4 }).map((ids) =>
      edit(`${show(name)}.add(${ids.join(', ')})`, (c) => {
        const set = typed(c, name, 'ES')
        if (set === undefined) return false
        set.add(...ids)
        return true
      }),
    ),
  ]
}

function directoryEdits(
  name: string,
  entities: fc.Arbitrary<EntityId>,
): fc.Arbitrary<CatalogEdit>[] {
  return [
    position.map((i) =>
      edit(`${show(name)}.delete(key ${i} mod size)`, (c) => {
        const dir = typed(c, name, 'ED')
        const key = dir === undefined ? undefined : at(dir.keys(), i)
        return dir !== undefined && key !== undefined && dir.delete(key)
      }),
    ),
    fc.tuple(nameArb, entities).map(([key, id]) =>
      edit(`${show(name)}.set(${show(key)}, ${id})`, (c) => {
        const dir = typed(c, name, 'ED')
        if (dir === undefined) return false
        dir.set(key, id)
        return true
      }),
    ),
    fc.tuple(position, entities).map(([i, id]) =>
      edit(`${show(name)}.set(key ${i} mod size, ${id}) overwriting`, (c) => {
        const dir = typed(c, name, 'ED')
        const key = dir === undefined ? undefined : at(dir.keys(), i)
        if (dir === undefined || key === undefined) return false
        dir.set(key, id)
        return true
      }),
    ),
  ]
}

function nodes(c: Catalog, name: string): [string, TreeNode, TreeNode | null][] {
  const tree = typed(c, name, 'ET')
  return tree === undefined ? [] : [...tree.walk()]
}

function treeEdits(name: string, entities: fc.Arbitrary<EntityId>): fc.Arbitrary<CatalogEdit>[] {
  return [
    position.map((i) =>
      edit(`${show(name)}: remove the subtree at node ${i} mod (nodes - 1)`, (c) => {
        const target = at(nodes(c, name).slice(1), i)
        if (target === undefined) return false
        const [path, , parent] = target
        return parent !== null && parent.removeChild(path.slice(path.lastIndexOf('/') + 1))
      }),
    ),
    fc
      .tuple(position, nameArb, fc.option(entities, { nil: null }), fc.boolean())
      .map(([i, child, id, isLeaf]) =>
        edit(
          `${show(name)}: add child ${show(child)} (${String(id)}, leaf ${isLeaf}) under node ${i}`,
          (c) => {
            const parent = at(
              nodes(c, name)
                .map(([, node]) => node)
                .filter((node) => !node.isLeaf),
              i,
            )
            if (parent === undefined) return false
            let unique = child.replaceAll('/', '_')
            while (parent.child(unique) !== undefined) unique += '+'
            parent.addChild(unique, { entityId: id, isLeaf })
            return true
          },
        ),
      ),
    fc.tuple(position, fc.option(entities, { nil: null })).map(([i, id]) =>
      edit(`${show(name)}: node ${i} mod nodes gets entity ${String(id)}`, (c) => {
        const target = at(nodes(c, name), i)
        if (target === undefined) return false
        target[1].entityId = id
        return true
      }),
    ),
  ]
}

// ---- aspect maps ---------------------------------------------------------------------------

/** Stores `values` (undefined: absent) in the aspect, through the checked API when allowed. */
function write(
  map: AspectMap,
  aspect: Aspect,
  changes: ReadonlyMap<string, PropertyValue | undefined>,
): boolean {
  const def: AspectDef = map.aspectDef
  const checked = [...changes.entries()].every(([property, value]) => {
    const p = def.propertyDef(property)
    return (
      p !== undefined &&
      def.isWritable &&
      p.isWritable &&
      (value !== undefined || def.canRemoveProperties)
    )
  })
  if (checked) {
    for (const [property, value] of changes) {
      if (value === undefined) aspect.unset(property)
      else aspect.set(property, value)
    }
    return true
  }
  const stored = new Map(Aspect.stored(aspect))
  for (const [property, value] of changes) {
    if (!def.hasProperty(property)) return false
    if (value === undefined) stored.delete(property)
    else stored.set(property, value)
  }
  map.add(restoreAspect(def, aspect.entityId, stored))
  return true
}

function aspectMapEdits(
  map: AspectMap,
  entities: fc.Arbitrary<EntityId>,
): fc.Arbitrary<CatalogEdit>[] {
  const name = map.name
  const def = map.aspectDef
  const target = (c: Catalog, i: number): [AspectMap, Aspect] | undefined => {
    const m = c.aspects(name)
    const aspect = m === undefined ? undefined : at(m.aspects(), i)
    return m === undefined || aspect === undefined ? undefined : [m, aspect]
  }
  const edits: fc.Arbitrary<CatalogEdit>[] = [
    position.map((i) =>
      edit(`${show(name)}: remove aspect ${i} mod size`, (c) => {
        const t = target(c, i)
        return t !== undefined && t[0].delete(t[1].entityId)
      }),
    ),
    fc
      .tuple(fc.oneof(entities, fc.uuid().map(toEntityId)), aspectValuesArb(def.propertyDefs()))
      .map(([id, values]: [EntityId, AspectValuesPlan]) =>
        edit(`${show(name)}: add or replace the aspect of ${id} with ${show(values)}`, (c) => {
          const m = c.aspects(name)
          if (m === undefined) return false
          m.add(restoreAspect(m.aspectDef, id, new Map(values)))
          return true
        }),
      ),
  ]
  for (const p of def.propertyDefs()) {
    const property = p.name
    edits.push(
      fc
        .tuple(
          position,
          propertyValueFor({ type: p.type, isNullable: false, isMultivalued: p.isMultivalued }),
        )
        .map(([i, value]) =>
          edit(`${show(name)}: aspect ${i} mod size, ${show(property)} = ${show(value)}`, (c) => {
            const t = target(c, i)
            return t !== undefined && write(t[0], t[1], new Map([[property, value]]))
          }),
        ),
    )
    if (p.isNullable) {
      edits.push(
        position.map((i) =>
          edit(`${show(name)}: aspect ${i} mod size, ${show(property)} = null`, (c) => {
            const t = target(c, i)
            return t !== undefined && write(t[0], t[1], new Map([[property, null]]))
          }),
        ),
      )
    }
    // A required property (non-nullable, no default) can never be made absent.
    if (def.canRemoveProperties && def.isWritable && p.isWritable && !isRequired(p)) {
      edits.push(
        position.map((i) =>
          edit(`${show(name)}: aspect ${i} mod size, unset ${show(property)}`, (c) => {
            const t = target(c, i)
            return t !== undefined && write(t[0], t[1], new Map([[property, undefined]]))
          }),
        ),
      )
    }
  }
  return edits
}

// ---- entry points --------------------------------------------------------------------------

export interface CatalogEditOptions {
  /** Default 1. */
  readonly minEdits?: number
  /** Default 8. */
  readonly maxEdits?: number
}

/**
 * Random edits for `catalog` (and any catalog equal to it): remove list items, set members,
 * directory keys, tree subtrees, aspects and whole hierarchies (AspectMaps included); change,
 * null and unset values; add aspects, entities and tree nodes; change versions and the uri; add
 * or replace entity hierarchies.
 */
export function catalogEditArb(
  catalog: Catalog,
  options: CatalogEditOptions = {},
): fc.Arbitrary<CatalogEdit[]> {
  const known = catalogEntityIds(catalog)
  const entities: fc.Arbitrary<EntityId> =
    known.length === 0
      ? fc.uuid().map(toEntityId)
      : fc.oneof(
          { arbitrary: fc.constantFrom(...known), weight: 3 },
          { arbitrary: fc.uuid().map(toEntityId), weight: 1 },
        )
  const kinds = [
    ...catalogEdits(entities),
    ...[...catalog.hierarchies()].flatMap((h) => hierarchyEdits(h, entities)),
  ]
  return fc.array(fc.oneof(...kinds), {
    minLength: options.minEdits ?? 1,
    maxLength: options.maxEdits ?? 8,
  })
}

/** A generated catalog with edits for it (see {@link catalogArb} and {@link catalogEditArb}). */
export function catalogWithEditsArb(
  options: CatalogArbOptions & CatalogEditOptions = {},
): fc.Arbitrary<[Catalog, CatalogEdit[]]> {
  return catalogArb(options).chain((catalog) =>
    fc.tuple(fc.constant(catalog), catalogEditArb(catalog, options)),
  )
}

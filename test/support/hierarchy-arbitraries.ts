/**
 * Arbitraries for aspects and the five hierarchy types. Each hierarchy is generated as a plain
 * *plan* (entity positions in a pool, names, values) and then built, so a catalog can be
 * rebuilt identically from its plan and fast-check prints and shrinks plans well.
 */
import fc from 'fast-check'
import {
  AspectMap,
  EntityDirectory,
  EntityList,
  EntitySet,
  EntityTree,
  restoreAspect,
  toEntityId,
  type Aspect,
  type AspectDef,
  type EntityId,
  type PropertyDef,
  type PropertyValue,
  type TreeNode,
} from '../../src/model/index.ts'
import { nameArb, propertyValueFor } from './def-arbitraries.ts'
import { intValue } from './value-arbitraries.ts'

/** A hierarchy or catalog version: often 0, else any int64. */
export const versionArb: fc.Arbitrary<bigint> = fc.oneof(
  { arbitrary: fc.constant(0n), weight: 2 },
  { arbitrary: intValue, weight: 1 },
)

/** A position in the shared entity pool; resolved modulo the pool size. */
const slot = fc.nat({ max: 1000 })

/** The stored values of one aspect as entries, in def order; absent properties are left out. */
export type AspectValuesPlan = readonly (readonly [string, PropertyValue])[]

/**
 * Stored values for an aspect of a def with these properties: each property is independently
 * absent, null (when nullable), a value, or explicitly its default (when it has one).
 */
export function aspectValuesArb(
  properties: readonly PropertyDef[],
): fc.Arbitrary<AspectValuesPlan> {
  const perProperty = properties.map((p) => {
    // A required property (non-nullable, no default) is never absent.
    const options: fc.Arbitrary<PropertyValue | undefined>[] = [
      ...(p.isNullable || p.hasDefaultValue ? [fc.constant(undefined)] : []),
      propertyValueFor(p),
    ]
    if (p.isNullable) options.push(fc.constant(null))
    if (p.hasDefaultValue) options.push(fc.constant(p.defaultValue as PropertyValue))
    return fc.oneof(...options)
  })
  return fc
    .tuple(...perProperty)
    .map((values) =>
      properties.flatMap((p, i): [string, PropertyValue][] =>
        values[i] === undefined ? [] : [[p.name, values[i]]],
      ),
    )
}

/** Builds an aspect from stored values without access checks (non-writable defs included). */
export function buildAspect(def: AspectDef, entityId: EntityId, values: AspectValuesPlan): Aspect {
  return restoreAspect(def, entityId, new Map(values))
}

/** An aspect of `def` for one of `entityIds` (a fresh entity when the list is empty). */
export function aspectArb(def: AspectDef, entityIds: readonly EntityId[]): fc.Arbitrary<Aspect> {
  const entity = entityIds.length === 0 ? fc.uuid().map(toEntityId) : fc.constantFrom(...entityIds)
  return fc
    .tuple(entity, aspectValuesArb(def.propertyDefs()))
    .map(([id, values]) => buildAspect(def, id, values))
}

// ---- plans -------------------------------------------------------------------------------

export interface ListPlan {
  readonly type: 'EL' | 'ES'
  readonly version: bigint
  readonly items: readonly number[]
}
export interface DirectoryPlan {
  readonly type: 'ED'
  readonly version: bigint
  readonly entries: readonly (readonly [string, number])[]
}
export interface TreeNodePlan {
  /** How the parent is chosen: the previous node, the previous node's parent, or any earlier. */
  readonly parent: 'previous' | 'sibling' | number
  readonly name: string
  readonly entity: number | null
  /** Becomes a leaf when nothing ends up under it. */
  readonly leaf: boolean
}
export interface TreePlan {
  readonly type: 'ET'
  readonly version: bigint
  readonly rootEntity: number | null
  readonly nodes: readonly TreeNodePlan[]
}
export type EntityHierarchyPlan = ListPlan | DirectoryPlan | TreePlan

export interface HierarchySizes {
  /** Default 12. */
  readonly maxItems?: number
  /** Default 40. */
  readonly maxTreeNodes?: number
}

const directoryKey: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: nameArb, weight: 8 },
  { arbitrary: fc.constantFrom('', ' ', '/a/b', 'ключ', '🔑'), weight: 1 },
)

const nodeName: fc.Arbitrary<string> = nameArb.map((n) => n.replaceAll('/', '_'))

const maybeEntity = fc.option(slot, { nil: null, freq: 3 })

/** The deepest level a generated tree node sits at (the root is level 0). */
export const MAX_TREE_DEPTH = 12

function treeNodeArb(parent: fc.Arbitrary<TreeNodePlan['parent']>): fc.Arbitrary<TreeNodePlan> {
  return fc.record({ parent, name: nodeName, entity: maybeEntity, leaf: fc.boolean() })
}

/** Small bushy trees mostly; sometimes big ones, sometimes a chain down to the depth limit. */
function treeNodesArb(maxNodes: number): fc.Arbitrary<TreeNodePlan[]> {
  const anyNode = treeNodeArb(
    fc.oneof(
      { arbitrary: fc.constant<'previous'>('previous'), weight: 3 },
      { arbitrary: fc.constant<'sibling'>('sibling'), weight: 3 },
      { arbitrary: fc.nat(), weight: 2 },
    ),
  )
  const chainNode = treeNodeArb(
    fc.oneof(
      { arbitrary: fc.constant<'previous'>('previous'), weight: 8 },
      { arbitrary: fc.constant<'sibling'>('sibling'), weight: 1 },
    ),
  )
  return fc.oneof(
    { arbitrary: fc.array(anyNode, { maxLength: maxNodes }), weight: 4 },
    { arbitrary: fc.array(anyNode, { maxLength: maxNodes, size: 'max' }), weight: 1 },
    {
      arbitrary: fc.array(chainNode, {
        minLength: Math.min(MAX_TREE_DEPTH + 2, maxNodes),
        maxLength: maxNodes,
      }),
      weight: 1,
    },
  )
}

export function entityHierarchyPlanArb(
  type: 'EL' | 'ES' | 'ED' | 'ET',
  sizes: HierarchySizes = {},
): fc.Arbitrary<EntityHierarchyPlan> {
  const maxItems = sizes.maxItems ?? 12
  switch (type) {
    case 'EL':
    case 'ES':
      return fc.record({
        type: fc.constant(type),
        version: versionArb,
        // Few distinct slots in an EL make duplicates common.
        items: fc.array(fc.oneof(fc.nat(3), slot), { maxLength: maxItems }),
      })
    case 'ED':
      return fc.record({
        type: fc.constant(type),
        version: versionArb,
        entries: fc.uniqueArray(fc.tuple(directoryKey, fc.oneof(fc.nat(2), slot)), {
          maxLength: maxItems,
          selector: ([key]) => key,
        }),
      })
    case 'ET':
      return fc.record({
        type: fc.constant(type),
        version: versionArb,
        rootEntity: maybeEntity,
        nodes: treeNodesArb(sizes.maxTreeNodes ?? 40),
      })
  }
}

function resolve(pool: readonly EntityId[], index: number | null): EntityId | null {
  return index === null || pool.length === 0 ? null : (pool[index % pool.length] as EntityId)
}

/** Builds the hierarchy of a plan over an entity pool (empty pool: no entities). */
export function buildEntityHierarchy(
  name: string,
  plan: EntityHierarchyPlan,
  pool: readonly EntityId[],
): EntityList | EntitySet | EntityDirectory | EntityTree {
  const options = { version: plan.version }
  const ids = (items: readonly number[]): EntityId[] => items.flatMap((i) => resolve(pool, i) ?? [])
  switch (plan.type) {
    case 'EL':
      return new EntityList(name, options).add(...ids(plan.items))
    case 'ES':
      return new EntitySet(name, options).add(...ids(plan.items))
    case 'ED': {
      const directory = new EntityDirectory(name, options)
      for (const [key, i] of plan.entries) {
        const id = resolve(pool, i)
        if (id !== null) directory.set(key, id)
      }
      return directory
    }
    case 'ET':
      return buildTree(name, plan, pool)
  }
}

function buildTree(name: string, plan: TreePlan, pool: readonly EntityId[]): EntityTree {
  // Decide every node's parent first, so a node is a leaf only when nothing hangs below it.
  const parents: number[] = [-1]
  const depths: number[] = [0]
  plan.nodes.forEach((node, k) => {
    const index = k + 1
    let parent =
      node.parent === 'previous'
        ? index - 1
        : node.parent === 'sibling'
          ? Math.max(0, parents[index - 1] ?? 0)
          : node.parent % index
    while ((depths[parent] ?? 0) >= MAX_TREE_DEPTH) parent = parents[parent] ?? 0
    parents.push(parent)
    depths.push((depths[parent] ?? 0) + 1)
  })
  const hasChildren = new Set(parents.slice(1))
  const tree = new EntityTree(name, {
    version: plan.version,
    rootEntityId: resolve(pool, plan.rootEntity),
  })
  const built: TreeNode[] = [tree.root]
  plan.nodes.forEach((node, k) => {
    const index = k + 1
    const parent = built[parents[index] as number] as TreeNode
    let childName = node.name
    for (let n = 2; parent.child(childName) !== undefined; n++) childName = `${node.name}~${n}`
    built.push(
      parent.addChild(childName, {
        entityId: resolve(pool, node.entity),
        isLeaf: node.leaf && !hasChildren.has(index),
      }),
    )
  })
  return tree
}

// ---- standalone hierarchy arbitraries ------------------------------------------------------

export interface StandaloneOptions extends HierarchySizes {
  /** Default: a generated name. */
  readonly name?: string
}

function standalone<H>(
  type: 'EL' | 'ES' | 'ED' | 'ET',
  entityIds: readonly EntityId[],
  options: StandaloneOptions,
): fc.Arbitrary<H> {
  const name = options.name === undefined ? nameArb : fc.constant(options.name)
  return fc
    .tuple(name, entityHierarchyPlanArb(type, options))
    .map(([n, plan]) => buildEntityHierarchy(n, plan, entityIds) as H)
}

/** EL over `entityIds`: empty lists, duplicates, any order. */
export function entityListArb(
  entityIds: readonly EntityId[],
  options: StandaloneOptions = {},
): fc.Arbitrary<EntityList> {
  return standalone('EL', entityIds, options)
}

/** ES over `entityIds`, in a random insertion order. */
export function entitySetArb(
  entityIds: readonly EntityId[],
  options: StandaloneOptions = {},
): fc.Arbitrary<EntitySet> {
  return standalone('ES', entityIds, options)
}

/** ED over `entityIds`: unicode keys (the empty key too), several keys for one entity, empty. */
export function entityDirectoryArb(
  entityIds: readonly EntityId[],
  options: StandaloneOptions = {},
): fc.Arbitrary<EntityDirectory> {
  return standalone('ED', entityIds, options)
}

/**
 * ET over `entityIds`: empty trees, deep chains (up to {@link MAX_TREE_DEPTH}), wide nodes,
 * interior nodes with and without entities, a root with or without one, leaf nodes.
 */
export function entityTreeArb(
  entityIds: readonly EntityId[],
  options: StandaloneOptions = {},
): fc.Arbitrary<EntityTree> {
  return standalone('ET', entityIds, options)
}

/**
 * AM of `def` over `entityIds` (one aspect per entity, random order), each property absent,
 * null, a value or its default. The map is not in a catalog; add it with `catalog.addHierarchy`.
 */
export function aspectMapArb(
  def: AspectDef,
  entityIds: readonly EntityId[],
  options: { readonly maxAspects?: number } = {},
): fc.Arbitrary<AspectMap> {
  const values = aspectValuesArb(def.propertyDefs())
  return fc
    .tuple(
      versionArb,
      fc
        .shuffledSubarray([...entityIds], { maxLength: options.maxAspects ?? 12 })
        .chain((ids) => fc.tuple(...ids.map((id) => fc.tuple(fc.constant(id), values)))),
    )
    .map(([version, aspects]) => {
      const map = new AspectMap(def, { version })
      for (const [id, stored] of aspects) map.add(buildAspect(def, id, stored))
      return map
    })
}

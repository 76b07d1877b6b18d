import { Aspect } from './aspect.ts'
import type { AspectDef } from './aspect-def.ts'
import type { Catalog } from './catalog.ts'
import type { Hierarchy } from './hierarchy/index.ts'
import type { TreeNode } from './hierarchy/entity-tree.ts'
import { valueEquals } from './values/equal.ts'

/**
 * Describes the first difference between two catalogs, or returns undefined when they are equal
 * in every observable respect: ids, species, uri, upstream, version, AspectDefs (structure and
 * order), hierarchies (order, type, version, contents and their order), aspects (absent vs null
 * vs value, every value by type). Tree node ids are not compared (they are storage identity).
 */
export function catalogDiff(a: Catalog, b: Catalog): string | undefined {
  if (a.globalId !== b.globalId) return `globalId ${a.globalId} != ${b.globalId}`
  if (a.species !== b.species) return `species ${a.species} != ${b.species}`
  if (a.uri !== b.uri) return `uri ${String(a.uri)} != ${String(b.uri)}`
  if (a.upstream !== b.upstream) return `upstream ${String(a.upstream)} != ${String(b.upstream)}`
  if (a.version !== b.version) return `version ${a.version} != ${b.version}`
  const defsA = [...a.aspectDefs()]
  const defsB = [...b.aspectDefs()]
  if (defsA.length !== defsB.length) return `aspectDefs: ${names(defsA)} != ${names(defsB)}`
  for (let i = 0; i < defsA.length; i++) {
    const d = aspectDefDiff(defsA[i] as AspectDef, defsB[i] as AspectDef)
    if (d !== undefined) return `aspectDefs[${i}]: ${d}`
  }
  const hA = [...a.hierarchies()]
  const hB = [...b.hierarchies()]
  if (hA.length !== hB.length) return `hierarchies: ${names(hA)} != ${names(hB)}`
  for (let i = 0; i < hA.length; i++) {
    const d = hierarchyDiff(hA[i] as Hierarchy, hB[i] as Hierarchy)
    if (d !== undefined) return `hierarchy '${(hA[i] as Hierarchy).name}': ${d}`
  }
  return undefined
}

/** True when {@link catalogDiff} finds no difference. */
export function catalogEquals(a: Catalog, b: Catalog): boolean {
  return catalogDiff(a, b) === undefined
}

function names(items: readonly { readonly name: string }[]): string {
  return `[${items.map((x) => x.name).join(', ')}]`
}

export function aspectDefDiff(a: AspectDef, b: AspectDef): string | undefined {
  if (a.equals(b)) return undefined
  if (a.name !== b.name) return `name ${a.name} != ${b.name}`
  if (a.globalId !== b.globalId) return `'${a.name}' globalId ${a.globalId} != ${b.globalId}`
  const pa = a.propertyDefs()
  const pb = b.propertyDefs()
  if (pa.length !== pb.length) return `'${a.name}' properties ${names(pa)} != ${names(pb)}`
  for (let i = 0; i < pa.length; i++) {
    const x = pa[i]
    const y = pb[i]
    if (x !== undefined && y !== undefined && !x.equals(y)) {
      return `'${a.name}' property ${i}: ${JSON.stringify(describeDef(x))} != ${JSON.stringify(describeDef(y))}`
    }
  }
  return `'${a.name}' flags differ`
}

function describeDef(p: {
  readonly name: string
  readonly type: string
  readonly isNullable: boolean
  readonly isMultivalued: boolean
  readonly isReadable: boolean
  readonly isWritable: boolean
  readonly hasDefaultValue: boolean
  readonly defaultValue: unknown
}): object {
  return {
    name: p.name,
    type: p.type,
    isNullable: p.isNullable,
    isMultivalued: p.isMultivalued,
    isReadable: p.isReadable,
    isWritable: p.isWritable,
    hasDefaultValue: p.hasDefaultValue,
    defaultValue: String(p.defaultValue),
  }
}

export function hierarchyDiff(a: Hierarchy, b: Hierarchy): string | undefined {
  if (a.name !== b.name) return `name ${a.name} != ${b.name}`
  if (a.type !== b.type) return `type ${a.type} != ${b.type}`
  if (a.version !== b.version) return `version ${a.version} != ${b.version}`
  switch (a.type) {
    case 'EL':
    case 'ES':
      return sequenceDiff([...a], [...(b as typeof a)])
    case 'ED':
      return sequenceDiff(
        [...a.entries()].map(([k, v]) => `${JSON.stringify(k)}=${v}`),
        [...(b as typeof a).entries()].map(([k, v]) => `${JSON.stringify(k)}=${v}`),
      )
    case 'ET':
      return nodeDiff('', a.root, (b as typeof a).root)
    case 'AM':
      return aspectMapDiff(a, b as typeof a)
  }
}

function sequenceDiff(a: readonly string[], b: readonly string[]): string | undefined {
  if (a.length !== b.length) return `size ${a.length} != ${b.length}`
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `[${i}] ${a[i]} != ${b[i]}`
  return undefined
}

/** Compares two trees node by node, iteratively (trees may be 10,000 levels deep). */
function nodeDiff(rootPath: string, rootA: TreeNode, rootB: TreeNode): string | undefined {
  const stack: [string, TreeNode, TreeNode][] = [[rootPath, rootA, rootB]]
  while (stack.length > 0) {
    const [path, a, b] = stack.pop() as [string, TreeNode, TreeNode]
    const at = path === '' ? 'root' : path
    if (a.entityId !== b.entityId)
      return `${at}: entity ${String(a.entityId)} != ${String(b.entityId)}`
    if (a.isLeaf !== b.isLeaf) return `${at}: isLeaf ${a.isLeaf} != ${b.isLeaf}`
    const ca = [...a.children()]
    const cb = [...b.children()]
    const d = sequenceDiff(
      ca.map(([n]) => n),
      cb.map(([n]) => n),
    )
    if (d !== undefined) return `${at}: children ${d}`
    for (let i = ca.length - 1; i >= 0; i--) {
      const [name, x] = ca[i] as [string, TreeNode]
      const [, y] = cb[i] as [string, TreeNode]
      stack.push([`${path}/${name}`, x, y])
    }
  }
  return undefined
}

function aspectMapDiff(
  a: Extract<Hierarchy, { type: 'AM' }>,
  b: Extract<Hierarchy, { type: 'AM' }>,
): string | undefined {
  const defDiff = aspectDefDiff(a.aspectDef, b.aspectDef)
  if (defDiff !== undefined) return `aspectDef ${defDiff}`
  const ea = [...a.entityIds()]
  const eb = [...b.entityIds()]
  const order = sequenceDiff(ea, eb)
  if (order !== undefined) return `entities ${order}`
  for (const id of ea) {
    const x = Aspect.stored(a.get(id) as Aspect)
    const y = Aspect.stored(b.get(id) as Aspect)
    for (const prop of a.aspectDef.propertyDefs()) {
      const hasX = x.has(prop.name)
      if (hasX !== y.has(prop.name)) {
        return `aspect ${id}.${prop.name}: ${hasX ? 'present' : 'absent'} != ${hasX ? 'absent' : 'present'}`
      }
      if (hasX && !valueEquals(x.get(prop.name), y.get(prop.name))) {
        return `aspect ${id}.${prop.name}: ${show(x.get(prop.name))} != ${show(y.get(prop.name))}`
      }
    }
  }
  return undefined
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (value instanceof Uint8Array) return `bytes[${[...value].join(',')}]`
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`
  if (value !== null && typeof value === 'object' && 'toISO' in value) {
    const dt = value as { toISO(): string | null; zoneName: string | null }
    return `${dt.toISO() ?? '?'}[${dt.zoneName ?? '?'}]`
  }
  return JSON.stringify(value) ?? String(value)
}

import { DateTime } from 'luxon'
import { buildSampleCatalog, entityIdAt, rng } from '../src/cli/sample-catalog.ts'
import { createAspect, type Aspect } from '../src/model/aspect.ts'
import { createAspectDef } from '../src/model/aspect-def.ts'
import { createCatalog, type Catalog } from '../src/model/catalog.ts'
import type { EntityId } from '../src/model/entity.ts'
import type { PropertyValue } from '../src/model/property-type.ts'
import { createPropertyDef, type PropertyDef } from '../src/model/property-def.ts'

/**
 * The workloads of issue #20's "benchmark shapes": each builds one catalog of N entities with
 * the public model API, deterministically (the same N and namespace give the same catalog).
 */
export const SHAPES = ['sample', 'audit', 'strings', 'wide', 'manydefs', 'multivalued'] as const
export type ShapeName = (typeof SHAPES)[number]

export interface ShapeSpec {
  readonly name: ShapeName
  /** One sentence for the report. */
  readonly description: string
  /** The schema is created with audit columns (`includeAudit: true`). */
  readonly audit: boolean
  readonly build: (entities: number, namespace: string) => Catalog
}

/** How many AspectDefs the `manydefs` shape has, and how many of them each entity uses. */
export const MANY_DEFS = 40
export const DEFS_PER_ENTITY = 5

/** Parses `--shapes`: `all`, `none` or a comma list of {@link SHAPES}. */
export function parseShapes(option: string): ShapeName[] {
  const text = option.trim()
  if (text === '' || text === 'none') return []
  if (text === 'all') return [...SHAPES]
  const names = text.split(',').map((s) => s.trim())
  for (const name of names) {
    if (!(SHAPES as readonly string[]).includes(name))
      throw new Error(
        `--shapes takes all, none or a comma list of ${SHAPES.join(', ')}; got ${name}`,
      )
  }
  return [...new Set(names as ShapeName[])]
}

function newCatalog(ns: string, shape: string): Catalog {
  return createCatalog({
    species: 'SINK',
    uri: `https://example.com/catalogs/${ns}/${shape}`,
    version: 1n,
  })
}

const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut ' +
  'labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris ' +
  'nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse ' +
  'cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui ' +
  'officia deserunt mollit anim id est laborum café naïve Ωmega 東京 ✓'
).split(' ')

/** A pool of distinct pseudo-random texts of `min`–`max` characters (shared, to bound memory). */
function textPool(count: number, min: number, max: number, seed: number): string[] {
  const random = rng(seed)
  const pool: string[] = []
  for (let k = 0; k < count; k++) {
    const length = min + Math.floor(random() * (max - min))
    let text = `#${k}`
    while (text.length < length) text += ` ${WORDS[Math.floor(random() * WORDS.length)] ?? ''}`
    pool.push(text.slice(0, length))
  }
  return pool
}

const STRING_PROPERTIES = 16
const TEXT_PROPERTIES = 4

/** One AspectDef of 16 STR (32–256 characters) and 4 TXT (256–1,024) properties, all set. */
function buildStrings(entities: number, ns: string): Catalog {
  const properties: PropertyDef[] = []
  for (let p = 0; p < STRING_PROPERTIES; p++)
    properties.push(createPropertyDef({ name: `s${p}`, type: 'STR' }))
  for (let p = 0; p < TEXT_PROPERTIES; p++)
    properties.push(createPropertyDef({ name: `t${p}`, type: 'TXT' }))
  const def = createAspectDef({ name: `com.example.${ns}.strings`, properties })
  const shorts = textPool(997, 32, 256, 7)
  const longs = textPool(499, 256, 1024, 11)
  const catalog = newCatalog(ns, 'strings')
  const aspects: Aspect<typeof def>[] = []
  for (let i = 0; i < entities; i++) {
    const values: Record<string, PropertyValue> = {}
    for (let p = 0; p < STRING_PROPERTIES; p++)
      values[`s${p}`] = shorts[(i * 31 + p * 17) % shorts.length] ?? ''
    for (let p = 0; p < TEXT_PROPERTIES; p++)
      values[`t${p}`] = longs[(i * 13 + p * 7) % longs.length] ?? ''
    aspects.push(createAspect(def, entityIdAt(i, 0x5171), values))
  }
  catalog.extend(def).addAll(aspects)
  return catalog
}

/**
 * Small aspects (a name and a size) under a directory of every entity, a flat tree whose root
 * has every entity as a leaf child, and a tree of √N folders of √N leaves.
 */
function buildWide(entities: number, ns: string): Catalog {
  const def = createAspectDef({
    name: `com.example.${ns}.file`,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'size', type: 'INT' }),
    ],
  })
  const catalog = newCatalog(ns, 'wide')
  const files = catalog.extend(def)
  const ids: EntityId[] = []
  for (let i = 0; i < entities; i++) {
    const id = entityIdAt(i, 0x3de)
    ids.push(id)
    files.add(createAspect(def, id, { name: `file-${i}.dat`, size: BigInt(i * 4096) }))
  }
  const directory = catalog.createEntityDirectory('byPath')
  ids.forEach((id, i) => directory.set(`/data/${i % 97}/file-${i}.dat`, id))
  const flat = catalog.createEntityTree('flat')
  flat.root.addChildren(ids.map((id, i) => [`f${i}`, { entityId: id, isLeaf: true }] as const))
  const folders = catalog.createEntityTree('folders')
  const width = Math.max(1, Math.round(Math.sqrt(entities)))
  const nodes = folders.root.addChildren(
    Array.from({ length: width }, (_, k) => [`folder-${k}`] as const),
  )
  const leaves: (readonly [string, { entityId: EntityId; isLeaf: true }])[][] = nodes.map(() => [])
  ids.forEach((id, i) => leaves[i % width]?.push([`leaf-${i}`, { entityId: id, isLeaf: true }]))
  nodes.forEach((node, k) => node.addChildren(leaves[k] ?? []))
  return catalog
}

/** {@link MANY_DEFS} AspectDefs of three properties; each entity has aspects of five of them. */
function buildManyDefs(entities: number, ns: string): Catalog {
  const defs = Array.from({ length: MANY_DEFS }, (_, d) =>
    createAspectDef({
      name: `com.example.${ns}.small${d}`,
      properties: [
        createPropertyDef({ name: 'code', type: 'INT' }),
        createPropertyDef({ name: 'label', type: 'STR' }),
        createPropertyDef({ name: 'ok', type: 'BLN' }),
      ],
    }),
  )
  const catalog = newCatalog(ns, 'manydefs')
  const maps = defs.map((def) => catalog.extend(def))
  const step = Math.floor(MANY_DEFS / DEFS_PER_ENTITY)
  for (let i = 0; i < entities; i++) {
    const id = entityIdAt(i, 0x3a7d)
    for (let j = 0; j < DEFS_PER_ENTITY; j++) {
      const d = (i + j * step) % MANY_DEFS
      const def = defs[d]
      if (def === undefined) continue
      maps[d]?.add(createAspect(def, id, { code: BigInt(i), label: `e${i}/${d}`, ok: i % 2 === 0 }))
    }
  }
  return catalog
}

/** One AspectDef of six multivalued properties of 0–16 elements (some lists null or empty). */
function buildMultivalued(entities: number, ns: string): Catalog {
  const def = createAspectDef({
    name: `com.example.${ns}.series`,
    properties: [
      createPropertyDef({ name: 'ticks', type: 'INT', isMultivalued: true }),
      createPropertyDef({ name: 'samples', type: 'FLT', isMultivalued: true }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
      createPropertyDef({ name: 'refs', type: 'UID', isMultivalued: true }),
      createPropertyDef({ name: 'flags', type: 'BLN', isMultivalued: true }),
      createPropertyDef({ name: 'times', type: 'DAT', isMultivalued: true }),
    ],
  })
  const random = rng(99)
  const catalog = newCatalog(ns, 'multivalued')
  const aspects: Aspect<typeof def>[] = []
  const epoch = DateTime.fromISO('2026-01-01T00:00:00Z', { zone: 'UTC' })
  const list = <T>(n: number, make: (k: number) => T): T[] =>
    Array.from({ length: n }, (_, k) => make(k))
  for (let i = 0; i < entities; i++) {
    const id = entityIdAt(i, 0x3717)
    const n = (max: number) => Math.floor(random() * (max + 1))
    aspects.push(
      createAspect(def, id, {
        ticks: list(n(16), (k) => BigInt(i * 16 + k)),
        samples: list(n(16), () => random()),
        tags: i % 11 === 0 ? null : list(n(8), (k) => `tag-${(i + k) % 500}`),
        refs: list(n(4), (k) => entityIdAt(i * 4 + k, 0x7ef)),
        flags: i % 13 === 0 ? [] : list(n(8), (k) => (i + k) % 3 === 0),
        times: list(n(4), (k) => epoch.plus({ minutes: i * 4 + k })),
      }),
    )
  }
  catalog.extend(def).addAll(aspects)
  return catalog
}

export const SHAPE_SPECS: Readonly<Record<ShapeName, ShapeSpec>> = {
  sample: {
    name: 'sample',
    description:
      'the default workload: three AspectDefs using all twelve types and every hierarchy type (src/cli/sample-catalog.ts)',
    audit: false,
    build: (entities, ns) => buildSampleCatalog({ entities, namespace: ns }),
  },
  audit: {
    name: 'audit',
    description: 'the same catalog in a schema created with audit columns (`includeAudit: true`)',
    audit: true,
    build: (entities, ns) => buildSampleCatalog({ entities, namespace: ns }),
  },
  strings: {
    name: 'strings',
    description: `one AspectDef of ${STRING_PROPERTIES} STR (32–256 characters) and ${TEXT_PROPERTIES} TXT (256–1,024) properties, all set`,
    audit: false,
    build: buildStrings,
  },
  wide: {
    name: 'wide',
    description:
      'two-property aspects under a directory of every entity, a tree whose root has every entity as a child, and a tree of √N folders × √N leaves',
    audit: false,
    build: buildWide,
  },
  manydefs: {
    name: 'manydefs',
    description: `${MANY_DEFS} AspectDefs of three properties (INT, STR, BLN); each entity has aspects of ${DEFS_PER_ENTITY} of them`,
    audit: false,
    build: buildManyDefs,
  },
  multivalued: {
    name: 'multivalued',
    description:
      'one AspectDef of six multivalued properties (INT, FLT, STR, UID, BLN, DAT) of 0–16 elements, some lists null or empty',
    audit: false,
    build: buildMultivalued,
  },
}

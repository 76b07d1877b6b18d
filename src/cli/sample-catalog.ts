import { DateTime } from 'luxon'
import { createAspect } from '../model/aspect.ts'
import { createAspectDef } from '../model/aspect-def.ts'
import { createCatalog, type Catalog } from '../model/catalog.ts'
import { toEntityId, type EntityId } from '../model/entity.ts'
import { createPropertyDef } from '../model/property-def.ts'

/** A deterministic pseudo-random sequence, so samples and benchmarks are reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 4294967296
  }
}

/** The entity id of sample `index`; `salt` keeps the ids of two samples apart. */
export function entityIdAt(index: number, salt: number): EntityId {
  const hex = index.toString(16).padStart(12, '0')
  const saltHex = salt.toString(16).padStart(8, '0').slice(-8)
  return toEntityId(`${saltHex}-0000-4000-8000-${hex}`)
}

export interface SampleOptions {
  /** Number of entities (each gets a person aspect, most a document and a measurement). */
  readonly entities?: number
  /** Seed for the pseudo-random values; the same seed gives the same catalog. */
  readonly seed?: number
  /** Distinguishes AspectDef names and ids of separate samples in one database. */
  readonly namespace?: string
}

/**
 * A catalog that uses all twelve property types (multivalued ones too), defaults, nulls and
 * absent values, and all five hierarchy types: the demo's and the benchmark's workload.
 */
export function buildSampleCatalog(options: SampleOptions = {}): Catalog {
  const n = options.entities ?? 1000
  const random = rng(options.seed ?? 42)
  const ns = options.namespace ?? 'demo'
  const salt = Math.floor(random() * 0xffffffff)
  const person = createAspectDef({
    name: `com.example.${ns}.person`,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'age', type: 'INT' }),
      createPropertyDef({ name: 'height', type: 'FLT' }),
      createPropertyDef({ name: 'active', type: 'BLN', defaultValue: true }),
      createPropertyDef({ name: 'born', type: 'DAT' }),
      createPropertyDef({ name: 'nicknames', type: 'STR', isMultivalued: true }),
    ],
  })
  const document = createAspectDef({
    name: `com.example.${ns}.document`,
    canAddProperties: true,
    properties: [
      createPropertyDef({ name: 'title', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'body', type: 'TXT' }),
      createPropertyDef({ name: 'source', type: 'URI' }),
      createPropertyDef({ name: 'checksum', type: 'UID' }),
      createPropertyDef({ name: 'raw', type: 'CLB' }),
      createPropertyDef({ name: 'thumbnail', type: 'BLB' }),
    ],
  })
  const measurement = createAspectDef({
    name: `com.example.${ns}.measurement`,
    properties: [
      createPropertyDef({ name: 'count', type: 'BGI' }),
      createPropertyDef({ name: 'amount', type: 'BGF', defaultValue: '0.00' }),
      createPropertyDef({ name: 'samples', type: 'FLT', isMultivalued: true }),
      createPropertyDef({ name: 'ticks', type: 'INT', isMultivalued: true }),
      createPropertyDef({ name: 'labels', type: 'UID', isMultivalued: true }),
    ],
  })
  const catalog = createCatalog({
    species: 'SINK',
    uri: `https://example.com/catalogs/${ns}`,
    version: 1n,
  })
  const people = catalog.extend(person)
  const documents = catalog.extend(document)
  const measurements = catalog.extend(measurement)
  const zones = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata']
  const ids: EntityId[] = []
  for (let i = 0; i < n; i++) {
    const id = entityIdAt(i, salt)
    ids.push(id)
    const born = DateTime.fromMillis(Math.floor(random() * 2e12), {
      zone: zones[i % zones.length] as string,
    })
    people.add(
      createAspect(person, id, {
        name: `Person ${i} ✓`,
        age: i % 7 === 0 ? null : BigInt(Math.floor(random() * 100)),
        height: 1.5 + random() / 2,
        ...(i % 3 === 0 ? {} : { active: i % 2 === 0 }),
        born,
        nicknames: i % 5 === 0 ? [] : [`p${i}`, `n${i % 10}`, `p${i}`],
      }),
    )
    if (i % 4 !== 3) {
      documents.add(
        createAspect(document, id, {
          title: `Document ${i}`,
          body: `Body of document ${i}\nwith two lines`,
          source: `https://example.com/docs/${i}?v=${i % 3}#top`,
          checksum: entityIdAt(i + n, salt),
          ...(i % 2 === 0 ? { raw: 'x'.repeat(i % 50) } : {}),
          thumbnail: new Uint8Array([i & 255, (i >> 8) & 255, 0, 255]),
        }),
      )
    }
    if (i % 2 === 0) {
      measurements.add(
        createAspect(measurement, id, {
          count: 12345678901234567890n * BigInt(i + 1),
          amount: `${i}.${String(i % 100).padStart(2, '0')}`,
          samples: [random(), -random(), 0],
          ticks: [BigInt(i), -1n, 9007199254740993n],
          labels: [entityIdAt(i, salt)],
        }),
      )
    }
  }
  catalog
    .createEntityList('queue')
    .addAll(ids.filter((_, i) => i % 3 === 0))
    .addAll(ids.slice(0, Math.min(3, n)))
  catalog.createEntitySet('active').addAll(ids.filter((_, i) => i % 2 === 1))
  const directory = catalog.createEntityDirectory('byName', { version: 2n })
  ids.forEach((id, i) => directory.set(`person-${i}`, id))
  const tree = catalog.createEntityTree('org', { version: 3n })
  const departments = ['engineering', 'sales', 'support']
  const nodes = departments.map((d) => tree.root.addChild(d))
  ids.forEach((id, i) => {
    const dept = nodes[i % nodes.length]
    if (dept !== undefined && i % 10 === 0)
      dept.addChild(`team-${i}`, { entityId: id }).addChild('lead', { entityId: id, isLeaf: true })
  })
  return catalog
}

/**
 * Shared helpers of the reliability suites: async error assertions, a fingerprint of every table
 * (row count and content checksum), a seeded random source, time budgets, a large catalog with
 * deterministic edits. Free of node:test hooks, so a child process can import it.
 */
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { sql, type Kysely } from 'kysely'
import { CheapError, CheapValidationError } from '../../src/errors.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  toEntityId,
  type AspectDef,
  type Catalog,
  type EntityId,
} from '../../src/model/index.ts'
import type { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import type { ExpectedCheapError } from '../support/assert-error.ts'

/** Awaits `action`, asserts it rejects with the expected CheapError, and returns that error. */
export async function rejectsWith(
  action: () => Promise<unknown>,
  expected: ExpectedCheapError,
): Promise<CheapError> {
  let thrown: unknown
  let resolved = false
  try {
    await action()
    resolved = true
  } catch (error) {
    thrown = error
  }
  assert.ok(!resolved, `expected a CheapError ${expected.code}, but the call succeeded`)
  assert.ok(thrown instanceof CheapError, `expected a CheapError, got ${inspect(thrown)}`)
  assert.equal(thrown.code, expected.code, thrown.message)
  if (expected.reason !== undefined) {
    assert.ok(
      thrown instanceof CheapValidationError,
      `expected a CheapValidationError: ${thrown.message}`,
    )
    assert.equal(thrown.reason, expected.reason, thrown.message)
  }
  for (const fragment of expected.message ?? []) {
    if (typeof fragment === 'string') {
      assert.ok(
        thrown.message.includes(fragment),
        `message ${JSON.stringify(thrown.message)} lacks ${JSON.stringify(fragment)}`,
      )
    } else {
      assert.match(thrown.message, fragment)
    }
  }
  return thrown
}

export function raw(adapter: PostgresAdapter): Kysely<unknown> {
  return adapter.db as unknown as Kysely<unknown>
}

/** Table name → `count:md5` of all its rows (as text, sorted), for "nothing changed" checks. */
export type DatabaseFingerprint = ReadonlyMap<string, string>

export async function tableNames(adapter: PostgresAdapter): Promise<string[]> {
  const rows = await sql<{
    tablename: string
  }>`select tablename from pg_tables where schemaname = ${adapter.schema} order by tablename`.execute(
    raw(adapter),
  )
  return rows.rows.map((r) => r.tablename)
}

export async function fingerprint(adapter: PostgresAdapter): Promise<DatabaseFingerprint> {
  const out = new Map<string, string>()
  for (const table of await tableNames(adapter)) {
    const t = sql.table(table)
    const rows = await sql<{
      n: bigint
      md5: string
    }>`select count(*) as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as md5 from ${t} as t`.execute(
      raw(adapter),
    )
    const row = rows.rows[0]
    out.set(table, `${row?.n ?? 0n}:${row?.md5 ?? ''}`)
  }
  return out
}

/** Asserts two fingerprints are equal, naming the tables that differ. */
export function assertSameFingerprint(
  after: DatabaseFingerprint,
  before: DatabaseFingerprint,
  what: string,
): void {
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
    (t) => before.get(t) !== after.get(t),
  )
  assert.deepEqual(changed, [], `${what}: the database changed (tables ${changed.join(', ')})`)
}

export async function rowCount(
  adapter: PostgresAdapter,
  table: string,
  catalogId?: string,
): Promise<number> {
  const where = catalogId === undefined ? sql`` : sql`where catalog_id = ${catalogId}::uuid`
  const rows = await sql<{
    n: bigint
  }>`select count(*) as n from ${sql.table(table)} ${where}`.execute(raw(adapter))
  return Number(rows.rows[0]?.n ?? 0n)
}

/** A small seeded PRNG (mulberry32): runs are reproducible with CHEAP_RELIABILITY_SEED. */
export class Random {
  readonly seed: number
  #state: number
  constructor(seed = envNumber('CHEAP_RELIABILITY_SEED') ?? Math.floor(Math.random() * 2 ** 31)) {
    this.seed = seed
    this.#state = seed >>> 0
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T
  }
}

export function envNumber(name: string): number | undefined {
  const text = process.env[name]
  if (text === undefined || text.trim() === '') return undefined
  const value = Number(text)
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${text}`)
  return value
}

/** A time or trial budget, scaled by CHEAP_RELIABILITY_SCALE (default 1). */
export function budget(base: number): number {
  return Math.max(1, Math.round(base * (envNumber('CHEAP_RELIABILITY_SCALE') ?? 1)))
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

/** Entity ids derived from a number, so a child process and the test agree on them. */
export function entityNumber(prefix: number, n: number): EntityId {
  const hex = n.toString(16).padStart(12, '0')
  return toEntityId(`${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`)
}

export interface BigCatalog {
  readonly catalog: Catalog
  readonly def: AspectDef
}

export function bigCatalogDef(name: string): AspectDef {
  return createAspectDef({
    name,
    properties: [
      createPropertyDef({ name: 'n', type: 'INT' }),
      createPropertyDef({ name: 'label', type: 'STR' }),
      createPropertyDef({ name: 'score', type: 'FLT' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
    ],
  })
}

/**
 * A catalog of `entities` entities: an AspectMap with an aspect each (four properties, one
 * multivalued), a list and a set of them all, a directory of every fourth and a tree of every
 * tenth, so a save writes about `12 × entities` rows into a dozen tables.
 */
export function buildBigCatalog(def: AspectDef, entities: number, globalId?: string): Catalog {
  const catalog = createCatalog(globalId === undefined ? {} : { globalId })
  const map = catalog.extend(def)
  const list = catalog.createEntityList('all')
  const set = catalog.createEntitySet('members')
  const dir = catalog.createEntityDirectory('byKey')
  const tree = catalog.createEntityTree('tree')
  let branch = tree.root.addChild('b0')
  for (let i = 0; i < entities; i++) {
    const id = entityNumber(1, i)
    map.add(
      createAspect(def, id, {
        n: BigInt(i),
        label: `e${i}`,
        score: i / 7,
        tags: [`t${i % 5}`, 'x'],
      }),
    )
    list.add(id)
    set.add(id)
    if (i % 4 === 0) dir.set(`k${i}`, id)
    if (i % 10 === 0) {
      if (i % 200 === 0) branch = tree.root.addChild(`b${i}`)
      branch.addChild(`n${i}`, { entityId: id, isLeaf: true })
    }
  }
  return catalog
}

/**
 * Edits a catalog built by {@link buildBigCatalog} (or loaded from one), deterministically from
 * `round`: changes a third of the aspects, removes a few list items and set members, adds new
 * entities with aspects, and replaces a directory entry and a tree branch. The same round on
 * equal catalogs gives equal results.
 */
export function editBigCatalog(catalog: Catalog, def: AspectDef, round: number): void {
  const map = catalog.aspects(def.name)
  const list = catalog.hierarchy('all')
  const set = catalog.hierarchy('members')
  const dir = catalog.hierarchy('byKey')
  const tree = catalog.hierarchy('tree')
  if (map === undefined || list?.type !== 'EL' || set?.type !== 'ES' || dir?.type !== 'ED')
    throw new Error('not a big catalog')
  if (tree?.type !== 'ET') throw new Error('not a big catalog')
  let i = 0
  for (const aspect of map.aspects()) {
    if ((i++ + round) % 3 === 0) {
      aspect.set('n', BigInt(round * 1_000_000 + i))
      aspect.set('label', `r${round}-${i}`)
    }
  }
  for (let k = 0; k < 5 && list.size > 0; k++) list.removeAt((round * 7 + k * 13) % list.size)
  const members = set.toArray()
  for (let k = 0; k < 3 && members.length > 0; k++) {
    set.delete(members[(round * 11 + k * 17) % members.length] as EntityId)
  }
  for (let k = 0; k < 20; k++) {
    const id = entityNumber(2 + round, k)
    map.add(createAspect(def, id, { n: BigInt(-k), label: `new ${round}/${k}`, tags: [] }))
    list.add(id)
  }
  dir.set(`round${round}`, entityNumber(2 + round, 0))
  const children = [...tree.root.children()]
  const victim = children[round % Math.max(1, children.length)]
  if (victim !== undefined) tree.root.removeChild(victim[0])
  tree.root.addChild(`round${round}`, { entityId: entityNumber(2 + round, 1) })
}

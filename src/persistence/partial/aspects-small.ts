import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { EntityId } from '../../model/entity.ts'
import type { DedicatedConnection } from '../connection/held-connection.ts'
import { wrongStoredDef } from '../store/aspect-maps.ts'
import { PROPERTY_LIST, VALUE_TARGETS } from '../store/aspect-store.ts'
import {
  AspectAssembler,
  listRows,
  typesOf,
  valueRows,
  VALUE_TYPES,
  type AspectSlice,
} from '../store/aspect-values.ts'
import { sqlTypeOf, type AnyWriteTarget } from '../store/bulk-write.ts'
import { codecOf } from '../store/codecs/index.ts'
import {
  findVersion,
  loadVersions,
  type DefVersionCache,
  type StoredVersion,
} from '../store/def-versions.ts'
import { preparedName } from '../store/prepared.ts'
import { branch, Kind, valueBranch, type WideRow } from '../store/wide-rows.ts'

/**
 * loadAspects and upsertAspects of a few aspects in as few round trips as the checks allow
 * (issue #16). Both fall back to the set-based path (aspects.ts) for everything out of the
 * ordinary — a missing catalog or map, a map of another type, a def version stored in a
 * dedicated table, a version not cached or re-stored meanwhile — which then gives the exact
 * errors and results: `undefined` here says "take the other path".
 */

type Connection = Pick<DedicatedConnection, 'db' | 'prepared'>

/**
 * The aspects of `ids` in the AspectMap `name`, in ONE statement (one snapshot, no
 * transaction): the map's pin, whether its version is mapped, the aspect rows and every value
 * table's rows of those aspects, in one result of wide rows (wide-rows.ts).
 */
export async function loadAspectsSmall<D extends AspectDef>(
  connection: Connection,
  cache: DefVersionCache,
  catalogId: string,
  name: string,
  def: D | undefined,
  ids: readonly EntityId[],
): Promise<Map<EntityId, Aspect<D>> | undefined> {
  const statement = loadStatementOf(def === undefined ? ALL_TABLES : tablesOf(def))
  const rows = await connection.prepared<WideRow>(statement.name, statement.text, [
    catalogId,
    name,
    ids,
  ])
  let pin: WideRow | undefined
  const aspects: WideRow[] = []
  const values: WideRow[] = []
  for (const r of rows) {
    if (r.k === Kind.hierarchy) pin = r
    else if (r.k === Kind.mapped) return undefined
    else if (r.k === Kind.aspect) aspects.push(r)
    else values.push(r)
  }
  // No such catalog or hierarchy, another hierarchy type, no pin: the other path says which.
  if (pin === undefined || pin.t2 !== 'AM' || pin.u1 === null || pin.d === null) return undefined
  const defId = pin.u1
  const generation = pin.t3 ?? ''
  let version = cache.get(defId, pin.d, generation)
  if (version === undefined) {
    // Read outside the statement's snapshot: a def re-stored meanwhile (another generation)
    // sends the call to the other path, which reads both in one snapshot.
    const found = findVersion(
      await loadVersions(connection.db, [{ defId, version: pin.d, generation }], cache),
      defId,
      pin.d,
    )
    if (found === undefined || found.generation !== generation) return undefined
    version = found
  }
  if (def !== undefined && !version.matches(def))
    throw wrongStoredDef('loadAspects', catalogId, def, version)
  const out = new Map<EntityId, Aspect<D>>()
  if (aspects.length === 0) return out
  const assembler = new AspectAssembler()
  aspects.sort((x, y) => compare(x.o as bigint, y.o as bigint))
  for (const r of aspects) assembler.register(Number(r.a), version, r.u2 as EntityId)
  // Lists first: a value row of a list fills the array its property_list row made.
  values.sort((x, y) => x.k - y.k)
  for (const r of values) {
    if (r.k === Kind.list) {
      assembler.list(Number(r.a), r.c as number, r.d)
      continue
    }
    const type = VALUE_TYPES[r.k - Kind.firstValue]
    if (type === undefined) continue
    const codec = codecOf(type)
    const extra = codec.extra === undefined ? null : codec.extra.column === 'zone' ? r.xz : r.xs
    assembler.value(Number(r.a), r.c as number, r.d as number, r[`v_${codec.sqlType}`], extra)
  }
  const built = def ?? (version.toAspectDef() as D)
  for (const r of aspects) {
    out.set(r.u2 as EntityId, assembler.build(Number(r.a), built) as Aspect<D>)
  }
  return out
}

function compare(x: bigint, y: bigint): number {
  return x < y ? -1 : x > y ? 1 : 0
}

/** Bit 0: property_list; bit 1 + i: the value table of VALUE_TYPES[i]. */
const ALL_TABLES = (1 << (VALUE_TYPES.length + 1)) - 1

/**
 * The tables the values of `def` can be in. A def passed to loadAspects must equal the stored
 * version (or the call fails), and a version's tables follow from its property types, so the
 * statement need not probe the others.
 */
function tablesOf(def: AspectDef): number {
  let mask = 0
  for (const p of def.propertyDefs()) {
    if (p.isMultivalued) mask |= 1
    mask |= 1 << (1 + VALUE_TYPES.indexOf(p.type))
  }
  return mask
}

/**
 * `$1` catalog id, `$2` map name, `$3` entity ids. `h` is the hierarchy named `$2` of the live
 * catalog with its pin and its def's generation (absent when either is missing); `a` the aspects
 * of those entities when it is an AspectMap. The value tables in `tables` are probed by the
 * aspects' keys: every one when only the map's name is known (an empty probe costs less than a
 * second round trip), those of the def's types when the caller passed the def.
 */
function loadStatement(tables: number): string {
  const h = `h as materialized (select t.hierarchy_type, t.aspect_def_id, p.version, d.xmin::text as generation from catalog c join hierarchy t on t.catalog_id = c.catalog_id and t.name = $2::text left join catalog_aspect_def p on p.catalog_id = t.catalog_id and p.aspect_def_id = t.aspect_def_id left join aspect_def d on d.aspect_def_id = p.aspect_def_id where c.catalog_id = $1::uuid and (c.expires_at is null or c.expires_at > now()))`
  const a = `a as materialized (select t.aspect_id, t.map_order, t.entity_id from h join aspect t on t.catalog_id = $1::uuid and t.aspect_def_id = h.aspect_def_id where h.hierarchy_type = 'AM' and t.entity_id = any($3::uuid[]))`
  const join = (table: string) =>
    `from a join ${table} t on t.catalog_id = $1::uuid and t.aspect_id = a.aspect_id`
  const branches = [
    branch(
      Kind.hierarchy,
      { d: 'h.version', t2: 'h.hierarchy_type', t3: 'h.generation', u1: 'h.aspect_def_id' },
      'from h',
    ),
    branch(
      Kind.mapped,
      {},
      'from h where exists (select 1 from aspect_table_mapping m where m.aspect_def_id = h.aspect_def_id and m.version = h.version)',
    ),
    branch(Kind.aspect, { a: 'a.aspect_id', o: 'a.map_order', u2: 'a.entity_id' }, 'from a'),
  ]
  if ((tables & 1) !== 0) {
    branches.push(
      branch(
        Kind.list,
        { a: 't.aspect_id', c: 't.property_id', d: 't.length' },
        join('property_list'),
      ),
    )
  }
  VALUE_TYPES.forEach((type, i) => {
    if ((tables & (1 << (1 + i))) === 0) return
    branches.push(valueBranch(i, codecOf(type), join))
  })
  return `with ${h}, ${a} ${branches.join(' union all ')}`
}

const loadStatements = new Map<number, { readonly name: string; readonly text: string }>()

/** The statement for a set of tables (an application has a few: one per def shape). */
function loadStatementOf(tables: number): { readonly name: string; readonly text: string } {
  let statement = loadStatements.get(tables)
  if (statement === undefined) {
    const text = loadStatement(tables)
    statement = { name: preparedName('cheap_load_aspects', text), text }
    loadStatements.set(tables, statement)
  }
  return statement
}

/** What the first statement of a small upsert returns: the bumped catalog row. */
export interface Bumped {
  readonly revision: bigint
  readonly next_aspect_id: bigint
}

/**
 * The first statement of a partial write, in one round trip where partialWrite takes two: the
 * share locks of the defs named `names` (in id order), then the catalog row's revision bump and
 * the reservation of `reserve` aspect ids (which locks it). The locks are taken by a subquery
 * the update's condition needs, so before the catalog row is (docs/LOCKING.md's order).
 * Undefined when no live catalog has the id.
 */
export async function lockAndBump(
  connection: Pick<DedicatedConnection, 'prepared'>,
  catalogId: string,
  names: readonly string[],
  reserve: number,
): Promise<Bumped | undefined> {
  const [row] = await connection.prepared<Bumped>(BUMP_NAME, BUMP_TEXT, [catalogId, names, reserve])
  return row
}

const BUMP_TEXT = `with l as (select aspect_def_id from aspect_def where name = any($2::text[]) order by aspect_def_id for key share) update catalog set revision = revision + 1, next_aspect_id = next_aspect_id + $3::int8 where catalog_id = $1::uuid and (expires_at is null or expires_at > now()) and (select count(*) from l) >= 0 returning revision, next_aspect_id`
const BUMP_NAME = preparedName('cheap_partial_bump', BUMP_TEXT)

/**
 * Writes `aspects` (de-duplicated, all of `version`) into the AspectMap `name` in ONE statement,
 * inside the caller's transaction after {@link lockAndBump}: it checks that the map is pinned to
 * `version` (same generation) and that the version is not stored in a dedicated table, finds
 * which entities have an aspect already, replaces those aspects' values exactly (rows gone
 * deleted, the others upserted only when they differ, as replaceAspectValues does), appends the
 * others with ids from `firstAspectId` in call order (their entities added when new), and writes
 * the catalog_revision row. Rows and ids are exactly the set-based path's. Returns how many
 * aspects were new, or undefined when a check failed: then it wrote nothing.
 */
export async function upsertAspectsSmall(
  connection: Pick<DedicatedConnection, 'prepared'>,
  catalogId: string,
  name: string,
  version: StoredVersion,
  aspects: readonly Aspect[],
  firstAspectId: number,
  revision: bigint,
): Promise<number | undefined> {
  // Values are keyed by the aspect's position in the call (1-based); the statement maps it to
  // the stored aspect id or the new one.
  const slice: AspectSlice = { version, aspects, ids: aspects.map((_, i) => i + 1) }
  const types = typesOf(version)
  const hasLists = version.properties.some((p) => p.def.isMultivalued)
  const tables: { target: AnyWriteTarget; rows: (readonly unknown[])[]; used: boolean }[] = [
    { target: PROPERTY_LIST, rows: [...listRows([slice])], used: hasLists },
    ...VALUE_TYPES.map((type) => ({
      target: VALUE_TARGETS.get(type) as AnyWriteTarget,
      rows: [...valueRows([slice], type)],
      used: types.has(type),
    })),
  ]
  const valueCount = tables.reduce((n, t) => n + t.rows.length, 0)
  const values: unknown[] = [
    catalogId,
    name,
    version.defId,
    version.version,
    version.generation,
    revision,
    firstAspectId,
    aspects.map((a) => a.entityId),
    valueCount,
  ]
  let used = 0
  let written = 0
  tables.forEach((t, i) => {
    if (t.used) used |= 1 << i
    if (t.rows.length === 0) return
    written |= 1 << i
    t.target.columns.forEach((_, k) => values.push(t.rows.map((row) => row[k])))
  })
  const statement = upsertStatementOf(used, written)
  const [result] = await connection.prepared<{ ok: boolean; inserted: number }>(
    statement.name,
    statement.text,
    values,
  )
  return result?.ok === true ? result.inserted : undefined
}

/** The tables of {@link upsertAspectsSmall}, in the order of its masks. */
const VALUE_WRITES: readonly AnyWriteTarget[] = [
  PROPERTY_LIST,
  ...VALUE_TYPES.map((type) => VALUE_TARGETS.get(type) as AnyWriteTarget),
]

/**
 * The statement for a version using the tables in `used` and a call writing rows into those in
 * `written` (a statement per combination: an application has a few; an insert of no rows would
 * still fire the table's statement trigger). `$1` catalog, `$2` map name, `$3`/`$4`/`$5` the
 * version's def id, number and generation, `$6` the new revision, `$7` the first reserved
 * aspect id, `$8` the entity ids in call order, `$9` the value and list rows sent, then one
 * array per column of each written table (the aspect position in place of `aspect_id`).
 */
function upsertStatementText(used: number, written: number): string {
  const gate = `g as (select exists (select 1 from hierarchy h join catalog_aspect_def p on p.catalog_id = h.catalog_id and p.aspect_def_id = h.aspect_def_id join aspect_def d on d.aspect_def_id = p.aspect_def_id where h.catalog_id = $1::uuid and h.name = $2::text and h.hierarchy_type = 'AM' and h.aspect_def_id = $3::uuid and p.version = $4::int4 and d.xmin::text = $5::text) and not exists (select 1 from aspect_table_mapping m where m.aspect_def_id = $3::uuid and m.version = $4::int4) as ok)`
  // Stored aspects keep their id; new ones get the reserved ids in call order.
  const ids = `i as materialized (select u.ord, u.entity_id, s.aspect_id is null as fresh, coalesce(s.aspect_id, $7::int8 - 1 + row_number() over (partition by s.aspect_id is null order by u.ord)) as aspect_id from g cross join unnest($8::uuid[]) with ordinality as u(entity_id, ord) left join aspect s on s.catalog_id = $1::uuid and s.aspect_def_id = $3::uuid and s.entity_id = u.entity_id where g.ok)`
  const entities = `we as (insert into entity (catalog_id, entity_id) select $1::uuid, entity_id from i where fresh order by ord on conflict (catalog_id, entity_id) do nothing)`
  // A new aspect goes at the end of its map: its id, larger than every stored position.
  const aspects = `wa as (insert into aspect (catalog_id, aspect_id, aspect_def_id, entity_id, map_order) select $1::uuid, aspect_id, $3::uuid, entity_id, aspect_id from i where fresh order by ord)`
  let n = 10
  const parts: string[] = []
  VALUE_WRITES.forEach((t, index) => {
    const keys = t.columns.slice(0, t.keys)
    const has = (written & (1 << index)) !== 0
    const arrays = has ? t.columns.map((c) => `$${n++}::${sqlTypeOf(t.table, c)}[]`) : []
    const rows = `unnest(${arrays.join(', ')}) as k(${t.columns.map((_, k) => `c${k}`).join(', ')})`
    // Rows of replaced aspects that the new values no longer have (an anti-join).
    if ((used & (1 << index)) !== 0) {
      const keep = has
        ? ` and not exists (select 1 from ${rows} where k.c0 = i.ord and ${keys
            .slice(1)
            .map((key, k) => `k.c${k + 1} = t."${key}"`)
            .join(' and ')})`
        : ''
      parts.push(
        `d${index} as (delete from "${t.table}" t using i where t.catalog_id = $1::uuid and t.aspect_id = i.aspect_id and not i.fresh${keep})`,
      )
    }
    if (!has) return
    const names = ['catalog_id', ...t.columns].map((c) => `"${c}"`).join(', ')
    const select = t.columns.map((_, k) => (k === 0 ? 'i.aspect_id' : `k.c${k}`)).join(', ')
    const conflictKeys = ['catalog_id', ...keys].map((c) => `"${c}"`).join(', ')
    const rest = t.columns.slice(t.keys)
    const sets = rest.map((c) => `"${c}" = excluded."${c}"`).join(', ')
    const mine = rest.map((c) => `"${t.table}"."${c}"`).join(', ')
    const theirs = rest.map((c) => `excluded."${c}"`).join(', ')
    parts.push(
      `w${index} as (insert into "${t.table}" (${names}) select $1::uuid, ${select} from ${rows} join i on i.ord = k.c0 on conflict (${conflictKeys}) do update set ${sets} where (${mine}) is distinct from (${theirs}))`,
    )
  })
  const revision = `r as (insert into catalog_revision (catalog_id, revision, operation, rows_written) select $1::uuid, $6::int8, 'partial', $9::int8 + 2 * (select count(*) from i where fresh) from g where g.ok)`
  return `with ${[gate, ids, entities, aspects, ...parts, revision].join(', ')} select (select ok from g) as ok, (select count(*) from i where fresh)::int4 as inserted`
}

const upsertStatements = new Map<string, { readonly name: string; readonly text: string }>()

function upsertStatementOf(
  used: number,
  written: number,
): { readonly name: string; readonly text: string } {
  const key = `${used}:${written}`
  let statement = upsertStatements.get(key)
  if (statement === undefined) {
    const text = upsertStatementText(used, written)
    statement = { name: preparedName('cheap_upsert_aspects', text), text }
    upsertStatements.set(key, statement)
  }
  return statement
}

import type { AspectDef } from '../../model/aspect-def.ts'
import type { Catalog } from '../../model/catalog.ts'
import type { EntityId } from '../../model/entity.ts'
import type { DedicatedConnection } from '../connection/held-connection.ts'
import { ASPECT, aspectRows, PROPERTY_LIST, VALUE_TARGETS } from '../store/aspect-store.ts'
import { listRows, valueRows, VALUE_TYPES, type AspectSlice } from '../store/aspect-values.ts'
import { sqlTypeOf, type AnyWriteTarget } from '../store/bulk-write.ts'
import type { StoredVersion } from '../store/def-versions.ts'
import type { ExpiryChange } from '../store/expiry.ts'
import {
  contentRows,
  ENTITY,
  ENTITY_DIRECTORY,
  ENTITY_LIST,
  ENTITY_SET,
  ENTITY_TREE_NODE,
  entitiesOf,
} from '../store/hierarchy-rows.ts'
import { preparedName } from '../store/prepared.ts'
import { CATALOG_ASPECT_DEF, HIERARCHY } from './catalog-targets.ts'

/**
 * The small-catalog save: a whole catalog (an insert, or a full rewrite after its contents were
 * deleted) written by ONE statement, a named prepared statement of fixed shape: the catalog row,
 * def pins, hierarchies, entities, contents, aspects, lists and values, each a data-modifying
 * CTE over `unnest` of one array parameter per column (an absent table gets empty arrays), and
 * the catalog_revision row. The rows are exactly those the bulk path writes (same ids, orders
 * and values), built by the same generators.
 *
 * The statement writes nothing when one of the def versions is stored in a dedicated table (its
 * snapshot is taken after the save locked the defs, so a mapping committed before that is seen)
 * or, for an insert, when a catalog row with the id exists: the caller then goes on with the
 * bulk path in the same transaction, which gives the exact errors and writes.
 */

/** Every table the statement writes, in a fixed order (the parameters follow it). */
const TARGETS: readonly AnyWriteTarget[] = [
  CATALOG_ASPECT_DEF,
  HIERARCHY,
  ENTITY,
  ENTITY_LIST,
  ENTITY_SET,
  ENTITY_DIRECTORY,
  ENTITY_TREE_NODE,
  ASPECT,
  PROPERTY_LIST,
  ...VALUE_TYPES.map((type) => VALUE_TARGETS.get(type) as AnyWriteTarget),
]

/** The rows of one whole-catalog write, per target (same order as {@link TARGETS}). */
export interface WholeRows {
  readonly rows: readonly (readonly (readonly unknown[])[])[]
  readonly count: number
  readonly aspectIds: number
  readonly hierarchies: number
}

/**
 * The rows a full plan writes, ids allocated from `firstAspectId` and `firstHierarchyId` as the
 * bulk path allocates them; undefined as soon as they exceed `maxRows` (the caller takes the
 * bulk path, and a large catalog is never copied whole into arrays here).
 */
export function wholeRows(
  catalog: Catalog,
  versionOf: (def: AspectDef) => StoredVersion,
  firstAspectId: number,
  firstHierarchyId: number,
  maxRows: number,
): WholeRows | undefined {
  const out: (readonly unknown[])[][] = TARGETS.map(() => [])
  let count = 1 // the catalog row
  const add = (index: number, rows: Iterable<readonly unknown[]>): boolean => {
    const list = out[index] as (readonly unknown[])[]
    for (const row of rows) {
      list.push(row)
      if (++count > maxRows) return false
    }
    return true
  }
  const defs = [...catalog.aspectDefs()]
  if (
    !add(
      0,
      defs.map((d, i) => [d.globalId, i, versionOf(d).version]),
    )
  )
    return undefined
  const hierarchies = [...catalog.hierarchies()]
  if (
    !add(
      1,
      hierarchies.map((h, position) => [
        h.name,
        h.type,
        position,
        h.version,
        h.type === 'AM' ? h.aspectDef.globalId : null,
        firstHierarchyId + position,
      ]),
    )
  )
    return undefined
  const entities = new Set<EntityId>()
  for (const h of hierarchies) {
    for (const id of entitiesOf(h)) {
      entities.add(id)
      if (entities.size + count > maxRows) return undefined
    }
  }
  if (
    !add(
      2,
      (function* () {
        for (const id of entities) yield [id]
      })(),
    )
  )
    return undefined
  let nextAspectId = firstAspectId
  const slices: AspectSlice[] = []
  for (const [position, h] of hierarchies.entries()) {
    const hierarchyId = firstHierarchyId + position
    if (h.type === 'AM') {
      const aspects = [...h.aspects()]
      const first = nextAspectId
      nextAspectId += aspects.length
      const slice: AspectSlice = {
        version: versionOf(h.aspectDef),
        aspects,
        ids: aspects.map((_, i) => first + i),
      }
      slices.push(slice)
      if (
        !add(
          7,
          aspectRows([slice], (_, i) => i),
        )
      )
        return undefined
      continue
    }
    const index = { EL: 3, ES: 4, ED: 5, ET: 6 }[h.type]
    if (!add(index, contentRows(h, hierarchyId))) return undefined
  }
  if (!add(8, listRows(slices))) return undefined
  for (const [i, type] of VALUE_TYPES.entries()) {
    if (!add(9 + i, valueRows(slices, type))) return undefined
  }
  return {
    rows: out,
    count,
    aspectIds: nextAspectId - firstAspectId,
    hierarchies: hierarchies.length,
  }
}

/** What the catalog row gets besides its contents. */
export interface WholeHeader {
  readonly catalog: Catalog
  readonly revision: bigint
  readonly nextAspectId: bigint
  readonly nextHierarchyId: number
  readonly expiry: ExpiryChange
  /** Each def's version (the dedicated-table check). */
  readonly versions: readonly StoredVersion[]
}

/**
 * Runs the write. `insert`: a new catalog row (nothing written if one exists); `update`: the
 * locked, stored row of a catalog whose contents were deleted. Returns whether it wrote.
 */
export async function writeWhole(
  connection: Pick<DedicatedConnection, 'prepared'>,
  kind: 'insert' | 'update',
  header: WholeHeader,
  rows: WholeRows,
): Promise<'written' | 'mapped' | 'exists'> {
  const c = header.catalog
  const expiry = header.expiry
  const values: unknown[] = [
    c.globalId,
    c.species,
    c.uri,
    c.upstream,
    c.version,
    header.revision,
    header.nextAspectId,
    header.nextHierarchyId,
    expiry.kind,
    expiry.kind === 'at' ? expiry.at.toISOString() : null,
    expiry.kind === 'ttl' ? expiry.ms : null,
    header.versions.map((v) => v.defId),
    header.versions.map((v) => v.version),
    BigInt(rows.count),
  ]
  // Only the tables this catalog has rows for: an insert of no rows still fires the table's
  // statement trigger. A statement per combination (an application has a few shapes).
  let mask = 0
  TARGETS.forEach((t, i) => {
    const list = rows.rows[i] as readonly (readonly unknown[])[]
    if (list.length === 0) return
    mask |= 1 << i
    t.columns.forEach((_, k) => values.push(list.map((row) => row[k])))
  })
  const statement = statementOf(kind, mask)
  const [result] = await connection.prepared<{ unmapped: boolean; written: number }>(
    statement.name,
    statement.text,
    values,
  )
  if (result?.unmapped !== true) return 'mapped'
  return result.written === 1 ? 'written' : 'exists'
}

function statementText(kind: 'insert' | 'update', mask: number): string {
  // A searched CASE, not `case $9::text when 'at' …`: Citus folds the simple form's constant
  // operand into its WHEN tests and sends the worker `case 'x'::text when false …`, which fails
  // there with "operator does not exist: text = boolean". The same result on a single node.
  const expiresAt = (keep: string) =>
    `case when $9::text = 'at' then $10::timestamptz when $9::text = 'ttl' then now() + $11::float8 * interval '1 millisecond' when $9::text = 'clear' then null else ${keep} end`
  const gate = `g as (select not exists (select 1 from aspect_table_mapping m join unnest($12::uuid[], $13::int4[]) as v(id, version) on m.aspect_def_id = v.id and m.version = v.version) as ok)`
  const catalog =
    kind === 'insert'
      ? `c as (insert into catalog (catalog_id, species, uri, upstream_catalog_id, version_number, revision, next_aspect_id, next_hierarchy_id, expires_at) select $1::uuid, $2::text, $3::text, $4::uuid, $5::int8, $6::int8, $7::int8, $8::int4, ${expiresAt('null')} where (select ok from g) on conflict (catalog_id) do nothing returning catalog_id)`
      : `c as (update catalog set species = $2::text, uri = $3::text, upstream_catalog_id = $4::uuid, version_number = $5::int8, revision = $6::int8, next_aspect_id = $7::int8, next_hierarchy_id = $8::int4, expires_at = ${expiresAt('expires_at')} where catalog_id = $1::uuid and (select ok from g) returning catalog_id)`
  let n = 15
  const writes = TARGETS.flatMap((t, i) => {
    if ((mask & (1 << i)) === 0) return []
    const arrays = t.columns.map((column) => `$${n++}::${sqlTypeOf(t.table, column)}[]`)
    const names = ['catalog_id', ...t.columns].map((x) => `"${x}"`).join(', ')
    // Joined with c: nothing is written unless the catalog row was.
    return [
      `w${i} as (insert into "${t.table}" (${names}) select c.catalog_id, u.* from c, unnest(${arrays.join(', ')}) as u)`,
    ]
  })
  const revision = `r as (insert into catalog_revision (catalog_id, revision, operation, rows_written) select catalog_id, $6::int8, 'save', $14::int8 from c)`
  return `with ${[gate, catalog, ...writes, revision].join(', ')} select (select ok from g) as unmapped, (select count(*) from c)::int4 as written`
}

const statements = new Map<string, { readonly name: string; readonly text: string }>()

function statementOf(
  kind: 'insert' | 'update',
  mask: number,
): { readonly name: string; readonly text: string } {
  const key = `${kind}:${mask}`
  let statement = statements.get(key)
  if (statement === undefined) {
    const text = statementText(kind, mask)
    statement = { name: preparedName(`cheap_save_${kind}`, text), text }
    statements.set(key, statement)
  }
  return statement
}

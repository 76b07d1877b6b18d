import { sql, type Kysely } from 'kysely'
import type { PropertyTypeCode } from '../../model/property-type.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { codecOf } from '../store/codecs/index.ts'
import type { StoredVersion } from '../store/def-versions.ts'
import { columnType } from '../store/dedicated/columns.ts'
import { ABSENT_COLUMN, q, sqlLiteral } from '../store/dedicated/names.ts'
import type { DedicatedTable } from '../store/dedicated/table.ts'

type Db = Kysely<CheapDatabase>

function typeAlias(type: PropertyTypeCode): string {
  return `s_${type.toLowerCase()}`
}

/**
 * `aspect a` restricted to the aspects of catalogs pinned to `version` (and among `catalogIds`,
 * when given): FROM and WHERE.
 */
function pinnedAspects(
  version: StoredVersion,
  catalogIds?: readonly string[],
): { readonly from: string; readonly where: string } {
  const among =
    catalogIds === undefined
      ? ''
      : ` and a.catalog_id in (${catalogIds.map((id) => `${sqlLiteral(id)}::uuid`).join(', ')})`
  return {
    from:
      `aspect a join catalog_aspect_def p on p.catalog_id = a.catalog_id and ` +
      `p.aspect_def_id = a.aspect_def_id and p.version = ${version.version}`,
    where: `a.aspect_def_id = ${sqlLiteral(version.defId)}::uuid${among}`,
  }
}

/**
 * Moves the values of every aspect of `version` (in every catalog pinned to it) from the generic
 * value tables into its dedicated table: one `INSERT … SELECT` over those `aspect` rows with one
 * aggregating lateral subquery per value table (each an index range scan on the aspect's key),
 * then deletes the generic rows. Returns the number of aspects moved.
 */
export async function moveIntoTable(
  trx: Db,
  version: StoredVersion,
  table: DedicatedTable,
  catalogIds?: readonly string[],
): Promise<number> {
  if (catalogIds !== undefined && catalogIds.length === 0) return 0
  const aggregates = new Map<string, string[]>()
  const agg = (alias: string, expr: string) => {
    const list = aggregates.get(alias)
    if (list === undefined) aggregates.set(alias, [expr])
    else list.push(expr)
  }
  const targets: string[] = []
  const exprs: string[] = []
  const presence: string[] = []
  version.properties.forEach(({ def: prop, slot }, i) => {
    const column = table.columns.get(slot)
    if (column === undefined) return
    const name = sqlLiteral(prop.name)
    const codec = codecOf(prop.type)
    const s = typeAlias(prop.type)
    const filter = `filter (where v.property_id = ${slot})`
    targets.push(q(column))
    if (codec.extra !== undefined) targets.push(q(column + codec.extra.suffix))
    if (prop.isMultivalued) {
      agg(s, `array_agg(v.value order by v.value_index) ${filter} as v${i}`)
      agg('s_list', `(array_agg(l.length) filter (where l.property_id = ${slot}))[1] as n${i}`)
      agg('s_list', `count(*) filter (where l.property_id = ${slot}) > 0 as h${i}`)
      exprs.push(
        `case when s_list.n${i} is null then null else coalesce(${s}.v${i}, '{}'::${columnType(prop)}) end`,
      )
      if (codec.extra !== undefined) {
        agg(s, `array_agg(v.${codec.extra.column} order by v.value_index) ${filter} as x${i}`)
        exprs.push(
          `case when s_list.n${i} is null then null else coalesce(${s}.x${i}, '{}'::${codec.extra.sqlType}[]) end`,
        )
      }
      presence.push(`case when not s_list.h${i} then ${name} end`)
    } else {
      agg(s, `(array_agg(v.value) ${filter})[1] as v${i}`)
      agg(s, `count(*) ${filter} > 0 as h${i}`)
      exprs.push(`${s}.v${i}`)
      if (codec.extra !== undefined) {
        agg(s, `(array_agg(v.${codec.extra.column}) ${filter})[1] as x${i}`)
        exprs.push(`${s}.x${i}`)
      }
      presence.push(`case when not ${s}.h${i} then ${name} end`)
    }
  })
  const laterals = [...aggregates].map(([alias, list]) => {
    const [from, key] =
      alias === 's_list'
        ? ['property_list l', 'l.catalog_id = a.catalog_id and l.aspect_id = a.aspect_id']
        : [
            `${codecOf(alias.slice(2).toUpperCase() as PropertyTypeCode).table} v`,
            'v.catalog_id = a.catalog_id and v.aspect_id = a.aspect_id',
          ]
    return `cross join lateral (select ${list.join(', ')} from ${from} where ${key}) ${alias}`
  })
  const absent =
    presence.length === 0
      ? 'null::text[]'
      : `nullif(array_remove(array[${presence.join(', ')}]::text[], null), '{}'::text[])`
  const pinned = pinnedAspects(version, catalogIds)
  const statement = [
    `insert into ${q(table.table)} (catalog_id, aspect_id, entity_id, ${[...targets, ABSENT_COLUMN].join(', ')})`,
    `select a.catalog_id, a.aspect_id, a.entity_id, ${[...exprs, absent].join(', ')}`,
    `from ${pinned.from}`,
    ...laterals,
    `where ${pinned.where}`,
  ].join('\n')
  const result = await sql.raw(statement).execute(trx)
  const tables = new Set(version.properties.map((p) => codecOf(p.def.type).table as string))
  if (version.properties.some((p) => p.def.isMultivalued)) tables.add('property_list')
  for (const t of tables) {
    await sql
      .raw(
        `delete from ${t} v using ${pinned.from} where ${pinned.where} and v.catalog_id = a.catalog_id and v.aspect_id = a.aspect_id`,
      )
      .execute(trx)
  }
  return Number(result.numAffectedRows ?? 0n)
}

/**
 * Moves every row of a dedicated table back into the generic value tables (value rows,
 * `property_list` rows for multivalued properties; absent properties get no rows), then deletes
 * them from the table (a DELETE, not a TRUNCATE: a reader whose snapshot predates this move
 * still reads them there). Returns the number of aspects moved.
 */
export async function moveOutOfTable(
  trx: Db,
  version: StoredVersion,
  table: DedicatedTable,
): Promise<number> {
  const t = q(table.table)
  for (const { def: prop, slot } of version.properties) {
    const column = table.columns.get(slot)
    if (column === undefined) continue
    const name = sqlLiteral(prop.name)
    const codec = codecOf(prop.type)
    const col = `t.${q(column)}`
    const extraCol = codec.extra === undefined ? undefined : `t.${q(column + codec.extra.suffix)}`
    const present = `not coalesce(t.${ABSENT_COLUMN} @> array[${name}]::text[], false)`
    const targets = `catalog_id, aspect_id, property_id, value_index, value${codec.extra === undefined ? '' : `, ${codec.extra.column}`}`
    if (prop.isMultivalued) {
      await sql
        .raw(
          `insert into property_list (catalog_id, aspect_id, property_id, length) select t.catalog_id, t.aspect_id, ${slot}, cardinality(${col}) from ${t} t where ${present}`,
        )
        .execute(trx)
      const unnest =
        extraCol === undefined
          ? `unnest(${col}) with ordinality as u(v, ord)`
          : `unnest(${col}, ${extraCol}) with ordinality as u(v, x, ord)`
      await sql
        .raw(
          `insert into ${codec.table} (${targets}) select t.catalog_id, t.aspect_id, ${slot}, (u.ord - 1)::int4, u.v${extraCol === undefined ? '' : ', u.x'} from ${t} t cross join lateral ${unnest} where ${present}`,
        )
        .execute(trx)
    } else {
      await sql
        .raw(
          `insert into ${codec.table} (${targets}) select t.catalog_id, t.aspect_id, ${slot}, 0, ${col}${extraCol === undefined ? '' : `, ${extraCol}`} from ${t} t where ${present}`,
        )
        .execute(trx)
    }
  }
  const result = await sql.raw(`delete from ${t}`).execute(trx)
  return Number(result.numAffectedRows ?? 0n)
}

import { sql, type Kysely } from 'kysely'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { PropertyTypeCode } from '../../model/property-type.ts'
import { VALUE_CODECS } from '../store/value-codecs.ts'
import { columnType, extraSuffix } from './column-types.ts'
import type { AspectTableMapping } from './mapping-store.ts'
import { ABSENT_COLUMN, q, sqlLiteral } from './names.ts'

type Executor = Kysely<unknown>

function typeAlias(type: PropertyTypeCode): string {
  return `s_${type.toLowerCase()}`
}

/**
 * Moves every aspect's values of `def` (in every catalog) from the generic value tables into its
 * dedicated table: one `INSERT … SELECT` over the def's `aspect` rows with one aggregating
 * lateral subquery per value table (each an index range scan on the aspect's key), then deletes
 * the generic rows. Returns the number of aspects moved.
 */
export async function moveIntoTable(
  trx: Executor,
  def: AspectDef,
  mapping: AspectTableMapping,
): Promise<number> {
  const id = `${sqlLiteral(def.globalId)}::uuid`
  const aggregates = new Map<string, string[]>()
  const agg = (alias: string, expr: string) => {
    const list = aggregates.get(alias)
    if (list === undefined) aggregates.set(alias, [expr])
    else list.push(expr)
  }
  const targets: string[] = []
  const exprs: string[] = []
  const presence: string[] = []
  def.propertyDefs().forEach((prop, i) => {
    const column = mapping.columns.get(prop.name)
    if (column === undefined) return
    const name = sqlLiteral(prop.name)
    const codec = VALUE_CODECS[prop.type]
    const s = typeAlias(prop.type)
    const filter = `filter (where v.property_name = ${name})`
    const suffix = extraSuffix(prop.type)
    targets.push(q(column))
    if (suffix !== undefined) targets.push(q(column + suffix))
    if (prop.isMultivalued) {
      agg(s, `array_agg(v.value order by v.value_index) ${filter} as v${i}`)
      agg('s_list', `(array_agg(l.length) filter (where l.property_name = ${name}))[1] as n${i}`)
      agg('s_list', `count(*) filter (where l.property_name = ${name}) > 0 as h${i}`)
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
    const key =
      alias === 's_list'
        ? 'l.catalog_id = a.catalog_id and l.aspect_def_id = a.aspect_def_id and l.entity_id = a.entity_id'
        : 'v.catalog_id = a.catalog_id and v.aspect_def_id = a.aspect_def_id and v.entity_id = a.entity_id'
    const from =
      alias === 's_list'
        ? 'property_list l'
        : `${VALUE_CODECS[alias.slice(2).toUpperCase() as PropertyTypeCode].table} v`
    return `cross join lateral (select ${list.join(', ')} from ${from} where ${key}) ${alias}`
  })
  const absent =
    presence.length === 0
      ? 'null::text[]'
      : `nullif(array_remove(array[${presence.join(', ')}]::text[], null), '{}'::text[])`
  const statement = [
    `insert into ${q(mapping.table)} (catalog_id, entity_id, ${[...targets, ABSENT_COLUMN].join(', ')})`,
    `select a.catalog_id, a.entity_id, ${[...exprs, absent].join(', ')}`,
    'from aspect a',
    ...laterals,
    `where a.aspect_def_id = ${id}`,
  ].join('\n')
  const result = await sql.raw(statement).execute(trx)
  for (const type of usedTypes(def)) {
    await sql
      .raw(
        `delete from ${VALUE_CODECS[type].table} v using aspect a where a.aspect_def_id = ${id} and v.catalog_id = a.catalog_id and v.aspect_def_id = a.aspect_def_id and v.entity_id = a.entity_id`,
      )
      .execute(trx)
  }
  if (def.propertyDefs().some((p) => p.isMultivalued)) {
    await sql
      .raw(
        `delete from property_list l using aspect a where a.aspect_def_id = ${id} and l.catalog_id = a.catalog_id and l.aspect_def_id = a.aspect_def_id and l.entity_id = a.entity_id`,
      )
      .execute(trx)
  }
  return Number(result.numAffectedRows ?? 0n)
}

function usedTypes(def: AspectDef): Set<PropertyTypeCode> {
  return new Set(def.propertyDefs().map((p) => p.type))
}

/**
 * Moves every row of a dedicated table back into the generic value tables (value rows,
 * `property_list` rows for multivalued properties; absent properties get no rows), then empties
 * the table. Returns the number of aspects moved.
 */
export async function moveOutOfTable(
  trx: Executor,
  def: AspectDef,
  mapping: AspectTableMapping,
): Promise<number> {
  const t = q(mapping.table)
  for (const prop of def.propertyDefs()) {
    const column = mapping.columns.get(prop.name)
    if (column === undefined) continue
    const name = sqlLiteral(prop.name)
    const codec = VALUE_CODECS[prop.type]
    const col = `t.${q(column)}`
    const suffix = extraSuffix(prop.type)
    const extraCol = suffix === undefined ? undefined : `t.${q(column + suffix)}`
    const present = `not coalesce(t.${ABSENT_COLUMN} @> array[${name}]::text[], false)`
    const targets = `catalog_id, aspect_def_id, entity_id, property_name, value_index, value${codec.extra === undefined ? '' : `, ${codec.extra.column}`}`
    if (prop.isMultivalued) {
      await sql
        .raw(
          `insert into property_list (catalog_id, aspect_def_id, entity_id, property_name, property_type, length) select t.catalog_id, t.aspect_def_id, t.entity_id, ${name}, ${sqlLiteral(prop.type)}, cardinality(${col}) from ${t} t where ${present}`,
        )
        .execute(trx)
      const unnest =
        extraCol === undefined
          ? `unnest(${col}) with ordinality as u(v, ord)`
          : `unnest(${col}, ${extraCol}) with ordinality as u(v, x, ord)`
      await sql
        .raw(
          `insert into ${codec.table} (${targets}) select t.catalog_id, t.aspect_def_id, t.entity_id, ${name}, (u.ord - 1)::int4, u.v${extraCol === undefined ? '' : ', u.x'} from ${t} t cross join lateral ${unnest} where ${present}`,
        )
        .execute(trx)
    } else {
      await sql
        .raw(
          `insert into ${codec.table} (${targets}) select t.catalog_id, t.aspect_def_id, t.entity_id, ${name}, 0, ${col}${extraCol === undefined ? '' : `, ${extraCol}`} from ${t} t where ${present}`,
        )
        .execute(trx)
    }
  }
  const result = await sql.raw(`delete from ${t}`).execute(trx)
  return Number(result.numAffectedRows ?? 0n)
}

import { sql, type Kysely, type RawBuilder } from 'kysely'
import { CheapConflictError, CheapNotFoundError, CheapValidationError } from '../errors.ts'
import { Aspect } from '../model/aspect.ts'
import type { AspectDef } from '../model/aspect-def.ts'
import type { EntityId } from '../model/entity.ts'
import {
  PROPERTY_TYPE_CODES,
  type PropertyTypeCode,
  type PropertyValue,
  type ScalarValue,
} from '../model/property-type.ts'
import { dateTimeFromInstantAndZone } from '../model/values/java-date-time.ts'
import { decimalFromPlain, formatDecimal } from '../model/values/java-decimal.ts'
import { loadAspectDefsById } from './aspect-def-store.ts'
import { decodeFloat, parseTimestampText, VALUE_CODECS } from './store/value-codecs.ts'

type Executor = Kysely<unknown>

/**
 * AspectDefs by name, remembered per DAO and revalidated on every use against the stored
 * `(aspect_def_id, hash_version)` that comes back with the data, so a def changed elsewhere is
 * reloaded, never used stale.
 */
export type AspectDefCache = Map<string, AspectDef>

/** Every column as text, so one UNION ALL carries all value tables: decoders per type. */
const TEXT_DECODERS: {
  readonly [T in PropertyTypeCode]: (text: string, extra: string | null) => ScalarValue
} = {
  INT: (t) => BigInt(t),
  FLT: (t) => decodeFloat(t),
  BLN: (t) => t === 't',
  STR: (t) => t,
  TXT: (t) => t,
  BGI: (t) => BigInt(t),
  BGF: (t, x) => formatDecimal(decimalFromPlain(t, Number(x))),
  DAT: (t, x) => dateTimeFromInstantAndZone(parseTimestampText(t), x ?? 'Z'),
  URI: (t) => t,
  UID: (t) => t,
  CLB: (t) => t,
  // bytea::text is `\x` + hex (bytea_output = hex is pinned on every connection).
  BLB: (t) => Uint8Array.from(Buffer.from(t.slice(2), 'hex')),
}

interface FetchRow {
  k: string
  entity_id: EntityId | null
  name: string | null
  idx: number | null
  v: string | null
  x: string | null
}

/**
 * The stored aspects of `defName` for `entityIds` in one statement — one round trip and one
 * snapshot: the catalog and AspectMap check, the def's identity and hash, the aspect rows, the
 * multivalued lengths and the values of every type the def uses, as one UNION ALL of text.
 */
export async function fetchAspects(
  db: Executor,
  catalogId: string,
  defName: string,
  entityIds: readonly EntityId[],
  cache: AspectDefCache,
  call: string,
): Promise<{ readonly def: AspectDef; readonly aspects: Map<EntityId, Aspect> } | 'mapped'> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const cached = cache.get(defName)
    const rows = (await query(catalogId, defName, entityIds, cached).execute(db)).rows
    const head = rows.find((r) => r.k === 'D')
    if (!rows.some((r) => r.k === 'C'))
      throw new CheapNotFoundError(`${call}: catalog ${catalogId} is not stored`)
    if (head === undefined) {
      throw new CheapNotFoundError(`${call}: catalog ${catalogId} has no aspect map '${defName}'`)
    }
    if (head.name !== 'AM') {
      throw new CheapValidationError(
        `${call}: hierarchy '${defName}' of catalog ${catalogId} is a ${head.name}, not an aspect map`,
        {
          reason: 'WRONG_HIERARCHY',
        },
      )
    }
    // A def kept in a dedicated table (mapping/) is read by its own loader.
    if (rows.some((r) => r.k === 'M')) return 'mapped'
    const defId = head.x as string
    if (cached !== undefined && cached.globalId === defId && cached.hash().toString() === head.v) {
      return { def: cached, aspects: build(cached, rows) }
    }
    const def = (await loadAspectDefsById(db, [defId])).get(defId)
    if (def === undefined) throw new CheapNotFoundError(`${call}: AspectDef ${defId} is not stored`)
    // The values were read for another def's types (or not at all): read again with this one.
    cache.set(defName, def)
  }
  throw new CheapConflictError(
    `${call}: AspectDef '${defName}' kept changing while it was read; try again`,
  )
}

function query(
  catalogId: string,
  defName: string,
  entityIds: readonly EntityId[],
  def: AspectDef | undefined,
): RawBuilder<FetchRow> {
  const ids = [...entityIds]
  const defId = sql`(select aspect_def_id from hierarchy where catalog_id = ${catalogId}::uuid and name = ${defName})`
  const scope = sql`catalog_id = ${catalogId}::uuid and aspect_def_id = ${defId} and entity_id = any(${ids}::uuid[])`
  const parts: RawBuilder<unknown>[] = [
    sql`select 'C' as k, null::uuid as entity_id, null::text as name, null::int4 as idx, null::text as v, null::text as x from catalog where catalog_id = ${catalogId}::uuid`,
    sql`select 'M', null, null, null, null, null from aspect_table_mapping where aspect_def_id = ${defId}`,
    sql`select 'D', null, h.hierarchy_type, null, d.hash_version::text, h.aspect_def_id::text from hierarchy h left join aspect_def d on d.aspect_def_id = h.aspect_def_id where h.catalog_id = ${catalogId}::uuid and h.name = ${defName}`,
  ]
  if (def !== undefined && ids.length > 0) {
    parts.push(sql`select 'A', entity_id, null, map_order, null, null from aspect where ${scope}`)
    if (def.propertyDefs().some((p) => p.isMultivalued)) {
      parts.push(
        sql`select 'L', entity_id, property_name, length, null, null from property_list where ${scope}`,
      )
    }
    const types = new Set(def.propertyDefs().map((p) => p.type))
    for (const type of PROPERTY_TYPE_CODES) {
      if (!types.has(type)) continue
      const codec = VALUE_CODECS[type]
      const extra = codec.extra === undefined ? sql`null` : sql`${sql.id(codec.extra.column)}::text`
      parts.push(
        sql`select ${type}, entity_id, property_name, value_index, value::text, ${extra} from ${sql.id(codec.table)} where ${scope}`,
      )
    }
  }
  return sql<FetchRow>`${sql.join(parts, sql` union all `)}`
}

function build(def: AspectDef, rows: readonly FetchRow[]): Map<EntityId, Aspect> {
  const order = rows.filter((r) => r.k === 'A').sort((a, b) => (a.idx ?? 0) - (b.idx ?? 0))
  const stored = new Map<EntityId, Map<string, PropertyValue>>()
  for (const r of order) stored.set(r.entity_id as EntityId, new Map())
  for (const r of rows) {
    if (r.k !== 'L') continue
    stored
      .get(r.entity_id as EntityId)
      ?.set(r.name as string, r.idx === null ? null : new Array<ScalarValue>(r.idx))
  }
  for (const r of rows) {
    const decode = (
      TEXT_DECODERS as Record<string, ((t: string, x: string | null) => ScalarValue) | undefined>
    )[r.k]
    if (decode === undefined) continue
    const values = stored.get(r.entity_id as EntityId)
    if (values === undefined) continue
    const value = r.v === null ? null : decode(r.v, r.x)
    const list = values.get(r.name as string)
    if (Array.isArray(list)) (list as ScalarValue[])[r.idx ?? 0] = value as ScalarValue
    else values.set(r.name as string, value)
  }
  const out = new Map<EntityId, Aspect>()
  for (const [entityId, values] of stored) {
    for (const [name, value] of values)
      if (Array.isArray(value)) values.set(name, Object.freeze(value))
    out.set(entityId, Aspect.restore(def, entityId, values))
  }
  return out
}

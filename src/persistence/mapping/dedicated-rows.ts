import { sql, type Kysely, type RawBuilder } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { PropertyValue, ScalarValue } from '../../model/property-type.ts'
import { CHUNK_ROWS } from '../store/bulk-write.ts'
import {
  arrayLiteral,
  elementSqlType,
  encodeElement,
  encodeElementExtra,
  extraSuffix,
} from './column-types.ts'
import { layoutSignature, signatureOfComment, syncTable } from './dedicated-ddl.ts'
import { readMappings, type AspectTableMapping, type MappingCache } from './mapping-store.ts'
import { ABSENT_COLUMN } from './names.ts'
import { VALUE_CODECS } from '../store/value-codecs.ts'

type Executor = Kysely<unknown>

/**
 * Thrown inside a save's transaction when the stored mappings differ from the ones its rows were
 * built with (another DAO or process mapped or unmapped a def meanwhile). The DAO refreshes its
 * mapping cache and runs the save again; callers never see it.
 */
export class StaleMappingError extends Error {
  override readonly name = 'StaleMappingError'
}

/** One column of encoded values (and of zone/scale extras) for one property. */
interface PropertyData {
  readonly values: unknown[]
  readonly extras: unknown[]
}

/** The encoded rows of one mapped def: one row per aspect. */
interface DefRows {
  readonly def: AspectDef
  readonly entityIds: string[]
  readonly properties: Map<string, PropertyData>
  readonly absent: (string | null)[]
}

interface Shared {
  /** Mappings known before the transaction (the DAO's cache), by def id. */
  readonly mapped: ReadonlyMap<string, AspectTableMapping>
  /** Defs checked (and their tables aligned) by every write, whether or not rows were added. */
  readonly always: readonly AspectDef[]
  /** Mappings as read (and synced) inside the transaction, by def id; null: not mapped. */
  readonly verified: Map<string, AspectTableMapping | null>
}

/**
 * The save hook for dedicated tables. `catalog-rows.ts` hands every aspect to {@link add}; the
 * values of a mapped def's aspects are encoded here (one row per aspect), the rest go to the
 * generic value tables as before (the `aspect` row, membership and map order, is written for
 * every aspect either way). Inside the transaction, {@link write} runs after the `aspect` rows
 * and checks the mappings first, so any writer of `ContentRows` (a save, `upsertAspects`) gets
 * the dedicated tables by attaching a collector (`newContentRows(collector)`) and calling the
 * shared write functions.
 */
export class DedicatedRows {
  readonly #shared: Shared
  readonly #rows = new Map<string, DefRows>()
  /** Every def whose aspects passed through {@link add}, mapped or not. */
  readonly #seen = new Map<string, AspectDef>()

  private constructor(shared: Shared) {
    this.#shared = shared
  }

  /** A collector for a save whose catalog's mapped defs are `mapped` (from the DAO's cache). */
  static forSave(
    mapped: ReadonlyMap<string, AspectTableMapping>,
    always: readonly AspectDef[] = [],
  ): DedicatedRows {
    return new DedicatedRows({ mapped, always, verified: new Map() })
  }

  /** An empty collector sharing this one's mappings (a second batch of rows in the same save). */
  fresh(): DedicatedRows {
    return new DedicatedRows(this.#shared)
  }

  /** Rows collected so far. */
  get size(): number {
    let n = 0
    for (const r of this.#rows.values()) n += r.entityIds.length
    return n
  }

  /**
   * Takes `aspect`'s values when its def lives in a dedicated table (returns true), else returns
   * false. A read-only (adopted) mapping fails with a {@link CheapValidationError}.
   */
  add(def: AspectDef, aspect: Aspect): boolean {
    this.#seen.set(def.globalId, def)
    const mapping = this.#shared.mapped.get(def.globalId)
    if (mapping === undefined) return false
    if (mapping.isReadOnly) throw readOnlyError(def, mapping)
    let rows = this.#rows.get(def.globalId)
    if (rows === undefined) {
      rows = {
        def,
        entityIds: [],
        properties: new Map(def.propertyDefs().map((p) => [p.name, { values: [], extras: [] }])),
        absent: [],
      }
      this.#rows.set(def.globalId, rows)
    }
    rows.entityIds.push(aspect.entityId)
    const stored = Aspect.stored(aspect)
    const absent: string[] = []
    for (const prop of def.propertyDefs()) {
      const data = rows.properties.get(prop.name) as PropertyData
      if (!stored.has(prop.name)) {
        absent.push(prop.name)
        data.values.push(null)
        data.extras.push(null)
        continue
      }
      const value = stored.get(prop.name) as PropertyValue
      if (value === null) {
        data.values.push(null)
        data.extras.push(null)
      } else if (prop.isMultivalued) {
        const list = value as readonly ScalarValue[]
        data.values.push(arrayLiteral(list.map((v) => encodeElement(prop.type, v))))
        data.extras.push(
          VALUE_CODECS[prop.type].extra === undefined
            ? null
            : arrayLiteral(list.map((v) => encodeElementExtra(prop.type, v))),
        )
      } else {
        data.values.push(encodeElement(prop.type, value as ScalarValue))
        data.extras.push(encodeElementExtra(prop.type, value as ScalarValue) ?? null)
      }
    }
    rows.absent.push(absent.length === 0 ? null : arrayLiteral(absent))
    return true
  }

  /**
   * Inside the transaction, after the `aspect` rows: checks that the stored mappings of every def
   * this collector saw are the ones its rows were built with (else {@link StaleMappingError}: the
   * caller rebuilds and retries), alters a dedicated table whose def changed shape, and writes the
   * collected rows (insert, or upsert replacing changed rows). Returns rows sent.
   */
  async write(trx: Executor, catalogId: string, mode: 'insert' | 'upsert'): Promise<number> {
    await this.#verify(trx)
    let written = 0
    for (const [defId, rows] of this.#rows) {
      if (rows.entityIds.length === 0) continue
      const mapping = this.#shared.verified.get(defId) as AspectTableMapping
      written += await writeDefRows(trx, catalogId, mapping, rows, mode)
    }
    return written
  }

  async #verify(trx: Executor): Promise<void> {
    const verified = this.#shared.verified
    const candidates = new Map(this.#seen)
    for (const def of this.#shared.always) candidates.set(def.globalId, def)
    const pending = [...candidates.values()].filter((d) => !verified.has(d.globalId))
    if (pending.length === 0) return
    const stored = await readMappings(
      trx,
      pending.map((d) => d.globalId),
    )
    for (const def of pending) {
      const known = this.#shared.mapped.get(def.globalId)
      const now = stored.get(def.globalId)
      if (
        known?.table !== now?.table ||
        known?.isReadOnly !== now?.isReadOnly ||
        known?.aspectDefId !== now?.aspectDefId
      ) {
        throw new StaleMappingError(`the mapping of AspectDef '${def.name}' changed`)
      }
    }
    const writable = pending.filter((d) => stored.get(d.globalId)?.isReadOnly === false)
    const signatures = await readSignatures(
      trx,
      writable.map((d) => (stored.get(d.globalId) as AspectTableMapping).table),
    )
    for (const def of pending) {
      const m = stored.get(def.globalId)
      if (m === undefined) {
        verified.set(def.globalId, null)
        continue
      }
      if (m.isReadOnly) {
        // Only aspects being written are refused; an empty map of an adopted def is fine.
        if (this.#seen.has(def.globalId)) throw readOnlyError(def, m)
        verified.set(def.globalId, m)
        continue
      }
      const current = signatures.get(m.table) ?? null
      const complete = def.propertyDefs().every((p) => m.columns.has(p.name))
      verified.set(
        def.globalId,
        current === layoutSignature(def, m.columns) && complete ? m : await syncTable(trx, def, m),
      )
    }
  }
}

function readOnlyError(def: AspectDef, mapping: AspectTableMapping): CheapValidationError {
  return new CheapValidationError(
    `AspectDef '${def.name}' is mapped read-only to the adopted table ${JSON.stringify(mapping.table)}; its aspects cannot be saved (read them with loadAdoptedTable)`,
    { reason: 'NOT_WRITABLE', aspectDefName: def.name },
  )
}

async function readSignatures(
  trx: Executor,
  tables: readonly string[],
): Promise<Map<string, string | null>> {
  if (tables.length === 0) return new Map()
  const rows = await sql<{
    t: string
    c: string | null
  }>`select t, obj_description(to_regclass(quote_ident(current_schema()) || '.' || quote_ident(t)), 'pg_class') as c from unnest(${[...tables]}::text[]) as t`.execute(
    trx,
  )
  return new Map(rows.rows.map((r) => [r.t, signatureOfComment(r.c)]))
}

interface Column {
  readonly name: string
  /** Parameter element type. */
  readonly param: string
  /** Cast applied in the select list (array columns sent as text literals). */
  readonly cast: string | undefined
  readonly data: unknown[]
}

function columnsOf(mapping: AspectTableMapping, rows: DefRows): Column[] {
  const out: Column[] = [
    { name: 'entity_id', param: 'uuid', cast: undefined, data: rows.entityIds },
  ]
  for (const prop of rows.def.propertyDefs()) {
    const column = mapping.columns.get(prop.name)
    const data = rows.properties.get(prop.name)
    if (column === undefined || data === undefined) continue
    const element = elementSqlType(prop.type)
    out.push(
      prop.isMultivalued
        ? { name: column, param: 'text', cast: `${element}[]`, data: data.values }
        : { name: column, param: element, cast: undefined, data: data.values },
    )
    const suffix = extraSuffix(prop.type)
    const extra = VALUE_CODECS[prop.type].extra
    if (suffix !== undefined && extra !== undefined) {
      out.push(
        prop.isMultivalued
          ? { name: column + suffix, param: 'text', cast: `${extra.sqlType}[]`, data: data.extras }
          : { name: column + suffix, param: extra.sqlType, cast: undefined, data: data.extras },
      )
    }
  }
  out.push({ name: ABSENT_COLUMN, param: 'text', cast: 'text[]', data: rows.absent })
  return out
}

/**
 * `INSERT INTO t (…) SELECT $catalog, u.k0, u.k1::bigint[], … FROM unnest($1::uuid[], $2::int8[],
 * $3::text[], …) AS u(k0, k1, …)`, 10k rows a statement. Scalar columns travel as typed arrays,
 * as in every other table; array columns (multivalued properties, zone/scale lists and
 * `cheap_absent`) as one PostgreSQL array literal per row in a `text[]`, cast to the column type
 * in the select list.
 */
async function writeDefRows(
  trx: Executor,
  catalogId: string,
  mapping: AspectTableMapping,
  rows: DefRows,
  mode: 'insert' | 'upsert',
): Promise<number> {
  const columns = columnsOf(mapping, rows)
  const names = sql.join([sql.id('catalog_id'), ...columns.map((c) => sql.id(c.name))])
  const alias = (i: number) => sql.id(`k${i}`)
  const select = sql.join(
    columns.map((c, i) =>
      c.cast === undefined ? sql`u.${alias(i)}` : sql`u.${alias(i)}::${sql.raw(c.cast)}`,
    ),
  )
  const aliases = sql.join(columns.map((_, i) => alias(i)))
  const values = columns.slice(1)
  const conflict: RawBuilder<unknown> =
    mode === 'insert'
      ? sql``
      : sql`on conflict (catalog_id, entity_id) do update set ${sql.join(values.map((c) => sql`${sql.id(c.name)} = excluded.${sql.id(c.name)}`))} where (${sql.join(values.map((c) => sql`${sql.id(mapping.table)}.${sql.id(c.name)}`))}) is distinct from (${sql.join(values.map((c) => sql`excluded.${sql.id(c.name)}`))})`
  const total = rows.entityIds.length
  for (let from = 0; from < total; from += CHUNK_ROWS) {
    const to = Math.min(total, from + CHUNK_ROWS)
    const params = sql.join(
      columns.map(
        (c) =>
          sql`${from === 0 && to === total ? c.data : c.data.slice(from, to)}::${sql.raw(c.param)}[]`,
      ),
    )
    await sql`insert into ${sql.id(mapping.table)} (${names}) select ${catalogId}::uuid, ${select} from unnest(${params}) as u(${aliases}) ${conflict}`.execute(
      trx,
    )
  }
  return total
}

/**
 * The DAO side of a write: the mappings of `defs` (all checked inside the transaction, so a def
 * whose shape changed gets its table aligned even when none of its aspects is written) from the
 * cache, and up to two retries with a
 * fresh cache when the write finds the mappings changed under it ({@link StaleMappingError}).
 */
export async function withDedicatedRows<T>(
  db: Executor,
  cache: MappingCache,
  defs: readonly AspectDef[],
  run: (dedicated: DedicatedRows) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const mapped = await cache.forDefs(
      db,
      defs.map((d) => d.globalId),
    )
    try {
      return await run(DedicatedRows.forSave(mapped, defs))
    } catch (error) {
      if (!(error instanceof StaleMappingError) || attempt >= 2) throw error
      cache.invalidate()
    }
  }
}

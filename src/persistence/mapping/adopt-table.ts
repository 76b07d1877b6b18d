import { randomUUID } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import { CheapConflictError, CheapNotFoundError, CheapValidationError } from '../../errors.ts'
import { restoreAspect } from '../../model/aspect.ts'
import { createAspectDef, type AspectDef } from '../../model/aspect-def.ts'
import { newEntityId, toEntityId } from '../../model/entity.ts'
import { AspectMap } from '../../model/hierarchy/aspect-map.ts'
import { createPropertyDef, type PropertyDef } from '../../model/property-def.ts'
import type { PropertyTypeCode } from '../../model/property-type.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { CODECS } from '../store/codecs/index.ts'
import {
  loadVersions,
  resolveDefs,
  versionIn,
  type DefVersionCache,
} from '../store/def-versions.ts'
import { q, validateIdentifier } from '../store/dedicated/names.ts'
import { readMappings } from '../store/dedicated/table.ts'
import { lockDefForSchemaChange } from './map-aspect-def.ts'
import { insertMapping } from './mapping-store.ts'

type Executor = Kysely<CheapDatabase>

export interface AdoptTableOptions {
  /** The AspectDef's name; default the table name. */
  readonly aspectDefName?: string
  /**
   * Property name → column name: adopt only these columns, under these property names. Default:
   * every column but `catalog_id` / `entity_id`, each under its own name.
   */
  readonly columns?: Readonly<Record<string, string>>
}

export interface LoadAdoptedTableOptions {
  /** Only the rows of this catalog, when the table has a `catalog_id` column (else ignored). */
  readonly catalogId?: string
  /** At most this many rows. */
  readonly limit?: number
}

interface TableColumn {
  readonly name: string
  readonly typeName: string
  readonly isArray: boolean
  readonly notNull: boolean
}

/**
 * The Java `PostgresCatalog` type map (reference §2.7), on PostgreSQL's internal type names:
 * integers → INT, floating and exact numbers → FLT, text-like → TXT, character and other
 * scalar types → STR, bytea → BLB, bool → BLN, date/time types → DAT, uuid → UID; arrays and
 * unknown types → TXT.
 */
const TYPE_MAP: Readonly<Record<string, PropertyTypeCode>> = {
  int2: 'INT',
  int4: 'INT',
  int8: 'INT',
  oid: 'INT',
  float4: 'FLT',
  float8: 'FLT',
  numeric: 'FLT',
  money: 'FLT',
  text: 'TXT',
  json: 'TXT',
  jsonb: 'TXT',
  xml: 'TXT',
  tsvector: 'TXT',
  tsquery: 'TXT',
  point: 'TXT',
  line: 'TXT',
  lseg: 'TXT',
  box: 'TXT',
  path: 'TXT',
  polygon: 'TXT',
  circle: 'TXT',
  int4range: 'TXT',
  int8range: 'TXT',
  numrange: 'TXT',
  tsrange: 'TXT',
  tstzrange: 'TXT',
  daterange: 'TXT',
  varchar: 'STR',
  bpchar: 'STR',
  char: 'STR',
  name: 'STR',
  interval: 'STR',
  inet: 'STR',
  cidr: 'STR',
  macaddr: 'STR',
  macaddr8: 'STR',
  bit: 'STR',
  varbit: 'STR',
  regproc: 'STR',
  regprocedure: 'STR',
  regoper: 'STR',
  regoperator: 'STR',
  regclass: 'STR',
  regtype: 'STR',
  regconfig: 'STR',
  regdictionary: 'STR',
  bytea: 'BLB',
  bool: 'BLN',
  date: 'DAT',
  time: 'DAT',
  timetz: 'DAT',
  timestamp: 'DAT',
  timestamptz: 'DAT',
  uuid: 'UID',
}

/** The CHEAP type of a column, by the Java type map. */
export function cheapTypeOf(column: Pick<TableColumn, 'typeName' | 'isArray'>): PropertyTypeCode {
  if (column.isArray) return 'TXT'
  return TYPE_MAP[column.typeName] ?? 'TXT'
}

/** The columns of a table in the current schema (domains resolved to their base type). */
async function introspect(db: Executor, table: string): Promise<TableColumn[] | undefined> {
  const rel = await sql<{
    oid: number | null
  }>`select c.oid::int8 as oid from pg_class c where c.oid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(${table})) and c.relkind in ('r', 'p')`.execute(
    db,
  )
  const oid = rel.rows[0]?.oid ?? null
  if (oid === null) return undefined
  const rows = await sql<{
    name: string
    type_name: string
    category: string
    not_null: boolean
  }>`select a.attname as name, coalesce(b.typname, t.typname) as type_name, coalesce(b.typcategory, t.typcategory) as category, a.attnotnull as not_null
    from pg_attribute a join pg_type t on t.oid = a.atttypid left join pg_type b on t.typtype = 'd' and b.oid = t.typbasetype
    where a.attrelid = ${oid}::int8::oid and a.attnum > 0 and not a.attisdropped order by a.attnum`.execute(
    db,
  )
  return rows.rows.map((r) => ({
    name: r.name,
    typeName: r.type_name,
    isArray: r.category === 'A',
    notNull: r.not_null,
  }))
}

function isIdColumn(column: TableColumn | undefined, name: string): boolean {
  return (
    column !== undefined && column.name === name && column.typeName === 'uuid' && !column.isArray
  )
}

/**
 * Derives a read-only AspectDef from an existing table (one of the Java AspectTableMapping
 * layouts: with or without `catalog_id` and `entity_id` uuid columns), stores the def and records
 * the table as its read-only mapping, inside the caller's transaction. Adopting the same table
 * again returns the stored def.
 */
export async function adoptTable(
  trx: Transaction<CheapDatabase>,
  cache: DefVersionCache,
  table: string,
  options: AdoptTableOptions = {},
): Promise<AspectDef> {
  validateIdentifier('table name', table)
  const columns = await introspect(trx, table)
  if (columns === undefined) {
    throw new CheapNotFoundError(`there is no table ${JSON.stringify(table)} in the current schema`)
  }
  const byName = new Map(columns.map((c) => [c.name, c]))
  const hasCatalogId = isIdColumn(byName.get('catalog_id'), 'catalog_id')
  const hasEntityId = isIdColumn(byName.get('entity_id'), 'entity_id')
  const chosen: [string, TableColumn][] =
    options.columns === undefined
      ? columns
          .filter(
            (c) =>
              !(hasCatalogId && c.name === 'catalog_id') &&
              !(hasEntityId && c.name === 'entity_id'),
          )
          .map((c) => [c.name, c])
      : Object.entries(options.columns).map(([property, column]) => {
          const found = byName.get(column)
          if (found === undefined) {
            throw new CheapValidationError(
              `table ${JSON.stringify(table)} has no column ${JSON.stringify(column)} (for property '${property}')`,
              { reason: 'UNKNOWN_PROPERTY', propertyName: property },
            )
          }
          return [property, found]
        })
  if (chosen.length === 0) {
    throw new CheapValidationError(
      `table ${JSON.stringify(table)} has no columns to adopt as properties`,
      { reason: 'EMPTY_IMMUTABLE_DEF' },
    )
  }
  const properties: PropertyDef[] = chosen.map(([name, c]) =>
    createPropertyDef({ name, type: cheapTypeOf(c), isNullable: !c.notNull }),
  )
  const name = options.aspectDefName ?? table
  const storedId = await lockDefForSchemaChange(trx, name)
  const def = createAspectDef({ name, globalId: storedId ?? randomUUID(), properties })
  if (storedId !== undefined) {
    const mapping = (await readMappings(trx, { defIds: [storedId] }))[0]
    if (mapping !== undefined && mapping.table === table && mapping.isReadOnly) {
      const stored = versionIn(
        await loadVersions(trx, [{ defId: storedId, version: mapping.version }], cache),
        storedId,
        mapping.version,
      )
      if (stored.matches(def)) return stored.toAspectDef()
    }
    throw new CheapConflictError(
      `an AspectDef named '${name}' is already stored${mapping === undefined ? '' : ` (mapped to ${JSON.stringify(mapping.table)})`}; adopt the table under another aspectDefName`,
      { aspectDefName: name },
    )
  }
  const other = (await readMappings(trx, { table }))[0]
  if (other !== undefined) {
    throw new CheapConflictError(
      `table ${JSON.stringify(table)} already holds AspectDef '${other.defName}'`,
      { aspectDefName: other.defName },
    )
  }
  const version = (await resolveDefs(trx, [def], cache)).get(def)?.stored
  if (version === undefined) throw new Error(`internal: AspectDef '${name}' was not stored`)
  await insertMapping(trx, {
    defId: def.globalId,
    defName: def.name,
    version: version.version,
    table,
    hasCatalogId,
    hasEntityId,
    isReadOnly: true,
    columns: new Map(chosen.map(([property, c]) => [version.slotOf(property) as number, c.name])),
  })
  return def
}

/** The select expression that turns a column into the canonical type of its CHEAP type. */
function readExpression(column: TableColumn, type: PropertyTypeCode): string {
  const ref = q(column.name)
  switch (type) {
    case 'INT':
      return `${ref}::int8`
    case 'FLT':
      return column.typeName === 'money' ? `${ref}::numeric::float8` : `${ref}::float8`
    case 'DAT':
      switch (column.typeName) {
        case 'date':
          return `(${ref}::timestamp at time zone 'UTC')`
        case 'timestamp':
          return `(${ref} at time zone 'UTC')`
        case 'time':
          return `(('1970-01-01'::date + ${ref}) at time zone 'UTC')`
        case 'timetz':
          return `('1970-01-01 ' || ${ref}::text)::timestamptz`
        default:
          return ref
      }
    case 'BLB':
    case 'BLN':
    case 'UID':
      return ref
    default:
      return `${ref}::text`
  }
}

/**
 * Reads an adopted table as aspects of its AspectDef: `SELECT` of the mapped columns (in table
 * order), values converted as the Java module does (dates at UTC midnight, timestamps without
 * zone read as UTC, numbers as FLT, …). Rows get their `entity_id` when the table has one, else a
 * new random entity id each time (as in Java). Values are validated like imported ones.
 */
export async function loadAdoptedTable(
  db: Executor,
  cache: DefVersionCache,
  table: string,
  options: LoadAdoptedTableOptions = {},
): Promise<AspectMap> {
  validateIdentifier('table name', table)
  const limit = options.limit
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new CheapValidationError(
      `loadAdoptedTable: limit must be a non-negative integer, got ${String(limit)}`,
      {
        reason: 'INVALID_ARGUMENT',
      },
    )
  }
  const mapping = (await readMappings(db, { table }))[0]
  if (mapping === undefined) {
    throw new CheapNotFoundError(`table ${JSON.stringify(table)} is not adopted (adoptTable first)`)
  }
  if (!mapping.isReadOnly) {
    throw new CheapValidationError(
      `table ${JSON.stringify(table)} is the dedicated table of AspectDef '${mapping.defName}'; read its aspects with loadCatalog or findEntities`,
      { reason: 'INVALID_ARGUMENT', aspectDefName: mapping.defName },
    )
  }
  const version = versionIn(
    await loadVersions(db, [{ defId: mapping.defId, version: mapping.version }], cache),
    mapping.defId,
    mapping.version,
  )
  const def = version.toAspectDef()
  const columns = (await introspect(db, table)) ?? []
  const byName = new Map(columns.map((c) => [c.name, c]))
  const selected = version.properties.map(({ def: prop, slot }, i) => {
    const column = byName.get(mapping.columns.get(slot) ?? '')
    if (column === undefined) {
      throw new CheapConflictError(
        `adopted table ${JSON.stringify(table)} no longer has the column of property '${prop.name}'`,
      )
    }
    return { prop, alias: `c${i}`, expr: readExpression(column, prop.type) }
  })
  const list = [
    ...(mapping.hasEntityId ? ['entity_id'] : []),
    ...selected.map((s) => `${s.expr} as ${s.alias}`),
  ].join(', ')
  const where =
    mapping.hasCatalogId && options.catalogId !== undefined
      ? sql`where catalog_id = ${options.catalogId}::uuid`
      : sql``
  const limitSql = limit === undefined ? sql`` : sql`limit ${limit}`
  const rows = await sql<
    Record<string, unknown>
  >`select ${sql.raw(list)} from ${sql.id(table)} ${where} order by ctid ${limitSql}`.execute(db)
  const map = new AspectMap(def)
  for (const row of rows.rows) {
    const values = new Map<string, unknown>()
    for (const s of selected) {
      const raw = row[s.alias]
      const type = s.prop.type
      values.set(
        s.prop.name,
        raw === null || raw === undefined
          ? null
          : type === 'DAT'
            ? CODECS.DAT.decode(raw, 'UTC')
            : type === 'INT'
              ? BigInt(raw as bigint)
              : type === 'BLB'
                ? CODECS.BLB.decode(raw)
                : raw,
      )
    }
    const entityId = mapping.hasEntityId ? toEntityId(row['entity_id'] as string) : newEntityId()
    map.add(restoreAspect(def, entityId, values, `${table}.${entityId}`))
  }
  return map
}

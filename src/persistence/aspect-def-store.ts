import { sql, type Kysely } from 'kysely'
import { CheapConflictError } from '../errors.ts'
import { AspectDef } from '../model/aspect-def.ts'
import { PropertyDef } from '../model/property-def.ts'
import type { PropertyTypeCode } from '../model/property-type.ts'
import { ALL_DEFAULT_COLUMNS, decodeDefault, encodeDefault } from './store/defaults.ts'

type Executor = Kysely<unknown>

interface AspectDefRow {
  aspect_def_id: string
  name: string
  is_readable: boolean
  is_writable: boolean
  can_add_properties: boolean
  can_remove_properties: boolean
}

interface PropertyDefRow extends Record<string, unknown> {
  aspect_def_id: string
  name: string
  property_index: number
  property_type: PropertyTypeCode
  is_readable: boolean
  is_writable: boolean
  is_nullable: boolean
  is_multivalued: boolean
  has_default_value: boolean
}

const DEF_COLUMNS = sql.raw(
  'aspect_def_id, name, is_readable, is_writable, can_add_properties, can_remove_properties',
)
const PROPERTY_COLUMNS = sql.raw(
  [
    'aspect_def_id',
    'name',
    'property_index',
    'property_type',
    'is_readable',
    'is_writable',
    'is_nullable',
    'is_multivalued',
    'has_default_value',
    ...ALL_DEFAULT_COLUMNS,
  ].join(', '),
)

/** Rebuilds AspectDefs from their rows (no access checks: a non-writable def still loads). */
function buildDefs(
  defs: readonly AspectDefRow[],
  props: readonly PropertyDefRow[],
): Map<string, AspectDef> {
  const byDef = new Map<string, PropertyDefRow[]>()
  for (const p of props) {
    const list = byDef.get(p.aspect_def_id)
    if (list === undefined) byDef.set(p.aspect_def_id, [p])
    else list.push(p)
  }
  const out = new Map<string, AspectDef>()
  for (const d of defs) {
    const rows = (byDef.get(d.aspect_def_id) ?? []).sort(
      (a, b) => a.property_index - b.property_index,
    )
    const properties = rows.map((p) => {
      const defaultValue = decodeDefault(p.property_type, p.is_multivalued, p.has_default_value, p)
      return PropertyDef.create({
        name: p.name,
        type: p.property_type,
        isNullable: p.is_nullable,
        isMultivalued: p.is_multivalued,
        isReadable: p.is_readable,
        isWritable: p.is_writable,
        ...(defaultValue === undefined ? {} : { defaultValue }),
      })
    })
    out.set(
      d.aspect_def_id,
      AspectDef.create({
        name: d.name,
        globalId: d.aspect_def_id,
        properties,
        isReadable: d.is_readable,
        isWritable: d.is_writable,
        canAddProperties: d.can_add_properties,
        canRemoveProperties: d.can_remove_properties,
      }),
    )
  }
  return out
}

/** Loads AspectDefs by id; the map is keyed by aspect_def_id. */
export async function loadAspectDefsById(
  db: Executor,
  ids: readonly string[],
): Promise<Map<string, AspectDef>> {
  if (ids.length === 0) return new Map()
  const defs =
    await sql<AspectDefRow>`select ${DEF_COLUMNS} from aspect_def where aspect_def_id = any(${[...ids]}::uuid[])`.execute(
      db,
    )
  const props =
    await sql<PropertyDefRow>`select ${PROPERTY_COLUMNS} from property_def where aspect_def_id = any(${[...ids]}::uuid[])`.execute(
      db,
    )
  return buildDefs(defs.rows, props.rows)
}

/** Loads the stored def named `name`, or undefined. */
export async function loadAspectDefByName(
  db: Executor,
  name: string,
): Promise<AspectDef | undefined> {
  const defs =
    await sql<AspectDefRow>`select ${DEF_COLUMNS} from aspect_def where name = ${name}`.execute(db)
  const row = defs.rows[0]
  if (row === undefined) return undefined
  return (await loadAspectDefsById(db, [row.aspect_def_id])).get(row.aspect_def_id)
}

/**
 * Makes the stored AspectDefs agree with `defs` (global by name): an identical stored def is
 * reused; a new one is inserted; a mutable def that changed is updated (properties it lost are
 * deleted with their values, in every catalog); the same name with another id, an id used under
 * another name, or a changed immutable def is a {@link CheapConflictError}. Locks the stored rows
 * so concurrent savers of the same def serialise.
 */
export async function saveAspectDefs(
  db: Executor,
  defs: readonly AspectDef[],
  raced = false,
): Promise<number> {
  if (defs.length === 0) return 0
  const names = defs.map((d) => d.name)
  const ids = defs.map((d) => d.globalId)
  const found =
    await sql<AspectDefRow>`select ${DEF_COLUMNS} from aspect_def where name = any(${names}::text[]) or aspect_def_id = any(${ids}::uuid[]) order by aspect_def_id for update`.execute(
      db,
    )
  const storedIds = found.rows.map((r) => r.aspect_def_id)
  const storedProps =
    storedIds.length === 0
      ? []
      : (
          await sql<PropertyDefRow>`select ${PROPERTY_COLUMNS} from property_def where aspect_def_id = any(${storedIds}::uuid[])`.execute(
            db,
          )
        ).rows
  const stored = buildDefs(found.rows, storedProps)
  const byName = new Map([...stored.values()].map((d) => [d.name, d]))
  const toInsert: AspectDef[] = []
  let written = 0
  for (const def of defs) {
    const sameName = byName.get(def.name)
    const sameId = stored.get(def.globalId)
    if (sameName === undefined) {
      if (sameId !== undefined) {
        throw new CheapConflictError(
          `AspectDef id ${def.globalId} is already stored under the name '${sameId.name}'; cannot store it as '${def.name}'`,
        )
      }
      toInsert.push(def)
      continue
    }
    if (sameName.globalId !== def.globalId) {
      throw new CheapConflictError(
        `an AspectDef named '${def.name}' is already stored with id ${sameName.globalId}; this one has id ${def.globalId} (AspectDef names are global: rename it or reuse the stored def)`,
      )
    }
    if (sameName.equals(def)) continue
    if (!sameName.isMutable || !def.isMutable) {
      throw new CheapConflictError(
        `AspectDef '${def.name}' (${def.globalId}) is immutable and differs from the stored one; an immutable AspectDef cannot change (give the new shape a new name and id)`,
      )
    }
    written += await updateMutableDef(db, sameName, def)
  }
  if (toInsert.length > 0) written += await insertDefs(db, toInsert, raced)
  return written
}

/**
 * Inserts new defs. A def another transaction stored meanwhile (same id or name; there was no row
 * to lock) makes the insert wait for it and skip the row; such defs are then checked against the
 * now committed rows like any stored def, once.
 */
async function insertDefs(
  db: Executor,
  defs: readonly AspectDef[],
  raced: boolean,
): Promise<number> {
  const rows = defs.map(
    (d) =>
      sql`(${d.globalId}::uuid, ${d.name}, ${d.hash()}::int8, ${d.isReadable}, ${d.isWritable}, ${d.canAddProperties}, ${d.canRemoveProperties})`,
  )
  const conflict = raced ? sql`` : sql`on conflict do nothing`
  const inserted = await sql<{
    aspect_def_id: string
  }>`insert into aspect_def (aspect_def_id, name, hash_version, is_readable, is_writable, can_add_properties, can_remove_properties) values ${sql.join(rows)} ${conflict} returning aspect_def_id`.execute(
    db,
  )
  const done = new Set(inserted.rows.map((r) => r.aspect_def_id))
  const fresh = defs.filter((d) => done.has(d.globalId))
  const props = fresh.flatMap((d) =>
    d.propertyDefs().map((p, i) => ({ def: d, prop: p, index: i })),
  )
  await insertProperties(db, props)
  const late = defs.filter((d) => !done.has(d.globalId))
  const written = fresh.length + props.length
  return late.length === 0 ? written : written + (await saveAspectDefs(db, late, true))
}

async function insertProperties(
  db: Executor,
  props: readonly { readonly def: AspectDef; readonly prop: PropertyDef; readonly index: number }[],
  upsert = false,
): Promise<void> {
  if (props.length === 0) return
  const rows = props.map(({ def, prop, index }) => {
    const defaults = encodeDefault(prop)
    const defaultValues = ALL_DEFAULT_COLUMNS.map((column) => {
      const value = defaults.get(column)
      return value === undefined ? sql`null` : sql`${value}`
    })
    return sql`(${def.globalId}::uuid, ${prop.name}, ${index}, ${prop.type}, ${prop.isReadable}, ${prop.isWritable}, ${prop.isNullable}, ${prop.isMultivalued}, ${prop.hasDefaultValue}, ${sql.join(defaultValues)})`
  })
  const conflict = upsert
    ? sql`on conflict (aspect_def_id, name) do update set ${UPDATE_PROPERTY}`
    : sql``
  await sql`insert into property_def (${PROPERTY_COLUMNS}) values ${sql.join(rows)} ${conflict}`.execute(
    db,
  )
}

const UPDATE_PROPERTY = sql.raw(
  [
    'property_index',
    'property_type',
    'is_readable',
    'is_writable',
    'is_nullable',
    'is_multivalued',
    'has_default_value',
    ...ALL_DEFAULT_COLUMNS,
  ]
    .map((c) => `${c} = excluded.${c}`)
    .join(', '),
)

/**
 * A mutable def gained, lost or changed properties. A property whose type or multiplicity
 * changed is dropped and re-added (its stored values cannot be reinterpreted).
 */
async function updateMutableDef(db: Executor, stored: AspectDef, def: AspectDef): Promise<number> {
  const keep = def
    .propertyDefs()
    .filter((p) => {
      const old = stored.propertyDef(p.name)
      return old !== undefined && old.type === p.type && old.isMultivalued === p.isMultivalued
    })
    .map((p) => p.name)
  await sql`delete from property_def where aspect_def_id = ${def.globalId}::uuid and not (name = any(${keep}::text[]))`.execute(
    db,
  )
  await insertProperties(
    db,
    def.propertyDefs().map((prop, index) => ({ def, prop, index })),
    true,
  )
  await sql`update aspect_def set hash_version = ${def.hash()}::int8, is_readable = ${def.isReadable}, is_writable = ${def.isWritable}, can_add_properties = ${def.canAddProperties}, can_remove_properties = ${def.canRemoveProperties} where aspect_def_id = ${def.globalId}::uuid`.execute(
    db,
  )
  return 1 + def.size
}

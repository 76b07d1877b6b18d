import { sql, type Kysely, type Transaction } from 'kysely'
import { CheapConflictError, CheapNotFoundError } from '../../errors.ts'
import { isRequired } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { isEntityId } from '../../model/entity.ts'
import { checkName } from '../../model/names.ts'
import type { PropertyDef } from '../../model/property-def.ts'
import {
  describeMapping,
  lockDefForSchemaChange,
  type AspectTableMapping,
} from '../mapping/map-aspect-def.ts'
import { deleteMapping, replaceColumnMappings } from '../mapping/mapping-store.ts'
import { addColumns } from '../mapping/dedicated-ddl.ts'
import { moveIntoTable } from '../mapping/move-values.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { codecOf, VALUE_TABLE_NAMES } from '../store/codecs/index.ts'
import {
  generationOf,
  loadVersions,
  refusal,
  resolveDefs,
  shapeChange,
  shapeConflict,
  versionIn,
  type DefVersionCache,
  type StoredVersion,
} from '../store/def-versions.ts'
import { readMappings } from '../store/dedicated/table.ts'

type Db = Kysely<CheapDatabase>
type Trx = Transaction<CheapDatabase>

/** One stored version of an AspectDef, as {@link listAspectDefs} reports it. */
export interface AspectDefVersionInfo {
  readonly version: number
  /** The Java-parity CHEAP hash of this version. */
  readonly hash: bigint
  readonly aspectDef: AspectDef
  /** How many catalogs are pinned to this version. */
  readonly catalogs: number
}

/** A stored AspectDef: its identity, its versions (oldest first), and its dedicated table. */
export interface AspectDefInfo {
  readonly name: string
  readonly globalId: string
  readonly versions: readonly AspectDefVersionInfo[]
  /** Catalogs using any version. */
  readonly catalogs: number
  readonly mapping: AspectTableMapping | null
}

/** The identity of a def named or identified by `nameOrId`, or undefined. */
async function findIdentity(
  db: Db,
  nameOrId: string,
): Promise<{ readonly aspect_def_id: string; readonly name: string } | undefined> {
  checkName('AspectDef', nameOrId)
  let query = db.selectFrom('aspect_def').select(['aspect_def_id', 'name'])
  query = isEntityId(nameOrId)
    ? query.where((eb) => eb.or([eb('aspect_def_id', '=', nameOrId), eb('name', '=', nameOrId)]))
    : query.where('name', '=', nameOrId)
  return (await query.execute())[0]
}

async function versionsOf(
  db: Db,
  defIds: readonly string[],
  cache: DefVersionCache,
): Promise<Map<string, StoredVersion[]>> {
  const out = new Map<string, StoredVersion[]>()
  if (defIds.length === 0) return out
  const rows = await db
    .selectFrom('aspect_def_version as v')
    .innerJoin('aspect_def as d', 'd.aspect_def_id', 'v.aspect_def_id')
    .select(['v.aspect_def_id', 'v.version', generationOf('d').as('generation')])
    .where('v.aspect_def_id', '=', sql<string>`any(${[...defIds]}::uuid[])`)
    .orderBy('v.aspect_def_id')
    .orderBy('v.version')
    .execute()
  const loaded = await loadVersions(
    db,
    rows.map((r) => ({ defId: r.aspect_def_id, version: r.version, generation: r.generation })),
    cache,
  )
  for (const r of rows) {
    const list = out.get(r.aspect_def_id) ?? []
    list.push(versionIn(loaded, r.aspect_def_id, r.version))
    out.set(r.aspect_def_id, list)
  }
  return out
}

/** Every stored AspectDef, by name, with its versions and where they are used. */
export async function listAspectDefs(db: Db, cache: DefVersionCache): Promise<AspectDefInfo[]> {
  const defs = await db
    .selectFrom('aspect_def')
    .select(['aspect_def_id', 'name'])
    .orderBy('name')
    .execute()
  const versions = await versionsOf(
    db,
    defs.map((d) => d.aspect_def_id),
    cache,
  )
  const usage = await db
    .selectFrom('catalog_aspect_def')
    .select(['aspect_def_id', 'version', (eb) => eb.fn.countAll<bigint>().as('n')])
    .groupBy(['aspect_def_id', 'version'])
    .execute()
  const mappings = await readMappings(db, 'all')
  return defs.map((d) => {
    const list = versions.get(d.aspect_def_id) ?? []
    const used = (v: number) =>
      Number(usage.find((u) => u.aspect_def_id === d.aspect_def_id && u.version === v)?.n ?? 0n)
    const mapping = mappings.find((m) => m.defId === d.aspect_def_id)
    return {
      name: d.name,
      globalId: d.aspect_def_id,
      versions: list.map((v) => ({
        version: v.version,
        hash: v.hash,
        aspectDef: v.toAspectDef(),
        catalogs: used(v.version),
      })),
      catalogs: list.reduce((n, v) => n + used(v.version), 0),
      mapping:
        mapping === undefined
          ? null
          : describeMapping(
              mapping,
              list.find((v) => v.version === mapping.version),
            ),
    }
  })
}

export interface LoadAspectDefOptions {
  /** A stored version number; default the latest. */
  readonly version?: number
}

/** A stored AspectDef (its latest version, or the one asked for), or null. */
export async function loadAspectDef(
  db: Db,
  cache: DefVersionCache,
  nameOrId: string,
  options: LoadAspectDefOptions = {},
): Promise<StoredVersion | null> {
  const identity = await findIdentity(db, nameOrId)
  if (identity === undefined) return null
  const list =
    (await versionsOf(db, [identity.aspect_def_id], cache)).get(identity.aspect_def_id) ?? []
  if (options.version === undefined) return list.at(-1) ?? null
  return list.find((v) => v.version === options.version) ?? null
}

/**
 * Deletes a stored AspectDef with all its versions (and its dedicated-table mapping; the table
 * is dropped once empty). Refused with a CheapConflictError naming the catalogs while any uses
 * it. Returns false when no such def is stored.
 */
export async function deleteAspectDef(
  trx: Trx,
  cache: DefVersionCache,
  nameOrId: string,
): Promise<{ readonly deleted: boolean; readonly dropTable: string | undefined }> {
  const identity = await findIdentity(trx, nameOrId)
  if (identity === undefined) return { deleted: false, dropTable: undefined }
  await lockDefForSchemaChange(trx, identity.name)
  const users = await trx
    .selectFrom('catalog_aspect_def')
    .select('catalog_id')
    .where('aspect_def_id', '=', identity.aspect_def_id)
    .orderBy('catalog_id')
    .execute()
  if (users.length > 0) {
    const ids = users.map((u) => u.catalog_id)
    const shown =
      ids.slice(0, 10).join(', ') + (ids.length > 10 ? `, … (${ids.length} in all)` : '')
    throw new CheapConflictError(
      `AspectDef '${identity.name}' is used by ${ids.length} catalog${ids.length === 1 ? '' : 's'} (${shown}); remove its AspectMap from them (or delete them) first`,
      { aspectDefName: identity.name, catalogIds: ids },
    )
  }
  const mapping = (await readMappings(trx, { defIds: [identity.aspect_def_id] }))[0]
  if (mapping !== undefined) await deleteMapping(trx, identity.aspect_def_id)
  await trx.deleteFrom('aspect_def').where('aspect_def_id', '=', identity.aspect_def_id).execute()
  cache.forget(identity.aspect_def_id)
  return {
    deleted: true,
    dropTable: mapping === undefined || mapping.isReadOnly ? undefined : mapping.table,
  }
}

export interface EvolveAspectDefOptions {
  /**
   * The catalogs to move to the new shape: `'all'` (default) every catalog pinned to another
   * version of the def, or a list of catalog ids (each must use the def).
   */
  readonly catalogs?: 'all' | readonly string[]
}

/** What {@link evolveAspectDef} changed. */
export interface EvolveAspectDefResult {
  readonly aspectDefName: string
  /** The version the catalogs are on now. */
  readonly version: number
  /** True when this call stored that version. */
  readonly versionCreated: boolean
  /** Property names added, removed, or redefined in place, against each catalog's old version. */
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly redefined: readonly string[]
  /** Every catalog moved, with the version it was on and its new revision. */
  readonly catalogs: readonly {
    readonly catalogId: string
    readonly fromVersion: number
    readonly revision: bigint
  }[]
}

/**
 * Moves stored catalogs to a new shape of one of their AspectDefs, in place and in one
 * transaction, as far as the flags of each catalog's current version allow: new properties need
 * `canAddProperties` (they are absent in existing aspects, so a required one is refused where
 * aspects exist), dropped ones `canRemoveProperties` (their values are deleted), a redefined one
 * both. Refused as a whole with a CheapConflictError naming the catalogs and properties when any
 * catalog cannot move. A dedicated table of the old version moves along (its columns altered),
 * which needs every catalog of that version to move. Each catalog moved gets a new revision.
 */
export async function evolveAspectDef(
  trx: Trx,
  cache: DefVersionCache,
  def: AspectDef,
  options: EvolveAspectDefOptions = {},
): Promise<EvolveAspectDefResult> {
  await lockDefForSchemaChange(trx, def.name)
  const resolved = (await resolveDefs(trx, [def], cache)).get(def)
  if (resolved === undefined) throw new Error(`internal: AspectDef '${def.name}' was not resolved`)
  const target = resolved.stored
  let pinsQuery = trx
    .selectFrom('catalog_aspect_def')
    .select(['catalog_id', 'version'])
    .where('aspect_def_id', '=', def.globalId)
    .where('version', '!=', target.version)
    .orderBy('catalog_id')
  const wanted = options.catalogs ?? 'all'
  if (wanted !== 'all') {
    const using = await trx
      .selectFrom('catalog_aspect_def')
      .select('catalog_id')
      .where('aspect_def_id', '=', def.globalId)
      .where('catalog_id', '=', sql<string>`any(${[...wanted]}::uuid[])`)
      .execute()
    const missing = wanted.filter((id) => !using.some((u) => u.catalog_id === id))
    if (missing.length > 0) {
      throw new CheapNotFoundError(
        `evolveAspectDef '${def.name}': catalog${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not use it`,
      )
    }
    pinsQuery = pinsQuery.where('catalog_id', '=', sql<string>`any(${[...wanted]}::uuid[])`)
  }
  const pins = await pinsQuery.execute()
  const mappings = await readMappings(trx, { defIds: [def.globalId] })
  const mapping = mappings[0]
  // The mapped version too: a def mapped by name maps its latest version, which no catalog
  // may be on (they can be on an older one), and its table still moves along.
  const fromVersions = await loadVersions(
    trx,
    [
      ...new Set([
        ...pins.map((p) => p.version),
        ...(mapping === undefined || mapping.isReadOnly ? [] : [mapping.version]),
      ]),
    ].map((version) => ({ defId: def.globalId, version })),
    cache,
  )
  const added = new Set<string>()
  const removed = new Set<string>()
  const redefined = new Set<string>()
  for (const version of new Set(pins.map((p) => p.version))) {
    const from = versionIn(fromVersions, def.globalId, version)
    const why = refusal(from, def)
    const catalogs = pins.filter((p) => p.version === version).map((p) => p.catalog_id)
    if (why !== undefined) {
      const error = shapeConflict(
        def,
        from,
        why,
        `catalogs ${catalogs.join(', ')} use version ${version}`,
      )
      throw new CheapConflictError(error.message, {
        aspectDefName: def.name,
        ...(why.property === undefined ? {} : { propertyName: why.property }),
        storedHash: from.hash,
        newHash: def.hash(),
        catalogIds: catalogs,
      })
    }
    const change = shapeChange(from, def)
    for (const n of change.added) added.add(n)
    for (const n of change.removed) removed.add(n)
    for (const n of change.redefined) redefined.add(n)
    await checkValuesFit(trx, def, from, catalogs)
  }
  if (mapping !== undefined && !mapping.isReadOnly && mapping.version !== target.version) {
    const onMapped = await trx
      .selectFrom('catalog_aspect_def')
      .select('catalog_id')
      .where('aspect_def_id', '=', def.globalId)
      .where('version', '=', mapping.version)
      .execute()
    const moving = new Set(pins.map((p) => p.catalog_id))
    if (onMapped.some((c) => !moving.has(c.catalog_id))) {
      throw new CheapConflictError(
        `evolveAspectDef '${def.name}': version ${mapping.version} lives in the dedicated table ${JSON.stringify(mapping.table)}, and a table holds one version: evolve every catalog of that version, or unmap the def first`,
        { aspectDefName: def.name, catalogIds: onMapped.map((c) => c.catalog_id) },
      )
    }
    const from = versionIn(fromVersions, def.globalId, mapping.version)
    const columns = await addColumns(trx, mapping, from, target)
    await replaceColumnMappings(trx, def.globalId, columns)
    await trx
      .updateTable('aspect_table_mapping')
      .set({ version: target.version })
      .where('aspect_def_id', '=', def.globalId)
      .execute()
  }
  const moved: { catalogId: string; fromVersion: number; revision: bigint }[] = []
  const intoTable: string[] = []
  const mappedNow =
    mapping !== undefined && !mapping.isReadOnly
      ? (await readMappings(trx, { defIds: [def.globalId] }))[0]
      : undefined
  for (const pin of pins) {
    const from = versionIn(fromVersions, def.globalId, pin.version)
    const gone = from.properties
      .filter((p) => target.slotOf(p.def.name) !== p.slot)
      .map((p) => p.slot)
    const inGeneric = mapping === undefined || mapping.isReadOnly || mapping.version !== pin.version
    if (gone.length > 0 && inGeneric)
      await deleteSlotValues(trx, pin.catalog_id, def.globalId, gone)
    if (inGeneric && mappedNow !== undefined) intoTable.push(pin.catalog_id)
    await trx
      .updateTable('catalog_aspect_def')
      .set({ version: target.version })
      .where('catalog_id', '=', pin.catalog_id)
      .where('aspect_def_id', '=', def.globalId)
      .execute()
    const bumped = await trx
      .updateTable('catalog')
      .set((eb) => ({ revision: eb('revision', '+', 1n) }))
      .where('catalog_id', '=', pin.catalog_id)
      .returning('revision')
      .executeTakeFirstOrThrow()
    await trx
      .insertInto('catalog_revision')
      .values({
        catalog_id: pin.catalog_id,
        revision: bumped.revision,
        operation: 'evolve',
        rows_written: 0n,
      })
      .execute()
    moved.push({ catalogId: pin.catalog_id, fromVersion: pin.version, revision: bumped.revision })
  }
  // Catalogs whose values are in the generic tables but whose version the table now holds:
  // those moved here from an unmapped version, and those already on the target when the table
  // moved to it from an older version.
  if (mappedNow !== undefined && mapping !== undefined && mapping.version !== target.version) {
    const already = await trx
      .selectFrom('catalog_aspect_def')
      .select('catalog_id')
      .where('aspect_def_id', '=', def.globalId)
      .where('version', '=', target.version)
      .execute()
    const moving = new Set(pins.map((p) => p.catalog_id))
    for (const c of already) if (!moving.has(c.catalog_id)) intoTable.push(c.catalog_id)
  }
  if (mappedNow !== undefined && intoTable.length > 0) {
    await moveIntoTable(trx, target, mappedNow, intoTable)
  }
  return {
    aspectDefName: def.name,
    version: target.version,
    versionCreated: resolved.created,
    added: [...added],
    removed: [...removed],
    redefined: [...redefined],
    catalogs: moved,
  }
}

/**
 * Refuses a move that would leave stored aspects invalid under the new shape: a required
 * property they lack, or a property turned non-nullable that some of them hold as null.
 */
async function checkValuesFit(
  trx: Trx,
  def: AspectDef,
  from: StoredVersion,
  catalogs: readonly string[],
): Promise<void> {
  if (catalogs.length === 0) return
  const required = def
    .propertyDefs()
    .filter((p) => isRequired(p) && from.slotOf(p.name) === undefined)
  if (required.length > 0) {
    const holders = await trx
      .selectFrom('aspect')
      .select('catalog_id')
      .distinct()
      .where('aspect_def_id', '=', def.globalId)
      .where('catalog_id', '=', sql<string>`any(${[...catalogs]}::uuid[])`)
      .execute()
    if (holders.length > 0)
      throw requiredConflict(
        def,
        required[0] as PropertyDef,
        holders.map((h) => h.catalog_id),
      )
  }
  for (const p of def.propertyDefs()) {
    const slot = from.slotOf(p.name)
    const before = from.properties.find((x) => x.def.name === p.name)?.def
    if (slot === undefined || before === undefined || p.isNullable || !before.isNullable) continue
    const table = p.isMultivalued ? 'property_list' : codecOf(p.type).table
    const nulls = await sql<{
      catalog_id: string
    }>`select distinct catalog_id from ${sql.id(table)} where catalog_id = any(${[...catalogs]}::uuid[]) and property_id = ${slot} and ${sql.id(p.isMultivalued ? 'length' : 'value')} is null`.execute(
      trx,
    )
    if (nulls.rows.length > 0) {
      throw new CheapConflictError(
        `evolveAspectDef '${def.name}': property '${p.name}' becomes non-nullable, and catalogs ${nulls.rows.map((r) => r.catalog_id).join(', ')} hold null values of it; set them first`,
        {
          aspectDefName: def.name,
          propertyName: p.name,
          catalogIds: nulls.rows.map((r) => r.catalog_id),
        },
      )
    }
  }
}

function requiredConflict(
  def: AspectDef,
  prop: PropertyDef,
  catalogs: readonly string[],
): CheapConflictError {
  return new CheapConflictError(
    `evolveAspectDef '${def.name}': property '${prop.name}' is added as required (not nullable, no default), and catalogs ${catalogs.join(', ')} hold aspects that would lack it; give it a default or make it nullable`,
    { aspectDefName: def.name, propertyName: prop.name, catalogIds: catalogs },
  )
}

/** Deletes one catalog's stored values of the given slots (generic tables). */
async function deleteSlotValues(
  trx: Trx,
  catalogId: string,
  defId: string,
  slots: readonly number[],
): Promise<void> {
  const deletes = ['property_list', ...VALUE_TABLE_NAMES].map(
    (t, i) =>
      sql`${sql.raw(`d${i}`)} as (delete from ${sql.id(t)} where catalog_id = ${catalogId}::uuid and property_id = any(${[...slots]}::int4[]) and aspect_id in (select aspect_id from aspect where catalog_id = ${catalogId}::uuid and aspect_def_id = ${defId}::uuid))`,
  )
  await sql`with ${sql.join(deletes)} select 1`.execute(trx)
}

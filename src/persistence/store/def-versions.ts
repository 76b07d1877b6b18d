import { sql, type Kysely } from 'kysely'
import { CheapConflictError } from '../../errors.ts'
import { AspectDef } from '../../model/aspect-def.ts'
import { PropertyDef } from '../../model/property-def.ts'
import type { PropertyTypeCode } from '../../model/property-type.ts'
import type { CheapDatabase, CheapRow } from '../schema/database.ts'
import { decodeDefault, encodeDefault } from './defaults.ts'

type Db = Kysely<CheapDatabase>

/**
 * One stored version of an AspectDef: immutable once written, so it is cached by
 * (id, version) for the life of the adapter (checked against the stored hash on use).
 */
export class StoredVersion {
  readonly defId: string
  readonly name: string
  readonly version: number
  readonly hash: bigint
  /** The generation of the def identity row this was read with (see DefVersionCache). */
  readonly generation: string
  readonly isReadable: boolean
  readonly isWritable: boolean
  readonly canAddProperties: boolean
  readonly canRemoveProperties: boolean
  /** The properties in order, with their storage slot (`property.property_id`). */
  readonly properties: readonly { readonly def: PropertyDef; readonly slot: number }[]
  readonly #slots: ReadonlyMap<string, number>
  readonly #bySlot: ReadonlyMap<number, PropertyDef>
  /** An immutable def can be shared by every catalog that loads it; a mutable one cannot. */
  #shared: AspectDef | undefined

  constructor(
    row: VersionRow,
    properties: readonly { readonly def: PropertyDef; readonly slot: number }[],
  ) {
    this.defId = row.aspect_def_id
    this.name = row.name
    this.version = row.version
    this.hash = row.hash_version
    this.isReadable = row.is_readable
    this.isWritable = row.is_writable
    this.canAddProperties = row.can_add_properties
    this.canRemoveProperties = row.can_remove_properties
    this.generation = row.generation
    this.properties = properties
    this.#slots = new Map(properties.map((p) => [p.def.name, p.slot]))
    this.#bySlot = new Map(properties.map((p) => [p.slot, p.def]))
  }

  /** The slot of the property named `name`, or undefined. */
  slotOf(name: string): number | undefined {
    return this.#slots.get(name)
  }

  /** The property stored in `slot`, or undefined when the slot is not this version's. */
  propertyOf(slot: number): PropertyDef | undefined {
    return this.#bySlot.get(slot)
  }

  /**
   * The AspectDef of this version. A mutable def is a new object each time: a loaded catalog
   * may add properties to its def, which must not change what another load gets.
   */
  toAspectDef(): AspectDef {
    if (this.#shared !== undefined) return this.#shared
    const def = AspectDef.create({
      name: this.name,
      globalId: this.defId,
      properties: this.properties.map((p) => p.def),
      isReadable: this.isReadable,
      isWritable: this.isWritable,
      canAddProperties: this.canAddProperties,
      canRemoveProperties: this.canRemoveProperties,
    })
    if (!def.isMutable) this.#shared = def
    return def
  }

  /** Structural equality with a model def (id, name, flags, properties in order). */
  matches(def: AspectDef): boolean {
    if (def.globalId !== this.defId || def.hash() !== this.hash) return false
    return this.toAspectDef().equals(def)
  }
}

type VersionRow = Pick<
  CheapRow<'aspect_def_version'>,
  | 'aspect_def_id'
  | 'version'
  | 'hash_version'
  | 'is_readable'
  | 'is_writable'
  | 'can_add_properties'
  | 'can_remove_properties'
> & { readonly name: string; readonly generation: string }

/**
 * Versions by `defId:version`. Version rows are immutable, but a def can be deleted and stored
 * again (by any process, or by `PostgresSchema.truncate`) with the same id and version numbers
 * and new property slots: every entry is therefore tied to the **generation** of its def's
 * identity row (that row's `xmin`, which a new row never shares with a deleted one) and is only
 * used for the same generation.
 */
export class DefVersionCache {
  readonly #versions = new Map<string, StoredVersion>()
  /** The same versions by `defId#hash`, for writers that hold a def and not its version number. */
  readonly #byHash = new Map<string, StoredVersion>()

  get(defId: string, version: number, generation: string): StoredVersion | undefined {
    const found = this.#versions.get(key(defId, version))
    return found === undefined || found.generation !== generation ? undefined : found
  }

  set(version: StoredVersion): void {
    this.#versions.set(key(version.defId, version.version), version)
    this.#byHash.set(hashKey(version.defId, version.hash), version)
  }

  /**
   * The cached version of `def` (same id, same hash, equal shape), whatever its generation: the
   * caller checks the generation against the database (the partial small path does, in its
   * statement). Undefined when none is cached.
   */
  versionOf(def: AspectDef): StoredVersion | undefined {
    const found = this.#byHash.get(hashKey(def.globalId, def.hash()))
    return found !== undefined && found.matches(def) ? found : undefined
  }

  /** Forgets every version of a def (it was deleted here). */
  forget(defId: string): void {
    for (const k of this.#versions.keys()) if (k.startsWith(`${defId}:`)) this.#versions.delete(k)
    for (const k of this.#byHash.keys()) if (k.startsWith(`${defId}#`)) this.#byHash.delete(k)
  }

  /** Forgets everything (the store was emptied or dropped). */
  clear(): void {
    this.#versions.clear()
    this.#byHash.clear()
  }
}

/**
 * The generation of a def's identity row, for {@link loadVersions}: select it with the def's
 * other columns (`generationOf('d')` for `aspect_def as d`) so checking the cache costs nothing.
 */
export function generationOf(alias: string) {
  return sql<string>`${sql.ref(`${alias}.xmin`)}::text`
}

function hashKey(defId: string, hash: bigint): string {
  return `${defId}#${hash}`
}

function key(defId: string, version: number): string {
  return `${defId}:${version}`
}

/** A version to load; `generation` (see {@link generationOf}) when the caller read it already. */
export interface WantedVersion {
  readonly defId: string
  readonly version: number
  readonly generation?: string | null | undefined
}

/**
 * Reads versions (with their properties) that the cache lacks; returns all asked for. Cache
 * entries are checked against their def's generation, read here in one small statement for the
 * callers that did not select it with their own rows.
 */
export async function loadVersions(
  db: Db,
  wanted: readonly WantedVersion[],
  cache: DefVersionCache,
): Promise<Map<string, StoredVersion>> {
  const out = new Map<string, StoredVersion>()
  if (wanted.length === 0) return out
  const generations = new Map<string, string>()
  for (const w of wanted)
    if (typeof w.generation === 'string') generations.set(w.defId, w.generation)
  const unknown = [...new Set(wanted.map((w) => w.defId))].filter((id) => !generations.has(id))
  if (unknown.length > 0) {
    const rows = await db
      .selectFrom('aspect_def as d')
      .select(['d.aspect_def_id', generationOf('d').as('generation')])
      .where('d.aspect_def_id', '=', sql<string>`any(${unknown}::uuid[])`)
      .execute()
    for (const r of rows) generations.set(r.aspect_def_id, r.generation)
  }
  const missing = new Set<string>()
  for (const w of wanted) {
    const found = cache.get(w.defId, w.version, generations.get(w.defId) ?? '')
    if (found === undefined) missing.add(w.defId)
    else out.set(key(w.defId, w.version), found)
  }
  if (missing.size === 0) return out
  // Every version of each def that misses one: a def has few, and the rest fill the cache.
  const defIds = [...missing]
  const rows = await db
    .selectFrom('aspect_def_version as v')
    .innerJoin('aspect_def as d', 'd.aspect_def_id', 'v.aspect_def_id')
    .select([
      'v.aspect_def_id',
      'd.name',
      'v.version',
      'v.hash_version',
      'v.is_readable',
      'v.is_writable',
      'v.can_add_properties',
      'v.can_remove_properties',
      generationOf('d').as('generation'),
    ])
    .where('v.aspect_def_id', '=', sql<string>`any(${defIds}::uuid[])`)
    .execute()
  const props = await db
    .selectFrom('property_def')
    .selectAll()
    .where('aspect_def_id', '=', sql<string>`any(${defIds}::uuid[])`)
    .orderBy('aspect_def_id')
    .orderBy('version')
    .orderBy('property_index')
    .execute()
  const byVersion = new Map<string, CheapRow<'property_def'>[]>()
  for (const p of props) {
    const k = key(p.aspect_def_id, p.version)
    const list = byVersion.get(k)
    if (list === undefined) byVersion.set(k, [p])
    else list.push(p)
  }
  for (const row of rows) {
    const properties = (byVersion.get(key(row.aspect_def_id, row.version)) ?? []).map((p) => ({
      def: propertyFromRow(p),
      slot: p.property_id,
    }))
    cache.set(new StoredVersion(row, properties))
  }
  // What was just read is the truth for these defs, whatever generation was asked for.
  for (const row of rows) generations.set(row.aspect_def_id, row.generation)
  for (const w of wanted) {
    const found = cache.get(w.defId, w.version, generations.get(w.defId) ?? '')
    if (found !== undefined) out.set(key(w.defId, w.version), found)
  }
  return out
}

/** `loadVersions` result lookup. */
/** The version in `versions`, or undefined when it is not there (read outside a snapshot). */
export function findVersion(
  versions: ReadonlyMap<string, StoredVersion>,
  defId: string,
  version: number,
): StoredVersion | undefined {
  return versions.get(key(defId, version))
}

export function versionIn(
  versions: ReadonlyMap<string, StoredVersion>,
  defId: string,
  version: number,
): StoredVersion {
  const found = findVersion(versions, defId, version)
  // The foreign keys catalog_aspect_def → aspect_def_version → property_def make this unreachable.
  if (found === undefined) throw new Error(`AspectDef ${defId} version ${version} is not stored`)
  return found
}

function propertyFromRow(p: CheapRow<'property_def'>): PropertyDef {
  const type = p.property_type as PropertyTypeCode
  const defaultValue = decodeDefault(type, p.is_multivalued, p)
  return PropertyDef.create({
    name: p.name,
    type,
    isNullable: p.is_nullable,
    isMultivalued: p.is_multivalued,
    isReadable: p.is_readable,
    isWritable: p.is_writable,
    ...(defaultValue === undefined ? {} : { defaultValue }),
  })
}

// ---- what a version may become ----------------------------------------------------------------

/** How a def's shape differs from a stored version's, property by property. */
export interface ShapeChange {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  /** Kept by name but changed (type, multiplicity, flags or default), or moved among the kept. */
  readonly redefined: readonly string[]
  /** The def's own flags changed. */
  readonly flagsChanged: boolean
}

export function shapeChange(from: StoredVersion, to: AspectDef): ShapeChange {
  const before = new Map(from.properties.map((p) => [p.def.name, p.def]))
  const after = to.propertyDefs()
  const added = after.filter((p) => !before.has(p.name)).map((p) => p.name)
  const removed = [...before.keys()].filter((name) => !to.hasProperty(name))
  const keptBefore = from.properties.map((p) => p.def.name).filter((name) => to.hasProperty(name))
  const keptAfter = after.filter((p) => before.has(p.name)).map((p) => p.name)
  const redefined = keptAfter.filter(
    (name, i) =>
      !(before.get(name) as PropertyDef).equals(to.propertyDef(name) as PropertyDef) ||
      keptBefore[i] !== name,
  )
  const flagsChanged =
    from.isReadable !== to.isReadable ||
    from.isWritable !== to.isWritable ||
    from.canAddProperties !== to.canAddProperties ||
    from.canRemoveProperties !== to.canRemoveProperties
  return { added, removed, redefined, flagsChanged }
}

/**
 * Why `from` may not become `to`, or undefined when its flags allow it: new properties need
 * `canAddProperties`, dropped ones `canRemoveProperties`, and a property (or the def's flags)
 * redefined in place needs both (it is a removal and an addition).
 */
export function refusal(
  from: StoredVersion,
  to: AspectDef,
): { readonly property: string | undefined; readonly why: string } | undefined {
  const change = shapeChange(from, to)
  if (!from.canAddProperties && !from.canRemoveProperties) {
    const property = change.added[0] ?? change.removed[0] ?? change.redefined[0]
    return {
      property,
      why: `version ${from.version} is immutable (canAddProperties and canRemoveProperties are false)${property === undefined ? '' : ` and property '${property}' differs`}`,
    }
  }
  const both = from.canAddProperties && from.canRemoveProperties
  const redefined = change.redefined[0]
  if (redefined !== undefined && !both) {
    return {
      property: redefined,
      why: `property '${redefined}' is redefined (type, multiplicity, flags, default or position), which needs canAddProperties and canRemoveProperties`,
    }
  }
  if (change.flagsChanged && !both) {
    return {
      property: undefined,
      why: `its flags change, which needs canAddProperties and canRemoveProperties`,
    }
  }
  const added = change.added[0]
  if (added !== undefined && !from.canAddProperties) {
    return { property: added, why: `property '${added}' is added, which needs canAddProperties` }
  }
  const removed = change.removed[0]
  if (removed !== undefined && !from.canRemoveProperties) {
    return {
      property: removed,
      why: `property '${removed}' is removed, which needs canRemoveProperties`,
    }
  }
  return undefined
}

export function shapeConflict(
  def: AspectDef,
  from: StoredVersion,
  why: { readonly property: string | undefined; readonly why: string },
  context: string,
): CheapConflictError {
  return new CheapConflictError(
    `AspectDef '${def.name}' (${def.globalId}): ${context}: stored version ${from.version} ` +
      `(hash ${from.hash}) cannot become this shape (hash ${def.hash()}): ${why.why}; ` +
      `give the new shape a new AspectDef name, or a stored version flags that allow the change`,
    {
      aspectDefName: def.name,
      ...(why.property === undefined ? {} : { propertyName: why.property }),
      storedHash: from.hash,
      newHash: def.hash(),
    },
  )
}

// ---- storing -----------------------------------------------------------------------------------

/** What a save resolved for one of its defs. */
export interface ResolvedDef {
  readonly stored: StoredVersion
  /** True when this call stored the version. */
  readonly created: boolean
}

/**
 * Finds or stores the version of each def, inside the caller's transaction. The defs' identity
 * rows are locked `FOR KEY SHARE` (savers never block each other; a def cannot be deleted under
 * them); storing a new version takes `FOR NO KEY UPDATE` on its def, so concurrent creators of
 * versions of one def queue and the second finds the first's version. A new version must be
 * reachable from a stored one by what that version's flags allow ({@link refusal}); a def seen
 * for the first time may have any shape.
 */
export async function resolveDefs(
  db: Db,
  defs: readonly AspectDef[],
  cache: DefVersionCache,
): Promise<Map<AspectDef, ResolvedDef>> {
  const out = new Map<AspectDef, ResolvedDef>()
  if (defs.length === 0) return out
  const identities = await lockIdentities(db, defs)
  const fresh = defs.filter((d) => !identities.byId.has(d.globalId))
  if (fresh.length > 0) {
    const inserted = await db
      .insertInto('aspect_def')
      .values(fresh.map((d) => ({ aspect_def_id: d.globalId, name: d.name })))
      .onConflict((oc) => oc.doNothing())
      .returning('aspect_def_id')
      .execute()
    // A def stored meanwhile by another save (there was no row to lock): read it like any other.
    if (inserted.length < fresh.length) return resolveDefs(db, defs, cache)
  }
  const versions = await loadVersions(
    db,
    identities.versions.map((v) => ({
      defId: v.aspect_def_id,
      version: v.version,
      generation: v.generation,
    })),
    cache,
  )
  for (const def of defs) {
    const known = identities.versions
      .filter((v) => v.aspect_def_id === def.globalId)
      .map((v) => versionIn(versions, v.aspect_def_id, v.version))
    const match = known.find((v) => v.matches(def))
    if (match !== undefined) {
      out.set(def, { stored: match, created: false })
      continue
    }
    if (known.length > 0) {
      const reasons = known.map((v) => ({ v, why: refusal(v, def) }))
      if (reasons.every((r) => r.why !== undefined)) {
        const latest = reasons[reasons.length - 1] as {
          v: StoredVersion
          why: NonNullable<ReturnType<typeof refusal>>
        }
        throw shapeConflict(
          def,
          latest.v,
          latest.why,
          'no stored version may change into this shape',
        )
      }
    }
    out.set(def, { stored: await storeVersion(db, def, cache), created: true })
  }
  return out
}

interface LockedIdentities {
  readonly byId: ReadonlyMap<string, string>
  readonly versions: readonly {
    aspect_def_id: string
    version: number
    hash_version: bigint
    generation: string
  }[]
}

async function lockIdentities(db: Db, defs: readonly AspectDef[]): Promise<LockedIdentities> {
  const names = defs.map((d) => d.name)
  const ids = defs.map((d) => d.globalId)
  const rows = await sql<{
    aspect_def_id: string
    name: string
    version: number | null
    hash_version: bigint | null
    generation: string
  }>`select d.aspect_def_id, d.name, v.version, v.hash_version, d.xmin::text as generation
    from aspect_def d left join aspect_def_version v on v.aspect_def_id = d.aspect_def_id
    where d.name = any(${names}::text[]) or d.aspect_def_id = any(${ids}::uuid[])
    order by d.aspect_def_id, v.version
    for key share of d`.execute(db)
  const byId = new Map<string, string>()
  const versions: LockedIdentities['versions'][number][] = []
  for (const r of rows.rows) {
    byId.set(r.aspect_def_id, r.name)
    if (r.version !== null && r.hash_version !== null)
      versions.push({
        aspect_def_id: r.aspect_def_id,
        version: r.version,
        hash_version: r.hash_version,
        generation: r.generation,
      })
  }
  const byName = new Map([...byId].map(([id, name]) => [name, id]))
  for (const def of defs) {
    const storedId = byName.get(def.name)
    if (storedId !== undefined && storedId !== def.globalId) {
      throw new CheapConflictError(
        `an AspectDef named '${def.name}' is already stored with id ${storedId}; this one has id ${def.globalId} (AspectDef names are global: rename it or reuse the stored def)`,
        { aspectDefName: def.name },
      )
    }
    const storedName = byId.get(def.globalId)
    if (storedName !== undefined && storedName !== def.name) {
      throw new CheapConflictError(
        `AspectDef id ${def.globalId} is already stored under the name '${storedName}'; cannot store it as '${def.name}'`,
        { aspectDefName: def.name },
      )
    }
  }
  return { byId, versions }
}

/** Stores `def` as the next version of its (locked) identity, unless a racer stored it first. */
async function storeVersion(
  db: Db,
  def: AspectDef,
  cache: DefVersionCache,
): Promise<StoredVersion> {
  await sql`select 1 from aspect_def where aspect_def_id = ${def.globalId}::uuid for no key update`.execute(
    db,
  )
  const existing = await db
    .selectFrom('aspect_def_version')
    .select(['version', 'hash_version'])
    .where('aspect_def_id', '=', def.globalId)
    .orderBy('version')
    .execute()
  if (existing.length > 0) {
    const stored = await loadVersions(
      db,
      existing.map((v) => ({ defId: def.globalId, version: v.version, hash: v.hash_version })),
      cache,
    )
    for (const v of existing) {
      const candidate = versionIn(stored, def.globalId, v.version)
      if (candidate.matches(def)) return candidate
    }
  }
  const version = (existing.at(-1)?.version ?? 0) + 1
  await db
    .insertInto('aspect_def_version')
    .values({
      aspect_def_id: def.globalId,
      version,
      hash_version: def.hash(),
      is_readable: def.isReadable,
      is_writable: def.isWritable,
      can_add_properties: def.canAddProperties,
      can_remove_properties: def.canRemoveProperties,
    })
    .execute()
  const props = def.propertyDefs()
  if (props.length > 0) {
    await db
      .insertInto('property')
      .values(
        props.map((p) => ({
          aspect_def_id: def.globalId,
          name: p.name,
          property_type: p.type,
          is_multivalued: p.isMultivalued,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['aspect_def_id', 'name', 'property_type', 'is_multivalued']).doNothing(),
      )
      .execute()
    const slots = await db
      .selectFrom('property')
      .select(['property_id', 'name', 'property_type', 'is_multivalued'])
      .where('aspect_def_id', '=', def.globalId)
      .execute()
    const slotOf = (p: PropertyDef): number => {
      const found = slots.find(
        (s) =>
          s.name === p.name && s.property_type === p.type && s.is_multivalued === p.isMultivalued,
      )
      if (found === undefined) throw new Error(`no property slot for '${def.name}'.'${p.name}'`)
      return found.property_id
    }
    await db
      .insertInto('property_def')
      .values(
        props.map((p, index) => ({
          aspect_def_id: def.globalId,
          version,
          name: p.name,
          property_index: index,
          property_id: slotOf(p),
          property_type: p.type,
          is_readable: p.isReadable,
          is_writable: p.isWritable,
          is_nullable: p.isNullable,
          is_multivalued: p.isMultivalued,
          has_default_value: p.hasDefaultValue,
          ...Object.fromEntries(encodeDefault(p)),
        })),
      )
      .execute()
  }
  // Read into a cache of its own: the shared one must never hold a version that this
  // transaction may still roll back (a later version of the same number would be mistaken for it).
  const stored = await loadVersions(db, [{ defId: def.globalId, version }], new DefVersionCache())
  return versionIn(stored, def.globalId, version)
}

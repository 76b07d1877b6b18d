import { v4 as uuidV4 } from 'uuid'
import { CheapConflictError, CheapValidationError } from '../errors.ts'
import type { AspectDef } from './aspect-def.ts'
import { CATALOG_SPECIES, isCatalogSpecies, type CatalogSpecies } from './catalog-species.ts'
import { checkUuid } from './entity.ts'
import type { CheckedUuidOption } from './literal-checks.ts'
import { hashCatalogDef, hashHierarchyDef } from './hash/def-hash.ts'
import { AspectMap } from './hierarchy/aspect-map.ts'
import { EntityDirectory } from './hierarchy/entity-directory.ts'
import { EntityList } from './hierarchy/entity-list.ts'
import { EntitySet } from './hierarchy/entity-set.ts'
import { EntityTree, type EntityTreeOptions } from './hierarchy/entity-tree.ts'
import { checkVersion, type HierarchyOptions } from './hierarchy/hierarchy-base.ts'
import type { Hierarchy } from './hierarchy/index.ts'
import { describe } from './names.ts'
import { isUriReference } from './values/uri-text.ts'

export interface CatalogOptions {
  /** Canonical lower-case UUID; random when omitted. */
  readonly globalId?: string
  /** Default `SINK`. SOURCE and SINK have no upstream; the other four require one. */
  readonly species?: CatalogSpecies
  readonly uri?: string | null
  readonly upstream?: string | null
  /** The user's manual CHEAP version; default 0. */
  readonly version?: bigint
}

/** Which catalog owns a hierarchy: a hierarchy belongs to at most one catalog. */
const owners = new WeakMap<Hierarchy, Catalog>()

/**
 * A catalog: UUID, species, optional URI and upstream, manual version, and hierarchies by name
 * in insertion order. AspectMaps are added with {@link Catalog.extend}.
 *
 * @example
 * ```ts
 * const catalog = createCatalog({ species: 'SINK' })
 * const people = catalog.extend(person)
 * people.add(createAspect(person, newEntityId(), { name: 'Alice' }))
 * catalog.createEntityList('queue').addAll(people.entityIds())
 * ```
 */
export class Catalog {
  readonly globalId: string
  readonly species: CatalogSpecies
  readonly upstream: string | null
  #uri: string | null
  #version: bigint
  #hierarchies = new Map<string, Hierarchy>()
  #aspectDefs = new Map<string, AspectDef>()
  #changeCount = 0

  private constructor(options: CatalogOptions) {
    this.globalId =
      options.globalId === undefined ? uuidV4() : checkUuid('catalog globalId', options.globalId)
    const species: unknown = options.species ?? 'SINK'
    if (typeof species !== 'string' || !isCatalogSpecies(species)) {
      throw new CheapValidationError(
        `catalog species must be one of SOURCE SINK MIRROR CACHE CLONE FORK, got ${describe(species)}`,
        {
          reason: 'SPECIES_UPSTREAM',
        },
      )
    }
    this.species = species
    this.upstream =
      options.upstream == null ? null : checkUuid('catalog upstream', options.upstream)
    if (CATALOG_SPECIES[species].requiresUpstream && this.upstream === null) {
      throw new CheapValidationError(
        `a ${species} catalog must have an upstream catalog (catalog ${this.globalId})`,
        {
          reason: 'SPECIES_UPSTREAM',
        },
      )
    }
    if (!CATALOG_SPECIES[species].requiresUpstream && this.upstream !== null) {
      throw new CheapValidationError(
        `a ${species} catalog may not have an upstream catalog (catalog ${this.globalId}, upstream ${this.upstream})`,
        {
          reason: 'SPECIES_UPSTREAM',
        },
      )
    }
    this.#uri = checkUri(options.uri ?? null)
    this.#version = checkVersion(options.version ?? 0n, `catalog ${this.globalId}`)
  }

  /** @internal Use {@link createCatalog}. */
  static create(options: CatalogOptions = {}): Catalog {
    return new Catalog(options)
  }

  get uri(): string | null {
    return this.#uri
  }

  set uri(value: string | null) {
    this.#uri = checkUri(value)
    this.#changeCount++
  }

  /** The user's manual CHEAP version (not the persistence revision). */
  get version(): bigint {
    return this.#version
  }

  set version(value: bigint) {
    this.#version = checkVersion(value, `catalog ${this.globalId}`)
    this.#changeCount++
  }

  /** Increments when the catalog's own fields or its set of hierarchies change. */
  get changeCount(): number {
    return this.#changeCount
  }

  hierarchy(name: string): Hierarchy | undefined {
    return this.#hierarchies.get(name)
  }

  /** Hierarchies in insertion order (AspectMaps included). */
  hierarchies(): IterableIterator<Hierarchy> {
    return this.#hierarchies.values()
  }

  get hierarchyCount(): number {
    return this.#hierarchies.size
  }

  /** AspectDefs in the order they were added. */
  aspectDefs(): IterableIterator<AspectDef> {
    return this.#aspectDefs.values()
  }

  aspectDef(name: string): AspectDef | undefined {
    return this.#aspectDefs.get(name)
  }

  /**
   * The AspectMap of `def`, typed by it (property names and value types checked at compile
   * time), if any; a map of a *different* def of the same name is a {@link CheapValidationError}
   * `WRONG_ASPECT_DEF`.
   */
  aspects<D extends AspectDef>(def: D): AspectMap<D> | undefined
  /**
   * The AspectMap of the def named `name`, if any, untyped by property (pass the def object for
   * typed reads: a type argument cannot be checked against a name, so none is taken).
   */
  aspects(name: string): AspectMap | undefined
  aspects(nameOrDef: string | AspectDef): AspectMap | undefined {
    const name = typeof nameOrDef === 'string' ? nameOrDef : nameOrDef.name
    const h = this.#hierarchies.get(name)
    if (h?.type !== 'AM') return undefined
    if (typeof nameOrDef !== 'string' && !sameDef(h.aspectDef, nameOrDef)) {
      throw new CheapValidationError(
        `catalog ${this.globalId}: the aspect map '${name}' holds AspectDef ${h.aspectDef.globalId}, not the given ${nameOrDef.globalId} of the same name`,
        { reason: 'WRONG_ASPECT_DEF', aspectDefName: name },
      )
    }
    return h
  }

  /**
   * Adds `def` and its empty AspectMap, or returns the existing map when an identical def is
   * already there. A *different* def under the same name is a {@link CheapConflictError}.
   */
  extend<D extends AspectDef>(def: D, options: HierarchyOptions = {}): AspectMap<D> {
    const existing = this.#aspectDefs.get(def.name)
    if (existing !== undefined) {
      if (existing !== (def as AspectDef) && !existing.equals(def)) {
        throw new CheapConflictError(
          `catalog ${this.globalId} already has a different AspectDef named '${def.name}' (${existing.globalId}); cannot extend it with ${def.globalId}`,
        )
      }
      return this.aspects(def) as AspectMap<D>
    }
    const map = new AspectMap(def, options)
    this.addHierarchy(map)
    return map
  }

  /**
   * Adds a hierarchy, replacing a non-AspectMap hierarchy of the same name (returned). An
   * AspectMap can never be replaced; a hierarchy of another catalog is rejected.
   */
  addHierarchy(hierarchy: Hierarchy): Hierarchy | undefined {
    const owner = owners.get(hierarchy)
    if (owner === this) return undefined
    if (owner !== undefined) {
      throw new CheapValidationError(
        `hierarchy '${hierarchy.name}' belongs to catalog ${owner.globalId}; it cannot be added to ${this.globalId}`,
        {
          reason: 'WRONG_HIERARCHY',
        },
      )
    }
    const existing = this.#hierarchies.get(hierarchy.name)
    if (existing?.type === 'AM') {
      throw new CheapConflictError(
        `catalog ${this.globalId}: the aspect map '${hierarchy.name}' cannot be replaced`,
      )
    }
    if (hierarchy.type === 'AM') {
      const def = hierarchy.aspectDef
      const known = this.#aspectDefs.get(def.name)
      if (known !== undefined && known !== def && !known.equals(def)) {
        throw new CheapConflictError(
          `catalog ${this.globalId} already has a different AspectDef named '${def.name}'`,
        )
      }
      this.#aspectDefs.set(def.name, def)
    }
    // Like Java's LinkedHashMap.put, a replacement keeps the replaced hierarchy's position.
    if (existing !== undefined) owners.delete(existing)
    this.#hierarchies.set(hierarchy.name, hierarchy)
    owners.set(hierarchy, this)
    this.#changeCount++
    return existing
  }

  /** Removes a hierarchy (an AspectMap takes its AspectDef out of the catalog with it). */
  removeHierarchy(name: string): boolean {
    const existing = this.#hierarchies.get(name)
    if (existing === undefined) return false
    this.#hierarchies.delete(name)
    owners.delete(existing)
    if (existing.type === 'AM') this.#aspectDefs.delete(existing.aspectDef.name)
    this.#changeCount++
    return true
  }

  createEntityList(name: string, options: HierarchyOptions = {}): EntityList {
    return this.#add(new EntityList(name, options))
  }

  createEntitySet(name: string, options: HierarchyOptions = {}): EntitySet {
    return this.#add(new EntitySet(name, options))
  }

  createEntityDirectory(name: string, options: HierarchyOptions = {}): EntityDirectory {
    return this.#add(new EntityDirectory(name, options))
  }

  createEntityTree(name: string, options: EntityTreeOptions = {}): EntityTree {
    return this.#add(new EntityTree(name, options))
  }

  #add<H extends Hierarchy>(hierarchy: H): H {
    this.addHierarchy(hierarchy)
    return hierarchy
  }

  /**
   * The Java CatalogDef hash of this catalog: its AspectDefs, then its non-AspectMap
   * hierarchies as HierarchyDefs, in order.
   */
  hash(): bigint {
    const aspectHashes = [...this.#aspectDefs.values()].map((d) => d.hash())
    const hierarchyHashes = [...this.#hierarchies.values()]
      .filter((h) => h.type !== 'AM')
      .map((h) => hashHierarchyDef(h.name, h.type))
    return hashCatalogDef(aspectHashes, hierarchyHashes)
  }
}

function sameDef(a: AspectDef, b: AspectDef): boolean {
  return a === b || a.equals(b)
}

function checkUri(value: unknown): string | null {
  if (value === null) return null
  if (typeof value !== 'string' || !isUriReference(value)) {
    throw new CheapValidationError(
      `catalog uri must be an RFC 3986 URI reference or null, got ${describe(value)}`,
      {
        reason: 'INVALID_URI',
      },
    )
  }
  return value
}

/**
 * Creates a {@link Catalog}. A `globalId` or `upstream` literal that is not a canonical UUID does
 * not compile (a `string` is checked at run time). A species given as a literal is checked against `upstream` at
 * compile time (SOURCE and SINK take none, MIRROR, CACHE, CLONE and FORK need one); a species
 * known only at run time is checked then (`SPECIES_UPSTREAM`).
 */
export function createCatalog<const O extends CatalogOptions = CatalogOptions>(
  options?: O &
    SpeciesUpstream<O> &
    CheckedUuidOption<O, 'globalId'> &
    CheckedUuidOption<O, 'upstream'>,
): Catalog {
  return Catalog.create(options ?? {})
}

type SpeciesOf<O> = 'species' extends keyof O ? Exclude<O['species' & keyof O], undefined> : 'SINK'
type UpstreamOf<O> = 'upstream' extends keyof O ? O['upstream' & keyof O] : undefined
type RootSpecies = {
  [S in CatalogSpecies]: (typeof CATALOG_SPECIES)[S]['requiresUpstream'] extends false ? S : never
}[CatalogSpecies]

/**
 * `unknown` when the options may be right; otherwise a member no options object has, whose name
 * is the compiler's error message. Only a literal species is judged.
 */
export type SpeciesUpstream<O> = [SpeciesOf<O>] extends [never]
  ? unknown
  : [SpeciesOf<O>] extends [RootSpecies]
    ? [UpstreamOf<O>] extends [string]
      ? { readonly 'error: a SOURCE or SINK catalog has no upstream': never }
      : unknown
    : [SpeciesOf<O>] extends [Exclude<CatalogSpecies, RootSpecies>]
      ? [UpstreamOf<O>] extends [null | undefined]
        ? { readonly 'error: a MIRROR, CACHE, CLONE or FORK catalog needs an upstream': never }
        : unknown
      : unknown

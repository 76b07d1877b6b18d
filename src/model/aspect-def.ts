import { v5 as uuidV5 } from 'uuid'
import { CheapValidationError } from '../errors.ts'
import { checkUuid } from './entity.ts'
import { hashAspectDef } from './hash/def-hash.ts'
import type { CheckedUuid } from './literal-checks.ts'
import { checkName, describe } from './names.ts'
import { PropertyDef, type PropertyDefValue } from './property-def.ts'

/**
 * What an API that takes "an AspectDef or its name" accepts besides the def: a name only when
 * `D` is the untyped {@link AspectDef}. So `loadAspects(id, 'com.example.person', ids)` is
 * untyped-by-property, and `loadAspects<typeof person>(id, 'com.example.person', ids)`, a type
 * the name cannot be checked against, does not compile: pass the def object for typed results.
 */
export type AspectDefName<D extends AspectDef> = AspectDef extends D ? string : never

/** Name → def map of a def list, so aspects can be typed by property name. */
export type PropertyDefMap<Ps extends readonly PropertyDef[]> = {
  [D in Ps[number] as D['name']]: D
}

/** The value types of an AspectDef's properties, by property name. */
export type AspectValues<Ps extends readonly PropertyDef[]> = {
  [K in keyof PropertyDefMap<Ps>]: PropertyDefValue<PropertyDefMap<Ps>[K]>
}

export type PropertyNames<Ps extends readonly PropertyDef[]> = keyof PropertyDefMap<Ps> & string

export interface AspectDefOptions<Ps extends readonly PropertyDef[], N extends string = string> {
  readonly name: N
  /**
   * Canonical lower-case UUID. When omitted, the id is derived from the name
   * ({@link defaultAspectDefId}), so the same def gets the same id in every process and run.
   */
  readonly globalId?: string
  readonly properties: Ps
  /** Default true. */
  readonly isReadable?: boolean
  /** Default true. */
  readonly isWritable?: boolean
  /** May the def gain properties? Default false. */
  readonly canAddProperties?: boolean
  /** May the def lose properties, and aspects drop values? Default false. */
  readonly canRemoveProperties?: boolean
}

/**
 * An AspectDef: a globally named, UUID-identified, ordered list of {@link PropertyDef}s plus four
 * flags. A def whose `canAddProperties` / `canRemoveProperties` are both false is immutable and
 * needs at least one property; otherwise it may gain or lose properties as its flags allow.
 *
 * @example
 * ```ts
 * const person = createAspectDef({
 *   name: 'com.example.person',
 *   properties: [
 *     createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
 *     createPropertyDef({ name: 'age', type: 'INT' }),
 *   ],
 * })
 * person.hash() // signed 64-bit FNV-1a, equal to the Java reference's
 * ```
 */
export class AspectDef<
  Ps extends readonly PropertyDef[] = readonly PropertyDef[],
  N extends string = string,
> {
  /**
   * The def's name, typed as its literal when the def is made from one: aspects, maps and
   * predicates of two defs with different names are then different types, even when their
   * properties look alike.
   */
  readonly name: N
  readonly globalId: string
  readonly isReadable: boolean
  readonly isWritable: boolean
  readonly canAddProperties: boolean
  readonly canRemoveProperties: boolean
  #properties: PropertyDef[]
  #byName: Map<string, PropertyDef>
  #hash: bigint | undefined
  #changeCount = 0

  private constructor(options: AspectDefOptions<Ps, N>) {
    this.name = checkName('AspectDef', options.name) as N
    this.globalId =
      options.globalId === undefined
        ? defaultAspectDefId(this.name)
        : checkUuid(`AspectDef '${this.name}' globalId`, options.globalId)
    this.isReadable = flag(options.isReadable, true, this.name)
    this.isWritable = flag(options.isWritable, true, this.name)
    this.canAddProperties = flag(options.canAddProperties, false, this.name)
    this.canRemoveProperties = flag(options.canRemoveProperties, false, this.name)
    if (!Array.isArray(options.properties)) {
      throw new CheapValidationError(
        `AspectDef '${this.name}': properties must be an array of PropertyDefs, got ${describe(options.properties)}`,
        {
          reason: 'INVALID_ARGUMENT',
          aspectDefName: this.name,
        },
      )
    }
    this.#properties = []
    this.#byName = new Map()
    for (const def of options.properties) this.#append(def)
    if (!this.isMutable && this.#properties.length === 0) {
      throw new CheapValidationError(
        `AspectDef '${this.name}' is immutable (canAddProperties and canRemoveProperties are false) and has no properties; an immutable AspectDef needs at least one`,
        { reason: 'EMPTY_IMMUTABLE_DEF', aspectDefName: this.name },
      )
    }
  }

  /** @internal Use {@link createAspectDef}. */
  static create<const Ps extends readonly PropertyDef[], const N extends string = string>(
    options: AspectDefOptions<Ps, N>,
  ): AspectDef<Ps, N> {
    return new AspectDef(options)
  }

  #append(candidate: unknown): void {
    if (!(candidate instanceof PropertyDef)) {
      throw new CheapValidationError(
        `AspectDef '${this.name}': expected a PropertyDef, got ${describe(candidate)}`,
        {
          reason: 'INVALID_ARGUMENT',
          aspectDefName: this.name,
        },
      )
    }
    const def = candidate as PropertyDef
    if (this.#byName.has(def.name)) {
      throw new CheapValidationError(
        `AspectDef '${this.name}' already has a property named '${def.name}'`,
        {
          reason: 'DUPLICATE_NAME',
          aspectDefName: this.name,
          propertyName: def.name,
        },
      )
    }
    this.#properties.push(def)
    this.#byName.set(def.name, def)
  }

  /** True when the def may gain or lose properties. */
  get isMutable(): boolean {
    return this.canAddProperties || this.canRemoveProperties
  }

  /** Number of properties. */
  get size(): number {
    return this.#properties.length
  }

  /** The properties in definition order. */
  propertyDefs(): readonly PropertyDef[] {
    return this.#properties
  }

  propertyDef(name: string): PropertyDef | undefined {
    return this.#byName.get(name)
  }

  hasProperty(name: string): boolean {
    return this.#byName.has(name)
  }

  /** Index of the property in definition order, or -1. */
  indexOf(name: string): number {
    const def = this.#byName.get(name)
    return def === undefined ? -1 : this.#properties.indexOf(def)
  }

  /** Adds a property at the end. Allowed only when `canAddProperties`. */
  addPropertyDef(def: PropertyDef): this {
    if (!this.canAddProperties) {
      throw new CheapValidationError(
        `AspectDef '${this.name}' cannot gain properties (canAddProperties is false); cannot add '${def.name}'`,
        {
          reason: 'NOT_MUTABLE',
          aspectDefName: this.name,
          propertyName: def.name,
        },
      )
    }
    this.#append(def)
    this.#changed()
    return this
  }

  /** Removes a property. Allowed only when `canRemoveProperties`. */
  removePropertyDef(name: string): boolean {
    if (!this.canRemoveProperties) {
      throw new CheapValidationError(
        `AspectDef '${this.name}' cannot lose properties (canRemoveProperties is false); cannot remove '${name}'`,
        {
          reason: 'NOT_MUTABLE',
          aspectDefName: this.name,
          propertyName: name,
        },
      )
    }
    const def = this.#byName.get(name)
    if (def === undefined) return false
    this.#byName.delete(name)
    this.#properties = this.#properties.filter((p) => p !== def)
    this.#changed()
    return true
  }

  #changed(): void {
    this.#hash = undefined
    this.#changeCount++
  }

  /** Increments on every structural change; persistence uses it to skip unchanged defs. */
  get changeCount(): number {
    return this.#changeCount
  }

  /** 64-bit FNV-1a as the Java reference computes it, signed. */
  hash(): bigint {
    if (this.#hash !== undefined) return this.#hash
    const hash = hashAspectDef({
      name: this.name,
      globalId: this.globalId,
      isReadable: this.isReadable,
      isWritable: this.isWritable,
      canAddProperties: this.canAddProperties,
      canRemoveProperties: this.canRemoveProperties,
      propertyDefHashes: this.#properties.map((p) => p.hash()),
    })
    this.#hash = hash
    return hash
  }

  /** Full structural equality: id, name, four flags and the property list in order. */
  equals(other: AspectDef): boolean {
    if (this === (other as unknown)) return true
    if (
      this.name !== other.name ||
      this.globalId !== other.globalId ||
      this.isReadable !== other.isReadable ||
      this.isWritable !== other.isWritable ||
      this.canAddProperties !== other.canAddProperties ||
      this.canRemoveProperties !== other.canRemoveProperties
    ) {
      return false
    }
    const mine = this.#properties
    const theirs = other.propertyDefs()
    if (mine.length !== theirs.length) return false
    return mine.every((p, i) => p.equals(theirs[i] as PropertyDef))
  }
}

/**
 * The namespace of {@link defaultAspectDefId} (RFC 9562 name-based UUIDs). Fixed forever: changing
 * it would give every def made without a `globalId` a new id, and stored defs would then conflict.
 */
export const ASPECT_DEF_ID_NAMESPACE = '878038b0-36d0-4043-90f2-c65dc5bdd1b0'

/**
 * The id of an AspectDef created without `globalId`: the name-based (version 5) UUID of its name
 * in {@link ASPECT_DEF_ID_NAMESPACE}. Deterministic, so a program that defines
 * `com.example.person` finds its stored def on every run; the Java module, which picks a random
 * id, interoperates through the id written in cheap-json.
 *
 * @example
 * ```ts
 * createAspectDef({ name: 'com.example.person', properties }).globalId === defaultAspectDefId('com.example.person')
 * ```
 */
export function defaultAspectDefId(name: string): string {
  return uuidV5(name, ASPECT_DEF_ID_NAMESPACE)
}

function flag(value: unknown, fallback: boolean, name: string): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw new CheapValidationError(
      `AspectDef '${name}': flags must be booleans, got ${describe(value)}`,
      {
        reason: 'INVALID_ARGUMENT',
        aspectDefName: name,
      },
    )
  }
  return value
}

/**
 * Creates an {@link AspectDef}. With `as const`-free literal inference the property names and
 * value types flow into {@link Aspect} reads and writes.
 */
export function createAspectDef<
  const Ps extends readonly PropertyDef[],
  const N extends string = string,
  const G extends string = string,
>(
  options: AspectDefOptions<Ps, N> & { readonly globalId?: G } & UniquePropertyNames<Ps> &
    CheckedUuid<G>,
): AspectDef<Ps, N> {
  return AspectDef.create<Ps, N>(options)
}

/**
 * The first property name that occurs twice in a def literal's property list, else `never`.
 * Only literal names count (a name typed `string` is checked at run time: `DUPLICATE_NAME`).
 */
export type DuplicatePropertyName<
  Ps extends readonly PropertyDef[],
  Seen extends string = never,
> = Ps extends readonly [infer H extends PropertyDef, ...infer R extends readonly PropertyDef[]]
  ? string extends H['name']
    ? DuplicatePropertyName<R, Seen>
    : [H['name']] extends [Seen]
      ? H['name']
      : DuplicatePropertyName<R, Seen | H['name']>
  : never

/**
 * Nothing for a property list whose literal names are unique; otherwise a member no options
 * object has, so the compiler's error names the duplicate.
 */
export type UniquePropertyNames<Ps extends readonly PropertyDef[]> = [
  DuplicatePropertyName<Ps>,
] extends [never]
  ? unknown
  : { readonly 'error: two properties have this name': DuplicatePropertyName<Ps> }

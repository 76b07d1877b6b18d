import { CheapValidationError } from '../errors.ts'
import type { AspectDef, AspectValues, PropertyDefMap, PropertyNames } from './aspect-def.ts'
import { toEntityId, type EntityId } from './entity.ts'
import { describe } from './names.ts'
import type { PropertyDef } from './property-def.ts'
import type { PropertyTypeCode, PropertyValue } from './property-type.ts'
import type { CheckedUuid, CheckedValue } from './literal-checks.ts'
import { validateValue } from './values/validate-value.ts'

type Values<D extends AspectDef> = D extends AspectDef<infer Ps> ? AspectValues<Ps> : never
type Names<D extends AspectDef> = D extends AspectDef<infer Ps> ? PropertyNames<Ps> : never
/** The type code of property `K` of `D` (every code for an untyped def). */
type TypeOf<D extends AspectDef, K> =
  D extends AspectDef<infer Ps>
    ? K extends keyof PropertyDefMap<Ps>
      ? PropertyDefMap<Ps>[K] extends { readonly type: infer T extends PropertyTypeCode }
        ? T
        : PropertyTypeCode
      : PropertyTypeCode
    : PropertyTypeCode

/**
 * The compile-time checks of initial values beyond their types: no property the def lacks (an
 * inferred object would otherwise escape excess-property checks), and BGF and UID *literals*
 * that the run-time checks would refuse ({@link CheckedValue}).
 */
type CheckedInit<D extends AspectDef, V> = {
  readonly [K in keyof V]: string extends K
    ? unknown
    : K extends Names<D>
      ? undefined extends V[K]
        ? // optional in V: V is a declared type (or the constraint, when inference failed)
          Partial<Pick<V, K>> extends Pick<V, K>
          ? CheckedValue<TypeOf<D, K>, V[K]>
          : { readonly 'error: undefined is not a value (omit the property, or pass null)': K }
        : CheckedValue<TypeOf<D, K>, V[K]>
      : { readonly 'error: the AspectDef has no property of this name': K }
}

/**
 * The names of the properties every aspect of `D` must have: not nullable and without a default,
 * as far as the def's type knows (a def known only at run time has none at compile time; the
 * run-time check in {@link createAspect} covers it).
 */
type RequiredNames<D extends AspectDef> =
  D extends AspectDef<infer Ps>
    ? {
        [
          P in Ps[number] as P extends {
            readonly isNullable: false
            readonly hasDefaultValue: false
          }
            ? P['name']
            : never
        ]: true
      }
    : never

/**
 * Initial values for {@link createAspect}: the required properties (not nullable, no default)
 * and any subset of the others.
 */
export type AspectInit<D extends AspectDef> = {
  readonly [K in Names<D> as K extends keyof RequiredNames<D> ? K : never]: Values<D>[K]
} & {
  readonly [K in Names<D> as K extends keyof RequiredNames<D> ? never : K]?: Values<D>[K]
}

/**
 * One entity's record of one AspectDef. A property is in one of three states: *absent* (never
 * set: reads as the def's default, or `undefined`), *null*, or a value. All three round-trip.
 * Reads check the def's and the property's `isReadable`; writes check `isWritable`, the type,
 * nullability and range, and throw a {@link CheapValidationError} naming the def, the property
 * and the value.
 *
 * @example
 * ```ts
 * const alice = createAspect(person, newEntityId(), { name: 'Alice', age: 42n })
 * alice.get('age')        // 42n, typed bigint | null | undefined
 * alice.set('age', null)  // allowed: age is nullable
 * ```
 */
export class Aspect<D extends AspectDef = AspectDef> {
  readonly def: D
  readonly entityId: EntityId
  #values: Map<string, PropertyValue>
  #changeCount = 0

  private constructor(def: D, entityId: EntityId, values: Map<string, PropertyValue>) {
    this.def = def
    this.entityId = entityId
    this.#values = values
  }

  /** @internal */
  static restore<D extends AspectDef>(
    def: D,
    entityId: EntityId,
    values: Map<string, PropertyValue>,
  ): Aspect<D> {
    return new Aspect(def, entityId, values)
  }

  /** @internal Stored values without access checks: for persistence and JSON export. */
  static stored(aspect: Aspect): ReadonlyMap<string, PropertyValue> {
    return aspect.#values
  }

  /**
   * The value of `name`: the stored value (possibly null), else the def's default, else
   * `undefined` (absent without default).
   */
  get<K extends Names<D>>(name: K): Values<D>[K] | undefined
  get(name: string): PropertyValue | undefined {
    const prop = this.#readable(name)
    if (this.#values.has(name)) return this.#values.get(name)
    return prop.hasDefaultValue ? prop.defaultValue : undefined
  }

  /** True when a value (possibly null) is stored for `name`, rather than absent. */
  has(name: string): boolean {
    return this.#values.has(name)
  }

  /** Sets a value after validating it against the def. */
  set<K extends Names<D>, const V extends Values<D>[K]>(
    name: K,
    value: V & CheckedValue<TypeOf<D, K>, V>,
  ): this
  set(name: string, value: PropertyValue): this {
    const prop = this.#writable(name, value)
    const checked = validateValue(prop, value, { aspectDefName: this.def.name, propertyName: name })
    this.#values.set(name, checked)
    this.#changeCount++
    return this
  }

  /**
   * Makes `name` absent again. Needs the def's `canRemoveProperties`, and a property that may be
   * absent: a non-nullable property without a default must always have a value.
   */
  unset(name: string): boolean {
    const prop = this.#writable(name)
    if (!this.def.canRemoveProperties) {
      throw new CheapValidationError(
        `AspectDef '${this.def.name}', property '${name}': values cannot be removed from aspects of this def (canRemoveProperties is false); set null instead`,
        { reason: 'NOT_MUTABLE', aspectDefName: this.def.name, propertyName: name },
      )
    }
    if (isRequired(prop)) throw missingProperty(this.def, prop, this.entityId)
    const had = this.#values.delete(name)
    if (had) this.#changeCount++
    return had
  }

  /** Names of the properties with a stored value, in def order. */
  storedNames(): string[] {
    return this.def
      .propertyDefs()
      .map((p) => p.name)
      .filter((n) => this.#values.has(n))
  }

  /** Increments on every change; persistence compares it to skip unchanged aspects. */
  get changeCount(): number {
    return this.#changeCount
  }

  #property(name: string): PropertyDef {
    const prop = this.def.propertyDef(name)
    if (prop === undefined) {
      const hint = this.def.canAddProperties
        ? ` (the def may gain properties: add one with aspectDef.addPropertyDef first)`
        : ''
      throw new CheapValidationError(
        `AspectDef '${this.def.name}' has no property named ${JSON.stringify(name)}${hint}`,
        { reason: 'UNKNOWN_PROPERTY', aspectDefName: this.def.name, propertyName: name },
      )
    }
    return prop
  }

  #readable(name: string): PropertyDef {
    if (!this.def.isReadable) {
      throw new CheapValidationError(
        `AspectDef '${this.def.name}' is not readable; cannot read '${name}'`,
        {
          reason: 'NOT_READABLE',
          aspectDefName: this.def.name,
          propertyName: name,
        },
      )
    }
    const prop = this.#property(name)
    if (!prop.isReadable) {
      throw new CheapValidationError(
        `AspectDef '${this.def.name}', property '${name}' is not readable`,
        {
          reason: 'NOT_READABLE',
          aspectDefName: this.def.name,
          propertyName: name,
        },
      )
    }
    return prop
  }

  /** `value` is named in the message when a write (not an unset) is refused. */
  #writable(name: string, ...value: [unknown?]): PropertyDef {
    // Built only when a write is refused: describing a value is not free on the hot path.
    const attempt = () => (value.length === 0 ? '' : `; cannot write ${describe(value[0])}`)
    if (!this.def.isWritable) {
      throw new CheapValidationError(
        `AspectDef '${this.def.name}' is not writable (property '${name}')${attempt()}`,
        {
          reason: 'NOT_WRITABLE',
          aspectDefName: this.def.name,
          propertyName: name,
        },
      )
    }
    const prop = this.#property(name)
    if (!prop.isWritable) {
      throw new CheapValidationError(
        `AspectDef '${this.def.name}', property '${name}' is not writable${attempt()}`,
        {
          reason: 'NOT_WRITABLE',
          aspectDefName: this.def.name,
          propertyName: name,
        },
      )
    }
    return prop
  }
}

/**
 * A property that must be present in every aspect: non-nullable and without a default. (A
 * nullable one reads as null when absent, a defaulted one as its default; this one would read
 * as nothing at all.)
 */
export function isRequired(prop: PropertyDef): boolean {
  return !prop.isNullable && !prop.hasDefaultValue
}

function missingProperty(
  def: AspectDef,
  prop: PropertyDef,
  entityId: string,
): CheapValidationError {
  return new CheapValidationError(
    `AspectDef '${def.name}', property '${prop.name}' is not nullable and has no default, so ` +
      `every aspect needs a value for it; the aspect of entity ${entityId} has none`,
    { reason: 'MISSING_PROPERTY', aspectDefName: def.name, propertyName: prop.name },
  )
}

/**
 * Checks that `aspect` has a value for every required property ({@link isRequired}) of its def:
 * a {@link CheapValidationError} `MISSING_PROPERTY` otherwise. Creation checks this; saves and
 * upserts check it again, because a def that gained a required property makes older aspects
 * incomplete.
 */
export function checkRequiredProperties(aspect: Aspect): void {
  const stored = Aspect.stored(aspect)
  for (const prop of aspect.def.propertyDefs()) {
    if (isRequired(prop) && !stored.has(prop.name)) {
      throw missingProperty(aspect.def, prop, aspect.entityId)
    }
  }
}

/**
 * Creates an aspect of `def` for `entityId` with initial values (validated). Omitted properties
 * stay absent, except required ones ({@link isRequired}): omitting one is a
 * {@link CheapValidationError} `MISSING_PROPERTY`. Writing checks the def's and each property's
 * `isWritable`.
 */
export function createAspect<
  D extends AspectDef,
  const S extends string = EntityId,
  const V extends AspectInit<D> = AspectInit<D>,
>(
  def: D,
  entityId: S & CheckedUuid<S>,
  ...[values]: keyof RequiredNames<D> extends never
    ? [values?: V & CheckedInit<D, V>]
    : [values: V & CheckedInit<D, V>]
): Aspect<D> {
  const aspect = Aspect.restore(def, toEntityId(entityId as string), new Map())
  // An explicit `undefined` is refused like in set(): omit the property, or pass null.
  const init: Readonly<Record<string, PropertyValue>> = values ?? {}
  for (const [name, value] of Object.entries(init)) {
    ;(aspect as Aspect).set(name, value)
  }
  checkRequiredProperties(aspect)
  return aspect
}

/**
 * Builds an aspect from stored values without access checks (a non-writable def still loads),
 * but still validating every value. For importers; persistence uses the unchecked path.
 */
export function restoreAspect<D extends AspectDef>(
  def: D,
  entityId: EntityId,
  values: ReadonlyMap<string, unknown>,
  path?: string,
): Aspect<D> {
  const checked = new Map<string, PropertyValue>()
  for (const prop of def.propertyDefs()) {
    if (!values.has(prop.name)) continue
    const context = {
      aspectDefName: def.name,
      propertyName: prop.name,
      ...(path === undefined ? {} : { path: `${path}.${prop.name}` }),
    }
    checked.set(prop.name, validateValue(prop, values.get(prop.name), context))
  }
  for (const name of values.keys()) {
    if (!def.hasProperty(name)) {
      throw new CheapValidationError(
        `AspectDef '${def.name}' has no property named ${JSON.stringify(name)}`,
        {
          reason: 'UNKNOWN_PROPERTY',
          aspectDefName: def.name,
          propertyName: name,
          ...(path === undefined ? {} : { path: `${path}.${name}` }),
        },
      )
    }
  }
  for (const prop of def.propertyDefs()) {
    if (isRequired(prop) && !checked.has(prop.name)) {
      const error = missingProperty(def, prop, entityId)
      throw path === undefined
        ? error
        : new CheapValidationError(error.message, {
            reason: 'MISSING_PROPERTY',
            aspectDefName: def.name,
            propertyName: prop.name,
            path: `${path}.${prop.name}`,
          })
    }
  }
  return Aspect.restore(def, entityId, checked)
}

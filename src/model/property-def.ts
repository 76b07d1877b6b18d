import { CheapValidationError } from '../errors.ts'
import { hashPropertyDef, javaHashCodeOfDefault } from './hash/def-hash.ts'
import type { CheckedValue } from './literal-checks.ts'
import { checkName, describe } from './names.ts'
import {
  isPropertyTypeCode,
  type PropertyTypeCode,
  type PropertyValueTypes,
} from './property-type.ts'
import { valueEquals } from './values/equal.ts'
import { validateValue } from './values/validate-value.ts'

/** The value a property of type `T` holds, given whether it is multivalued and nullable. */
export type ValueFor<T extends PropertyTypeCode, M extends boolean, N extends boolean> =
  | (M extends true ? readonly PropertyValueTypes[T][] : never)
  | (M extends false ? PropertyValueTypes[T] : never)
  | (N extends false ? never : null)

/** The value type of a {@link PropertyDef}. */
export type PropertyDefValue<D> = D extends {
  readonly type: infer T extends PropertyTypeCode
  readonly isMultivalued: infer M extends boolean
  readonly isNullable: infer N extends boolean
}
  ? ValueFor<T, M, N>
  : never

export interface PropertyDefOptions<
  N extends string,
  T extends PropertyTypeCode,
  M extends boolean,
  Nu extends boolean,
> {
  readonly name: N
  readonly type: T
  /** Default true. */
  readonly isNullable?: Nu
  /** Default false. */
  readonly isMultivalued?: M
  /** Default true. */
  readonly isReadable?: boolean
  /** Default true. */
  readonly isWritable?: boolean
  /**
   * The value an absent property reads as. Present (even as `null`) means the def *has* a
   * default; omitted means it has none.
   */
  readonly defaultValue?: ValueFor<T, M, Nu>
}

/**
 * A property's definition: name, type and flags. A frozen value object.
 *
 * @example
 * ```ts
 * const age = createPropertyDef({ name: 'age', type: 'INT' })
 * const tags = createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true, defaultValue: [] })
 * ```
 */
export class PropertyDef<
  N extends string = string,
  T extends PropertyTypeCode = PropertyTypeCode,
  M extends boolean = boolean,
  Nu extends boolean = boolean,
> {
  readonly name: N
  readonly type: T
  readonly isNullable: Nu
  readonly isMultivalued: M
  readonly isReadable: boolean
  readonly isWritable: boolean
  readonly hasDefaultValue: boolean
  /** The default, or `undefined` when {@link hasDefaultValue} is false. */
  readonly defaultValue: ValueFor<T, M, Nu> | undefined
  readonly #hash: bigint

  private constructor(options: PropertyDefOptions<N, T, M, Nu>, aspectDefName?: string) {
    const context = aspectDefName === undefined ? {} : { aspectDefName }
    this.name = checkName('property', options.name, context) as N
    if (typeof options.type !== 'string' || !isPropertyTypeCode(options.type)) {
      throw new CheapValidationError(
        `property '${String(options.name)}': unknown property type ${describe(options.type)}; expected one of INT FLT BLN STR TXT BGI BGF DAT URI UID CLB BLB`,
        { reason: 'WRONG_TYPE', propertyName: options.name, ...context },
      )
    }
    this.type = options.type
    this.isNullable = flag(options.isNullable, true) as Nu
    this.isMultivalued = flag(options.isMultivalued, false) as M
    this.isReadable = flag(options.isReadable, true)
    this.isWritable = flag(options.isWritable, true)
    this.hasDefaultValue =
      Object.hasOwn(options, 'defaultValue') && options.defaultValue !== undefined
    this.defaultValue = this.hasDefaultValue
      ? (validateValue(this, options.defaultValue, {
          ...context,
          propertyName: this.name,
        }) as ValueFor<T, M, Nu>)
      : undefined
    this.#hash = hashPropertyDef({
      name: this.name,
      typeCode: this.type,
      isReadable: this.isReadable,
      isWritable: this.isWritable,
      isNullable: this.isNullable,
      hasDefaultValue: this.hasDefaultValue,
      defaultValueHashCode:
        this.hasDefaultValue && this.defaultValue !== null
          ? javaHashCodeOfDefault(this.type, this.defaultValue)
          : null,
    })
    Object.freeze(this)
  }

  /** @internal Use {@link createPropertyDef}. */
  static create<
    const N extends string,
    const T extends PropertyTypeCode,
    const M extends boolean = false,
    const Nu extends boolean = true,
  >(options: PropertyDefOptions<N, T, M, Nu>, aspectDefName?: string): PropertyDef<N, T, M, Nu> {
    return new PropertyDef(options, aspectDefName)
  }

  /** 64-bit FNV-1a over the Java reference's fields (isMultivalued is not hashed, as in Java). */
  hash(): bigint {
    return this.#hash
  }

  /** Full structural equality: every field, including isMultivalued and the default value. */
  equals(other: PropertyDef): boolean {
    return (
      this === other ||
      (this.name === other.name &&
        this.type === other.type &&
        this.isNullable === other.isNullable &&
        this.isMultivalued === other.isMultivalued &&
        this.isReadable === other.isReadable &&
        this.isWritable === other.isWritable &&
        this.hasDefaultValue === other.hasDefaultValue &&
        valueEquals(this.defaultValue, other.defaultValue))
    )
  }
}

function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw new CheapValidationError(`flags must be booleans, got ${describe(value)}`, {
      reason: 'INVALID_ARGUMENT',
    })
  }
  return value
}

/** What {@link createPropertyDef} accepts before the flags are resolved to literal types. */
export interface PropertyDefInput {
  readonly name: string
  readonly type: PropertyTypeCode
  readonly isNullable?: boolean
  readonly isMultivalued?: boolean
  readonly isReadable?: boolean
  readonly isWritable?: boolean
  readonly defaultValue?: unknown
}

/** A flag's literal type from the options, or its default when omitted. */
type FlagOf<O, K extends string, Default extends boolean> = K extends keyof O
  ? Exclude<O[K], undefined> extends boolean
    ? [Exclude<O[K], undefined>] extends [never]
      ? Default
      : Exclude<O[K], undefined>
    : Default
  : Default

export type MultivaluedOf<O> = FlagOf<O, 'isMultivalued', false>
export type NullableOf<O> = FlagOf<O, 'isNullable', true>
/** `true` when the options give a default, `false` when they omit it, else `boolean`. */
export type HasDefaultOf<O> = 'defaultValue' extends keyof O
  ? undefined extends O['defaultValue' & keyof O]
    ? boolean
    : true
  : false

/**
 * A {@link PropertyDef} made from a literal: it also knows at compile time whether it has a
 * default, so {@link createAspect} can require the non-nullable properties that have none.
 */
export type LiteralPropertyDef<O extends PropertyDefInput> = PropertyDef<
  O['name'],
  O['type'],
  MultivaluedOf<O>,
  NullableOf<O>
> & { readonly hasDefaultValue: HasDefaultOf<O> }

/** How a value of each type is written, for the compiler's error messages. */
interface TypeDescriptions {
  INT: 'a bigint'
  FLT: 'a number'
  BLN: 'a boolean'
  STR: 'a string'
  TXT: 'a string'
  BGI: 'a bigint'
  BGF: 'decimal text'
  DAT: 'a luxon DateTime'
  URI: 'a URI string'
  UID: 'a UUID string'
  CLB: 'a string'
  BLB: 'a Uint8Array'
}

/** What a property of type `T` takes, in words: "a bigint or null", "a list of a string". */
type Expected<
  T extends PropertyTypeCode,
  M extends boolean,
  N extends boolean,
> = `${M extends true ? 'a list, each element ' : ''}${TypeDescriptions[T]}${N extends false ? '' : ' or null'}`

/**
 * `unknown` when the options' `defaultValue` (if any) suits the property's type, multiplicity
 * and nullability; otherwise a member no options object has, whose name tells what the default
 * must be (the compiler's message then reads "… 'error: defaultValue must be a bigint or null
 * (type INT)' …" instead of "not assignable to type 'never'").
 */
export type DefaultValueCheck<O extends PropertyDefInput> = PropertyTypeCode extends O['type']
  ? unknown // options built at run time (the JSON reader): checked by the constructor
  : 'defaultValue' extends keyof O
    ? [O['defaultValue' & keyof O]] extends [ValueFor<O['type'], MultivaluedOf<O>, NullableOf<O>>]
      ? CheckedValue<O['type'], O['defaultValue' & keyof O]>
      : {
          readonly [
            K in `error: defaultValue must be ${Expected<O['type'], MultivaluedOf<O>, NullableOf<O>>} (type ${O['type']})`
          ]: never
        }
    : unknown

/**
 * Creates a frozen {@link PropertyDef}; name, type and flags are inferred as literal types so
 * aspects of the enclosing AspectDef are typed. (Everything is inferred from the one options
 * object, never from the context: inside `createAspectDef({ properties: [...] })` the context
 * would otherwise widen the flags to `boolean`.)
 *
 * @example
 * ```ts
 * const age = createPropertyDef({ name: 'age', type: 'INT' })                 // bigint | null
 * const tags = createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true, isNullable: false })
 * ```
 */
export function createPropertyDef<const O extends PropertyDefInput>(
  options: O & DefaultValueCheck<O>,
): LiteralPropertyDef<O> {
  // The check above is compile-time only; the constructor validates the default again.
  const checked = options as PropertyDefInput as PropertyDefOptions<
    O['name'],
    O['type'],
    MultivaluedOf<O>,
    NullableOf<O>
  >
  return PropertyDef.create(checked) as LiteralPropertyDef<O>
}

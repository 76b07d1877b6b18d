import type { EntityId } from './entity.ts'
import type { PropertyTypeCode } from './property-type.ts'

// Compile-time checks of string *literals* that the run-time checks would refuse. A value typed
// plain `string` always passes here (it is checked at run time, with a CheapValidationError):
// the checks catch typos in source code without making callers cast every variable.

type HexDigit =
  '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'a' | 'b' | 'c' | 'd' | 'e' | 'f'

type Matches<S extends string, P extends string> = P extends `${infer PC}${infer PR}`
  ? S extends `${infer SC}${infer SR}`
    ? PC extends 'x'
      ? SC extends HexDigit
        ? Matches<SR, PR>
        : false
      : SC extends PC
        ? Matches<SR, PR>
        : false
    : false
  : S extends ''
    ? true
    : false

/** True when the literal `S` is a canonical lower-case UUID (8-4-4-4-12 hex digits). */
export type IsUuidLiteral<S extends string> = Matches<S, 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'>

/**
 * True when the literal `S` looks like a decimal number (`${number}` without spaces or a
 * binary, octal or hex prefix). Approximate: the run-time check (Java `BigDecimal` syntax) is the
 * authority.
 */
export type IsDecimalLiteral<S extends string> = S extends `${number}`
  ? S extends `${string}${' ' | 'x' | 'X' | 'o' | 'O' | 'b' | 'B' | '_'}${string}`
    ? false
    : true
  : false

/** Is `S` a string literal type (not `string`, not a template with holes, not a branded id)? */
type IsLiteral<S extends string> = S extends EntityId
  ? false
  : // `string`, and templates such as `${string}-0000`, map to index signatures, which an empty object fits
    Record<never, never> extends Record<S, true>
    ? false
    : true

/** The literals among `S` that are not canonical UUIDs (distributes over a union). */
type BadUuid<S> = S extends string
  ? IsLiteral<S> extends false
    ? never
    : IsUuidLiteral<S> extends true
      ? never
      : S
  : never

/** The literals among `S` that are not decimal text. */
type BadDecimal<S> = S extends string
  ? IsLiteral<S> extends false
    ? never
    : IsDecimalLiteral<S> extends true
      ? never
      : S
  : never

/**
 * `unknown` for a UUID literal, a plain `string` or an {@link EntityId}; for any other literal, a
 * member no string has, whose name is the compiler's error message.
 */
export type CheckedUuid<S> = [BadUuid<S>] extends [never]
  ? unknown
  : { readonly 'error: not a canonical lower-case UUID (8-4-4-4-12 hex digits)': BadUuid<S> }

type Elements<V> = V extends readonly (infer E)[] ? E : V

/**
 * The literal checks of a property value of type `T` (a list's elements one by one): BGF text
 * must be decimal, UID text a canonical UUID; `unknown` when they pass or do not apply.
 */
export type CheckedValue<T extends PropertyTypeCode, V> = T extends 'BGF'
  ? [BadDecimal<Elements<V>>] extends [never]
    ? unknown
    : { readonly 'error: a BGF value must be decimal text, like 12.50': BadDecimal<Elements<V>> }
  : T extends 'UID'
    ? [BadUuid<Elements<V>>] extends [never]
      ? unknown
      : {
          readonly 'error: a UID value must be a canonical lower-case UUID': BadUuid<Elements<V>>
        }
    : unknown

/** {@link CheckedUuid} of the options' member `K`, if given. */
export type CheckedUuidOption<O, K extends string> = K extends keyof O ? CheckedUuid<O[K]> : unknown

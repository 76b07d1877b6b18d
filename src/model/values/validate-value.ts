import type { PropertyTypeCode, PropertyValue, ScalarValue } from '../property-type.ts'
import { describe } from '../names.ts'
import { validateScalar, valueError, type ValueContext } from './validate.ts'

/** The parts of a PropertyDef that decide whether a value fits it. */
export interface ValueShape {
  readonly name: string
  readonly type: PropertyTypeCode
  readonly isNullable: boolean
  readonly isMultivalued: boolean
}

/**
 * Validates a whole property value against its def: null only when nullable, a (frozen copy of
 * an) array of valid elements when multivalued, a valid scalar otherwise. Returns the canonical
 * value to store.
 */
export function validateValue(
  def: ValueShape,
  value: unknown,
  context: ValueContext,
): PropertyValue {
  if (value === null) {
    if (!def.isNullable) {
      throw valueError(context, 'NOT_NULLABLE', `null is not allowed: the property is not nullable`)
    }
    return null
  }
  if (value === undefined) {
    throw valueError(
      context,
      'WRONG_TYPE',
      `undefined is not a value (use null, or leave the property absent)`,
    )
  }
  if (def.isMultivalued) {
    if (!Array.isArray(value)) {
      throw valueError(
        context,
        'WRONG_TYPE',
        `the property is multivalued: expected an array of ${def.type} or null, got ${describe(value)}`,
      )
    }
    const list: ScalarValue[] = new Array<ScalarValue>(value.length)
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i]
      if (element === null || element === undefined) {
        throw valueError(
          context,
          'NOT_NULLABLE',
          `element ${i} of a multivalued value is ${String(element)}; list elements cannot be null`,
        )
      }
      list[i] = validateScalar(def.type, element, context)
    }
    return Object.freeze(list)
  }
  if (Array.isArray(value)) {
    throw valueError(
      context,
      'WRONG_TYPE',
      `the property is single-valued: expected ${def.type}, got ${describe(value)}`,
    )
  }
  return validateScalar(def.type, value, context)
}

import { v4 as uuidV4 } from 'uuid'
import { CheapValidationError } from '../errors.ts'
import type { CheckedUuid } from './literal-checks.ts'
import { describe } from './names.ts'
import { isCanonicalUuid } from './values/uuid-text.ts'

declare const entityIdBrand: unique symbol

/**
 * An entity *is* its UUID: identity is the canonical lower-case UUID text, never object identity.
 * The brand keeps arbitrary strings out of hierarchies at compile time; {@link toEntityId}
 * checks the text at run time.
 */
export type EntityId = string & { readonly [entityIdBrand]: true }

/**
 * Validates and brands an entity id. A literal that is not a canonical lower-case UUID is a
 * compile-time error too; a `string` is checked at run time.
 *
 * @example
 * ```ts
 * const alice = toEntityId('10000000-0000-0000-0000-000000000001')
 * catalog.createEntityList('queue').add(alice)
 * ```
 */
export function toEntityId<const S extends string>(text: S & CheckedUuid<S>): EntityId {
  if (typeof text !== 'string' || !isCanonicalUuid(text)) {
    throw new CheapValidationError(
      `entity id must be a canonical lower-case UUID (8-4-4-4-12 hex digits), got ${describe(text)}`,
      { reason: 'INVALID_UUID' },
    )
  }
  return text as string as EntityId
}

/** A fresh random (version 4) entity id. */
export function newEntityId(): EntityId {
  return uuidV4() as EntityId
}

/** True when `value` is a canonical UUID string usable as an entity id. */
export function isEntityId(value: unknown): value is EntityId {
  return typeof value === 'string' && isCanonicalUuid(value)
}

/** Checks a caller-supplied UUID (catalog id, AspectDef id, upstream) and returns it. */
export function checkUuid(what: string, value: unknown): string {
  if (typeof value !== 'string' || !isCanonicalUuid(value)) {
    throw new CheapValidationError(
      `${what} must be a canonical lower-case UUID (8-4-4-4-12 hex digits), got ${describe(value)}`,
      { reason: 'INVALID_UUID' },
    )
  }
  return value
}

import { CheapValidationError } from '../../errors.ts'
import { toEntityId, type EntityId } from '../entity.ts'
import { checkName, describe } from '../names.ts'
import { hashHierarchyDef } from '../hash/def-hash.ts'
import { INT64_MAX, INT64_MIN } from '../values/validate.ts'
import type { HierarchyTypeCode } from './hierarchy-type.ts'

export interface HierarchyOptions {
  /** The user's manual version of the hierarchy; default 0. */
  readonly version?: bigint
}

/** Name, type and manual version shared by the five hierarchy classes. */
export abstract class HierarchyBase<T extends HierarchyTypeCode> {
  abstract readonly type: T
  readonly name: string
  #version: bigint
  #changeCount = 0

  protected constructor(name: string, options: HierarchyOptions) {
    this.name = checkName('hierarchy', name)
    this.#version = checkVersion(options.version ?? 0n, `hierarchy '${this.name}'`)
  }

  /** The user's manual version (Java `long`), distinct from persistence's revision. */
  get version(): bigint {
    return this.#version
  }

  set version(value: bigint) {
    this.#version = checkVersion(value, `hierarchy '${this.name}'`)
    this.changed()
  }

  /** Increments on every change of content or version; persistence uses it to skip work. */
  get changeCount(): number {
    return this.#changeCount
  }

  /** The Java HierarchyDef hash (name and type code). */
  hash(): bigint {
    return hashHierarchyDef(this.name, this.type)
  }

  protected changed(): void {
    this.#changeCount++
  }

  protected entity(id: EntityId | string): EntityId {
    return toEntityId(id)
  }
}

export function checkVersion(value: unknown, what: string): bigint {
  if (typeof value !== 'bigint') {
    throw new CheapValidationError(`${what}: version must be a bigint, got ${describe(value)}`, {
      reason: 'WRONG_TYPE',
    })
  }
  if (value < INT64_MIN || value > INT64_MAX) {
    throw new CheapValidationError(
      `${what}: version ${value}n is outside the signed 64-bit range`,
      {
        reason: 'OUT_OF_RANGE',
      },
    )
  }
  return value
}

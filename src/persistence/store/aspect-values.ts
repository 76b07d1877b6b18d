import { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { EntityId } from '../../model/entity.ts'
import type { PropertyDef } from '../../model/property-def.ts'
import {
  PROPERTY_TYPE_CODES,
  type PropertyTypeCode,
  type PropertyValue,
  type ScalarValue,
} from '../../model/property-type.ts'
import { codecOf, type AnyCodec } from './codecs/index.ts'
import type { StoredVersion } from './def-versions.ts'

/**
 * Aspects of one def version on their way to the generic value tables, each with its
 * catalog-local `aspect_id` (parallel arrays).
 */
export interface AspectSlice {
  readonly version: StoredVersion
  readonly aspects: readonly Aspect[]
  readonly ids: readonly number[]
}

interface SlotPlan {
  readonly name: string
  readonly slot: number
  readonly isMultivalued: boolean
  readonly codec: AnyCodec
}

/** A version's properties grouped by type, computed once per version. */
const plans = new WeakMap<StoredVersion, ReadonlyMap<PropertyTypeCode, readonly SlotPlan[]>>()

function slotsByType(version: StoredVersion): ReadonlyMap<PropertyTypeCode, readonly SlotPlan[]> {
  let plan = plans.get(version)
  if (plan === undefined) {
    const byType = new Map<PropertyTypeCode, SlotPlan[]>()
    for (const { def, slot } of version.properties) {
      const entry = { name: def.name, slot, isMultivalued: def.isMultivalued, codec: codecOf(def.type) }
      const list = byType.get(def.type)
      if (list === undefined) byType.set(def.type, [entry])
      else list.push(entry)
    }
    plan = byType
    plans.set(version, plan)
  }
  return plan
}

/** The property types a version stores, so a reader or writer can skip the other tables. */
export function typesOf(version: StoredVersion): ReadonlySet<PropertyTypeCode> {
  return new Set(slotsByType(version).keys())
}

/**
 * Value rows of one type, `[aspect_id, property_id, value_index, value, extra]`, generated as
 * they are written (a large save never holds them all). Values are read without access checks:
 * saving needs no read right. Absent properties have no row; a null scalar is one NULL row; a
 * list is one row per element (its length is in property_list).
 */
export function* valueRows(
  slices: readonly AspectSlice[],
  type: PropertyTypeCode,
): Generator<readonly unknown[]> {
  for (const slice of slices) {
    const slots = slotsByType(slice.version).get(type)
    if (slots === undefined) continue
    const { aspects, ids } = slice
    for (let i = 0; i < aspects.length; i++) {
      const stored = Aspect.stored(aspects[i] as Aspect)
      if (stored.size === 0) continue
      const id = ids[i] as number
      for (const s of slots) {
        if (!stored.has(s.name)) continue
        const value = stored.get(s.name) as PropertyValue
        if (s.isMultivalued) {
          const list = value as readonly ScalarValue[] | null
          if (list === null) continue
          for (let k = 0; k < list.length; k++) {
            const element = list[k] as ScalarValue
            yield [id, s.slot, k, s.codec.encode(element), s.codec.encodeExtra(element)]
          }
        } else if (value === null) {
          yield [id, s.slot, 0, null, null]
        } else {
          const scalar = value as ScalarValue
          yield [id, s.slot, 0, s.codec.encode(scalar), s.codec.encodeExtra(scalar)]
        }
      }
    }
  }
}

/** property_list rows, `[aspect_id, property_id, length]` (length null for a null list). */
export function* listRows(slices: readonly AspectSlice[]): Generator<readonly unknown[]> {
  for (const slice of slices) {
    const lists = slice.version.properties.filter((p) => p.def.isMultivalued)
    if (lists.length === 0) continue
    const { aspects, ids } = slice
    for (let i = 0; i < aspects.length; i++) {
      const stored = Aspect.stored(aspects[i] as Aspect)
      for (const { def, slot } of lists) {
        if (!stored.has(def.name)) continue
        const list = stored.get(def.name) as readonly ScalarValue[] | null
        yield [ids[i], slot, list === null ? null : list.length]
      }
    }
  }
}

/** How many value and list rows the slices make (for progress and the save result). */
export function countRows(slices: readonly AspectSlice[]): number {
  let n = 0
  for (const slice of slices) {
    const multivalued = new Set(
      slice.version.properties.filter((p) => p.def.isMultivalued).map((p) => p.def.name),
    )
    for (const aspect of slice.aspects) {
      for (const [name, value] of Aspect.stored(aspect)) {
        n += multivalued.has(name) ? 1 + ((value as readonly unknown[] | null)?.length ?? 0) : 1
      }
    }
  }
  return n
}

/** Every value type, in the order the tables are written and read. */
export const VALUE_TYPES: readonly PropertyTypeCode[] = PROPERTY_TYPE_CODES

/**
 * Assembles stored rows back into aspects: the one routine behind every read (whole catalogs,
 * single aspects, query results, pages of an AspectMap). Register each aspect, feed it list and
 * value rows in any order, then build.
 */
export class AspectAssembler {
  readonly #aspects = new Map<
    number,
    {
      readonly version: StoredVersion
      readonly entityId: EntityId
      readonly values: Map<string, PropertyValue>
    }
  >()

  /** Registers an aspect; rows of unregistered aspects are ignored (another def's, or gone). */
  register(aspectId: number, version: StoredVersion, entityId: EntityId): void {
    this.#aspects.set(aspectId, { version, entityId, values: new Map() })
  }

  /** Stored values decoded elsewhere (a dedicated table's row). */
  setValues(aspectId: number, values: ReadonlyMap<string, PropertyValue>): void {
    const target = this.#aspects.get(aspectId)
    if (target !== undefined) for (const [name, value] of values) target.values.set(name, value)
  }

  list(aspectId: number, slot: number, length: number | null): void {
    const target = this.#aspects.get(aspectId)
    const prop = target?.version.propertyOf(slot)
    if (target === undefined || prop === undefined) return
    target.values.set(prop.name, length === null ? null : new Array<ScalarValue>(length))
  }

  value(aspectId: number, slot: number, index: number, raw: unknown, extra: unknown): void {
    const target = this.#aspects.get(aspectId)
    const prop: PropertyDef | undefined = target?.version.propertyOf(slot)
    if (target === undefined || prop === undefined) return
    const value = raw === null ? null : codecOf(prop.type).decode(raw, extra)
    if (prop.isMultivalued) {
      const list = target.values.get(prop.name)
      if (Array.isArray(list)) (list as ScalarValue[])[index] = value as ScalarValue
    } else {
      target.values.set(prop.name, value)
    }
  }

  /** The aspect with id `aspectId` as a model Aspect of `def`, or undefined. */
  build<D extends AspectDef>(aspectId: number, def: D): Aspect<D> | undefined {
    const target = this.#aspects.get(aspectId)
    if (target === undefined) return undefined
    for (const [name, value] of target.values) {
      if (Array.isArray(value)) target.values.set(name, Object.freeze(value))
    }
    return Aspect.restore(def, target.entityId, target.values)
  }
}

import { CheapValidationError } from '../../errors.ts'
import { Aspect } from '../aspect.ts'
import type { AspectDef } from '../aspect-def.ts'
import { describe } from '../names.ts'
import type { EntityId } from '../entity.ts'
import { HierarchyBase, type HierarchyOptions } from './hierarchy-base.ts'

/**
 * AM: entity → aspect for exactly one AspectDef; the hierarchy's name is the def's name; one
 * aspect per entity; insertion order round-trips. An aspect of another def is rejected.
 */
export class AspectMap<D extends AspectDef = AspectDef> extends HierarchyBase<'AM'> {
  readonly type = 'AM' as const
  readonly aspectDef: D
  #aspects = new Map<EntityId, Aspect<D>>()
  #removed = new Set<EntityId>()

  constructor(aspectDef: D, options: HierarchyOptions = {}) {
    super(aspectDef.name, options)
    this.aspectDef = aspectDef
  }

  get size(): number {
    return this.#aspects.size
  }

  [Symbol.iterator](): IterableIterator<Aspect<D>> {
    return this.#aspects.values()
  }

  aspects(): IterableIterator<Aspect<D>> {
    return this.#aspects.values()
  }

  entityIds(): IterableIterator<EntityId> {
    return this.#aspects.keys()
  }

  get(entityId: string): Aspect<D> | undefined {
    return this.#aspects.get(entityId as EntityId)
  }

  has(entityId: string): boolean {
    return this.#aspects.has(entityId as EntityId)
  }

  /** Adds (or replaces, keeping its position) the aspect of `aspect.entityId`. */
  add(aspect: Aspect<D>): this {
    this.#check(aspect)
    // A removed-then-re-added entity stays in #removed: it moved to the end of the map, so
    // persistence must delete its old row (and position) before writing the new one.
    this.#aspects.set(aspect.entityId, aspect)
    this.changed()
    return this
  }

  /** Adds every aspect of `aspects` in order, as {@link add} does; all are checked first. */
  addAll(aspects: Iterable<Aspect<D>>): this {
    const checked = Array.from(aspects, (aspect) => {
      this.#check(aspect)
      return aspect
    })
    for (const aspect of checked) this.#aspects.set(aspect.entityId, aspect)
    this.changed()
    return this
  }

  #check(aspect: Aspect<D>): void {
    if (!(aspect instanceof Aspect)) {
      throw new CheapValidationError(
        `aspect map '${this.name}': expected an Aspect, got ${describe(aspect)}`,
        {
          reason: 'WRONG_ASPECT_DEF',
          aspectDefName: this.aspectDef.name,
        },
      )
    }
    const def: AspectDef = aspect.def
    if (def !== this.aspectDef && !def.equals(this.aspectDef)) {
      throw new CheapValidationError(
        `aspect map '${this.name}' holds aspects of AspectDef '${this.aspectDef.name}' (${this.aspectDef.globalId}); got an aspect of '${def.name}' (${def.globalId}) for entity ${aspect.entityId}`,
        { reason: 'WRONG_ASPECT_DEF', aspectDefName: this.aspectDef.name },
      )
    }
  }

  delete(entityId: string): boolean {
    const had = this.#aspects.delete(entityId as EntityId)
    if (had) {
      this.#removed.add(entityId as EntityId)
      this.changed()
    }
    return had
  }

  clear(): void {
    for (const id of this.#aspects.keys()) this.#removed.add(id)
    this.#aspects.clear()
    this.changed()
  }

  /** @internal Entities whose aspects were removed since the last {@link AspectMap.markClean}. */
  removedSinceMark(): ReadonlySet<EntityId> {
    return this.#removed
  }

  /** @internal Forget removals (called by persistence after a save or load). */
  markClean(): void {
    this.#removed = new Set()
  }
}

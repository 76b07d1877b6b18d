import type { EntityId } from '../entity.ts'
import { HierarchyBase, type HierarchyOptions } from './hierarchy-base.ts'

/** ES: a set of entities, unique by UUID, iterated (and stored) in insertion order. */
export class EntitySet extends HierarchyBase<'ES'> {
  readonly type = 'ES' as const
  #items = new Set<EntityId>()

  constructor(name: string, options: HierarchyOptions = {}) {
    super(name, options)
  }

  get size(): number {
    return this.#items.size
  }

  [Symbol.iterator](): IterableIterator<EntityId> {
    return this.#items.values()
  }

  toArray(): EntityId[] {
    return [...this.#items]
  }

  has(id: string): boolean {
    return this.#items.has(id as EntityId)
  }

  /**
   * Adds entities; ones already present keep their position. For many entities use
   * {@link addAll}: a spread (`add(...ids)`) of more than about 100,000 ids overflows
   * JavaScript's argument limit.
   */
  add(...ids: (EntityId | string)[]): this {
    return this.addAll(ids)
  }

  /** Adds every entity of `ids` in order (present ones keep their position); all checked first. */
  addAll(ids: Iterable<EntityId | string>): this {
    const checked = Array.from(ids, (id) => this.entity(id))
    for (const id of checked) this.#items.add(id)
    this.changed()
    return this
  }

  delete(id: string): boolean {
    const had = this.#items.delete(id as EntityId)
    if (had) this.changed()
    return had
  }

  clear(): void {
    this.#items.clear()
    this.changed()
  }
}

import { CheapValidationError } from '../../errors.ts'
import type { EntityId } from '../entity.ts'
import { HierarchyBase, type HierarchyOptions } from './hierarchy-base.ts'

/** EL: an ordered list of entities; duplicates allowed; positional insert and remove. */
export class EntityList extends HierarchyBase<'EL'> {
  readonly type = 'EL' as const
  #items: EntityId[] = []

  constructor(name: string, options: HierarchyOptions = {}) {
    super(name, options)
  }

  get size(): number {
    return this.#items.length
  }

  [Symbol.iterator](): IterableIterator<EntityId> {
    return this.#items.values()
  }

  /** A copy of the contents, in order. */
  toArray(): EntityId[] {
    return [...this.#items]
  }

  at(index: number): EntityId | undefined {
    return this.#items.at(index)
  }

  indexOf(id: string): number {
    return this.#items.indexOf(id as EntityId)
  }

  includes(id: string): boolean {
    return this.#items.includes(id as EntityId)
  }

  /**
   * Appends entities (duplicates kept). For many entities use {@link addAll}: a spread
   * (`add(...ids)`) of more than about 100,000 ids overflows JavaScript's argument limit.
   */
  add(...ids: (EntityId | string)[]): this {
    return this.addAll(ids)
  }

  /** Appends every entity of `ids`, in order (duplicates kept); all are checked first. */
  addAll(ids: Iterable<EntityId | string>): this {
    const checked = Array.from(ids, (id) => this.entity(id))
    for (const id of checked) this.#items.push(id)
    this.changed()
    return this
  }

  /** Inserts at `index` (0..size). */
  insert(index: number, id: EntityId | string): this {
    this.#checkIndex(index, this.#items.length)
    this.#items.splice(index, 0, this.entity(id))
    this.changed()
    return this
  }

  /** Replaces the entity at `index`. */
  setAt(index: number, id: EntityId | string): this {
    this.#checkIndex(index, this.#items.length - 1)
    this.#items[index] = this.entity(id)
    this.changed()
    return this
  }

  /** Removes and returns the entity at `index`. */
  removeAt(index: number): EntityId {
    this.#checkIndex(index, this.#items.length - 1)
    const [removed] = this.#items.splice(index, 1)
    this.changed()
    return removed as EntityId
  }

  /** Removes the first occurrence of `id`; false when absent. */
  remove(id: string): boolean {
    const index = this.#items.indexOf(id as EntityId)
    if (index < 0) return false
    this.#items.splice(index, 1)
    this.changed()
    return true
  }

  clear(): void {
    this.#items = []
    this.changed()
  }

  #checkIndex(index: number, max: number): void {
    if (!Number.isInteger(index) || index < 0 || index > max) {
      throw new CheapValidationError(
        `entity list '${this.name}': index ${index} is outside 0..${max}`,
        {
          reason: 'OUT_OF_RANGE',
        },
      )
    }
  }
}

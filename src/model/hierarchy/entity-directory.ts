import { CheapValidationError } from '../../errors.ts'
import type { EntityId } from '../entity.ts'
import { invalidTextReason } from '../values/text.ts'
import { HierarchyBase, type HierarchyOptions } from './hierarchy-base.ts'

/** ED: string key → entity; keys unique and insertion-ordered; keys may share an entity. */
export class EntityDirectory extends HierarchyBase<'ED'> {
  readonly type = 'ED' as const
  #entries = new Map<string, EntityId>()

  constructor(name: string, options: HierarchyOptions = {}) {
    super(name, options)
  }

  get size(): number {
    return this.#entries.size
  }

  [Symbol.iterator](): IterableIterator<[string, EntityId]> {
    return this.#entries.entries()
  }

  entries(): IterableIterator<[string, EntityId]> {
    return this.#entries.entries()
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys()
  }

  get(key: string): EntityId | undefined {
    return this.#entries.get(key)
  }

  has(key: string): boolean {
    return this.#entries.has(key)
  }

  /** Sets `key` (an existing key keeps its position). */
  set(key: string, id: EntityId | string): this {
    this.#entries.set(this.#checkKey(key), this.entity(id))
    this.changed()
    return this
  }

  /** Sets every `[key, entity]` entry in order, as {@link set} does; all are checked first. */
  setAll(entries: Iterable<readonly [string, EntityId | string]>): this {
    const checked = Array.from(
      entries,
      ([key, id]) => [this.#checkKey(key), this.entity(id)] as const,
    )
    for (const [key, id] of checked) this.#entries.set(key, id)
    this.changed()
    return this
  }

  #checkKey(key: string): string {
    if (typeof key !== 'string') {
      throw new CheapValidationError(
        `entity directory '${this.name}': keys must be strings, got ${typeof key}`,
        {
          reason: 'INVALID_NAME',
        },
      )
    }
    const bad = invalidTextReason(key)
    if (bad !== undefined) {
      throw new CheapValidationError(
        `entity directory '${this.name}': key ${JSON.stringify(key)} is not storable: ${bad}`,
        {
          reason: 'INVALID_NAME',
        },
      )
    }
    return key
  }

  delete(key: string): boolean {
    const had = this.#entries.delete(key)
    if (had) this.changed()
    return had
  }

  clear(): void {
    this.#entries.clear()
    this.changed()
  }
}

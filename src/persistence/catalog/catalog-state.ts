import type { Catalog } from '../../model/catalog.ts'

/**
 * What a DAO remembers about a catalog object it loaded or saved, per database: the stored
 * revision it saw (optimistic locking) and the change counters at that moment (change tracking,
 * so a re-save writes only what changed). Held in a WeakMap so it never keeps a catalog alive.
 */
export interface CatalogState {
  readonly revision: bigint
  /** Catalog-level change counter at load/save. */
  readonly catalogChangeCount: number
  /** Per hierarchy object: its change counter at load/save. */
  readonly hierarchies: WeakMap<object, number>
  /** Per aspect object: its change counter at load/save. */
  readonly aspects: WeakMap<object, number>
  /** Per AspectDef object: its change counter at load/save. */
  readonly aspectDefs: WeakMap<object, number>
  /** Hierarchy names and types as stored. */
  readonly storedHierarchies: ReadonlyMap<string, string>
}

const states = new WeakMap<Catalog, Map<string, CatalogState>>()

export function getCatalogState(catalog: Catalog, databaseKey: string): CatalogState | undefined {
  return states.get(catalog)?.get(databaseKey)
}

export function setCatalogState(catalog: Catalog, databaseKey: string, state: CatalogState): void {
  let byDatabase = states.get(catalog)
  if (byDatabase === undefined) {
    byDatabase = new Map()
    states.set(catalog, byDatabase)
  }
  byDatabase.set(databaseKey, state)
}

/** Snapshot of every change counter in `catalog`, taken right after a load or save. */
/** Puts back a state read with {@link getCatalogState} (undefined: the catalog was never seen). */
export function restoreCatalogState(
  catalog: Catalog,
  databaseKey: string,
  state: CatalogState | undefined,
): void {
  if (state === undefined) states.get(catalog)?.delete(databaseKey)
  else setCatalogState(catalog, databaseKey, state)
}

export function snapshotCatalog(catalog: Catalog, revision: bigint): CatalogState {
  const hierarchies = new WeakMap<object, number>()
  const aspects = new WeakMap<object, number>()
  const aspectDefs = new WeakMap<object, number>()
  const storedHierarchies = new Map<string, string>()
  for (const h of catalog.hierarchies()) {
    hierarchies.set(h, h.changeCount)
    storedHierarchies.set(h.name, h.type)
    if (h.type === 'AM') {
      aspectDefs.set(h.aspectDef, h.aspectDef.changeCount)
      for (const aspect of h.aspects()) aspects.set(aspect, aspect.changeCount)
      h.markClean()
    }
  }
  return {
    revision,
    catalogChangeCount: catalog.changeCount,
    hierarchies,
    aspects,
    aspectDefs,
    storedHierarchies,
  }
}

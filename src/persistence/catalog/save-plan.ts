import type { Aspect } from '../../model/aspect.ts'
import { checkRequiredProperties, isRequired } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { Catalog } from '../../model/catalog.ts'
import type { EntityId } from '../../model/entity.ts'
import type { AspectMap } from '../../model/hierarchy/aspect-map.ts'
import type { Hierarchy } from '../../model/hierarchy/index.ts'
import type { CatalogState } from './catalog-state.ts'

/**
 * What one save writes. `insert`: a new catalog, everything. `full`: a stored catalog replaced by
 * this object (a forced save, or one the DAO never saw at this revision): its contents are
 * deleted and written again. `incremental`: a catalog loaded or saved through this database,
 * compared with the snapshot taken then; only what changed is written.
 */
export interface SavePlan {
  readonly mode: 'insert' | 'full' | 'incremental'
  /** The catalog row, its def pins or its hierarchy list changed. */
  readonly writeHeader: boolean
  /** Hierarchies whose contents are written whole (every one for insert and full). */
  readonly rewrite: readonly Hierarchy[]
  /** AspectMaps with changed or new aspects only, and the entities whose aspects were removed. */
  readonly partial: readonly PartialMap[]
}

export interface PartialMap {
  readonly map: AspectMap
  readonly changed: readonly Aspect[]
  readonly removed: readonly EntityId[]
}

export function fullPlan(catalog: Catalog, mode: 'insert' | 'full'): SavePlan {
  return { mode, writeHeader: true, rewrite: [...catalog.hierarchies()], partial: [] }
}

/** Compares the catalog with the snapshot taken at its last load or save. */
export function incrementalPlan(catalog: Catalog, state: CatalogState): SavePlan {
  const rewrite: Hierarchy[] = []
  const partial: PartialMap[] = []
  let writeHeader = catalog.changeCount !== state.catalogChangeCount
  for (const h of catalog.hierarchies()) {
    const seen = state.hierarchies.get(h)
    if (seen === undefined || state.storedHierarchies.get(h.name) !== h.type) {
      rewrite.push(h)
      writeHeader = true
      continue
    }
    if (h.type === 'AM') {
      if (state.aspectDefs.get(h.aspectDef) !== h.aspectDef.changeCount) {
        // The def changed shape: the map moves to another version, written whole.
        rewrite.push(h)
        writeHeader = true
        continue
      }
      const changed = [...h.aspects()].filter((a) => state.aspects.get(a) !== a.changeCount)
      const removed = [...h.removedSinceMark()]
      if (changed.length > 0 || removed.length > 0) partial.push({ map: h, changed, removed })
      if (seen !== h.changeCount) writeHeader = true
      continue
    }
    if (seen !== h.changeCount) {
      rewrite.push(h)
      writeHeader = true
    }
  }
  if (state.storedHierarchies.size !== catalog.hierarchyCount) writeHeader = true
  return { mode: 'incremental', writeHeader, rewrite, partial }
}

/** Nothing to write: the catalog equals what was loaded or last saved. */
export function isEmptyPlan(plan: SavePlan): boolean {
  return (
    plan.mode === 'incremental' &&
    !plan.writeHeader &&
    plan.rewrite.length === 0 &&
    plan.partial.length === 0
  )
}

/**
 * Checks, before the first statement, what the model cannot check when values are set: every
 * aspect written has its required properties (a def that gained one leaves older aspects
 * without it). Values themselves were validated when they were set.
 */
export function validatePlan(plan: SavePlan): void {
  const check = (def: AspectDef, aspects: Iterable<Aspect>) => {
    if (!def.propertyDefs().some(isRequired)) return
    for (const aspect of aspects) checkRequiredProperties(aspect)
  }
  for (const h of plan.rewrite) if (h.type === 'AM') check(h.aspectDef, h.aspects())
  for (const p of plan.partial) check(p.map.aspectDef, p.changed)
}

import type { Kysely } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import { checkUuid, toEntityId, type EntityId } from '../../model/entity.ts'
import { checkName, describe } from '../../model/names.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { deleteUnreferencedEntities } from '../store/entity-gc.ts'

// What every partial call shares (argument checks, the membership result), kept apart from the
// calls so that none of them imports another: the partial room stays one floor deep.

type Executor = Kysely<CheapDatabase>

/** What a membership edit did. */
export interface MembershipResult {
  /** The catalog's stored revision after the call. */
  readonly revision: bigint
  /**
   * Entries added, put or removed: list items appended or removed, set members newly added or
   * removed, directory keys put (new or replaced) or removed, tree nodes added or removed
   * (descendants included).
   */
  readonly affected: number
}

/** Validates the catalog id and hierarchy name every membership call takes. */
export function checkTarget(catalogId: string, name: string): void {
  checkUuid('catalog id', catalogId)
  checkName('hierarchy', name)
}

/** Validates entity ids (duplicates kept: an entity list may hold one twice). */
export function checkEntityIds(call: string, ids: Iterable<string>): EntityId[] {
  if (ids === null || typeof ids !== 'object' || !(Symbol.iterator in ids)) {
    throw new CheapValidationError(
      `${call}: expected an iterable of entity ids, got ${describe(ids)}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  return Array.from(ids, (id) => toEntityId(id))
}

/** Collects the entities of deleted rows that nothing refers to any more. */
export async function removed(
  trx: Executor,
  catalogId: string,
  rows: readonly { readonly entity_id: string | null }[],
): Promise<{ result: { affected: number }; rowsWritten: number }> {
  const ids = rows.flatMap((r) => (r.entity_id === null ? [] : [r.entity_id]))
  const collected = await deleteUnreferencedEntities(trx, catalogId, ids)
  return { result: { affected: rows.length }, rowsWritten: rows.length + collected }
}

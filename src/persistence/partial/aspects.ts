import { sql, type Kysely, type Transaction } from 'kysely'
import { CheapConflictError, CheapValidationError } from '../../errors.ts'
import { Aspect, checkRequiredProperties, isRequired } from '../../model/aspect.ts'
import type { AspectDef, AspectDefName } from '../../model/aspect-def.ts'
import { checkUuid, type EntityId } from '../../model/entity.ts'
import { describe } from '../../model/names.ts'
import type { DedicatedConnection } from '../connection/held-connection.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { loadAspectsSmall, lockAndBump, upsertAspectsSmall } from './aspects-small.ts'
import { checkEntityIds } from './common.ts'
import {
  checkDefArgument,
  readAspectsOf,
  storedMapVersion,
  wrongStoredDef,
} from '../store/aspect-maps.ts'
import {
  ASPECT,
  aspectRows,
  replaceAspectValues,
  writeAspectValues,
} from '../store/aspect-store.ts'
import type { AspectSlice } from '../store/aspect-values.ts'
import { writeRows } from '../store/bulk-write.ts'
import {
  catalogNotFound,
  partialWrite,
  readOnlySnapshot,
  recordPartialRevision,
  requireHierarchy,
  type PartialWriteOutcome,
} from '../store/catalog-lock.ts'
import type { DefVersionCache, StoredVersion } from '../store/def-versions.ts'
import { dedicatedTablesOf } from '../store/dedicated/table.ts'
import { deleteUnreferencedEntities } from '../store/entity-gc.ts'
import { ENTITY } from '../store/hierarchy-rows.ts'

type Db = Kysely<CheapDatabase>
type Trx = Transaction<CheapDatabase>

/** What {@link upsertAspects} did. */
export interface UpsertAspectsResult {
  /** The catalog's stored revision after the call. */
  readonly revision: bigint
  /** Aspects of entities that had none of this def: appended to the map. */
  readonly inserted: number
  /** Aspects replaced in place (position kept, values replaced exactly). */
  readonly updated: number
}

/** What {@link removeAspects} did. */
export interface RemoveAspectsResult {
  readonly revision: bigint
  /** Aspects deleted (entities without an aspect of the def are not counted). */
  readonly removed: number
}

/**
 * The few-aspects path (aspects-small.ts), when the DAO allows it: a held connection for its
 * prepared statements, and up to how many entity ids (a load) or aspects (an upsert) it takes.
 */
export interface SmallPartial {
  withConnection<T>(work: (connection: DedicatedConnection) => Promise<T>): Promise<T>
  readonly maxLoadIds: number
  readonly maxUpsertAspects: number
}

/**
 * The aspects of `aspectDef` stored for `entityIds`, keyed by entity id in map order; entities
 * without one are absent. One read-only snapshot; a fixed number of queries however many
 * entities are asked for: one statement for up to `small.maxLoadIds` of them (aspects-small.ts),
 * else a transaction of a query per table.
 */
export async function loadAspects<D extends AspectDef>(
  db: Db,
  cache: DefVersionCache,
  catalogId: string,
  aspectDef: D | AspectDefName<D>,
  entityIds: Iterable<string>,
  small?: SmallPartial,
): Promise<Map<EntityId, Aspect<D>>> {
  checkUuid('catalog id', catalogId)
  const { name, def } = checkDefArgument('loadAspects', aspectDef)
  const ids = [...new Set(checkEntityIds('loadAspects', entityIds))]
  if (small !== undefined && ids.length <= small.maxLoadIds) {
    const found = await small.withConnection((connection) =>
      loadAspectsSmall(connection, cache, catalogId, name, def as D | undefined, ids),
    )
    if (found !== undefined) return found
  }
  return readOnlySnapshot(db, async (trx) => {
    const version = await storedMapVersion(trx, catalogId, name, 'loadAspects', cache)
    if (def !== undefined && !version.matches(def))
      throw wrongStoredDef('loadAspects', catalogId, def, version)
    if (ids.length === 0) return new Map<EntityId, Aspect<D>>()
    return readAspectsOf(trx, catalogId, version, (def ?? version.toAspectDef()) as D, ids)
  })
}

/** Checks the aspects before any statement; returns them de-duplicated (model semantics). */
function checkAspects(name: string, aspects: Iterable<Aspect>): Aspect[] {
  if (aspects === null || typeof aspects !== 'object' || !(Symbol.iterator in aspects)) {
    throw new CheapValidationError(
      `upsertAspects: expected an iterable of aspects of '${name}', got ${describe(aspects)}`,
      { reason: 'INVALID_ARGUMENT', aspectDefName: name },
    )
  }
  // Like AspectMap.add repeated: a later aspect of the same entity replaces an earlier one and
  // takes its position.
  const byEntity = new Map<EntityId, Aspect>()
  let first: AspectDef | undefined
  for (const aspect of aspects) {
    if (!(aspect instanceof Aspect)) {
      throw new CheapValidationError(
        `upsertAspects into '${name}': expected an Aspect, got ${describe(aspect)}`,
        { reason: 'WRONG_ASPECT_DEF', aspectDefName: name },
      )
    }
    const def: AspectDef = aspect.def
    if (def !== first) {
      if (def.name !== name || (first !== undefined && !def.equals(first))) {
        const wanted =
          first === undefined
            ? `'${name}'`
            : `'${name}' (${first.globalId}, as the first aspect of this call)`
        throw new CheapValidationError(
          `upsertAspects into '${name}': the aspect of entity ${aspect.entityId} has AspectDef '${def.name}' (${def.globalId}), not ${wanted}`,
          { reason: 'WRONG_ASPECT_DEF', aspectDefName: name },
        )
      }
      first = def
    }
    byEntity.set(aspect.entityId, aspect)
  }
  const unique = [...byEntity.values()]
  if (first !== undefined && first.propertyDefs().some(isRequired)) {
    for (const aspect of unique) checkRequiredProperties(aspect)
  }
  return unique
}

/**
 * Inserts or replaces aspects in the catalog's AspectMap of `aspectDef` (which must exist), in
 * one transaction, set-based: new aspects are appended to the map, existing ones replaced in
 * place (position kept, values replaced exactly: absent, null, value, lists). Every aspect's def
 * must equal the version the catalog stores: another stored version of the def is a
 * CheapConflictError (a race with evolveAspectDef), any other def a CheapValidationError
 * `WRONG_ASPECT_DEF`. Up to `small.maxUpsertAspects` aspects of a cached version take four round
 * trips (aspects-small.ts) instead of a statement per step and table.
 */
export async function upsertAspects<D extends AspectDef>(
  db: Db,
  cache: DefVersionCache,
  catalogId: string,
  aspectDef: D | string,
  aspects: Iterable<Aspect<D>>,
  small?: SmallPartial,
): Promise<UpsertAspectsResult> {
  checkUuid('catalog id', catalogId)
  const { name, def: passed } = checkDefArgument('upsertAspects', aspectDef)
  const unique = checkAspects(name, aspects as Iterable<Aspect>)
  const def = unique[0]?.def ?? passed
  // The small path needs the version the aspects were built with from the cache (the set-based
  // path below fills it): its one statement checks that the map is still pinned to it.
  const cached = def === undefined ? undefined : cache.versionOf(def)
  if (
    small !== undefined &&
    unique.length > 0 &&
    unique.length <= small.maxUpsertAspects &&
    cached !== undefined &&
    (passed === undefined || cached.matches(passed))
  ) {
    return small.withConnection((connection) =>
      upsertSmallOrSetBased(connection, cache, catalogId, name, passed, cached, unique),
    )
  }
  return partialWrite(db, catalogId, [name], unique.length, (trx, { firstAspectId }) =>
    upsertBody(trx, cache, catalogId, name, passed, def, unique, firstAspectId),
  )
}

/**
 * The small path's transaction: the def lock and the revision bump in one statement, the write
 * in one more ({@link upsertAspectsSmall}); when its checks fail (the map moved to another
 * version, a mapping), the set-based body in the same transaction, which gives the exact error
 * or writes. BEGIN and COMMIT included, four round trips.
 */
async function upsertSmallOrSetBased(
  connection: DedicatedConnection,
  cache: DefVersionCache,
  catalogId: string,
  name: string,
  passed: AspectDef | undefined,
  version: StoredVersion,
  unique: readonly Aspect[],
): Promise<UpsertAspectsResult> {
  return connection.db.transaction().execute(async (trx) => {
    const bumped = await lockAndBump(connection, catalogId, [name], unique.length)
    if (bumped === undefined) throw catalogNotFound(catalogId)
    const revision = bumped.revision
    const firstAspectId = Number(bumped.next_aspect_id) - unique.length
    const inserted = await upsertAspectsSmall(
      connection,
      catalogId,
      name,
      version,
      unique,
      firstAspectId,
      revision,
    )
    if (inserted !== undefined) return { inserted, updated: unique.length - inserted, revision }
    const def = unique[0]?.def
    const { result, rowsWritten } = await upsertBody(
      trx,
      cache,
      catalogId,
      name,
      passed,
      def,
      unique,
      firstAspectId,
    )
    await recordPartialRevision(trx, catalogId, revision, rowsWritten)
    return { ...result, revision }
  })
}

/** What upsertAspects does once the catalog is locked and bumped (the set-based path). */
async function upsertBody(
  trx: Trx,
  cache: DefVersionCache,
  catalogId: string,
  name: string,
  passed: AspectDef | undefined,
  def: AspectDef | undefined,
  unique: readonly Aspect[],
  firstAspectId: number,
): Promise<PartialWriteOutcome<{ inserted: number; updated: number }>> {
  const version = await storedMapVersion(trx, catalogId, name, 'upsertAspects', cache)
  if (passed !== undefined && !version.matches(passed))
    throw wrongStoredDef('upsertAspects', catalogId, passed, version)
  if (def !== undefined && !version.matches(def)) {
    if (await isOtherStoredVersion(trx, def)) {
      // Built with another stored version, typically the one the catalog was on before an
      // evolveAspectDef moved it: a race with a schema operation, not a malformed argument.
      throw new CheapConflictError(
        `upsertAspects into '${name}' of catalog ${catalogId}: the aspects were built with another stored version of the AspectDef (hash ${def.hash()}); the catalog is on version ${version.version} (evolveAspectDef may have moved it meanwhile); build the aspects with that version (the def of the catalog's AspectMap) and try again`,
        { aspectDefName: name, storedHash: version.hash, newHash: def.hash() },
      )
    }
    throw new CheapValidationError(
      `upsertAspects into '${name}' of catalog ${catalogId}: the aspects' AspectDef (${def.globalId}, hash ${def.hash()}) differs from the stored one (version ${version.version}, ${version.defId}, hash ${version.hash}); load the stored def (loadAspectDef) and build the aspects with it`,
      { reason: 'WRONG_ASPECT_DEF', aspectDefName: name },
    )
  }
  if (unique.length === 0) return { result: { inserted: 0, updated: 0 }, rowsWritten: 0 }
  const written = await writeAspectsOf(trx, catalogId, version, unique, firstAspectId)
  return {
    result: { inserted: written.inserted, updated: unique.length - written.inserted },
    rowsWritten: written.rows,
  }
}

/** Whether `def` is a stored version of its def identity (not the one a catalog is on). */
async function isOtherStoredVersion(trx: Trx, def: AspectDef): Promise<boolean> {
  const row = await trx
    .selectFrom('aspect_def_version')
    .select('version')
    .where('aspect_def_id', '=', def.globalId)
    .where('hash_version', '=', def.hash())
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Writes aspects of one map, replacing existing ones in place and appending the others with
 * the ids from `firstAspectId` (their map position is their id: after every stored one).
 */
async function writeAspectsOf(
  trx: Trx,
  catalogId: string,
  version: StoredVersion,
  aspects: readonly Aspect[],
  firstAspectId: number,
): Promise<{ readonly inserted: number; readonly rows: number }> {
  const found = await trx
    .selectFrom('aspect')
    .select(['entity_id', 'aspect_id'])
    .where('catalog_id', '=', catalogId)
    .where('aspect_def_id', '=', version.defId)
    .where('entity_id', '=', sql<string>`any(${aspects.map((a) => a.entityId)}::uuid[])`)
    .execute()
  const existing = new Map(found.map((r) => [r.entity_id, Number(r.aspect_id)]))
  const storage = await dedicatedTablesOf(trx, [version])
  const replaced = aspects.filter((a) => existing.has(a.entityId))
  const added = aspects.filter((a) => !existing.has(a.entityId))
  let rows = await replaceAspectValues(
    trx,
    catalogId,
    [{ version, aspects: replaced, ids: replaced.map((a) => existing.get(a.entityId) as number) }],
    storage,
  )
  const fresh: AspectSlice = {
    version,
    aspects: added,
    ids: added.map((_, i) => firstAspectId + i),
  }
  rows += await writeRows(
    trx,
    ENTITY,
    catalogId,
    added.map((a) => [a.entityId]),
    'upsert-keep',
  )
  // A new aspect goes at the end of its map: its id, larger than every stored position.
  rows += await writeRows(
    trx,
    ASPECT,
    catalogId,
    aspectRows([fresh], (s, i) => s.ids[i] as number),
    'insert',
  )
  rows += await writeAspectValues(trx, catalogId, [fresh], storage, 'insert')
  return { inserted: added.length, rows }
}

/**
 * Removes the aspects of `aspectDef` of the given entities (their values go with them) and the
 * entity rows nothing refers to any more among those entities.
 */
export async function removeAspects(
  db: Db,
  catalogId: string,
  aspectDef: AspectDef | string,
  entityIds: Iterable<string>,
): Promise<RemoveAspectsResult> {
  checkUuid('catalog id', catalogId)
  const { name } = checkDefArgument('removeAspects', aspectDef)
  const ids = [...new Set(checkEntityIds('removeAspects', entityIds))]
  return partialWrite(db, catalogId, [name], 0, async (trx) => {
    const map = await requireHierarchy(trx, catalogId, name, ['AM'], 'removeAspects')
    if (ids.length === 0) return { result: { removed: 0 }, rowsWritten: 0 }
    const deleted = await trx
      .deleteFrom('aspect')
      .where('catalog_id', '=', catalogId)
      .where('aspect_def_id', '=', map.aspectDefId as string)
      .where('entity_id', '=', sql<string>`any(${ids}::uuid[])`)
      .returning('entity_id')
      .execute()
    const removed = deleted.map((r) => r.entity_id)
    const collected = await deleteUnreferencedEntities(trx, catalogId, removed)
    return { result: { removed: removed.length }, rowsWritten: removed.length + collected }
  })
}

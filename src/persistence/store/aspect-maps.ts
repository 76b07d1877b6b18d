import { notExpired } from './expiry.ts'
import { sql, type Kysely } from 'kysely'
import { CheapConflictError, CheapValidationError } from '../../errors.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { EntityId } from '../../model/entity.ts'
import { checkName, describe } from '../../model/names.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { readAspectValues } from './aspect-store.ts'
import { AspectAssembler } from './aspect-values.ts'
import { requireHierarchy } from './catalog-lock.ts'
import {
  generationOf,
  loadVersions,
  versionIn,
  type DefVersionCache,
  type StoredVersion,
} from './def-versions.ts'
import { readMappings, type DedicatedTable } from './dedicated/table.ts'

type Db = Kysely<CheapDatabase>

/**
 * The stored version of the AspectMap `name` of a catalog (its def's pin), or a
 * CheapNotFoundError / WRONG_HIERARCHY error naming what is missing.
 */
export async function storedMapVersion(
  trx: Db,
  catalogId: string,
  name: string,
  call: string,
  cache: DefVersionCache,
): Promise<StoredVersion> {
  const row = await trx
    .selectFrom('hierarchy as h')
    .innerJoin('catalog_aspect_def as p', (join) =>
      join
        .onRef('p.catalog_id', '=', 'h.catalog_id')
        .onRef('p.aspect_def_id', '=', 'h.aspect_def_id'),
    )
    .innerJoin('aspect_def as d', 'd.aspect_def_id', 'p.aspect_def_id')
    .select(['p.aspect_def_id', 'p.version', generationOf('d').as('generation')])
    .where('h.catalog_id', '=', catalogId)
    .where('h.name', '=', name)
    .where('h.hierarchy_type', '=', 'AM')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('catalog as c')
          .select('c.revision')
          .where('c.catalog_id', '=', catalogId)
          .where(notExpired('c')),
      ),
    )
    .executeTakeFirst()
  if (row === undefined) {
    await requireHierarchy(trx, catalogId, name, ['AM'], call)
    throw new Error(`internal: AspectMap '${name}' of catalog ${catalogId} has no pinned version`)
  }
  const versions = await loadVersions(
    trx,
    [{ defId: row.aspect_def_id, version: row.version, generation: row.generation }],
    cache,
  )
  return versionIn(versions, row.aspect_def_id, row.version)
}

/** The dedicated table of a version, if it is mapped (read in the caller's snapshot). */
export async function storageOf(
  trx: Db,
  version: StoredVersion,
): Promise<Map<StoredVersion, DedicatedTable>> {
  const found = (await readMappings(trx, { defIds: [version.defId] })).find(
    (m) => m.version === version.version && !m.isReadOnly,
  )
  return found === undefined ? new Map() : new Map([[version, found]])
}

/**
 * Reads the aspects of some entities of one AspectMap, in map order, into model aspects of
 * `def` (the map's stored def, or the caller's equal one).
 */
export async function readAspectsOf<D extends AspectDef>(
  trx: Db,
  catalogId: string,
  version: StoredVersion,
  def: D,
  entityIds: readonly EntityId[] | undefined,
): Promise<Map<EntityId, Aspect<D>>> {
  let query = trx
    .selectFrom('aspect')
    .select(['aspect_id', 'entity_id'])
    .where('catalog_id', '=', catalogId)
    .where('aspect_def_id', '=', version.defId)
    .orderBy('map_order')
  if (entityIds !== undefined)
    query = query.where('entity_id', '=', sql<string>`any(${[...entityIds]}::uuid[])`)
  const rows = await query.execute()
  const out = new Map<EntityId, Aspect<D>>()
  if (rows.length === 0) return out
  const assembler = new AspectAssembler()
  for (const r of rows) assembler.register(Number(r.aspect_id), version, r.entity_id as EntityId)
  await readAspectValues(
    trx,
    catalogId,
    [version],
    await storageOf(trx, version),
    assembler,
    entityIds === undefined ? undefined : rows.map((r) => Number(r.aspect_id)),
  )
  for (const r of rows) {
    out.set(r.entity_id as EntityId, assembler.build(Number(r.aspect_id), def) as Aspect<D>)
  }
  return out
}

/** A def passed by the caller must be the stored one; its name otherwise names the map. */
export function checkDefArgument(
  call: string,
  aspectDef: AspectDef | string,
): { readonly name: string; readonly def: AspectDef | undefined } {
  if (typeof aspectDef === 'string')
    return { name: checkName('AspectDef', aspectDef), def: undefined }
  if (
    !(aspectDef instanceof Object) ||
    typeof (aspectDef as { name?: unknown }).name !== 'string'
  ) {
    throw new CheapValidationError(
      `${call}: expected an AspectDef or its name, got ${describe(aspectDef)}`,
      {
        reason: 'INVALID_ARGUMENT',
      },
    )
  }
  return { name: aspectDef.name, def: aspectDef }
}

/** The AspectDef a caller passed is not the version the catalog stores: a CheapConflictError. */
export function wrongStoredDef(
  call: string,
  catalogId: string,
  def: AspectDef,
  stored: StoredVersion,
): CheapConflictError {
  return new CheapConflictError(
    `${call}: the AspectDef '${def.name}' passed (${def.globalId}, hash ${def.hash()}) differs from the stored one catalog ${catalogId} uses (version ${stored.version}, ${stored.defId}, hash ${stored.hash}); load the stored def (loadAspectDef) and use it`,
    { aspectDefName: def.name, storedHash: stored.hash, newHash: def.hash() },
  )
}

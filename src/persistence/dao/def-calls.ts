import { CheapConflictError } from '../../errors.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import { checkUuid } from '../../model/entity.ts'
import type { AspectMap } from '../../model/hierarchy/aspect-map.ts'
import {
  deleteAspectDef as deleteDef,
  evolveAspectDef as evolveDef,
  listAspectDefs as listDefs,
  loadAspectDef as loadDef,
  type AspectDefInfo,
  type EvolveAspectDefOptions,
  type EvolveAspectDefResult,
  type LoadAspectDefOptions,
} from '../defs/aspect-defs.ts'
import {
  adoptTable as adopt,
  loadAdoptedTable as loadAdopted,
  type AdoptTableOptions,
  type LoadAdoptedTableOptions,
} from '../mapping/adopt-table.ts'
import {
  describeMapping,
  dropUnmappedTable,
  mapAspectDef as mapDef,
  unmapAspectDef as unmapDef,
  type AspectTableMapping,
  type MapAspectDefOptions,
  type MapAspectDefResult,
  type UnmapAspectDefOptions,
  type UnmapAspectDefResult,
} from '../mapping/map-aspect-def.ts'
import { readMappings } from '../store/dedicated/table.ts'
import { loadVersions, versionIn } from '../store/def-versions.ts'
import { defName } from './options.ts'
import type { DaoSession } from './session.ts'

// The AspectDef and dedicated-table calls of PostgresDao (documented on CheapDao, cheap-dao.ts).

export function listAspectDefs(s: DaoSession): Promise<AspectDefInfo[]> {
  return s.run('listing AspectDefs', () => listDefs(s.db, s.versions))
}

export async function loadAspectDef<D extends AspectDef>(
  s: DaoSession,
  nameOrId: string,
  options: LoadAspectDefOptions & { readonly expect?: D },
): Promise<AspectDef | D | null> {
  const stored = await s.run(`loading AspectDef '${nameOrId}'`, () =>
    loadDef(s.db, s.versions, nameOrId, options),
  )
  if (stored === null) return null
  const expect = options.expect
  if (expect === undefined) return stored.toAspectDef()
  if (!stored.matches(expect)) {
    throw new CheapConflictError(
      `AspectDef '${expect.name}' (hash ${expect.hash()}) is not the stored version ${stored.version} of '${stored.name}' (hash ${stored.hash})`,
      { aspectDefName: stored.name, storedHash: stored.hash, newHash: expect.hash() },
    )
  }
  return expect
}

export async function deleteAspectDef(s: DaoSession, nameOrId: string): Promise<boolean> {
  const result = await s.run(`deleting AspectDef '${nameOrId}'`, () =>
    s.db.transaction().execute((trx) => deleteDef(trx, s.versions, nameOrId)),
  )
  if (result.dropTable !== undefined) await dropUnmappedTable(s.db, result.dropTable)
  return result.deleted
}

export async function evolveAspectDef(
  s: DaoSession,
  aspectDef: AspectDef,
  options: EvolveAspectDefOptions = {},
): Promise<EvolveAspectDefResult> {
  const result = await s.run(`evolving AspectDef '${aspectDef.name}'`, () =>
    s.db.transaction().execute((trx) => evolveDef(trx, s.versions, aspectDef, options)),
  )
  for (const c of result.catalogs) s.saw(c.catalogId, c.revision)
  return result
}

export function mapAspectDef(
  s: DaoSession,
  aspectDef: AspectDef | string,
  options: MapAspectDefOptions,
): Promise<MapAspectDefResult> {
  return s.run(`mapping AspectDef '${defName(aspectDef)}'`, () =>
    s.db.transaction().execute((trx) => mapDef(trx, s.versions, aspectDef, options)),
  )
}

export function unmapAspectDef(
  s: DaoSession,
  aspectDefName: string,
  options: UnmapAspectDefOptions = {},
): Promise<UnmapAspectDefResult> {
  return s.run(`unmapping AspectDef '${aspectDefName}'`, async () => {
    const done = await s.db
      .transaction()
      .execute((trx) => unmapDef(trx, s.versions, aspectDefName, options))
    if (done.dropAfterCommit !== undefined) await dropUnmappedTable(s.db, done.dropAfterCommit)
    return { aspectsMoved: done.aspectsMoved, tableDropped: done.dropAfterCommit !== undefined }
  })
}

export function aspectTableMappings(s: DaoSession): Promise<AspectTableMapping[]> {
  return s.run('reading aspect table mappings', async () => {
    const mappings = await readMappings(s.db, 'all')
    const versions = await loadVersions(
      s.db,
      mappings.map((m) => ({ defId: m.defId, version: m.version })),
      s.versions,
    )
    return mappings.map((m) => describeMapping(m, versionIn(versions, m.defId, m.version)))
  })
}

export function adoptTable(
  s: DaoSession,
  table: string,
  options: AdoptTableOptions = {},
): Promise<AspectDef> {
  return s.run(`adopting table ${JSON.stringify(table)}`, () =>
    s.db.transaction().execute((trx) => adopt(trx, s.versions, table, options)),
  )
}

export function loadAdoptedTable(
  s: DaoSession,
  table: string,
  options: LoadAdoptedTableOptions = {},
): Promise<AspectMap> {
  if (options.catalogId !== undefined) checkUuid('catalog id', options.catalogId)
  return s.read(`loading adopted table ${JSON.stringify(table)}`, options.catalogId, (target) =>
    loadAdopted(target.db, s.versions, table, options),
  )
}

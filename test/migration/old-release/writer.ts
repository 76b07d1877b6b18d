/**
 * Runs INSIDE a checkout of an earlier release (copied there by `../release.ts`): it imports that
 * release's own code (`./src/index.ts` next to it), so it may only use the API every supported
 * release has. Not type-checked with the current code (tsconfig excludes this folder).
 *
 * Input (argv[2], JSON): where to write, and a directory of cheap-json catalogs. It creates the
 * schema, imports every catalog, makes a few edits through the release's own DAO (an incremental
 * re-save, partial calls, a dedicated table), then exports every catalog as the release loads it
 * into `outDir/<id>.json` and the revisions into `outDir/revisions.json`.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  PostgresAdapter,
  PostgresDao,
  PostgresSchema,
  catalogFromJson,
  catalogToJson,
} from './src/index.ts'

interface Job {
  readonly backend: 'pg' | 'pglite'
  readonly url?: string
  readonly schema?: string
  readonly dataDir?: string
  readonly audit: boolean
  readonly inDir: string
  readonly outDir: string
  /** The AspectDef to move into a dedicated table, if any. */
  readonly mapDef?: string
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job
const adapter =
  job.backend === 'pg'
    ? await PostgresAdapter.create({ connectionString: job.url ?? '' }, { schema: job.schema })
    : await PostgresAdapter.embedded({ dataDir: job.dataDir })
try {
  await PostgresSchema.createSchema(adapter, { includeAudit: job.audit })
  const dao = new PostgresDao(adapter)
  const ids: string[] = []
  for (const file of (await readdir(job.inDir)).sort()) {
    const catalog = catalogFromJson(await readFile(join(job.inDir, file), 'utf8'))
    await dao.saveCatalog(catalog)
    ids.push(catalog.globalId)
  }
  // Edits, so that revisions, incremental saves and partial writes are in the history too.
  for (const [i, id] of ids.entries()) {
    const catalog = await dao.loadCatalog(id)
    if (catalog === null) throw new Error(`catalog ${id} vanished`)
    if (i % 3 === 0) {
      catalog.version = catalog.version + 1n
      await dao.saveCatalog(catalog)
    }
    for (const h of catalog.hierarchies()) {
      if (h.type === 'EL' && h.size > 0) {
        await dao.addToEntityList(id, h.name, [h.at(0)])
      } else if (h.type === 'AM' && i % 2 === 1) {
        const first = [...h.aspects()][0]
        if (first !== undefined) await dao.removeAspects(id, h.aspectDef.name, [first.entityId])
      }
    }
  }
  if (job.mapDef !== undefined) await dao.mapAspectDef(job.mapDef, { table: 'release_mapped' })
  await mkdir(job.outDir, { recursive: true })
  const revisions: Record<string, string> = {}
  for (const id of ids) {
    const catalog = await dao.loadCatalog(id)
    if (catalog === null) throw new Error(`catalog ${id} vanished`)
    await writeFile(join(job.outDir, `${id}.json`), catalogToJson(catalog))
    revisions[id] = String(await dao.catalogRevision(id))
  }
  await writeFile(join(job.outDir, 'revisions.json'), JSON.stringify(revisions))
} finally {
  await adapter.close()
}

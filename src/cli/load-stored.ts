import type { Catalog } from '../model/catalog.ts'
import { PostgresDao } from '../persistence/dao/postgres-dao.ts'
import type { CommandContext } from './context.ts'
import { openDatabase } from './database.ts'
import { CliError, EXIT } from './exit-codes.ts'
import { checkCatalogId } from './catalog-id.ts'
import { rowsPhase } from './progress.ts'

export interface StoredCatalog {
  readonly catalog: Catalog
  readonly revision: bigint
  /** Where it was loaded from, for messages. */
  readonly target: string
  readonly schema: string
  /** When it expires (null: never). */
  readonly expiresAt: Date | null
}

/** Loads one catalog and closes the database again; a missing one is a not-found error. */
export async function loadStoredCatalog(ctx: CommandContext, id: string): Promise<StoredCatalog> {
  const catalogId = checkCatalogId(id)
  const db = await openDatabase(ctx, 'embedded')
  try {
    const label = `loading catalog ${catalogId}`
    ctx.progress.phase(label)
    const dao = new PostgresDao(db.adapter)
    // Ctrl-C stops the load (exit 130); rows read so far drive the progress line.
    const catalog = await dao.loadCatalog(catalogId, {
      signal: ctx.signal,
      onProgress: rowsPhase(ctx.progress, label),
    })
    // The revision the load read, not a second query that a concurrent save could move on.
    const revision = catalog === null ? undefined : dao.revisionOf(catalog)
    if (catalog === null || revision === undefined) throw notFound(catalogId, db.adapter.target)
    const expiresAt = await dao.catalogExpiresAt(catalogId)
    return { catalog, revision, target: db.adapter.target, schema: db.adapter.schema, expiresAt }
  } finally {
    await db.close()
  }
}

export function notFound(catalogId: string, target: string): CliError {
  return new CliError(
    EXIT.NOT_FOUND,
    `no catalog ${catalogId} in ${target}`,
    '`cheap list` shows the stored catalogs',
  )
}

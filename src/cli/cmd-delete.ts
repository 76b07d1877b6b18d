import { PostgresDao } from '../persistence/dao/postgres-dao.ts'
import { checkCatalogId } from './catalog-id.ts'
import type { CommandSpec } from './command.ts'
import { YES_OPTION, confirm, requireConsent } from './confirm.ts'
import { openDatabase } from './database.ts'
import { EXIT } from './exit-codes.ts'
import { notFound } from './load-stored.ts'

export const deleteCommand: CommandSpec = {
  name: 'delete',
  summary: 'delete a stored catalog',
  synopsis: '<catalog-id>',
  usage: ['cheap delete <catalog-id> [--yes]'],
  description: [
    'Deletes the catalog and everything in it, in one transaction. AspectDefs are global and',
    'stay. A catalog that is not stored is an error (exit 6). Asks for confirmation on a',
    'terminal; needs --yes otherwise (a script).',
  ],
  options: { yes: YES_OPTION },
  positionals: { min: 1, max: 1 },
  examples: ['cheap delete 550e8400-e29b-41d4-a716-444444444444 --yes'],
  async run(ctx, { positionals, values }) {
    const catalogId = checkCatalogId(positionals[0] ?? '')
    requireConsent(ctx, values, 'cheap delete')
    const db = await openDatabase(ctx, 'embedded')
    try {
      const dao = new PostgresDao(db.adapter)
      if ((await dao.catalogRevision(catalogId)) === null) {
        throw notFound(catalogId, db.adapter.target)
      }
      await confirm(
        ctx,
        values,
        `delete catalog ${catalogId} of ${db.adapter.target} and everything in it?`,
        'nothing was deleted',
      )
      ctx.progress.phase(`deleting catalog ${catalogId}`)
      const deleted = await dao.deleteCatalog(catalogId)
      if (!deleted) throw notFound(catalogId, db.adapter.target)
      if (ctx.global.json) ctx.json({ catalogId, deleted: true })
      else ctx.out(`deleted catalog ${catalogId}`)
      return EXIT.OK
    } finally {
      await db.close()
    }
  },
}

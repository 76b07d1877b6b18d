import { PostgresDao } from '../persistence/dao/postgres-dao.ts'
import { integerOption } from './args.ts'
import type { CommandSpec } from './command.ts'
import { openDatabase } from './database.ts'
import { EXIT } from './exit-codes.ts'

export const purgeCommand: CommandSpec = {
  name: 'purge',
  summary: 'delete expired catalogs',
  synopsis: '',
  usage: ['cheap purge [--limit N]'],
  description: [
    'Deletes catalogs whose expiry has passed (by the database clock), oldest expiry first, in',
    'short transactions of at most 500 that skip catalogs being saved: saves of other catalogs',
    'never wait for it. Expired catalogs are already invisible to every read; this frees space.',
  ],
  options: {
    limit: {
      type: 'string',
      valueName: 'N',
      description: 'delete at most N catalogs (default: all expired)',
    },
  },
  positionals: { min: 0, max: 0 },
  examples: ['cheap purge', 'cheap purge --limit 1000 --json'],
  async run(ctx, { values }) {
    const limit = integerOption(values, 'limit', Number.MAX_SAFE_INTEGER, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    })
    const db = await openDatabase(ctx, 'embedded')
    try {
      ctx.progress.phase('purging expired catalogs')
      const purged = await new PostgresDao(db.adapter).purgeExpired({ limit })
      if (ctx.global.json) ctx.json({ purged })
      else ctx.out(`purged ${purged} expired catalog${purged === 1 ? '' : 's'}`)
      return EXIT.OK
    } finally {
      await db.close()
    }
  },
}

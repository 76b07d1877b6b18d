import type { CatalogSummary } from '../persistence/dao/options.ts'
import { PostgresDao } from '../persistence/dao/postgres-dao.ts'
import { integerOption } from './args.ts'
import type { CommandSpec } from './command.ts'
import { openDatabase } from './database.ts'
import { EXIT } from './exit-codes.ts'
import { table } from './table.ts'

const PAGE = 1000

export const listCommand: CommandSpec = {
  name: 'list',
  summary: 'list the stored catalogs',
  synopsis: '',
  usage: ['cheap list [--limit N]'],
  description: [
    'Prints one line per stored catalog, ordered by id: id, species, revision (how often it',
    'was saved), version (its own CHEAP version), upstream catalog and URI.',
  ],
  options: {
    limit: { type: 'string', valueName: 'N', description: 'at most N catalogs (default: all)' },
  },
  positionals: { min: 0, max: 0 },
  examples: ['cheap list', 'cheap list --json'],
  async run(ctx, { values }) {
    const limit = integerOption(values, 'limit', Number.MAX_SAFE_INTEGER, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    })
    const db = await openDatabase(ctx, 'embedded')
    const catalogs: CatalogSummary[] = []
    try {
      ctx.progress.phase('listing catalogs')
      const dao = new PostgresDao(db.adapter)
      let after: string | undefined
      while (catalogs.length < limit) {
        const size = Math.min(PAGE, limit - catalogs.length)
        const page = await dao.listCatalogs(
          after === undefined ? { limit: size } : { limit: size, after },
        )
        for (const summary of page) catalogs.push(summary)
        if (page.length < size) break
        after = page[page.length - 1]?.catalogId
      }
      if (ctx.global.json) {
        ctx.json(catalogs)
      } else if (catalogs.length === 0) {
        ctx.info(
          `no catalogs in ${db.adapter.target}: import one with \`cheap import <file.json>\``,
        )
      } else {
        const rows = catalogs.map((c) => [
          c.catalogId,
          c.species,
          String(c.revision),
          String(c.version),
          c.upstream ?? '-',
          c.uri ?? '-',
          c.expiresAt?.toISOString() ?? '-',
        ])
        for (const line of table(
          ['CATALOG', 'SPECIES', 'REVISION', 'VERSION', 'UPSTREAM', 'URI', 'EXPIRES'],
          rows,
        ))
          ctx.out(line)
      }
      return EXIT.OK
    } finally {
      await db.close()
    }
  },
}

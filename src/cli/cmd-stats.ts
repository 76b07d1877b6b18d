import { PostgresDao } from '../persistence/dao/postgres-dao.ts'
import { integerOption } from './args.ts'
import type { CommandSpec } from './command.ts'
import { openDatabase } from './database.ts'
import { EXIT } from './exit-codes.ts'
import { table } from './table.ts'

const dash = (v: number | null): string => (v === null ? '-' : String(v))
const when = (d: Date | null): string =>
  d === null ? '-' : d.toISOString().replace(/\.\d{3}Z$/, 'Z')

export const statsCommand: CommandSpec = {
  name: 'stats',
  summary: 'what the store holds and how big it is',
  synopsis: '',
  usage: ['cheap stats [--largest N]'],
  description: [
    'Prints the catalogs by species (and those expired, not yet purged), AspectDefs and their',
    'versions, entities, aspects and values by property type; the N largest catalogs (rows,',
    'revision, last saved, expiry); and per table: live and dead rows, table and index bytes,',
    'last analyze and vacuum. Figures PGlite does not keep are "-" (null with --json).',
  ],
  options: {
    largest: {
      type: 'string',
      valueName: 'N',
      description: 'list the N largest catalogs (default 10)',
    },
  },
  positionals: { min: 0, max: 0 },
  examples: ['cheap stats', 'cheap stats --largest 3 --json'],
  async run(ctx, { values }) {
    const largest = integerOption(values, 'largest', 10, { min: 0, max: 1000 })
    const db = await openDatabase(ctx, 'embedded')
    try {
      ctx.progress.phase('reading statistics')
      const stats = await new PostgresDao(db.adapter).stats({ largest })
      if (ctx.global.json) {
        ctx.json(stats)
        return EXIT.OK
      }
      const species = Object.entries(stats.catalogs.bySpecies)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')
      ctx.out(
        `catalogs      ${stats.catalogs.total}${species === '' ? '' : ` (${species})`}, expired not purged ${stats.catalogs.expiredUnpurged}`,
      )
      ctx.out(`aspect defs   ${stats.aspectDefs} (${stats.aspectDefVersions} versions)`)
      ctx.out(`entities      ${stats.entities}`)
      ctx.out(`aspects       ${stats.aspects}`)
      const byType = Object.entries(stats.valuesByType).filter(([, n]) => n > 0)
      ctx.out(
        `values        ${byType.length === 0 ? '0' : byType.map(([t, n]) => `${t} ${n}`).join(', ')}`,
      )
      if (stats.largest.length > 0) {
        ctx.out('')
        for (const line of table(
          ['CATALOG', 'SPECIES', 'ROWS', 'REVISION', 'LAST SAVED', 'EXPIRES'],
          stats.largest.map((c) => [
            c.catalogId,
            c.species,
            String(c.rows),
            String(c.revision),
            when(c.lastSaved),
            when(c.expiresAt),
          ]),
        ))
          ctx.out(line)
      }
      ctx.out('')
      for (const line of table(
        ['TABLE', 'LIVE', 'DEAD', 'TABLE BYTES', 'INDEX BYTES', 'LAST ANALYZE', 'LAST VACUUM'],
        stats.tables.map((t) => [
          t.table,
          dash(t.liveRows),
          dash(t.deadRows),
          dash(t.tableBytes),
          dash(t.indexBytes),
          when(latest(t.lastAnalyze, t.lastAutoAnalyze)),
          when(latest(t.lastVacuum, t.lastAutoVacuum)),
        ]),
      ))
        ctx.out(line)
      return EXIT.OK
    } finally {
      await db.close()
    }
  },
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b
  if (b === null) return a
  return a > b ? a : b
}

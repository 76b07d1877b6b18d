import { integerOption } from './args.ts'
import type { CommandSpec } from './command.ts'
import { annotateConnection } from './database.ts'
import { runDemo } from './demo.ts'
import { CliError, EXIT } from './exit-codes.ts'

export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'run the end-to-end demo (save, load, compare, JSON)',
  synopsis: '',
  usage: ['cheap demo [--entities N]'],
  description: [
    'Creates the schema, builds a catalog that uses every property type and every hierarchy',
    'type, saves it, loads it through a fresh connection, checks that it is equal, writes and',
    'reads it as JSON, and prints rows per table and timings. It never touches your data:',
    'embedded, it uses a temporary database (not ./.cheap-data); on a server, a throw-away',
    'PostgreSQL schema that it drops afterwards. Exits with 1 if anything differs.',
  ],
  options: {
    entities: {
      type: 'string',
      valueName: 'N',
      description: 'entities in the sample catalog (default 2000)',
    },
  },
  positionals: { min: 0, max: 0 },
  examples: ['cheap demo', 'cheap demo --entities 20000 --json'],
  async run(ctx, { values }) {
    const entities = integerOption(values, 'entities', 2000, { min: 1, max: 10_000_000 })
    const choice = ctx.global.database
    const url = choice.kind === 'server' ? choice.url : undefined
    let result
    try {
      result = await runDemo({
        url,
        entities,
        log: ctx.global.json ? () => {} : (line) => ctx.out(line),
      })
    } catch (error) {
      throw choice.kind === 'server' ? annotateConnection(error, choice) : error
    }
    if (ctx.global.json) ctx.json(result)
    if (!result.equal) {
      throw new CliError(
        EXIT.UNEXPECTED,
        'the demo found a difference between what was saved and what was loaded',
        'this is a bug: please report it with the output above',
      )
    }
    return EXIT.OK
  },
}

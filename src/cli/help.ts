import { GLOBAL_OPTIONS, type OptionSpecs } from './args.ts'
import type { CommandSpec } from './command.ts'
import { EXIT_CODE_HELP } from './exit-codes.ts'

function optionLines(specs: OptionSpecs): string[] {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}`
    return [spec.valueName === undefined ? flag : `${flag} ${spec.valueName}`, spec.description]
  })
  const width = rows.reduce((w, [flag]) => Math.max(w, (flag ?? '').length), 0)
  return rows.map(([flag, text]) => `  ${(flag ?? '').padEnd(width)}  ${text ?? ''}`)
}

const DATABASE_NOTE = [
  'Database: --url, else $DATABASE_URL, else the embedded database (PGlite) in ./.cheap-data,',
  'which is created, with the CHEAP schema, on first use. No server is needed.',
  'On a server, $DATABASE_REPLICA_URLS (comma-separated) adds read replicas for reads.',
]

/** `cheap --help`. */
export function mainHelp(commands: readonly CommandSpec[], version: string): string {
  const width = commands.reduce((w, c) => Math.max(w, `${c.name} ${c.synopsis}`.length), 0)
  return [
    `cheap ${version}: CHEAP catalogs on PostgreSQL or embedded PGlite`,
    '',
    'Usage: cheap <command> [arguments] [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${`${c.name} ${c.synopsis}`.trimEnd().padEnd(width)}  ${c.summary}`),
    '',
    'Global options (with every command):',
    ...optionLines({
      ...GLOBAL_OPTIONS,
      version: { type: 'boolean', description: 'print the version and exit' },
    }),
    '',
    ...DATABASE_NOTE,
    '',
    'Exit codes:',
    ...EXIT_CODE_HELP.map(([code, text]) => `  ${code}  ${text}`),
    '',
    'Run `cheap <command> --help` for the options of a command.',
    '',
  ].join('\n')
}

/** `cheap <command> --help`. */
export function commandHelp(command: CommandSpec): string {
  const own = Object.keys(command.options).length > 0
  return [
    `cheap ${command.name}: ${command.summary}`,
    '',
    'Usage:',
    ...command.usage.map((line) => `  ${line}`),
    '',
    ...command.description,
    '',
    ...(own ? ['Options:', ...optionLines(command.options), ''] : []),
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    ...DATABASE_NOTE,
    '',
    'Examples:',
    ...command.examples.map((line) => `  ${line}`),
    '',
    'Exit codes: 0 ok, 2 usage, 3 invalid input, 4 conflict, 5 connection, 6 not found,',
    '7 schema missing, 1 unexpected (see `cheap --help`).',
    '',
  ].join('\n')
}

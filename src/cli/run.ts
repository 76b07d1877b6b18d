import {
  CheapConflictError,
  CheapSchemaMismatchError,
  CheapValidationError,
  isCheapError,
  type CheapError,
} from '../errors.ts'
import {
  GLOBAL_OPTIONS,
  booleanOption,
  closest,
  findCommand,
  parseCommandLine,
  type OptionSpecs,
} from './args.ts'
import { benchCommand } from './cmd-bench.ts'
import { defsCommand } from './cmd-defs.ts'
import { deleteCommand } from './cmd-delete.ts'
import { demoCommand } from './cmd-demo.ts'
import { exportCommand } from './cmd-export.ts'
import { importCommand } from './cmd-import.ts'
import { listCommand } from './cmd-list.ts'
import { purgeCommand } from './cmd-purge.ts'
import { schemaCommand } from './cmd-schema.ts'
import { showCommand } from './cmd-show.ts'
import { statsCommand } from './cmd-stats.ts'
import type { CommandArgs, CommandSpec } from './command.ts'
import { CommandContext, globalOptions, toJson, type CliIo, type GlobalOptions } from './context.ts'
import { forCliUser, schemaCommandFor } from './database.ts'
import { CliError, EXIT, UsageError, exitCodeOf, type ExitCode } from './exit-codes.ts'
import { commandHelp, mainHelp } from './help.ts'
import { packageInfo } from './package-info.ts'

export const COMMANDS: readonly CommandSpec[] = [
  schemaCommand,
  importCommand,
  exportCommand,
  listCommand,
  showCommand,
  deleteCommand,
  defsCommand,
  demoCommand,
  benchCommand,
  statsCommand,
  purgeCommand,
]

const MAIN_OPTIONS = {
  ...GLOBAL_OPTIONS,
  version: { type: 'boolean', description: 'print the version' },
} as const satisfies OptionSpecs

/** Every option of every command, to find the command name among the arguments. */
const ALL_OPTIONS: OptionSpecs = COMMANDS.reduce<OptionSpecs>(
  (all, command) => ({ ...all, ...command.options }),
  MAIN_OPTIONS,
)

/** The process's own streams, environment and directory. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  }
}

/**
 * Runs `cheap` with `args` (without `node` and the script) and returns the exit code. Never
 * throws: every failure is reported on stderr (as JSON with --json) and mapped to a code.
 */
export async function runCli(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const flags = {
    json: args.includes('--json'),
    debug: args.includes('--debug'),
    force: args.includes('--force'),
  }
  const where: Where = { command: '', global: undefined }
  try {
    return await dispatch(args, io, where)
  } catch (error) {
    reportError(io, error, flags, where)
    return exitCodeOf(error)
  }
}

/** How far the command line got: the command, and the global options once parsed. */
interface Where {
  command: string
  global: GlobalOptions | undefined
}

async function dispatch(args: readonly string[], io: CliIo, where: Where): Promise<ExitCode> {
  const { version } = packageInfo()
  const found = findCommand(args, ALL_OPTIONS)
  if (found === undefined) {
    const { values } = parseCommandLine(args, MAIN_OPTIONS, 'cheap')
    if (booleanOption(values, 'version')) {
      io.stdout.write(`${version}\n`)
      return EXIT.OK
    }
    if (booleanOption(values, 'help')) {
      io.stdout.write(mainHelp(COMMANDS, version))
      return EXIT.OK
    }
    io.stderr.write(mainHelp(COMMANDS, version))
    throw new UsageError('no command given', 'try `cheap import <file.json>` or `cheap list`')
  }
  if (found.name === 'help') {
    const topic = args[found.index + 1]
    const command = topic === undefined ? undefined : lookup(topic)
    io.stdout.write(command === undefined ? mainHelp(COMMANDS, version) : commandHelp(command))
    return EXIT.OK
  }
  const command = lookup(found.name)
  where.command = command.name
  const before = args.slice(0, found.index)
  const after = args.slice(found.index + 1)
  let input: CommandArgs
  if (command.passThrough === true) {
    const end = after.indexOf('--')
    const own = end === -1 ? after : after.slice(0, end)
    if (own.includes('--help') || own.includes('-h')) {
      io.stdout.write(commandHelp(command))
      return EXIT.OK
    }
    const { values } = parseCommandLine(before, GLOBAL_OPTIONS, `cheap ${command.name}`)
    const rest = end === -1 ? after : [...after.slice(0, end), ...after.slice(end + 1)]
    input = { values, positionals: [], rest }
  } else {
    const specs = { ...GLOBAL_OPTIONS, ...command.options }
    const parsed = parseCommandLine([...before, ...after], specs, `cheap ${command.name}`)
    if (booleanOption(parsed.values, 'help')) {
      io.stdout.write(commandHelp(command))
      return EXIT.OK
    }
    checkPositionals(command, parsed.positionals)
    input = { values: parsed.values, positionals: parsed.positionals, rest: after }
  }
  const ctx = new CommandContext(io, globalOptions(input.values, io.env))
  where.global = ctx.global
  try {
    return (await command.run(ctx, input)) ?? EXIT.OK
  } finally {
    ctx.close()
  }
}

function lookup(name: string): CommandSpec {
  const command = COMMANDS.find((c) => c.name === name)
  if (command !== undefined) return command
  const guess = closest(
    name,
    COMMANDS.map((c) => c.name),
  )
  throw new UsageError(
    `unknown command '${name}'`,
    guess === undefined
      ? 'see `cheap --help` for the commands'
      : `did you mean \`cheap ${guess}\`?`,
  )
}

function checkPositionals(command: CommandSpec, positionals: readonly string[]): void {
  const { min, max } = command.positionals
  const hint = `usage: ${command.usage[0] ?? ''}; see \`cheap ${command.name} --help\``
  if (positionals.length < min) {
    throw new UsageError(`missing argument: cheap ${command.name} ${command.synopsis}`, hint)
  }
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument '${positionals[max] ?? ''}'`, hint)
  }
}

/** The CheapError behind an error, if any (a CliError may wrap one as its cause). */
function cheapErrorOf(error: unknown): CheapError | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    if (isCheapError(current)) return current
    current = current instanceof Error ? current.cause : undefined
  }
  return undefined
}

const CODE_NAMES: Readonly<Record<ExitCode, string>> = {
  0: 'OK',
  1: 'UNEXPECTED',
  2: 'USAGE',
  3: 'VALIDATION',
  4: 'CONFLICT',
  5: 'CONNECTION',
  6: 'NOT_FOUND',
  7: 'SCHEMA_MISMATCH',
  130: 'ABORTED',
}

/**
 * What to do next, for library errors that reach the CLI unwrapped. `global`: the command line's
 * global options, to name the CLI command with the same --url/--schema; `force`: the command line
 * had --force, so a conflict is one --force cannot fix and the hint does not suggest it.
 */
export function hintFor(
  error: CheapError,
  options: { readonly global?: GlobalOptions | undefined; readonly force?: boolean } = {},
): string | undefined {
  const global = options.global
  switch (error.code) {
    case 'SCHEMA_MISMATCH':
      return error instanceof CheapSchemaMismatchError &&
        error.missingTables.length === 0 &&
        !/not created/.test(error.message)
        ? 'the schema was made by another version of cheap-db-postgres: use that version, or ' +
            'drop it with `cheap schema drop` (its catalogs are lost) and create it again'
        : global === undefined
          ? 'create the schema with `cheap schema create` (with the same --url and --schema options)'
          : `create the schema with ${schemaCommandFor('create', global)}`
    case 'CONFLICT':
      if (error instanceof CheapConflictError && error.aspectDefName !== undefined) {
        return `\`cheap defs show ${error.aspectDefName}\` shows its stored versions and how many catalogs use each`
      }
      return options.force === true
        ? 'this conflict is not one --force overrides (it only replaces a stored catalog of the same id): ' +
            'another process may have changed the same rows, so run the command again; if it fails again, the message says what is in the way'
        : 'someone else changed the catalog: load it again, or pass --force to overwrite it'
    case 'TIMEOUT':
      return 'the database is busy or the work is large: try again, or use a server'
    case 'RESOURCE':
      return 'the work is too large for this database as configured: split it, give the server more memory or disk, or use a server instead of the embedded database'
    default:
      return undefined
  }
}

/**
 * What failed, why, and what to do next, on stderr. Expected failures print no stack trace
 * unless --debug; unexpected ones always do.
 */
function reportError(
  io: CliIo,
  error: unknown,
  flags: { readonly json: boolean; readonly debug: boolean; readonly force: boolean },
  where: Where,
): void {
  const { command, global } = where
  const exitCode = exitCodeOf(error)
  const raw = error instanceof Error ? error.message : String(error)
  const message = global === undefined ? raw : forCliUser(raw, global)
  const cheap = cheapErrorOf(error)
  const hint =
    error instanceof CliError
      ? error.hint
      : cheap === undefined
        ? undefined
        : hintFor(cheap, { global, force: flags.force })
  const unexpected = exitCode === EXIT.UNEXPECTED && !(error instanceof CliError)
  const prefix = command === '' ? 'cheap' : `cheap ${command}`
  if (flags.json) {
    const path = cheap instanceof CheapValidationError ? cheap.path : undefined
    io.stderr.write(
      `${toJson({
        error: {
          code: cheap?.code ?? CODE_NAMES[exitCode],
          exitCode,
          message,
          ...(hint === undefined ? {} : { hint }),
          ...(path === undefined ? {} : { path }),
        },
      })}\n`,
    )
  } else {
    io.stderr.write(`${prefix}: ${unexpected ? 'unexpected error: ' : ''}${message}\n`)
    if (hint !== undefined) io.stderr.write(`hint: ${hint}\n`)
  }
  if (flags.debug || unexpected) {
    if (unexpected && !flags.debug) {
      io.stderr.write('this is a bug, or a failure cheap does not know yet; the details:\n')
    }
    let current: unknown = error
    for (let depth = 0; depth < 5 && current !== undefined; depth++) {
      const stack =
        current instanceof Error ? (current.stack ?? current.message) : describe(current)
      io.stderr.write(`${depth === 0 ? '' : 'caused by: '}${stack}\n`)
      current = current instanceof Error ? current.cause : undefined
    }
  }
}

function describe(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

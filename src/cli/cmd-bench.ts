import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { CommandSpec } from './command.ts'
import { CliError, EXIT, UsageError, type ExitCode } from './exit-codes.ts'
import { packageInfo } from './package-info.ts'
import { currentRuntime, typeScriptCommand } from './runtime.ts'

export const benchCommand: CommandSpec = {
  name: 'bench',
  summary: 'run the benchmark (in a clone of the repository)',
  synopsis: '[benchmark options]',
  usage: ['cheap bench [--entities 1000,10000,100000] [--samples 200] [--out DIR] [--url URL]'],
  description: [
    'Runs the repository’s benchmark, bench/run.ts (the same as `npm run bench --`), with the',
    'arguments after `bench`: full and incremental saves, loads and JSON of sample catalogs',
    'of each size, a latency sample, and a report in bench/results/ (JSON, Markdown, SVG).',
    'On a terminal it shows what it is measuring. The database is --url (before or after',
    '`bench`) or DATABASE_URL, else embedded PGlite in temporary directories (never',
    './.cheap-data); on a server it works in throw-away schemas. The benchmark ships with',
    'the source, not with the npm package: this command works in a clone only. Global',
    'options go before `bench`; everything after it is the benchmark’s.',
  ],
  options: {},
  positionals: { min: 0, max: Number.MAX_SAFE_INTEGER },
  examples: [
    'cheap bench --entities 1000,10000',
    'cheap bench --url postgres://localhost/cheap --samples 50',
  ],
  passThrough: true,
  async run(ctx, { rest }) {
    if (ctx.global.json) {
      throw new UsageError(
        'cheap bench has no --json output',
        'it writes bench/results/<date>-<backend>.json (and .md, .svg); --out chooses the directory',
      )
    }
    if (ctx.global.schema !== undefined) {
      throw new UsageError('cheap bench takes no --schema: it works in throw-away schemas')
    }
    const { root } = packageInfo()
    const script = join(root, 'bench', 'run.ts')
    if (!existsSync(script)) {
      throw new CliError(
        EXIT.USAGE,
        'the benchmark is not part of the installed package',
        'clone the repository, `npm install`, and run `npx cheap bench` (or `npm run bench`) there',
      )
    }
    const env: NodeJS.ProcessEnv = { ...process.env, ...ctx.io.env, TZ: 'UTC' }
    const choice = ctx.global.database
    if (choice.kind === 'server') env['DATABASE_URL'] = choice.url
    else delete env['DATABASE_URL']
    // Node runs the TypeScript benchmark through tsx; Bun and Deno run it natively.
    let tsx: string | undefined
    if (currentRuntime().name === 'node') {
      try {
        tsx = import.meta.resolve('tsx')
      } catch (error) {
        throw new CliError(
          EXIT.USAGE,
          'the benchmark needs tsx, a development dependency',
          'run `npm install` in the repository first',
          { cause: error },
        )
      }
    }
    // From the repository (the benchmark starts helpers that resolve tsx from there), with
    // --out made absolute so that it still means what it meant where the user typed it, on
    // the runtime that runs this command.
    const args = absoluteOut(rest, ctx.io.cwd)
    const { command, args: argv } = typeScriptCommand(
      script,
      args,
      tsx === undefined ? {} : { tsx },
    )
    return run(command, argv, root, env)
  },
}

function absoluteOut(args: readonly string[], cwd: string): string[] {
  return args.map((arg, i) => {
    if (arg.startsWith('--out=')) return `--out=${resolve(cwd, arg.slice('--out='.length))}`
    return args[i - 1] === '--out' ? resolve(cwd, arg) : arg
  })
}

/** Runs the benchmark with this terminal; a failure is exit code 1 (it printed why). */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<ExitCode> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit' })
    child.on('error', (error) =>
      reject(new CliError(EXIT.UNEXPECTED, `cannot start the benchmark: ${error.message}`)),
    )
    child.on('exit', (code) => resolve(code === 0 ? EXIT.OK : EXIT.UNEXPECTED))
  })
}

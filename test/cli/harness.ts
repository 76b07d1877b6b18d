import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { runCli } from '../../src/cli/run.ts'
import { typeScriptCommand } from '../../src/cli/runtime.ts'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const MAIN = join(ROOT, 'src', 'cli', 'main.ts')
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'json')
/** tsx by absolute URL: `--import tsx` would resolve from the (temporary) working directory. */
export const TSX = import.meta.resolve('tsx')

/** The server for the pg variants: CHEAP_TEST_PG_URL, else DATABASE_URL. */
export const SERVER_URL = nonEmpty(process.env['CHEAP_TEST_PG_URL'] ?? process.env['DATABASE_URL'])

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  readonly cwd: string
  /** Added to the environment (undefined removes a variable). */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly input?: string
  /** cheapInProcess only: stdin claims to be a terminal (a person can answer questions). */
  readonly terminal?: boolean
  /** cheapInProcess only: stdout and stderr claim to be terminals (the progress line shows). */
  readonly terminalOutput?: boolean
  /** cheapInProcess only: the progress line draws at once and at every update. */
  readonly drawAtOnce?: boolean
  /** cheapInProcess only: stands for Ctrl-C (`CliIo.interrupt`). */
  readonly interrupt?: AbortSignal
  /** cheapInProcess only: sees every write to stderr as it happens (e.g. to press Ctrl-C). */
  readonly onStderr?: (text: string) => void
}

/**
 * The environment of a child that must use the embedded database: no DATABASE_URL, no PG*
 * variables, whatever the test run has.
 */
export function cleanEnv(
  extra: Readonly<Record<string, string | undefined>> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) {
    if (name === 'DATABASE_URL' || /^PG[A-Z]+$/.test(name)) delete env[name]
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  return env
}

/**
 * Runs `node --import tsx src/cli/main.ts …args` (on Bun `bun src/cli/main.ts …`, on Deno
 * `deno run -A src/cli/main.ts …`: the runtime of the test run) and collects its output and
 * exit code.
 */
export function cheap(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const child = typeScriptCommand(MAIN, args, { tsx: TSX })
  return run(child.command, child.args, options)
}

/** Runs a program (not a shell), with the clean environment plus `options.env`. */
export function run(
  command: string,
  args: readonly string[],
  options: CliOptions,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** A private temporary directory (a fresh `.cheap-data` lives in it), removed by `cleanup`. */
export async function tempDir(prefix = 'cheap-cli-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

export function randomSchema(): string {
  return `cheap_cli_${randomBytes(5).toString('hex')}`
}

/** A readable description of a run, for assertion messages. */
export function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/**
 * Runs the CLI in this process (`runCli` with collected streams): the same code path as the
 * `cheap` process minus start-up, for the many cases that open no database.
 */
export async function cheapInProcess(
  args: readonly string[],
  options: CliOptions,
): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const env = cleanEnv(options.env)
  const stdin = Readable.from(options.input === undefined ? [] : [options.input])
  if (options.terminal === true) Object.assign(stdin, { isTTY: true })
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.terminalOutput === true },
    stderr: {
      write: (text: string) => {
        stderr += text
        options.onStderr?.(text)
      },
      isTTY: options.terminalOutput === true,
    },
    stdin,
    env,
    cwd: options.cwd,
    interrupt: options.interrupt,
    progressTiming: options.drawAtOnce === true ? { delayMs: 0, intervalMs: 0 } : undefined,
  })
  return { code, stdout, stderr }
}

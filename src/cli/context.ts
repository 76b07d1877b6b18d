import type { Readable } from 'node:stream'
import { stringOption, booleanOption, type OptionValues } from './args.ts'
import { UsageError } from './exit-codes.ts'
import { Progress } from './progress.ts'

/** A stream the CLI writes to: process.stdout / process.stderr, or a test double. */
export interface OutputStream {
  write(text: string): unknown
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
}

/** Everything the CLI touches of its process, so tests can run it in-process. */
export interface CliIo {
  readonly stdout: OutputStream
  readonly stderr: OutputStream
  readonly stdin: Readable
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
}

/** The embedded database's directory when neither --url nor DATABASE_URL names a server. */
export const DEFAULT_DATA_DIR = '.cheap-data'

/** Where the database is, and why (for messages). */
export type DatabaseChoice =
  | { readonly kind: 'server'; readonly url: string; readonly source: '--url' | 'DATABASE_URL' }
  | { readonly kind: 'embedded'; readonly dataDir: string }

export interface GlobalOptions {
  readonly database: DatabaseChoice
  readonly schema: string | undefined
  readonly json: boolean
  readonly debug: boolean
}

/** `--url`, else `DATABASE_URL`, else the embedded database; `--data-dir` forces embedded. */
export function globalOptions(values: OptionValues, env: CliIo['env']): GlobalOptions {
  const url = stringOption(values, 'url')
  const dataDir = stringOption(values, 'data-dir')
  const envUrl = env['DATABASE_URL']
  if (url !== undefined && dataDir !== undefined) {
    throw new UsageError(
      '--url and --data-dir exclude each other: --url names a server, --data-dir the embedded database',
    )
  }
  if (url === '') throw new UsageError('--url needs a value, e.g. --url postgres://localhost/cheap')
  if (dataDir === '') throw new UsageError('--data-dir needs a directory')
  const database: DatabaseChoice =
    url !== undefined
      ? { kind: 'server', url, source: '--url' }
      : dataDir === undefined && envUrl !== undefined && envUrl !== ''
        ? { kind: 'server', url: envUrl, source: 'DATABASE_URL' }
        : { kind: 'embedded', dataDir: dataDir ?? DEFAULT_DATA_DIR }
  if (database.kind === 'server') checkUrl(database.url, database.source)
  return {
    database,
    schema: stringOption(values, 'schema'),
    json: booleanOption(values, 'json'),
    debug: booleanOption(values, 'debug'),
  }
}

/** A postgres:// URL (pg takes no libpq keyword strings); anything else is a typo. */
function checkUrl(url: string, source: '--url' | 'DATABASE_URL'): void {
  if (/^postgres(ql)?:\/\//i.test(url)) return
  throw new UsageError(
    `${source} is not a PostgreSQL URL: '${url.replace(/:[^:@/]*@/, ':***@')}'`,
    'write it like postgres://user:password@host:5432/database' +
      (source === 'DATABASE_URL' ? ', or unset DATABASE_URL to use the embedded database' : ''),
  )
}

/** What a command gets: its streams, the global options, and output helpers. */
export class CommandContext {
  readonly io: CliIo
  readonly global: GlobalOptions
  readonly progress: Progress

  constructor(io: CliIo, global: GlobalOptions) {
    this.io = io
    this.global = global
    // On a terminal only: quiet when piped, and never mixed into --json output.
    const enabled = io.stdout.isTTY === true && io.stderr.isTTY === true && !global.json
    this.progress = new Progress({ stream: io.stderr, enabled })
  }

  /** A line of the command's result on stdout. */
  out(line: string): void {
    this.progress.done()
    this.io.stdout.write(`${line}\n`)
  }

  /** A remark for people on stderr (never in --json mode, so stdout stays the result). */
  info(line: string): void {
    if (this.global.json) return
    this.progress.done()
    this.io.stderr.write(`${line}\n`)
  }

  /** The result as JSON on stdout: bigints as numbers, or strings beyond 2^53. */
  json(value: unknown): void {
    this.progress.done()
    this.io.stdout.write(`${toJson(value)}\n`)
  }
}

/** JSON with bigints as numbers when exact, else as strings; pretty-printed. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      typeof v === 'bigint'
        ? v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(v)
          : v.toString()
        : v,
    2,
  )
}

import type { Readable } from 'node:stream'
import type { PostgresTarget } from '../persistence/connection/connection-target.ts'
import { replicaUrlsOf } from '../persistence/connection/replicas.ts'
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
  /**
   * Stands for Ctrl-C: aborting it stops the running save or load as SIGINT does. When absent,
   * a command that can be stopped listens to the process's SIGINT while it runs.
   */
  readonly interrupt?: AbortSignal | undefined
  /** The progress line's timing (tests draw at once: `{ delayMs: 0, intervalMs: 0 }`). */
  readonly progressTiming?: { readonly delayMs?: number; readonly intervalMs?: number } | undefined
}

/** The reason of a Ctrl-C abort: the error messages end with it. */
export const INTERRUPTED = 'interrupted (Ctrl-C)'

/** The embedded database's directory when neither --url, DATABASE_URL nor PG* names a server. */
export const DEFAULT_DATA_DIR = '.cheap-data'

/** The libpq variables `PostgresAdapter.fromEnv()` reads when DATABASE_URL is unset. */
export const PG_VARIABLES = ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD'] as const

export type ServerSource = '--url' | 'DATABASE_URL' | 'PG* variables'

/** Where the database is, and why (for messages). */
export type DatabaseChoice =
  | {
      readonly kind: 'server'
      /** What to connect to: a URL, or the PG* variables' parts as fromEnv() passes them. */
      readonly target: PostgresTarget
      /** A URL for the same server (for `demo` and `bench`, which take a URL). */
      readonly url: string
      readonly source: ServerSource
      /** Read replicas: `DATABASE_REPLICA_URLS` (comma-separated), as `fromEnv()` reads it. */
      readonly replicas: readonly string[]
    }
  | { readonly kind: 'embedded'; readonly dataDir: string }

export interface GlobalOptions {
  readonly database: DatabaseChoice
  readonly schema: string | undefined
  readonly json: boolean
  readonly debug: boolean
  /** --quiet: no "using …" line and no other remarks on stderr. */
  readonly quiet: boolean
}

/**
 * `--data-dir` (embedded), else `--url`, else `DATABASE_URL`, else the `PG*` variables (as
 * `PostgresAdapter.fromEnv()` reads them), else the embedded database in `./.cheap-data`.
 */
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
  const pgVariables = PG_VARIABLES.some((name) => (env[name] ?? '') !== '')
  const replicas = replicaUrlsOf(env['DATABASE_REPLICA_URLS'])
  for (const replica of replicas) checkUrl(replica, 'DATABASE_REPLICA_URLS')
  let database: DatabaseChoice
  if (dataDir !== undefined) database = { kind: 'embedded', dataDir }
  else if (url !== undefined) {
    checkUrl(url, '--url')
    database = {
      kind: 'server',
      target: { connectionString: url },
      url,
      source: '--url',
      replicas,
    }
  } else if (envUrl !== undefined && envUrl !== '') {
    checkUrl(envUrl, 'DATABASE_URL')
    database = {
      kind: 'server',
      target: { connectionString: envUrl },
      url: envUrl,
      source: 'DATABASE_URL',
      replicas,
    }
  } else if (pgVariables) database = { ...pgServer(env), replicas }
  else database = { kind: 'embedded', dataDir: DEFAULT_DATA_DIR }
  if (database.kind === 'embedded' && replicas.length > 0) {
    throw new UsageError(
      'DATABASE_REPLICA_URLS is set, but the database is the embedded one (PGlite), which cannot have read replicas',
      'name the primary server with --url or DATABASE_URL, or unset DATABASE_REPLICA_URLS',
    )
  }
  return {
    database,
    schema: stringOption(values, 'schema'),
    json: booleanOption(values, 'json'),
    debug: booleanOption(values, 'debug'),
    quiet: booleanOption(values, 'quiet'),
  }
}

/** The server the PG* variables name, with exactly the parts `PostgresAdapter.fromEnv()` uses. */
function pgServer(
  env: CliIo['env'],
): Omit<Extract<DatabaseChoice, { kind: 'server' }>, 'replicas'> {
  const value = (name: string) => {
    const v = env[name]
    return v === undefined || v === '' ? undefined : v
  }
  const portText = value('PGPORT')
  const port = portText === undefined ? undefined : Number(portText)
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new UsageError(
      `PGPORT is not a port number: '${portText ?? ''}'`,
      'set it to a number like 5432, or unset it',
    )
  }
  const parts = {
    host: value('PGHOST'),
    port,
    database: value('PGDATABASE'),
    user: value('PGUSER'),
    password: value('PGPASSWORD'),
  }
  const target: Record<string, string | number> = {}
  for (const [key, v] of Object.entries(parts)) if (v !== undefined) target[key] = v
  const user = parts.user === undefined ? '' : encodeURIComponent(parts.user)
  const password = parts.password === undefined ? '' : `:${encodeURIComponent(parts.password)}`
  const url =
    `postgres://${user === '' ? '' : `${user}${password}@`}` +
    `${encodeURIComponent(parts.host ?? 'localhost')}:${parts.port ?? 5432}` +
    (parts.database === undefined ? '' : `/${encodeURIComponent(parts.database)}`)
  return { kind: 'server', target: target, url, source: 'PG* variables' }
}

/** A postgres:// URL (pg takes no libpq keyword strings); anything else is a typo. */
function checkUrl(url: string, source: '--url' | 'DATABASE_URL' | 'DATABASE_REPLICA_URLS'): void {
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
    this.progress = new Progress({ stream: io.stderr, enabled, ...io.progressTiming })
  }

  #interrupt: { controller: AbortController; stop: () => void } | undefined

  /**
   * Aborted by Ctrl-C (SIGINT) or `io.interrupt`: for the saves and loads a command runs. Only a
   * command that asks for it listens to SIGINT (until it ends, {@link close}); the others keep
   * Node's default, which ends the process. A second Ctrl-C ends the process at once.
   */
  get signal(): AbortSignal {
    if (this.io.interrupt !== undefined) return this.io.interrupt
    if (this.#interrupt === undefined) {
      const controller = new AbortController()
      const onSigint = (): void => {
        if (!controller.signal.aborted) {
          controller.abort(new Error(INTERRUPTED))
          return
        }
        // The second Ctrl-C: Node's default (the process ends with 130).
        process.removeListener('SIGINT', onSigint)
        process.kill(process.pid, 'SIGINT')
      }
      process.on('SIGINT', onSigint)
      this.#interrupt = { controller, stop: () => process.removeListener('SIGINT', onSigint) }
    }
    return this.#interrupt.controller.signal
  }

  /** Ends the command: the progress line is erased, SIGINT is Node's again. */
  close(): void {
    this.progress.done()
    this.#interrupt?.stop()
    this.#interrupt = undefined
  }

  /** A line of the command's result on stdout. */
  out(line: string): void {
    this.progress.done()
    this.io.stdout.write(`${line}\n`)
  }

  /** A remark for people on stderr (never with --json, so stdout stays the result, or --quiet). */
  info(line: string): void {
    if (this.global.json || this.global.quiet) return
    this.progress.done()
    this.io.stderr.write(`${line}\n`)
  }

  /**
   * A remark on stderr that does not end the progress display (it is redrawn after), e.g. the
   * `using …` line; none with --json or --quiet.
   */
  remark(line: string): void {
    if (this.global.json || this.global.quiet) return
    if (this.progress.visible) this.io.stderr.write('\r\x1b[2K')
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

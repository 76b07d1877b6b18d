import { parseArgs } from 'node:util'
import { UsageError } from './exit-codes.ts'

/** One command-line option, as `node:util` `parseArgs` takes it, plus its help text. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  /** The placeholder in help, e.g. `FILE` for `--out FILE`. */
  readonly valueName?: string
  readonly description: string
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>

/** The options every command takes. */
export const GLOBAL_OPTIONS = {
  url: {
    type: 'string',
    valueName: 'URL',
    description:
      'PostgreSQL server (default: $DATABASE_URL, else the PG* variables, else the embedded database)',
  },
  schema: {
    type: 'string',
    valueName: 'NAME',
    description: 'PostgreSQL schema holding the CHEAP tables (default: public)',
  },
  'data-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'directory of the embedded database (default: ./.cheap-data)',
  },
  json: { type: 'boolean', description: 'machine-readable output (errors as JSON on stderr)' },
  quiet: {
    type: 'boolean',
    short: 'q',
    description: 'no remarks on stderr (such as the database used); errors still',
  },
  debug: { type: 'boolean', description: 'print stack traces of every error' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const satisfies OptionSpecs

/** Parsed option values: strings, booleans, or absent. */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>

export interface ParsedCommandLine {
  readonly values: OptionValues
  readonly positionals: readonly string[]
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options']

function toParseArgs(specs: OptionSpecs): ParseArgsOptions {
  const options: NonNullable<ParseArgsOptions> = {}
  for (const [name, spec] of Object.entries(specs)) {
    options[name] =
      spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short }
  }
  return options
}

/**
 * The first positional argument (the command name) and its index in `args`, found leniently:
 * options before it are skipped, with their values when `specs` says they take one.
 */
export function findCommand(
  args: readonly string[],
  specs: OptionSpecs,
): { readonly name: string; readonly index: number } | undefined {
  const { tokens } = parseArgs({
    args: [...args],
    options: toParseArgs(specs),
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  for (const token of tokens) {
    if (token.kind === 'positional') return { name: token.value, index: token.index }
  }
  return undefined
}

/**
 * Strict parsing: unknown options, a missing option value or a value given to a flag are
 * usage errors that name the option and point at `--help`.
 */
export function parseCommandLine(
  args: readonly string[],
  specs: OptionSpecs,
  helpCommand: string,
): ParsedCommandLine {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: toParseArgs(specs),
      strict: true,
      allowPositionals: true,
    })
    return { values, positionals }
  } catch (error) {
    if (error instanceof TypeError && 'code' in error) {
      const message = error.message
        .replace(/\. To specify a positional argument starting with a '-'.*$/s, '')
        .replace(/^Unknown option/, 'unknown option')
        .replace(/^Option/, 'option')
      throw new UsageError(message, `see \`${helpCommand} --help\``)
    }
    throw error
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

export function booleanOption(values: OptionValues, name: string): boolean {
  return values[name] === true
}

/** A positive integer option, or `fallback`; anything else is a usage error. */
export function integerOption(
  values: OptionValues,
  name: string,
  fallback: number,
  range: { readonly min: number; readonly max: number },
): number {
  const text = stringOption(values, name)
  if (text === undefined) return fallback
  const n = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
    const expected =
      range.max === Number.MAX_SAFE_INTEGER
        ? `a whole number of at least ${range.min}`
        : `a whole number from ${range.min} to ${range.max}`
    throw new UsageError(`--${name} must be ${expected}, got '${text}'`)
  }
  return n
}

/** The closest of `names` to `input` (edit distance ≤ 2), for "did you mean" hints. */
export function closest(input: string, names: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const name of names) {
    const d = editDistance(input, name)
    if (d < bestDistance) {
      best = name
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      )
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

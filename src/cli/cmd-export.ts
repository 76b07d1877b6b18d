import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { writeCatalogJson } from '../json/index.ts'
import { booleanOption, stringOption } from './args.ts'
import type { CommandSpec } from './command.ts'
import { loadStoredCatalog } from './load-stored.ts'
import { CliError, EXIT, UsageError } from './exit-codes.ts'
import { formatBytes } from './progress.ts'
import { MANIFEST, exportAll } from './store-backup.ts'

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'write a stored catalog (or all of them) as JSON',
  synopsis: '<catalog-id> | --all',
  usage: [
    'cheap export <catalog-id> [--out FILE] [--pretty]',
    'cheap export --all --out DIR [--pretty]',
  ],
  description: [
    'Loads a catalog and writes it in the cheap-json format (the Java module reads it), to',
    'FILE or to stdout. The file is written under a temporary name and renamed when',
    'complete, so it is never left half-written. Compact by default; --pretty gives the Java',
    'writer’s indented layout, byte for byte.',
    '',
    `--all backs up the whole store into DIR: one <catalog-id>.json per catalog (the same`,
    `bytes as \`cheap export <catalog-id>\`) and, written last, ${MANIFEST} with each`,
    'catalog’s revision and AspectDef hashes and every stored AspectDef version.',
    '`cheap import DIR` restores it.',
  ],
  options: {
    out: {
      type: 'string',
      short: 'o',
      valueName: 'FILE',
      description: 'write to FILE instead of stdout',
    },
    pretty: { type: 'boolean', description: 'indent like the Java cheap-json writer' },
    all: { type: 'boolean', description: 'every catalog, into the directory --out DIR' },
  },
  positionals: { min: 0, max: 1 },
  examples: [
    'cheap export 550e8400-e29b-41d4-a716-444444444444 --pretty --out catalog.json',
    'cheap export 550e8400-e29b-41d4-a716-444444444444 | gzip > catalog.json.gz',
    'cheap export --all --out backup/',
  ],
  async run(ctx, { positionals, values }) {
    const out = stringOption(values, 'out')
    const pretty = booleanOption(values, 'pretty')
    if (booleanOption(values, 'all')) {
      if (positionals.length > 0) {
        throw new UsageError('--all exports every catalog: give no catalog id with it')
      }
      if (out === undefined || out === '' || out === '-') {
        throw new UsageError('--all needs --out DIR, the directory to write into')
      }
      const manifest = await exportAll(ctx, out, pretty)
      if (ctx.global.json) ctx.json({ directory: out, manifest: MANIFEST, ...manifest })
      else {
        for (const catalog of manifest.catalogs) ctx.out(catalog.id)
        ctx.info(`exported ${manifest.catalogs.length} catalog(s) and ${MANIFEST} to ${out}`)
      }
      return EXIT.OK
    }
    const id = positionals[0]
    if (id === undefined) {
      throw new UsageError(
        'missing argument: cheap export <catalog-id> (or --all --out DIR)',
        'usage: cheap export <catalog-id> [--out FILE] [--pretty]; see `cheap export --help`',
      )
    }
    if (out === undefined || out === '-') {
      const { catalog } = await loadStoredCatalog(ctx, id)
      writeCatalogJson(catalog, (chunk) => ctx.io.stdout.write(chunk), { pretty })
      // The JSON has no final newline (like Java's); a terminal prompt deserves one.
      if (ctx.io.stdout.isTTY === true) ctx.io.stdout.write('\n')
      ctx.progress.done()
      return EXIT.OK
    }
    // Opened first: a path that cannot be written fails before the catalog is loaded.
    const output = openOutput(resolve(ctx.io.cwd, out), out)
    try {
      const { catalog } = await loadStoredCatalog(ctx, id)
      let bytes = 0
      writeCatalogJson(
        catalog,
        (chunk) => {
          bytes += writeSync(output.fd, chunk)
          ctx.progress.phase(`writing ${out}`, { done: bytes, format: formatBytes })
        },
        { pretty },
      )
      output.commit()
      if (ctx.global.json) ctx.json({ catalogId: catalog.globalId, file: out, bytes })
      else ctx.info(`exported catalog ${catalog.globalId} to ${out} (${formatBytes(bytes)})`)
      return EXIT.OK
    } finally {
      output.discard()
    }
  },
}

interface Output {
  readonly fd: number
  /** Closes the file and renames it to its real name. */
  commit(): void
  /** Closes and removes the temporary file, unless committed. */
  discard(): void
}

/** A temporary file next to `target`, renamed to it on commit: never a half-written file. */
export function openOutput(target: string, shown: string): Output {
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`)
  let fd: number
  try {
    fd = openSync(temporary, 'w')
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : ''
    const why =
      code === 'ENOENT'
        ? 'its directory does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : error instanceof Error
            ? error.message
            : String(error)
    throw new CliError(EXIT.USAGE, `cannot write ${shown}: ${why}`, undefined, { cause: error })
  }
  let open = true
  let committed = false
  const close = () => {
    if (open) closeSync(fd)
    open = false
  }
  return {
    fd,
    commit() {
      close()
      renameSync(temporary, target)
      committed = true
    },
    discard() {
      if (committed) return
      try {
        close()
      } finally {
        rmSync(temporary, { force: true })
      }
    },
  }
}

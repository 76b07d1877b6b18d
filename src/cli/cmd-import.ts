import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { isCheapError } from '../errors.ts'
import { catalogFromJson } from '../json/index.ts'
import type { Catalog } from '../model/catalog.ts'
import { catalogEquals } from '../model/equality.ts'
import type { SaveCatalogResult } from '../persistence/catalog/save-catalog.ts'
import { PostgresDao } from '../persistence/dao/postgres-dao.ts'
import { booleanOption } from './args.ts'
import type { CommandSpec } from './command.ts'
import type { CommandContext } from './context.ts'
import { openDatabase } from './database.ts'
import { CliError, EXIT, exitCodeOf } from './exit-codes.ts'
import { bytesPhase, formatBytes, formatCount, rowsPhase } from './progress.ts'
import { MANIFEST, importDirectory } from './store-backup.ts'

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'save a catalog from a JSON file, or a backup directory (prints the ids)',
  synopsis: '<file.json | - | DIR>',
  usage: [
    'cheap import <file.json> [--force]',
    'cheap import - [--force]   (reads stdin)',
    'cheap import DIR [--force] (a backup written by `cheap export --all --out DIR`)',
  ],
  description: [
    'Reads a catalog in the cheap-json format (what `cheap export` and the Java cheap-json',
    'module write), checks every value, saves it in one transaction, and prints its id.',
    'A catalog id that is already stored is a conflict (exit 4) unless --force replaces it;',
    'a forced import of exactly what is stored writes nothing and keeps the revision.',
    'Creates the CHEAP schema first when the database has none.',
    '',
    `A directory is a backup of a whole store: its ${MANIFEST} is read, every file it names`,
    'is read and checked before anything is written, and a catalog stored with other',
    'contents is a conflict unless --force (identical ones are reported unchanged). After',
    'saving, each catalog’s AspectDef hashes are compared with the manifest’s (exit 3 if not).',
    '',
    'Ctrl-C stops the import: the running save is rolled back (exit 130).',
  ],
  options: {
    force: { type: 'boolean', description: 'replace a stored catalog with the same id' },
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'cheap import test/fixtures/json/full-catalog.json',
    'cheap import catalog.json --force --json',
    'curl -s https://example.com/catalog.json | cheap import -',
    'cheap import backup/ --json',
  ],
  async run(ctx, { positionals, values }) {
    const file = positionals[0] ?? '-'
    const name = file === '-' ? 'stdin' : file
    if (file !== '-' && (await isDirectory(resolve(ctx.io.cwd, file)))) {
      const results = await importDirectory(ctx, file, booleanOption(values, 'force'))
      if (ctx.global.json) ctx.json({ directory: file, catalogs: results })
      else {
        for (const result of results) {
          ctx.out(result.catalogId)
          ctx.info(
            `${result.unchanged ? 'unchanged' : result.replaced ? 'replaced' : 'imported'} ` +
              `${result.file}: revision ${result.revision}, ${formatCount(result.rowsWritten)} rows`,
          )
        }
        ctx.info(`imported ${results.length} catalog(s) from ${file}; AspectDef hashes verified`)
      }
      return EXIT.OK
    }
    const bytes = await readInput(ctx, file)
    const parsing = `parsing ${name}`
    ctx.progress.phase(parsing, { done: 0, total: bytes.length, format: formatBytes })
    const catalog = inContext(
      name,
      'nothing was imported: fix the file and run the command again',
      // From the bytes: invalid UTF-8 is an error with its offset, not U+FFFD.
      () =>
        catalogFromJson(bytes, {
          signal: ctx.signal,
          onProgress: bytesPhase(ctx.progress, parsing),
        }),
    )
    const force = booleanOption(values, 'force')
    const db = await openDatabase(ctx, 'always')
    try {
      const dao = new PostgresDao(db.adapter)
      const stored = await dao.catalogRevision(catalog.globalId)
      if (stored !== null && !force) {
        throw new CliError(
          EXIT.CONFLICT,
          `catalog ${catalog.globalId} already exists in ${db.adapter.target} (revision ${stored})`,
          `pass --force to replace it, or remove it first with \`cheap delete ${catalog.globalId}\``,
        )
      }
      const started = performance.now()
      // Importing what is stored already writes nothing and keeps the revision, as a save of an
      // unchanged catalog does: holders of the catalog do not conflict for nothing.
      const same = stored !== null && (await storedEquals(dao, catalog, ctx))
      const saving = `saving ${describeSize(catalog)}`
      if (!same) ctx.progress.phase(saving)
      const result: SaveCatalogResult = same
        ? { revision: stored, rowsWritten: 0, mode: 'incremental', unchanged: true }
        : await dao.saveCatalog(catalog, {
            force,
            signal: ctx.signal,
            onProgress: rowsPhase(ctx.progress, saving),
          })
      const seconds = (performance.now() - started) / 1000
      if (ctx.global.json) {
        ctx.json({
          catalogId: catalog.globalId,
          file: name,
          replaced: stored !== null,
          ...result,
        })
      } else {
        ctx.out(catalog.globalId)
        if (result.unchanged) {
          ctx.info(
            `unchanged: catalog ${catalog.globalId} already holds what ${name} holds (revision ${result.revision})`,
          )
        } else
          ctx.info(
            `${stored === null ? 'imported' : 'replaced'} ${name} as catalog ${catalog.globalId}: ` +
              `revision ${result.revision}, ${formatCount(result.rowsWritten)} rows in ${seconds.toFixed(1)} s`,
          )
      }
      return EXIT.OK
    } finally {
      await db.close()
    }
  },
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

async function storedEquals(
  dao: PostgresDao,
  catalog: Catalog,
  ctx: CommandContext,
): Promise<boolean> {
  const label = 'comparing with the stored catalog'
  ctx.progress.phase(label)
  const loaded = await dao.loadCatalog(catalog.globalId, {
    signal: ctx.signal,
    onProgress: rowsPhase(ctx.progress, label),
  })
  return loaded !== null && catalogEquals(loaded, catalog)
}

/** "3 hierarchies, 1,204 aspects". */
function describeSize(catalog: Catalog): string {
  let aspects = 0
  for (const h of catalog.hierarchies()) if (h.type === 'AM') aspects += h.size
  return `${formatCount(catalog.hierarchyCount)} hierarchies, ${formatCount(aspects)} aspects`
}

/** The whole input's bytes, with a progress bar over the bytes read. */
async function readInput(ctx: CommandContext, file: string): Promise<Uint8Array> {
  let total: number | undefined
  let stream: Readable
  if (file === '-') {
    stream = ctx.io.stdin
    if ((stream as { isTTY?: boolean }).isTTY === true) {
      ctx.info('reading the catalog JSON from the terminal: paste it, then press Ctrl-D')
    }
  } else {
    try {
      const info = await stat(resolve(ctx.io.cwd, file))
      if (info.isDirectory()) {
        throw new CliError(EXIT.USAGE, `${file} is a directory, not a JSON file`)
      }
      total = info.size
    } catch (error) {
      throw readError(file, error)
    }
    stream = createReadStream(resolve(ctx.io.cwd, file))
  }
  const chunks: Buffer[] = []
  let done = 0
  const name = file === '-' ? 'stdin' : file
  try {
    for await (const chunk of stream) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
      chunks.push(buffer)
      done += buffer.length
      ctx.progress.phase(`reading ${name}`, { done, total, format: formatBytes })
    }
  } catch (error) {
    throw readError(name, error)
  }
  return Buffer.concat(chunks)
}

function readError(file: string, error: unknown): unknown {
  if (error instanceof CliError) return error
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : ''
  if (code === 'ENOENT') {
    return new CliError(
      EXIT.NOT_FOUND,
      `${file}: no such file`,
      'check the path; use - to read the JSON from stdin',
    )
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new CliError(EXIT.USAGE, `cannot read ${file}: permission denied (${code})`)
  }
  return error
}

/** Runs `work`; an expected failure gets `what` in front of its message, keeping its exit code. */
export function inContext<T>(what: string, hint: string | undefined, work: () => T): T {
  try {
    return work()
  } catch (error) {
    const exitCode = exitCodeOf(error)
    // An interruption is not the input's fault: its own one-line message, no hint.
    if (exitCode === EXIT.UNEXPECTED || isCheapError(error, 'ABORTED')) throw error
    const message = error instanceof Error ? error.message : String(error)
    throw new CliError(exitCode, `${what}: ${message}`, hint, { cause: error })
  }
}

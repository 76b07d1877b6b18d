import { mkdirSync, writeSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { catalogFromJson, writeCatalogJson } from '../json/index.ts'
import type { Catalog } from '../model/catalog.ts'
import { catalogEquals } from '../model/equality.ts'
import type { SaveCatalogResult } from '../persistence/catalog/save-catalog.ts'
import type { CatalogSummary } from '../persistence/dao/options.ts'
import { PostgresDao } from '../persistence/dao/postgres-dao.ts'
import { openOutput } from './cmd-export.ts'
import type { CommandContext } from './context.ts'
import { openDatabase } from './database.ts'
import { CliError, EXIT } from './exit-codes.ts'
import { isCheapError } from '../errors.ts'
import { formatBytes, rowsPhase } from './progress.ts'
import { packageInfo } from './package-info.ts'

/** The name of a backup's manifest in its directory. */
export const MANIFEST = 'manifest.json'
export const MANIFEST_FORMAT = 'cheap-store-backup'
export const MANIFEST_VERSION = 1

export interface ManifestDef {
  readonly name: string
  readonly globalId: string
  /** `AspectDef.hash()` (the Java-parity hash) as a decimal string. */
  readonly hash: string
}

export interface ManifestCatalog {
  readonly id: string
  readonly file: string
  readonly revision: string
  readonly species: string
  /**
   * When the catalog expires (ISO 8601), or null: cheap-json has no field for it, so the
   * manifest carries it and a restore gives it back. Absent in manifests made before expiry.
   */
  readonly expiresAt: string | null
  readonly aspectDefs: readonly ManifestDef[]
}

export interface ManifestStoredDef {
  readonly name: string
  readonly globalId: string
  readonly versions: readonly { readonly version: number; readonly hash: string }[]
}

/** What `manifest.json` holds: written last, so it never names a file that is missing. */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT
  readonly formatVersion: number
  readonly library: { readonly name: 'cheap-db-postgres'; readonly version: string }
  readonly createdAt: string
  readonly catalogs: readonly ManifestCatalog[]
  readonly storedAspectDefs: readonly ManifestStoredDef[]
}

/** The defs a catalog uses, with their hashes, sorted by name. */
export function defsOf(catalog: Catalog): ManifestDef[] {
  return [...catalog.aspectDefs()]
    .map((def) => ({ name: def.name, globalId: def.globalId, hash: String(def.hash()) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

async function allCatalogs(dao: PostgresDao): Promise<CatalogSummary[]> {
  const out: CatalogSummary[] = []
  let after: string | undefined
  for (;;) {
    const page = await dao.listCatalogs(
      after === undefined ? { limit: 1000 } : { limit: 1000, after },
    )
    for (const summary of page) out.push(summary)
    if (page.length < 1000) return out
    after = page[page.length - 1]?.catalogId
  }
}

/**
 * `cheap export --all --out DIR`: every catalog as `<id>.json` (the bytes `cheap export <id>`
 * writes), then `manifest.json`; each file under a temporary name, renamed when complete.
 */
export async function exportAll(
  ctx: CommandContext,
  out: string,
  pretty: boolean,
): Promise<Manifest> {
  const dir = resolve(ctx.io.cwd, out)
  try {
    mkdirSync(dir, { recursive: true })
  } catch (error) {
    throw new CliError(
      EXIT.USAGE,
      `cannot create the directory ${out}: ${error instanceof Error ? error.message : String(error)}`,
      undefined,
      { cause: error },
    )
  }
  const db = await openDatabase(ctx, 'embedded')
  try {
    const dao = new PostgresDao(db.adapter)
    ctx.progress.phase('listing catalogs')
    const summaries = await allCatalogs(dao)
    const catalogs: ManifestCatalog[] = []
    for (const [index, summary] of summaries.entries()) {
      const id = summary.catalogId
      const step = `${index + 1}/${summaries.length}`
      const loading = `catalog ${step}: loading ${id}`
      ctx.progress.phase(loading)
      const catalog = await dao.loadCatalog(id, {
        signal: ctx.signal,
        onProgress: rowsPhase(ctx.progress, loading),
      })
      const revision = await dao.catalogRevision(id)
      // Deleted since the listing: not part of the backup.
      if (catalog === null || revision === null) continue
      const file = `${id}.json`
      const output = openOutput(join(dir, file), join(out, file))
      try {
        let bytes = 0
        writeCatalogJson(
          catalog,
          (chunk) => {
            bytes += writeSync(output.fd, chunk)
            ctx.progress.phase(`catalog ${step}: writing ${file}`, {
              done: bytes,
              format: formatBytes,
            })
          },
          { pretty },
        )
        output.commit()
      } finally {
        output.discard()
      }
      catalogs.push({
        id,
        file,
        revision: String(revision),
        species: summary.species,
        expiresAt: summary.expiresAt === null ? null : summary.expiresAt.toISOString(),
        aspectDefs: defsOf(catalog),
      })
    }
    ctx.progress.phase('listing AspectDefs')
    const stored = await dao.listAspectDefs()
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_VERSION,
      library: { name: 'cheap-db-postgres', version: packageInfo().version },
      createdAt: new Date().toISOString(),
      catalogs,
      storedAspectDefs: stored.map((def) => ({
        name: def.name,
        globalId: def.globalId,
        versions: def.versions.map((v) => ({ version: v.version, hash: String(v.hash) })),
      })),
    }
    const output = openOutput(join(dir, MANIFEST), join(out, MANIFEST))
    try {
      writeSync(output.fd, `${JSON.stringify(manifest, null, 2)}\n`)
      output.commit()
    } finally {
      output.discard()
    }
    return manifest
  } finally {
    await db.close()
  }
}

function invalid(what: string, message: string, hint?: string): CliError {
  return new CliError(EXIT.VALIDATION, `${what}: ${message}`, hint)
}

/** An optional ISO 8601 instant (`null` or absent: none). */
function optionalInstant(
  entry: Readonly<Record<string, unknown>>,
  key: string,
  at: string,
): string | null {
  const value = entry[key]
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw invalid(at, `"${key}" must be an ISO 8601 instant or null`)
  }
  return value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function text(record: Record<string, unknown>, key: string, where: string): string {
  const value = record[key]
  if (typeof value !== 'string') throw invalid(where, `"${key}" must be a string`)
  return value
}

function list(record: Record<string, unknown>, key: string, where: string): unknown[] {
  const value = record[key]
  if (!Array.isArray(value)) throw invalid(where, `"${key}" must be an array`)
  return value as unknown[]
}

function parseDef(value: unknown, where: string): ManifestDef {
  if (!isRecord(value)) throw invalid(where, 'an AspectDef entry must be an object')
  return {
    name: text(value, 'name', where),
    globalId: text(value, 'globalId', where),
    hash: text(value, 'hash', where),
  }
}

/** Reads and checks `DIR/manifest.json`. */
export async function readManifest(dir: string, shown: string): Promise<Manifest> {
  const where = join(shown, MANIFEST)
  let source: string
  try {
    source = await readFile(join(dir, MANIFEST), 'utf8')
  } catch {
    throw new CliError(
      EXIT.NOT_FOUND,
      `${shown} is a directory without a ${MANIFEST}`,
      'import a directory written by `cheap export --all --out DIR`, or name a JSON file',
    )
  }
  let json: unknown
  try {
    json = JSON.parse(source)
  } catch (error) {
    throw invalid(where, `invalid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  if (!isRecord(json) || json['format'] !== MANIFEST_FORMAT) {
    throw invalid(
      where,
      `not a manifest of \`cheap export --all\` (no "format": "${MANIFEST_FORMAT}")`,
    )
  }
  if (json['formatVersion'] !== MANIFEST_VERSION) {
    throw invalid(
      where,
      `manifest format version ${String(json['formatVersion'])}; this cheap reads version ${MANIFEST_VERSION}`,
      'use the version of cheap-db-postgres that wrote it, or a newer one',
    )
  }
  const library = json['library']
  const catalogs = list(json, 'catalogs', where).map((entry, index): ManifestCatalog => {
    const at = `${where}: catalogs[${index}]`
    if (!isRecord(entry)) throw invalid(at, 'must be an object')
    const file = text(entry, 'file', at)
    if (file.includes('/') || file.includes('\\') || file.startsWith('.')) {
      throw invalid(at, `"file" must be a file name in the directory, got '${file}'`)
    }
    return {
      id: text(entry, 'id', at),
      file,
      revision: text(entry, 'revision', at),
      species: text(entry, 'species', at),
      expiresAt: optionalInstant(entry, 'expiresAt', at),
      aspectDefs: list(entry, 'aspectDefs', at).map((def) => parseDef(def, at)),
    }
  })
  const storedAspectDefs = list(json, 'storedAspectDefs', where).map(
    (entry, index): ManifestStoredDef => {
      const at = `${where}: storedAspectDefs[${index}]`
      if (!isRecord(entry)) throw invalid(at, 'must be an object')
      return {
        name: text(entry, 'name', at),
        globalId: text(entry, 'globalId', at),
        versions: list(entry, 'versions', at).map((v) => {
          if (!isRecord(v) || typeof v['version'] !== 'number' || typeof v['hash'] !== 'string')
            throw invalid(at, 'a version must be {"version": number, "hash": string}')
          return { version: v['version'], hash: v['hash'] }
        }),
      }
    },
  )
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    library: {
      name: 'cheap-db-postgres',
      version:
        isRecord(library) && typeof library['version'] === 'string' ? library['version'] : '?',
    },
    createdAt: typeof json['createdAt'] === 'string' ? json['createdAt'] : '',
    catalogs,
    storedAspectDefs,
  }
}

export interface ImportedCatalog {
  readonly catalogId: string
  readonly file: string
  readonly replaced: boolean
  readonly revision: bigint
  readonly rowsWritten: number
  readonly unchanged: boolean
}

/** Differences between the defs a catalog has and those the manifest lists for it. */
function defMismatches(catalog: Catalog, expected: readonly ManifestDef[]): string[] {
  const actual = defsOf(catalog)
  const problems: string[] = []
  const byName = new Map(actual.map((def) => [def.name, def]))
  for (const want of expected) {
    const have = byName.get(want.name)
    if (have === undefined) problems.push(`AspectDef '${want.name}' is missing`)
    else if (have.globalId !== want.globalId)
      problems.push(
        `AspectDef '${want.name}' has id ${have.globalId}, the manifest ${want.globalId}`,
      )
    else if (have.hash !== want.hash)
      problems.push(`AspectDef '${want.name}' has hash ${have.hash}, the manifest ${want.hash}`)
    byName.delete(want.name)
  }
  for (const extra of byName.keys()) problems.push(`AspectDef '${extra}' is not in the manifest`)
  return problems
}

/**
 * `cheap import DIR`: reads the manifest, reads and checks every file it names (nothing is
 * written when one is missing or invalid), refuses catalogs stored with other contents unless
 * `force`, saves every catalog, and checks that each stored catalog's AspectDef hashes are
 * the manifest's.
 */
export async function importDirectory(
  ctx: CommandContext,
  directory: string,
  force: boolean,
): Promise<ImportedCatalog[]> {
  const dir = resolve(ctx.io.cwd, directory)
  const manifest = await readManifest(dir, directory)
  const total = manifest.catalogs.length
  const parsed: { readonly entry: ManifestCatalog; readonly catalog: Catalog }[] = []
  for (const [index, entry] of manifest.catalogs.entries()) {
    const shown = join(directory, entry.file)
    ctx.progress.phase(`catalog ${index + 1}/${total}: reading ${shown}`)
    let source: Uint8Array
    try {
      const path = join(dir, entry.file)
      if (!(await stat(path)).isFile()) throw new Error('not a file')
      source = await readFile(path)
    } catch (error) {
      throw new CliError(
        EXIT.NOT_FOUND,
        `${shown}: named in the manifest but missing`,
        'the backup is incomplete: nothing was imported',
        { cause: error },
      )
    }
    let catalog: Catalog
    try {
      // From the bytes: invalid UTF-8 is an error with its offset; a BOM is skipped.
      catalog = catalogFromJson(source)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new CliError(
        EXIT.VALIDATION,
        `${shown}: ${message}`,
        'nothing was imported: fix the file and run the command again',
        { cause: error },
      )
    }
    if (catalog.globalId !== entry.id) {
      throw invalid(shown, `holds catalog ${catalog.globalId}, the manifest says ${entry.id}`)
    }
    const mismatches = defMismatches(catalog, entry.aspectDefs)
    if (mismatches.length > 0) {
      throw invalid(shown, `its AspectDefs differ from the manifest: ${mismatches.join('; ')}`)
    }
    // Expired since the backup: a restore would store it invisible, so it is left out.
    if (entry.expiresAt !== null && Date.parse(entry.expiresAt) <= Date.now()) {
      ctx.info(`skipped ${shown}: catalog ${entry.id} expired at ${entry.expiresAt}`)
      continue
    }
    parsed.push({ entry, catalog })
  }
  const db = await openDatabase(ctx, 'always')
  try {
    const dao = new PostgresDao(db.adapter)
    // Conflicts first, so a refused import writes nothing.
    const stored = new Map<string, bigint>()
    for (const { catalog } of parsed) {
      const revision = await dao.catalogRevision(catalog.globalId)
      if (revision !== null) stored.set(catalog.globalId, revision)
    }
    const same = new Set<string>()
    for (const [index, { catalog }] of parsed.entries()) {
      if (!stored.has(catalog.globalId)) continue
      ctx.progress.phase(`catalog ${index + 1}/${total}: comparing with the stored catalog`)
      const loaded = await dao.loadCatalog(catalog.globalId)
      if (loaded !== null && catalogEquals(loaded, catalog)) same.add(catalog.globalId)
    }
    const conflicting = [...stored.keys()].filter((id) => !same.has(id))
    if (conflicting.length > 0 && !force) {
      throw new CliError(
        EXIT.CONFLICT,
        `${conflicting.length} catalog(s) of ${directory} are stored in ${db.adapter.target} with other contents: ${conflicting.join(', ')}`,
        'pass --force to replace them; nothing was imported',
      )
    }
    const results: ImportedCatalog[] = []
    for (const [index, { entry, catalog }] of parsed.entries()) {
      const id = catalog.globalId
      const revision = stored.get(id)
      let result: SaveCatalogResult
      if (revision !== undefined && same.has(id)) {
        result = { revision, rowsWritten: 0, mode: 'incremental', unchanged: true }
      } else {
        const saving = `catalog ${index + 1}/${total}: saving ${id}`
        ctx.progress.phase(saving)
        const expiresAt = entry.expiresAt === null ? null : new Date(entry.expiresAt)
        try {
          result = await dao.saveCatalog(catalog, {
            force,
            expiresAt,
            signal: ctx.signal,
            onProgress: rowsPhase(ctx.progress, saving),
          })
        } catch (error) {
          // Each catalog is its own transaction: say which ones stay imported.
          if (!isCheapError(error, 'ABORTED') || index === 0) throw error
          throw new CliError(
            EXIT.INTERRUPTED,
            `${error.message}; the ${index} catalog(s) before it in ${MANIFEST} stay imported`,
            undefined,
            { cause: error },
          )
        }
      }
      ctx.progress.phase(`catalog ${index + 1}/${total}: verifying ${id}`)
      const loaded = await dao.loadCatalog(id)
      const mismatches =
        loaded === null ? ['it is not stored'] : defMismatches(loaded, entry.aspectDefs)
      if (mismatches.length > 0) {
        throw new CliError(
          EXIT.VALIDATION,
          `catalog ${id} as stored differs from the manifest: ${mismatches.join('; ')}`,
          'an AspectDef of the same name is stored with another shape; `cheap defs show <name>` shows it',
        )
      }
      results.push({
        catalogId: id,
        file: entry.file,
        replaced: revision !== undefined,
        revision: result.revision,
        rowsWritten: result.rowsWritten,
        unchanged: result.unchanged,
      })
    }
    return results
  } finally {
    await db.close()
  }
}

import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'

/** One `schema/NNN-name.sql` file. */
export interface SchemaFile {
  /** The NNN prefix: the ledger's version. */
  readonly version: number
  /** The file name, e.g. `002-lookups.sql`. */
  readonly name: string
  /** sha256 (hex) of the text with line endings normalised to LF. */
  readonly checksum: string
  readonly sql: string
}

/** The optional audit file, applied only with `includeAudit: true`. */
export const AUDIT_VERSION = 900

// src/persistence/ and dist/src/persistence/ both sit two levels below the package root.
const SCHEMA_DIR = new URL('../../schema/', import.meta.url)
const FILE_NAME = /^(\d{3})-[a-z0-9-]+\.sql$/

let cached: Promise<readonly SchemaFile[]> | undefined

/** The schema files in application (lexical) order; read once per process. */
export function readSchemaFiles(): Promise<readonly SchemaFile[]> {
  cached ??= load().catch((error: unknown) => {
    cached = undefined
    throw error
  })
  return cached
}

async function load(): Promise<readonly SchemaFile[]> {
  const names = (await readdir(SCHEMA_DIR)).filter((name) => FILE_NAME.test(name)).sort()
  const files = await Promise.all(
    names.map(async (name): Promise<SchemaFile> => {
      const sql = await readFile(new URL(name, SCHEMA_DIR), 'utf8')
      return Object.freeze({
        version: Number(name.slice(0, 3)),
        name,
        // CRLF checkouts must not look like edited files.
        checksum: createHash('sha256').update(sql.replaceAll('\r\n', '\n')).digest('hex'),
        sql,
      })
    }),
  )
  return Object.freeze(files)
}

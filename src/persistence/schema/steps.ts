import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'

/**
 * One `schema/NNN-name.sql` file: a step of the schema's history. Steps are applied once, in
 * version order, and recorded in `schema_migration` with their checksum; a released step is never
 * edited (a later step changes what it made).
 */
export interface SchemaStep {
  /** The NNN prefix: the ledger's version. */
  readonly version: number
  /** The file name, e.g. `002-lookups.sql`. */
  readonly name: string
  /** sha256 (hex) of the text with line endings normalised to LF. */
  readonly checksum: string
  readonly sql: string
}

/** A step an earlier release applied that this one no longer runs, known by its checksum. */
export interface RetiredStep {
  readonly version: number
  readonly name: string
  readonly checksum: string
  /** Why it is gone and what stands in for it. */
  readonly note: string
}

/**
 * Release 1's optional audit step listed the release-1 tables by name; audit is now the function
 * `cheap_enable_audit` (step 010) called with the manifest's tables. Its ledger row means "this
 * database was created with audit columns".
 */
export const RETIRED_STEPS: readonly RetiredStep[] = Object.freeze([
  Object.freeze({
    version: 900,
    name: '900-audit.sql',
    checksum: '7bfedf18ae3ba6f861e690d1d8853f614a575e9cc4c4ee9aafb80bfebb0b1326',
    note: 'audit columns (replaced by cheap_enable_audit, step 010)',
  }),
])

// The package root's schema/: three levels above src/persistence/schema/ (a clone), four above
// dist/src/persistence/schema/ (the built package, which ships schema/ once, at its root).
const SCHEMA_DIR = new URL(
  /\/dist\/src\/persistence\/schema\/[^/]*$/.test(import.meta.url)
    ? '../../../../schema/'
    : '../../../schema/',
  import.meta.url,
)
const FILE_NAME = /^(\d{3})-[a-z0-9-]+\.sql$/

let cached: Promise<readonly SchemaStep[]> | undefined

/** The schema steps in application (version) order; read once per process. */
export function readSchemaSteps(): Promise<readonly SchemaStep[]> {
  cached ??= load().catch((error: unknown) => {
    cached = undefined
    throw error
  })
  return cached
}

async function load(): Promise<readonly SchemaStep[]> {
  const names = (await readdir(SCHEMA_DIR)).filter((name) => FILE_NAME.test(name)).sort()
  const steps = await Promise.all(
    names.map(async (name): Promise<SchemaStep> => {
      const sql = await readFile(new URL(name, SCHEMA_DIR), 'utf8')
      return Object.freeze({
        version: Number(name.slice(0, 3)),
        name,
        checksum: checksumOf(sql),
        sql,
      })
    }),
  )
  return Object.freeze(steps)
}

/** sha256 of a step's text; CRLF checkouts must not look like edited files. */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replaceAll('\r\n', '\n')).digest('hex')
}

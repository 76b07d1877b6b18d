/**
 * Earlier releases of this package, taken from git, for the upgrade tests: a checkout of a
 * release's `src/` and `schema/` in a temporary directory (sharing this repository's
 * node_modules), and a child process that runs `old-release/writer.ts` on it.
 */
import { execFile, execSync } from 'node:child_process'
import { copyFile, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql, type Kysely } from 'kysely'
import { inheritedNodeFlags } from '../../src/cli/runtime.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The first release (0.1.0): schema steps 001–008 and the optional 900-audit.sql. */
export const RELEASE_1 = 'cb19989b7a549ebf2d26700a5f91e9f72d4b199e'

export interface ReleaseCheckout {
  readonly dir: string
  remove(): Promise<void>
}

/** `git archive` of a release's src/ and schema/ into a temporary directory. */
export async function checkoutRelease(commit: string): Promise<ReleaseCheckout> {
  const dir = await mkdtemp(join(tmpdir(), 'cheap-release-'))
  try {
    execSync(`git archive ${commit} src schema | tar -x -C ${JSON.stringify(dir)}`, {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw new Error(
      `cannot take release ${commit} from git (a clone with its history is needed): ${String(error)}`,
    )
  }
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n')
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  await copyFile(
    fileURLToPath(new URL('./old-release/writer.ts', import.meta.url)),
    join(dir, 'writer.ts'),
  )
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** What the release's writer is asked to do (see old-release/writer.ts). */
export interface WriterJob {
  readonly backend: 'pg' | 'pglite'
  readonly url?: string
  readonly schema?: string
  readonly dataDir?: string
  readonly audit: boolean
  readonly inDir: string
  readonly outDir: string
  readonly mapDef?: string
}

/** Runs the writer with the release's own code; rejects with its stderr when it fails. */
export function runWriter(checkout: ReleaseCheckout, job: WriterJob): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...inheritedNodeFlags(), '--import', 'tsx', 'writer.ts', JSON.stringify(job)],
      { cwd: checkout.dir, env: { ...process.env, TZ: 'UTC' }, maxBuffer: 16 << 20 },
      (error, _stdout, stderr) => {
        if (error === null) resolve()
        else reject(new Error(`the release's writer failed: ${error.message}\n${stderr}`))
      },
    )
  })
}

/**
 * The structure of a PostgreSQL schema, without oids or the schema's name, for comparing a
 * migrated schema with a fresh one: columns (by name: ALTER TABLE appends, so a migrated table's
 * audit columns may sit before a column a later step added), constraints, indexes, triggers and
 * function bodies. `skipTables` leaves out tables such as dedicated ones.
 */
export async function schemaStructure(
  db: Kysely<never>,
  schema: string,
  skipTables: readonly string[] = [],
): Promise<string[]> {
  const { rows } = await sql<{ entry: string }>`
    WITH ns AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ${schema}),
    tables AS (
      SELECT c.oid, c.relname FROM pg_catalog.pg_class c
      WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p')
        AND NOT (c.relname = ANY (${[...skipTables]}::text[]))
    )
    SELECT 'column ' || t.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
        || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS entry
      FROM pg_catalog.pg_attribute a JOIN tables t ON t.oid = a.attrelid
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    -- PostgreSQL 18 (PGlite) also records NOT NULL as named constraints; the column entries
    -- already say it, and the generated names depend on what else existed at the time.
    SELECT 'constraint ' || t.relname || '.' || c.conname || ' ' || pg_get_constraintdef(c.oid)
      FROM pg_catalog.pg_constraint c JOIN tables t ON t.oid = c.conrelid WHERE c.contype <> 'n'
    UNION ALL
    SELECT 'index ' || t.relname || ' ' || pg_get_indexdef(i.indexrelid)
      FROM pg_catalog.pg_index i JOIN tables t ON t.oid = i.indrelid
    UNION ALL
    SELECT 'trigger ' || t.relname || ' ' || pg_get_triggerdef(g.oid)
      FROM pg_catalog.pg_trigger g JOIN tables t ON t.oid = g.tgrelid WHERE NOT g.tgisinternal
    UNION ALL
    SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '
        || md5(p.prosrc)
      FROM pg_catalog.pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
    ORDER BY 1
  `.execute(db)
  const qualified = new RegExp(`\\b${schema}\\.`, 'g')
  return rows.map((row) => row.entry.replace(qualified, ''))
}

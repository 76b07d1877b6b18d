import type { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import type { Backend } from './backend.ts'
import { withDedicatedConnection } from './held-connection.ts'
import { statementLog, type QueryLogOptions } from './query-log.ts'
import type { CheapDatabase } from '../schema/database.ts'
import { quoteIdentifier } from '../schema/identifiers.ts'
import { createPgliteConfig, type PgliteProtocolTarget } from './pglite-bridge.ts'
import { CHEAP_TYPE_PARSERS } from './type-parsers.ts'
import { preparePgliteRuntime } from './pglite-runtime.ts'

/**
 * The part of a PGlite instance the adapter uses; a `PGlite` from '@electric-sql/pglite' fits.
 * Declared here so that the package's type declarations do not pull in PGlite's, which need
 * the Emscripten and DOM types and so fail a consumer compiling with `skipLibCheck: false`.
 */
export interface EmbeddedPglite extends PgliteProtocolTarget {
  readonly closed: boolean
  exec(query: string): Promise<unknown>
  close(): Promise<void>
}

export interface PgliteBackendOptions extends QueryLogOptions {
  /** A directory for the data files; in memory when absent. */
  readonly dataDir?: string | undefined
  /** An instance to use instead of creating one; the backend takes it over and closes it. */
  readonly pglite?: EmbeddedPglite | undefined
}

/** A new PGlite, loaded on first use: a process on a server never loads the WASM module. */
async function createPglite(dataDir: string | undefined): Promise<EmbeddedPglite> {
  await preparePgliteRuntime()
  const { PGlite: Pglite } = await import('@electric-sql/pglite')
  const created: PGlite = dataDir === undefined ? new Pglite() : new Pglite(dataDir)
  return created
}

/**
 * PGlite under Kysely's own PostgresDialect, through a node-postgres bridge (pglite-bridge.ts):
 * the same pg client, parsers, savepoints and cursors as the pg backend, so one DAO code path
 * serves both.
 * PGlite is one session, so the pool has exactly one client.
 */
export async function openPgliteBackend(
  options: PgliteBackendOptions,
  schema: string,
): Promise<Backend> {
  // A given instance was made by the caller, but the process may still make more of them.
  if (options.pglite !== undefined) await preparePgliteRuntime()
  const pglite = options.pglite ?? (await createPglite(options.dataDir))
  await pglite.waitReady
  // The bridge ignores startup parameters (verified with -c TimeZone=…), so the settings pg gets
  // in its startup packet (SESSION_SETTINGS) are made here, once: PGlite has a single session,
  // so every pool "connection" shares them.
  await pglite.exec(
    "SET TIME ZONE 'UTC'; SET DateStyle = ISO; SET bytea_output = hex; " +
      `SET extra_float_digits = 1; SET search_path TO ${quoteIdentifier(schema)}`,
  )
  const pool = new pg.Pool({
    ...createPgliteConfig(pglite),
    max: 1,
    // Never reap the idle client: every pg client of the bridge shares one connection object.
    idleTimeoutMillis: 0,
    types: CHEAP_TYPE_PARSERS,
  })
  pool.on('error', () => {})
  const log = statementLog(options)
  const db = new Kysely<CheapDatabase>({
    dialect: new PostgresDialect({ pool, cursor: Cursor }),
    ...(log.kysely === undefined ? {} : { log: log.kysely }),
  })
  return {
    kind: 'pglite',
    db,
    target: options.dataDir === undefined ? 'embedded (memory)' : `embedded (${options.dataDir})`,
    withConnection: (work) => withDedicatedConnection(pool, false, work, log),
    poolUse: () => null,
    async execScript(sqlText) {
      // Holding the pool's only client keeps Kysely work from interleaving with the script.
      const client = await pool.connect()
      try {
        await pglite.exec(sqlText)
      } catch (error) {
        await pglite.exec('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    async close() {
      try {
        await db.destroy()
        // Kysely ends the pool only if it ever ran a query through it; a call after close must
        // find the pool ended, not reach the closed PGlite instance.
        if (!pool.ending) await pool.end()
      } finally {
        if (!pglite.closed) await pglite.close()
      }
    },
  }
}

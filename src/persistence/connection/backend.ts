import type { Kysely } from 'kysely'
import type { CheapDatabase } from '../schema/database.ts'
import type { DedicatedConnection } from './held-connection.ts'

/** A connection pool's clients: all it holds, the idle ones, and checkouts waiting for one. */
export interface PoolUse {
  readonly total: number
  readonly idle: number
  readonly waiting: number
}

/** What `PostgresAdapter` needs from an engine; one implementation for pg, one for PGlite. */
export interface Backend {
  readonly kind: 'pg' | 'pglite'
  readonly db: Kysely<CheapDatabase>
  /** For messages: password masked, or `embedded (memory)` / `embedded (<dir>)`. */
  readonly target: string
  /** Runs a multi-statement script outside Kysely (simple query protocol / PGlite `exec`). */
  execScript(sqlText: string): Promise<void>
  /** Holds one pooled connection for `work` (a save): its Kysely, and COPY on the server. */
  withConnection<T>(work: (connection: DedicatedConnection) => Promise<T>): Promise<T>
  /** The pool's clients now (pg.Pool's counts); null where there is no pool (PGlite). */
  poolUse(): PoolUse | null
  /** Ends the pool (and the PGlite instance); called once. */
  close(): Promise<void>
}

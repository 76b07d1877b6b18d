import {
  CompiledQuery,
  Kysely,
  PostgresAdapter as KyselyPostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
  type DatabaseConnection,
  type Driver,
  type IsolationLevel,
  type QueryResult,
} from 'kysely'
import type { CheapDatabase } from '../schema/database.ts'

/**
 * One open transaction on a held connection, as a `Kysely<CheapDatabase>` the DAO's internal
 * functions take as they are: each of them opens its own transaction with `db.transaction()`,
 * which here becomes a SAVEPOINT of the open one (released on success, rolled back to on a
 * throw). So a function that is one transaction on its own is one atomic step inside
 * `dao.transaction`, and a failed step leaves the transaction usable.
 */
export interface OpenTransaction {
  readonly db: Kysely<CheapDatabase>
  /** Runs `step` in a savepoint of its own: all of it, or (it threw) none of it. */
  atomic<R>(step: () => Promise<R>): Promise<R>
  commit(): Promise<void>
  rollback(): Promise<void>
}

/**
 * Begins a transaction on `held` (a Kysely bound to one connection) and returns it. Steps must
 * run one at a time: savepoints nest by order, so the caller serialises them.
 */
export async function beginTransaction(
  held: Kysely<CheapDatabase>,
  isolation: IsolationLevel = 'read committed',
): Promise<OpenTransaction> {
  await sql.raw(`begin isolation level ${isolation}`).execute(held)
  let depth = 1
  const run = (text: string) => held.executeQuery(CompiledQuery.raw(text)).then(() => undefined)
  const savepoint = () => run(`savepoint cheap_tx_${depth++}`)
  const release = () => run(`release savepoint cheap_tx_${--depth}`)
  const rollbackTo = async () => {
    const name = `cheap_tx_${--depth}`
    await run(`rollback to savepoint ${name}`)
    await run(`release savepoint ${name}`)
  }
  const connection: DatabaseConnection = {
    executeQuery: <R>(query: CompiledQuery) => held.executeQuery<R>(query),
    streamQuery: <R>(query: CompiledQuery, chunkSize?: number) =>
      held.getExecutor().stream(query, chunkSize ?? 100) as AsyncIterableIterator<QueryResult<R>>,
  }
  const driver: Driver = {
    init: () => Promise.resolve(),
    acquireConnection: () => Promise.resolve(connection),
    releaseConnection: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
    // Isolation and access mode are the outer transaction's: a savepoint cannot change them.
    beginTransaction: () => savepoint(),
    commitTransaction: () => release(),
    rollbackTransaction: () => rollbackTo(),
  }
  const db = new Kysely<CheapDatabase>({
    dialect: {
      createDriver: () => driver,
      createQueryCompiler: () => new PostgresQueryCompiler(),
      createAdapter: () => new KyselyPostgresAdapter(),
      createIntrospector: (k) => new PostgresIntrospector(k),
    },
  })
  return {
    db,
    async atomic(step) {
      await savepoint()
      let result
      try {
        result = await step()
      } catch (error) {
        // On a broken connection this fails too; the step's own error is the one to report.
        await rollbackTo().catch(() => undefined)
        throw error
      }
      await release()
      return result
    },
    commit: () => run('commit'),
    rollback: () => run('rollback'),
  }
}

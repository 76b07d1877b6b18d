import { CheapValidationError } from '../../errors.ts'
import type { Catalog } from '../../model/catalog.ts'
import {
  getCatalogState,
  restoreCatalogState,
  setCatalogState,
  snapshotCatalog,
} from '../catalog/catalog-state.ts'
import type { PostgresAdapter } from '../connection/adapter.ts'
import type { DedicatedConnection } from '../connection/held-connection.ts'
import { beginTransaction, type OpenTransaction } from '../connection/nested-transaction.ts'
import { satisfies, type ReadTarget } from '../connection/replicas.ts'
import type { SmallPartial } from '../partial/aspects.ts'
import { quoteIdentifier } from '../schema/identifiers.ts'
import { TABLE_NAMES, TABLES } from '../schema/tables.ts'
import type { DefVersionCache } from '../store/def-versions.ts'
import {
  ISOLATIONS,
  SMALL_ASPECT_LOAD_IDS,
  SMALL_ASPECT_UPSERTS,
  SMALL_SAVE_ROWS,
  type SmallCatalogPath,
  type TransactionOptions,
} from './options.ts'
import { storeContextOf, type StoreContext } from './store-context.ts'

/** The transaction a session made by {@link DaoSession.transaction} is bound to. */
interface BoundTransaction {
  readonly open: OpenTransaction
  readonly connection: DedicatedConnection
  /** Steps run one after the other (savepoints nest by order); each waits for the one before. */
  queue: Promise<void>
  done: boolean
  /** What the process learns only if the transaction commits (revisions seen). */
  readonly afterCommit: (() => void)[]
  /** Catalog objects' states to put back if it rolls back. */
  readonly onRollback: (() => void)[]
}

/**
 * What every call of a PostgresDao goes through, decided once here instead of in each call: the
 * schema check and the mapping of driver errors (`run`), where a read goes (`read`: a replica or
 * the primary), what the process learns from a call's revision (read-your-writes), and the
 * transaction of `dao.transaction` when there is one. The facade (postgres-dao.ts) only names
 * the calls; the calls (the *-calls.ts files beside it) only say what they do.
 */
export class DaoSession {
  readonly adapter: PostgresAdapter
  readonly #context: StoreContext
  /** The key of the database a catalog object's optimistic-locking state belongs to. */
  readonly key: string
  readonly smallPath: SmallCatalogPath
  readonly #tx: BoundTransaction | undefined

  constructor(adapter: PostgresAdapter, smallPath: SmallCatalogPath, tx?: BoundTransaction) {
    this.adapter = adapter
    this.#context = storeContextOf(adapter)
    this.key = `${adapter.target}#${adapter.schema}`
    this.smallPath = smallPath
    this.#tx = tx
  }

  /** The cache of stored AspectDef versions every DAO of this adapter and schema shares. */
  get versions(): DefVersionCache {
    return this.#context.versions
  }

  /** The revisions this process has seen (kept only with read replicas). */
  get seen(): StoreContext['seen'] {
    return this.#context.seen
  }

  /** The primary's Kysely: the transaction's inside one. */
  get db(): PostgresAdapter['db'] {
    return this.#tx?.open.db ?? this.adapter.db
  }

  get inTransaction(): boolean {
    return this.#tx !== undefined
  }

  /**
   * Runs `call` after the schema check, mapping driver errors with `context` in messages: the
   * one place where errors of every call are mapped. In a transaction, `call` is one step of
   * it, in a savepoint of its own, after the steps before.
   */
  async run<R>(context: string, call: () => Promise<R>): Promise<R> {
    const tx = this.#tx
    if (tx !== undefined) {
      if (tx.done) {
        throw new CheapValidationError(
          `${context}: the transaction this DAO belongs to has ended; use the DAO it was started from`,
          { reason: 'INVALID_ARGUMENT' },
        )
      }
      const step = tx.queue.then(() => tx.open.atomic(call))
      tx.queue = step.then(
        () => undefined,
        () => undefined,
      )
      try {
        return await step
      } catch (error) {
        throw this.adapter.mapError(error, context)
      }
    }
    try {
      await this.#context.ensureSchema(this.adapter)
      return await call()
    } catch (error) {
      throw this.adapter.mapError(error, context)
    }
  }

  /**
   * Runs a pure read: on a replica when the adapter has any and no transaction is open, else on
   * the primary (ReplicaSet decides, see its notes). `catalogId` names the catalog whose revision
   * the process has seen (read-your-writes); `fresh` checks an answer against what it has seen.
   */
  read<R>(
    context: string,
    catalogId: string | undefined,
    read: (target: ReadTarget) => Promise<R>,
    fresh?: (result: R) => boolean,
  ): Promise<R> {
    const replicas = this.adapter.replicaSet
    // What every replica has replayed needs no freshness check: forget it (bounded memory).
    if (replicas !== undefined) this.#context.seen.trim(replicas.caughtUpAt())
    return this.run(context, () =>
      replicas === undefined || this.#tx !== undefined
        ? read(this.primary())
        : replicas.read(
            catalogId,
            catalogId === undefined ? undefined : this.#context.seen.get(catalogId),
            read,
            fresh,
          ),
    )
  }

  /** A partial write: its result's revision is one the process has seen. */
  async write<R extends { readonly revision: bigint }>(
    catalogId: string,
    context: string,
    call: () => Promise<R>,
  ): Promise<R> {
    const result = await this.run(context, call)
    this.saw(catalogId, result.revision)
    return result
  }

  /** The primary as a read target: the transaction's connection inside one. */
  primary(): ReadTarget {
    return { db: this.db, withConnection: (work) => this.withConnection(work) }
  }

  /** A held connection: the transaction's inside one (its Kysely runs in the transaction). */
  withConnection<T>(work: (connection: DedicatedConnection) => Promise<T>): Promise<T> {
    const tx = this.#tx
    if (tx === undefined) return this.adapter.withConnection(work)
    return work({
      db: tx.open.db,
      copyIn: tx.connection.copyIn,
      prepared: (name, text, values) => tx.connection.prepared(name, text, values),
    })
  }

  /** Runs `learn` now, or once the transaction commits. */
  #afterCommit(learn: () => void): void {
    if (this.#tx === undefined) learn()
    else this.#tx.afterCommit.push(learn)
  }

  /** Records that the process has seen revision `revision` of a catalog (once committed). */
  saw(catalogId: string, revision: bigint | null | undefined): void {
    if (this.adapter.replicaSet === undefined || revision === null || revision === undefined) {
      return
    }
    this.#afterCommit(() => this.#context.seen.saw(catalogId, revision))
  }

  /** Records that a catalog is no longer stored (deleted or expired), once committed. */
  gone(catalogId: string): void {
    if (this.adapter.replicaSet === undefined) return
    this.#afterCommit(() => this.#context.seen.deleted(catalogId))
  }

  /** Records that a catalog the process had seen is gone, when the primary says it is. */
  goneIfSeen(catalogId: string): void {
    if (this.#context.seen.get(catalogId) !== undefined) this.gone(catalogId)
  }

  /** True when a read's answer `revision` is not older than what the process has seen. */
  freshFor(catalogId: string): (revision: bigint | null) => boolean {
    const seen = this.#context.seen.get(catalogId)
    return (revision) => seen === undefined || satisfies(revision, seen)
  }

  /** A catalog object's state (its revision, for optimistic locking), undone on rollback. */
  setState(catalog: Catalog, revision: bigint): void {
    if (this.#tx !== undefined) {
      const before = getCatalogState(catalog, this.key)
      this.#tx.onRollback.push(() => restoreCatalogState(catalog, this.key, before))
    }
    setCatalogState(catalog, this.key, snapshotCatalog(catalog, revision))
  }

  /** Up to how many rows a whole-catalog save takes the one-statement path. */
  get smallSaveRows(): number {
    if (this.smallPath === 'never') return 0
    return this.smallPath === 'always' ? Number.POSITIVE_INFINITY : SMALL_SAVE_ROWS
  }

  /**
   * The few-aspects path of loadAspects and upsertAspects, unless `smallCatalogs: 'never'`, on
   * the connections of `target`: a replica's or the primary's for a read, the transaction's
   * inside `dao.transaction` (never a connection of the adapter's own, which would escape both).
   */
  smallPartial(target: Pick<ReadTarget, 'withConnection'>): SmallPartial | undefined {
    if (this.smallPath === 'never') return undefined
    const always = this.smallPath === 'always'
    return {
      withConnection: (work) => target.withConnection(work),
      maxLoadIds: always ? Number.POSITIVE_INFINITY : SMALL_ASPECT_LOAD_IDS[this.adapter.kind],
      maxUpsertAspects: always ? Number.POSITIVE_INFINITY : SMALL_ASPECT_UPSERTS[this.adapter.kind],
    }
  }

  /**
   * Refreshes the planner's statistics of the bulk tables after a large save (after the commit
   * of the transaction it is in). Fresh tables look empty to the planner (PGlite runs no
   * autovacuum at all), and single-aspect reads then filter a whole AspectMap instead of probing
   * the key.
   */
  async analyzeAfterCommit(): Promise<void> {
    const tables = TABLE_NAMES.filter((t) => TABLES[t].group === 'catalog').map((t) =>
      quoteIdentifier(t),
    )
    // Best effort, after the commit: a failure here must not report a committed save as failed.
    const analyze = () => this.adapter.execScript(`ANALYZE ${tables.join(', ')}`).catch(() => {})
    if (this.#tx === undefined) await analyze()
    else this.#tx.afterCommit.push(() => void analyze())
  }

  /**
   * Runs `fn` with `bind` of a session bound to one new transaction on the primary (the DAO
   * `fn` is given); commits when it returns, rolls back (and puts catalog objects' states back)
   * when it throws.
   */
  async transaction<T, R>(
    fn: (tx: T) => Promise<R>,
    options: TransactionOptions,
    bind: (session: DaoSession) => T,
  ): Promise<R> {
    if (typeof fn !== 'function') {
      throw new CheapValidationError(`transaction expects a function, got ${typeof fn}`, {
        reason: 'INVALID_ARGUMENT',
      })
    }
    if (this.#tx !== undefined) {
      throw new CheapValidationError(
        'transaction: this DAO already runs in a transaction; call its methods directly',
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    const isolation = options.isolation ?? 'read committed'
    if (!(ISOLATIONS as readonly string[]).includes(isolation)) {
      throw new CheapValidationError(
        `transaction: isolation must be one of ${ISOLATIONS.join(', ')}, got ${JSON.stringify(isolation)}`,
        { reason: 'INVALID_ARGUMENT' },
      )
    }
    const afterCommit: (() => void)[] = []
    const onRollback: (() => void)[] = []
    const result = await this.run('running a transaction', () =>
      this.adapter.withConnection(async (connection) => {
        const open = await beginTransaction(connection.db, isolation)
        const bound: BoundTransaction = {
          open,
          connection,
          queue: Promise.resolve(),
          done: false,
          afterCommit,
          onRollback,
        }
        let value: R
        try {
          value = await fn(bind(new DaoSession(this.adapter, this.smallPath, bound)))
          // A step `fn` started and did not await still belongs to the transaction.
          await bound.queue
          bound.done = true
          await open.commit()
        } catch (error) {
          bound.done = true
          await bound.queue
          await open.rollback().catch(() => undefined)
          for (const undo of onRollback.reverse()) undo()
          throw error
        }
        return value
      }),
    )
    for (const learn of afterCommit) learn()
    return result
  }
}

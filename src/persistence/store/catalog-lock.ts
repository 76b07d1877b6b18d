import { sql, type Kysely } from 'kysely'
import { CheapConflictError, CheapNotFoundError, CheapValidationError } from '../../errors.ts'
import { HIERARCHY_TYPES, type HierarchyTypeCode } from '../../model/hierarchy/hierarchy-type.ts'
import { withArticle } from '../../model/names.ts'
import type { Transaction } from 'kysely'
import type { CheapDatabase } from '../schema/database.ts'
import { TABLES } from '../schema/tables.ts'
import { DedicatedTableReplaced } from './dedicated/table.ts'
import { notExpired } from './expiry.ts'

type Executor = Kysely<CheapDatabase>

/** A hierarchy row as partial calls need it. */
export interface StoredHierarchy {
  readonly name: string
  readonly type: HierarchyTypeCode
  readonly version: bigint
  /** Set exactly for an AspectMap (AM). */
  readonly aspectDefId: string | null
  /** The catalog-local id its contents are keyed by. */
  readonly hierarchyId: number
}

/**
 * Share-locks the AspectDef identity rows named `names` (`FOR KEY SHARE`, in id order): writers
 * of a def's data take it first, before the catalog row, so a schema operation on the def
 * (`FOR UPDATE`: map, unmap, evolve, delete) waits for them and they wait for it; see
 * docs/LOCKING.md. An AspectMap is named by its def, so partial writes lock by map name.
 */
export async function lockDefsByName(trx: Executor, names: readonly string[]): Promise<void> {
  if (names.length === 0) return
  await sql`select 1 from aspect_def where name = any(${[...names]}::text[]) order by aspect_def_id for key share`.execute(
    trx,
  )
}

/**
 * Share-locks, in one statement and in id order, the defs named `names` and every def the
 * stored catalog `catalogId` is pinned to: a writer that replaces or deletes a catalog deletes
 * the values of defs it no longer names too, so it must hold those defs' data locks as well.
 * Returns the ids locked; check them with {@link checkPinsLocked} once the catalog row is
 * locked. One ordered statement, never two: two writers taking share locks in different orders
 * could each queue behind a schema operation waiting for the other (docs/LOCKING.md).
 */
export async function lockCatalogDefs(
  trx: Executor,
  catalogId: string,
  names: readonly string[],
): Promise<ReadonlySet<string>> {
  const rows = await sql<{ aspect_def_id: string }>`select aspect_def_id from aspect_def
    where name = any(${[...names]}::text[])
      or aspect_def_id in (select aspect_def_id from catalog_aspect_def where catalog_id = ${catalogId}::uuid)
    order by aspect_def_id for key share`.execute(trx)
  return new Set(rows.rows.map((r) => r.aspect_def_id))
}

/**
 * Thrown inside a writer's transaction when the catalog, once its row was locked, turns out to
 * be pinned to a def whose data lock the writer does not hold (another writer added the def
 * between the two statements). Never leaves this module's callers: {@link retryOnPinsChanged}
 * rolls back and runs the writer again, which then locks that def too.
 */
export class PinsChanged extends Error {
  constructor(catalogId: string) {
    super(`internal: the AspectDefs of catalog ${catalogId} changed while its writer locked them`)
  }
}

/**
 * With the catalog row locked (its pins cannot change any more), checks that every def it is
 * pinned to is among `locked`; throws {@link PinsChanged} otherwise.
 */
export async function checkPinsLocked(
  trx: Executor,
  catalogId: string,
  locked: ReadonlySet<string>,
): Promise<void> {
  const rows = await sql<{ aspect_def_id: string }>`select aspect_def_id from catalog_aspect_def
    where catalog_id = ${catalogId}::uuid and not (aspect_def_id = any(${[...locked]}::uuid[]))
    limit 1`.execute(trx)
  if (rows.rows.length > 0) throw new PinsChanged(catalogId)
}

/** How often a writer is run again when the catalog's defs changed under it. */
const PIN_ATTEMPTS = 5

/**
 * Runs `write` (one transaction), again when it threw {@link PinsChanged}; after
 * {@link PIN_ATTEMPTS} such attempts, a retryable {@link CheapConflictError}.
 */
export async function retryOnPinsChanged<R>(
  catalogId: string,
  write: () => Promise<R>,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write()
    } catch (error) {
      if (!(error instanceof PinsChanged)) throw error
      if (attempt >= PIN_ATTEMPTS) {
        throw new CheapConflictError(
          `catalog ${catalogId} kept gaining AspectDefs from other writers while this call locked them (${PIN_ATTEMPTS} attempts); try again`,
        )
      }
    }
  }
}

/**
 * Takes the schema-operation lock of a def: its identity row `FOR UPDATE`, which waits for every
 * writer of the def's data (they hold `FOR KEY SHARE`) and keeps new ones out until this
 * transaction ends (docs/LOCKING.md). Returns the def's id, or undefined when none is named so.
 */
export async function lockDefForSchemaChange(
  trx: Executor,
  name: string,
): Promise<string | undefined> {
  const row = await trx
    .selectFrom('aspect_def')
    .select('aspect_def_id')
    .where('name', '=', name)
    .forUpdate()
    .executeTakeFirst()
  return row?.aspect_def_id
}

/** What a partial write returns to {@link partialWrite}: its result and the rows it touched. */
export interface PartialWriteOutcome<R> {
  readonly result: R
  /** Rows inserted, updated or deleted; recorded in `catalog_revision.rows_written`. */
  readonly rowsWritten: number
}

/** What a partial write's body gets: the catalog's new revision, and aspect ids reserved for it. */
export interface PartialWriteContext {
  readonly revision: bigint
  /** The first of the `reserve` aspect ids reserved by this write (unused ones are skipped). */
  readonly firstAspectId: number
}

/**
 * Runs one partial write of a catalog in one transaction. The AspectDefs it touches are
 * share-locked first ({@link lockDefsByName}); then one statement bumps `catalog.revision` by
 * one and reserves `reserve` aspect ids (`update … returning`, which also locks the catalog row,
 * so partial writers and whole-catalog saves of the same catalog serialise); a missing catalog
 * is a {@link CheapNotFoundError}. `body` then reads and writes with those locks held, and a
 * `catalog_revision` row with operation `partial` is written last. Anything thrown rolls the
 * whole call back, the revision bump included.
 */
export async function partialWrite<R>(
  db: Executor,
  catalogId: string,
  /** The AspectDefs (by name) whose data the write touches. */
  defNames: readonly string[],
  reserve: number,
  body: (
    trx: Transaction<CheapDatabase>,
    ctx: PartialWriteContext,
  ) => Promise<PartialWriteOutcome<R>>,
): Promise<R & { readonly revision: bigint }> {
  return db.transaction().execute(async (trx) => {
    await lockDefsByName(trx, defNames)
    const bumped = await trx
      .updateTable('catalog')
      .set((eb) => ({
        revision: eb('revision', '+', 1n),
        next_aspect_id: eb('next_aspect_id', '+', BigInt(reserve)),
      }))
      .where('catalog_id', '=', catalogId)
      .where(notExpired())
      .returning(['revision', 'next_aspect_id'])
      .executeTakeFirst()
    if (bumped === undefined) throw catalogNotFound(catalogId)
    const revision = bumped.revision
    const { result, rowsWritten } = await body(trx, {
      revision,
      firstAspectId: Number(bumped.next_aspect_id) - reserve,
    })
    await recordPartialRevision(trx, catalogId, revision, rowsWritten)
    return { ...result, revision }
  })
}

/** The `catalog_revision` row of a partial write, written last. */
export async function recordPartialRevision(
  trx: Executor,
  catalogId: string,
  revision: bigint,
  rowsWritten: number,
): Promise<void> {
  await trx
    .insertInto('catalog_revision')
    .values({
      catalog_id: catalogId,
      revision,
      operation: 'partial',
      rows_written: BigInt(rowsWritten),
    })
    .execute()
}

/** How often a read is tried again when a schema operation dropped a table under it. */
const READ_ATTEMPTS = 5

/**
 * Runs `body` in one read-only REPEATABLE READ transaction (one consistent snapshot). A read
 * whose snapshot still saw a dedicated table that an unmapAspectDef dropped before the read got
 * to it (SQLSTATE 42P01 on a table the snapshot's own mappings name) is run again in a new
 * snapshot, which sees the values where they are now: a read never fails because of a schema
 * operation (docs/LOCKING.md). So is one whose snapshot's version of a def names a dedicated
 * column an evolveAspectDef dropped meanwhile (42703), one whose dedicated table was dropped and
 * made again under the same name (an unmap then a map: the new table's rows are invisible to the
 * old snapshot, so the read would find nothing; {@link DedicatedTableReplaced}), and one
 * PostgreSQL chose as a deadlock
 * victim (reads take no row locks, so that is a safety net, not an expected path). After {@link READ_ATTEMPTS} such
 * failures in a row the read gives up with a retryable CheapConflictError, never a
 * SCHEMA_MISMATCH that would send the user to createSchema. The catalog is not checked here:
 * {@link requireHierarchy} tells a missing catalog from a missing hierarchy.
 */
export async function readOnlySnapshot<R>(
  db: Executor,
  body: (trx: Transaction<CheapDatabase>) => Promise<R>,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute(body)
    } catch (error) {
      const droppedColumn = sqlState(error) === '42703'
      const replaced = error instanceof DedicatedTableReplaced
      if (!isDroppedDedicatedTable(error) && !isDeadlock(error) && !droppedColumn && !replaced)
        throw error
      if (attempt >= READ_ATTEMPTS) {
        // A column that stays missing in fresh snapshots is not a race: report it as it is.
        if (droppedColumn) throw error
        throw new CheapConflictError(
          `the storage of an AspectDef kept changing under this read (mapped, unmapped or dropped by other sessions, ${READ_ATTEMPTS} attempts); try again`,
          { cause: error },
        )
      }
    }
  }
}

function sqlState(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { code?: unknown }).code
    : undefined
}

/** 42P01 (undefined_table) naming a table other than ours: a dedicated table dropped meanwhile. */
function isDroppedDedicatedTable(error: unknown): boolean {
  if (sqlState(error) !== '42P01') return false
  const message = (error as { message?: unknown }).message
  if (typeof message !== 'string') return false
  const table = /relation "(?:[^"]+\.)?([^"]+)" does not exist/.exec(message)?.[1]
  return table !== undefined && !(table in TABLES)
}

function isDeadlock(error: unknown): boolean {
  return sqlState(error) === '40P01'
}

export function catalogNotFound(catalogId: string): CheapNotFoundError {
  return new CheapNotFoundError(`catalog ${catalogId} is not stored`)
}

/**
 * The hierarchy `name` of the catalog, which must be of one of `types`: a missing one (or a
 * missing catalog) is a {@link CheapNotFoundError}, one of another type a
 * {@link CheapValidationError} `WRONG_HIERARCHY`. `call` names the operation in messages.
 */
export async function requireHierarchy<T extends HierarchyTypeCode>(
  trx: Executor,
  catalogId: string,
  name: string,
  types: readonly T[],
  call: string,
): Promise<StoredHierarchy & { readonly type: T }> {
  const row = await trx
    .selectFrom('hierarchy')
    .select(['hierarchy_type', 'version_number', 'aspect_def_id', 'hierarchy_id'])
    .where('catalog_id', '=', catalogId)
    .where('name', '=', name)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('catalog as c')
          .select('c.revision')
          .where('c.catalog_id', '=', catalogId)
          .where(notExpired('c')),
      ),
    )
    .executeTakeFirst()
  if (row === undefined) {
    const catalog = await trx
      .selectFrom('catalog')
      .select('revision')
      .where('catalog_id', '=', catalogId)
      .where(notExpired())
      .executeTakeFirst()
    if (catalog === undefined) throw catalogNotFound(catalogId)
    const what =
      types.length === 1 && types[0] === 'AM'
        ? `AspectMap for the AspectDef '${name}'`
        : `hierarchy named ${JSON.stringify(name)}`
    throw new CheapNotFoundError(`catalog ${catalogId} has no ${what}`)
  }
  const type = row.hierarchy_type as HierarchyTypeCode
  if (!(types as readonly HierarchyTypeCode[]).includes(type)) {
    const wanted = types.map((t) => `${HIERARCHY_TYPES[t].name} (${t})`).join(' or ')
    const actual = HIERARCHY_TYPES[type]
    throw new CheapValidationError(
      `${call}: hierarchy ${JSON.stringify(name)} of catalog ${catalogId} is ${withArticle(`${actual.name} (${actual.code})`)}, not ${withArticle(wanted)}`,
      { reason: 'WRONG_HIERARCHY' },
    )
  }
  return {
    name,
    type: type as T,
    version: row.version_number,
    aspectDefId: row.aspect_def_id,
    hierarchyId: row.hierarchy_id,
  }
}

import { sql, type Kysely } from 'kysely'
import { CheapNotFoundError, CheapValidationError } from '../../errors.ts'
import { HIERARCHY_TYPES, type HierarchyTypeCode } from '../../model/hierarchy/hierarchy-type.ts'

type Executor = Kysely<unknown>

/** A hierarchy row as partial calls need it. */
export interface StoredHierarchy {
  readonly name: string
  readonly type: HierarchyTypeCode
  readonly version: bigint
  /** Set exactly for an AspectMap (AM). */
  readonly aspectDefId: string | null
}

/** What a partial write returns to {@link partialWrite}: its result and the rows it touched. */
export interface PartialWriteOutcome<R> {
  readonly result: R
  /** Rows inserted, updated or deleted; recorded in `catalog_revision.rows_written`. */
  readonly rowsWritten: number
}

/**
 * Runs one partial write of a catalog in one transaction. The first statement bumps
 * `catalog.revision` by one (`update … returning`, which also locks the catalog row, so partial
 * writers and whole-catalog saves of the same catalog serialise); a missing catalog is a
 * {@link CheapNotFoundError}. `body` then reads and writes with that lock held, and a
 * `catalog_revision` row with operation `partial` is written last. Anything thrown rolls the
 * whole call back, the revision bump included.
 */
export async function partialWrite<R>(
  db: Executor,
  catalogId: string,
  body: (trx: Executor, revision: bigint) => Promise<PartialWriteOutcome<R>>,
): Promise<R & { readonly revision: bigint }> {
  return db.transaction().execute(async (trx) => {
    const bumped = await sql<{
      revision: bigint
    }>`update catalog set revision = revision + 1 where catalog_id = ${catalogId}::uuid returning revision`.execute(
      trx,
    )
    const revision = bumped.rows[0]?.revision
    if (revision === undefined) throw catalogNotFound(catalogId)
    const { result, rowsWritten } = await body(trx, revision)
    await sql`insert into catalog_revision (catalog_id, revision, operation, rows_written) values (${catalogId}::uuid, ${revision}::int8, 'partial', ${rowsWritten}::int8)`.execute(
      trx,
    )
    return { ...result, revision }
  })
}

/**
 * Runs `body` in one read-only REPEATABLE READ transaction (one consistent snapshot). The catalog
 * is not checked here: {@link requireHierarchy} tells a missing catalog from a missing hierarchy.
 */
export async function partialRead<R>(
  db: Executor,
  body: (trx: Executor) => Promise<R>,
): Promise<R> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(body)
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
  const rows = await sql<{
    hierarchy_type: HierarchyTypeCode
    version_number: bigint
    aspect_def_id: string | null
  }>`select hierarchy_type, version_number, aspect_def_id from hierarchy where catalog_id = ${catalogId}::uuid and name = ${name}`.execute(
    trx,
  )
  const row = rows.rows[0]
  if (row === undefined) {
    const catalog = await sql`select 1 from catalog where catalog_id = ${catalogId}::uuid`.execute(
      trx,
    )
    if (catalog.rows.length === 0) throw catalogNotFound(catalogId)
    const what =
      types.length === 1 && types[0] === 'AM'
        ? `an AspectMap for the AspectDef '${name}'`
        : `a hierarchy named ${JSON.stringify(name)}`
    throw new CheapNotFoundError(`catalog ${catalogId} has no ${what}`)
  }
  if (!(types as readonly HierarchyTypeCode[]).includes(row.hierarchy_type)) {
    const wanted = types.map((t) => `${HIERARCHY_TYPES[t].name} (${t})`).join(' or ')
    const actual = HIERARCHY_TYPES[row.hierarchy_type]
    throw new CheapValidationError(
      `${call}: hierarchy ${JSON.stringify(name)} of catalog ${catalogId} is an ${actual.name} (${actual.code}), not an ${wanted}`,
      { reason: 'WRONG_HIERARCHY' },
    )
  }
  return {
    name,
    type: row.hierarchy_type as T,
    version: row.version_number,
    aspectDefId: row.aspect_def_id,
  }
}

import { sql, type Kysely, type Transaction } from 'kysely'
import { CheapConflictError } from '../../errors.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef } from '../../model/aspect-def.ts'
import type { Catalog } from '../../model/catalog.ts'
import type { EntityId } from '../../model/entity.ts'
import type { Hierarchy } from '../../model/hierarchy/index.ts'
import type { CopyIn, DedicatedConnection } from '../connection/held-connection.ts'
import type { CheapDatabase } from '../schema/database.ts'
import {
  ASPECT,
  aspectRows,
  replaceAspectValues,
  writeAspectValues,
} from '../store/aspect-store.ts'
import { countRows, type AspectSlice } from '../store/aspect-values.ts'
import { writeRows } from '../store/bulk-write.ts'
import { CATALOG_ASPECT_DEF, HIERARCHY } from './catalog-targets.ts'
import { wholeRows, writeWhole, type WholeRows } from './save-small.ts'
import {
  loadVersions,
  refusal,
  resolveDefs,
  shapeConflict,
  versionIn,
  type DefVersionCache,
  type StoredVersion,
} from '../store/def-versions.ts'
import { checkPinsLocked, lockCatalogDefs, retryOnPinsChanged } from '../store/catalog-lock.ts'
import { dedicatedTablesOf, type DedicatedTable } from '../store/dedicated/table.ts'
import { deleteUnreferencedEntities } from '../store/entity-gc.ts'
import {
  CONTENT_TABLES,
  ENTITY,
  entitiesOf,
  nodesOf,
  writeContents,
} from '../store/hierarchy-rows.ts'
import { getCatalogState } from './catalog-state.ts'
import { expiryChange, expiryValue, notExpired, type ExpiryOptions } from '../store/expiry.ts'
import { CallProgress, type CatalogCallOptions } from './progress.ts'
import { fullPlan, incrementalPlan, isEmptyPlan, validatePlan, type SavePlan } from './save-plan.ts'

type Db = Kysely<CheapDatabase>
type Trx = Transaction<CheapDatabase>

/**
 * The options of `saveCatalog`. With `signal` and `onProgress` ({@link CatalogCallOptions}): a
 * save reports `phase: 'write'` events with `rowsTotal` from its first event on (the rows it
 * planned; an incremental re-save learns it at its last event), and an abort rolls it back.
 */
export interface SaveCatalogOptions extends ExpiryOptions, CatalogCallOptions {
  /** Overwrite whatever is stored, whatever its revision. */
  readonly force?: boolean
  /**
   * The stored revision this save expects. Defaults to the revision at which this catalog
   * object was loaded or last saved through the same database; a catalog object never seen by
   * the DAO expects that no catalog with its id is stored.
   */
  readonly expectedRevision?: bigint
}

export interface SaveCatalogResult {
  /** The catalog's stored revision after this save. */
  readonly revision: bigint
  /**
   * `insert`: the catalog was new; `full`: its stored contents were replaced by this object's;
   * `incremental`: only what changed since it was loaded or last saved was written.
   */
  readonly mode: 'insert' | 'full' | 'incremental'
  /** Rows sent to the database (inserted or updated), deletions not counted. */
  readonly rowsWritten: number
  /**
   * True when nothing had changed since the catalog was loaded or last saved: nothing was
   * written and the revision stayed as it was, so other holders of the catalog do not conflict.
   */
  readonly unchanged: boolean
}

/** What a save needs from the DAO: a held connection (COPY shares its transaction) and caches. */
export interface SaveContext {
  readonly db: Db
  readonly copyIn: CopyIn | undefined
  readonly versions: DefVersionCache
  /** Which database the catalog's change-tracking state belongs to. */
  readonly databaseKey: string
  /** Named prepared statements on the held connection (the small-catalog path). */
  readonly prepared: DedicatedConnection['prepared']
  /**
   * Whole-catalog writes (inserts and full rewrites) of at most this many rows go in one
   * statement ({@link writeWhole}); 0 never, Infinity always. Incremental re-saves always take
   * the bulk path, which writes only what changed.
   */
  readonly smallRows: number
}

/**
 * Saves a whole catalog in one transaction: the AspectDef versions it uses (found or stored,
 * {@link resolveDefs}), the optimistic-lock check on the catalog row, then the contents
 * set-based (COPY or `unnest`, never a statement per row). A catalog loaded or saved through
 * this database is saved incrementally; one that did not change at all is not written.
 */
export async function saveCatalog(
  ctx: SaveContext,
  catalog: Catalog,
  options: SaveCatalogOptions = {},
): Promise<SaveCatalogResult> {
  const state = getCatalogState(catalog, ctx.databaseKey)
  // Everything that can be checked is checked before the first statement.
  const progress = new CallProgress(
    'write',
    catalog.globalId,
    `saving catalog ${catalog.globalId}`,
    options,
  )
  const expiry = expiryChange(options, 'saveCatalog')
  let plan = state === undefined ? fullPlan(catalog, 'insert') : incrementalPlan(catalog, state)
  validatePlan(plan)
  if (
    state !== undefined &&
    isEmptyPlan(plan) &&
    options.force !== true &&
    expiry.kind === 'keep'
  ) {
    await progress.between()
    const stored = await revisionOf(ctx.db, catalog.globalId)
    const expected = options.expectedRevision ?? state.revision
    if (stored !== expected) throw staleError(catalog, stored, expected)
    progress.finish(0)
    return { revision: state.revision, mode: 'incremental', rowsWritten: 0, unchanged: true }
  }
  return retryOnPinsChanged(catalog.globalId, () => {
    progress.restart()
    // The small path's rows, built once per attempt (ids are allocated from 1 for a new catalog):
    // a rerun must not reuse rows built from def versions its rolled-back attempt stored.
    let small: { rows: WholeRows; from: { aspect: number; hierarchy: number } } | undefined
    const smallRows = (
      versionOf: (def: AspectDef) => StoredVersion,
      aspect: number,
      hierarchy: number,
    ): WholeRows | undefined => {
      if (ctx.smallRows <= 0) return undefined
      if (small !== undefined && small.from.aspect === aspect && small.from.hierarchy === hierarchy)
        return small.rows
      const rows = wholeRows(catalog, versionOf, aspect, hierarchy, ctx.smallRows)
      if (rows !== undefined) small = { rows, from: { aspect, hierarchy } }
      return rows
    }
    let mapped = false
    return ctx.db.transaction().execute(async (trx) => {
      // AspectDefs first (their locks come before the catalog's, docs/LOCKING.md): the defs this
      // catalog uses and those the stored one uses, whose values a replacing save deletes.
      const defs = [...catalog.aspectDefs()]
      const lockedDefs = await lockCatalogDefs(
        trx,
        catalog.globalId,
        defs.map((d) => d.name),
      )
      await progress.between()
      const resolved = await resolveDefs(trx, defs, ctx.versions)
      const versionOf = (def: AspectDef): StoredVersion =>
        (resolved.get(def) as { stored: StoredVersion }).stored
      const versions = [...catalog.aspectDefs()].map(versionOf)
      if (
        plan.mode === 'insert' &&
        (options.force === true || options.expectedRevision === undefined)
      ) {
        // A new catalog (the common case): one statement inserts it unless a row with its id
        // exists, which the checks below then handle exactly as without this attempt.
        const rows = smallRows(versionOf, 1, 1)
        if (rows !== undefined) {
          // The first event, which may abort: before the statement.
          progress.start(rows.count)
          await progress.between()
          const outcome = await writeWhole(
            ctx,
            'insert',
            {
              catalog,
              revision: 1n,
              nextAspectId: BigInt(1 + rows.aspectIds),
              nextHierarchyId: 1 + rows.hierarchies,
              expiry,
              versions,
            },
            rows,
          )
          if (outcome === 'written') {
            progress.finish(rows.count)
            return { revision: 1n, mode: 'insert', rowsWritten: rows.count, unchanged: false }
          }
          mapped = outcome === 'mapped'
        }
      }
      await progress.between()
      let locked = await trx
        .selectFrom('catalog')
        .select(['revision', 'next_aspect_id', 'next_hierarchy_id', notExpired().as('live')])
        .where('catalog_id', '=', catalog.globalId)
        .forUpdate()
        .executeTakeFirst()
      if (locked !== undefined) await checkPinsLocked(trx, catalog.globalId, lockedDefs)
      if (locked !== undefined && !locked.live) {
        // An expired catalog is absent (purged or not): this save inserts a new one in its place.
        await trx.deleteFrom('catalog').where('catalog_id', '=', catalog.globalId).execute()
        locked = undefined
      }
      const stored = locked?.revision
      const expected = options.expectedRevision ?? state?.revision
      if (options.force !== true && stored !== expected) throw staleError(catalog, stored, expected)
      if (stored === undefined && plan.mode !== 'insert') plan = fullPlan(catalog, 'insert')
      else if (stored !== undefined && (plan.mode === 'insert' || stored !== state?.revision))
        plan = fullPlan(catalog, 'full')
      if (stored !== undefined) plan = await checkPins(trx, catalog, plan, versionOf, ctx.versions)
      validatePlan(plan)
      const revision = (stored ?? 0n) + 1n
      if (plan.mode !== 'incremental' && !mapped) {
        const firstAspect = locked === undefined ? 1 : Number(locked.next_aspect_id)
        const firstHierarchy = locked === undefined ? 1 : locked.next_hierarchy_id
        const rows = smallRows(versionOf, firstAspect, firstHierarchy)
        if (rows !== undefined) {
          progress.start(rows.count)
          if (locked !== undefined) await deleteContents(trx, catalog.globalId)
          await progress.between()
          const outcome = await writeWhole(
            ctx,
            locked === undefined ? 'insert' : 'update',
            {
              catalog,
              revision,
              nextAspectId: BigInt(firstAspect + rows.aspectIds),
              nextHierarchyId: firstHierarchy + rows.hierarchies,
              expiry,
              versions,
            },
            rows,
          )
          if (outcome === 'exists') throw storedMeanwhile(catalog)
          if (outcome === 'written') {
            progress.finish(rows.count)
            return { revision, mode: plan.mode, rowsWritten: rows.count, unchanged: false }
          }
          // A dedicated table: nothing was written, the bulk path below writes everything.
        }
      }
      const writer = new PlanWriter(trx, ctx.copyIn, catalog, plan, versionOf, progress)
      const written = await writer.write(revision, locked)
      await progress.between()
      if (expiry.kind !== 'keep') {
        await trx
          .updateTable('catalog')
          .set({ expires_at: expiryValue(expiry) })
          .where('catalog_id', '=', catalog.globalId)
          .execute()
      }
      await trx
        .insertInto('catalog_revision')
        .values({
          catalog_id: catalog.globalId,
          revision,
          operation: plan.mode === 'incremental' ? 'incremental' : 'save',
          rows_written: BigInt(written),
        })
        .execute()
      // The last event, inside the transaction: a throw from it still rolls the save back.
      progress.finish(written)
      return { revision, mode: plan.mode, rowsWritten: written, unchanged: false }
    })
  })
}

/** Everything a full save replaces: hierarchies (cascading contents and aspects), pins, entities. */
async function deleteContents(trx: Trx, catalogId: string): Promise<void> {
  await trx.deleteFrom('hierarchy').where('catalog_id', '=', catalogId).execute()
  await trx.deleteFrom('catalog_aspect_def').where('catalog_id', '=', catalogId).execute()
  await trx.deleteFrom('entity').where('catalog_id', '=', catalogId).execute()
}

/** A new catalog's row was inserted by another writer between this save's check and its insert. */
function storedMeanwhile(catalog: Catalog): CheapConflictError {
  return new CheapConflictError(
    `catalog ${catalog.globalId} was stored by another writer while this save ran; load it and apply your changes, or save again with { force: true } to overwrite`,
  )
}

async function revisionOf(db: Db, catalogId: string): Promise<bigint | undefined> {
  const row = await db
    .selectFrom('catalog')
    .select('revision')
    .where('catalog_id', '=', catalogId)
    .where(notExpired())
    .executeTakeFirst()
  return row?.revision
}

/**
 * A stored catalog keeps each def at the version it was saved with. Moving it to another version
 * (its def changed) must be allowed by the flags of the version it is on; an AspectMap whose
 * version moves is written whole.
 */
async function checkPins(
  trx: Trx,
  catalog: Catalog,
  plan: SavePlan,
  versionOf: (def: AspectDef) => StoredVersion,
  cache: DefVersionCache,
): Promise<SavePlan> {
  const pins = await trx
    .selectFrom('catalog_aspect_def')
    .select(['aspect_def_id', 'version'])
    .where('catalog_id', '=', catalog.globalId)
    .execute()
  const moved = new Map<string, number>()
  for (const def of catalog.aspectDefs()) {
    const pin = pins.find((p) => p.aspect_def_id === def.globalId)
    if (pin !== undefined && pin.version !== versionOf(def).version)
      moved.set(def.globalId, pin.version)
  }
  if (moved.size === 0) return plan
  const pinned = await loadVersions(
    trx,
    [...moved].map(([defId, version]) => ({ defId, version })),
    cache,
  )
  const rewrite = new Set(plan.rewrite)
  for (const def of catalog.aspectDefs()) {
    const from = moved.get(def.globalId)
    if (from === undefined) continue
    const version = versionIn(pinned, def.globalId, from)
    const why = refusal(version, def)
    if (why !== undefined) {
      throw shapeConflict(def, version, why, `catalog ${catalog.globalId} is stored with it`)
    }
    const map = catalog.aspects(def.name)
    if (map !== undefined) rewrite.add(map)
  }
  return {
    ...plan,
    writeHeader: true,
    rewrite: [...rewrite],
    partial: plan.partial.filter((p) => !moved.has(p.map.aspectDef.globalId)),
  }
}

/** The hierarchies a catalog had before a save, by name. */
type StoredHierarchies = ReadonlyMap<
  string,
  {
    readonly hierarchy_id: number
    readonly hierarchy_type: string
    readonly aspect_def_id: string | null
  }
>

/** Executes a plan inside the save's transaction. */
class PlanWriter {
  readonly #trx: Trx
  readonly #copyIn: CopyIn | undefined
  readonly #catalog: Catalog
  readonly #plan: SavePlan
  readonly #versionOf: (def: AspectDef) => StoredVersion
  readonly #progress: CallProgress
  readonly #id: string
  #nextAspectId = 1
  #nextHierarchyId = 1
  /** Hierarchy ids by name, as stored before this save (incremental) or allocated by it. */
  readonly #hierarchyIds = new Map<string, number>()
  #written = 0

  constructor(
    trx: Trx,
    copyIn: CopyIn | undefined,
    catalog: Catalog,
    plan: SavePlan,
    versionOf: (def: AspectDef) => StoredVersion,
    progress: CallProgress,
  ) {
    this.#trx = trx
    this.#copyIn = copyIn
    this.#catalog = catalog
    this.#plan = plan
    this.#versionOf = versionOf
    this.#progress = progress
    this.#id = catalog.globalId
  }

  async write(
    revision: bigint,
    locked: { next_aspect_id: bigint; next_hierarchy_id: number } | undefined,
  ): Promise<number> {
    const plan = this.#plan
    const progress = this.#progress
    const isNew = locked === undefined
    await progress.between()
    if (plan.mode === 'full') await this.#deleteContents()
    await progress.between()
    const existing: StoredHierarchies =
      plan.mode === 'incremental' ? await this.#storedHierarchies() : new Map()
    for (const [name, row] of existing) this.#hierarchyIds.set(name, row.hierarchy_id)
    // Ids are allocated in blocks from the catalog row's counters (never reused, so a reader or
    // a cache can never mistake a new aspect for an old one).
    const aspectIds =
      plan.rewrite.reduce((n, h) => n + (h.type === 'AM' ? h.size : 0), 0) +
      plan.partial.reduce((n, p) => n + p.changed.length, 0)
    const newHierarchies = plan.rewrite.filter((h) => !this.#hierarchyIds.has(h.name)).length
    this.#nextAspectId = isNew ? 1 : Number(locked.next_aspect_id)
    this.#nextHierarchyId = isNew ? 1 : locked.next_hierarchy_id
    await progress.between()
    const storage = await dedicatedTablesOf(
      this.#trx,
      [...this.#catalog.aspectDefs()].map((d) => this.#versionOf(d)),
    )
    const entities = this.#entities()
    // A whole write knows its rows now (counted only for a listener: a pass over every aspect
    // and tree node); an incremental one learns how many of its aspects are new (an aspect row)
    // or replaced (values only) as it goes, and reports its total at the end.
    progress.start(
      plan.mode === 'incremental' || !progress.listening
        ? undefined
        : this.#plannedRows(entities.size, storage),
    )
    await this.#writeCatalogRow(revision, isNew, aspectIds, newHierarchies)
    progress.rows('catalog', 1)
    if (plan.writeHeader) await this.#writeHeader(existing)
    await this.#writeEntities(entities)
    for (const h of plan.rewrite) await this.#rewrite(h, existing.has(h.name), storage)
    let removed = false
    for (const p of plan.partial) {
      removed ||= p.removed.length > 0
      await this.#writePartial(p.map.aspectDef, p.changed, p.removed, storage)
    }
    if (
      plan.mode === 'incremental' &&
      (removed || plan.rewrite.some((h) => existing.has(h.name)))
    ) {
      await progress.between()
      await deleteUnreferencedEntities(this.#trx, this.#id)
    }
    return this.#written
  }

  /**
   * The rows a whole (insert or full) write sends, counted as the writers below send them: the
   * catalog row, pins and hierarchies, entities, contents, aspects and their values.
   */
  #plannedRows(entities: number, storage: ReadonlyMap<StoredVersion, DedicatedTable>): number {
    const c = this.#catalog
    let rows = 1 + entities
    if (this.#plan.writeHeader) rows += [...c.aspectDefs()].length + c.hierarchyCount
    for (const h of this.#plan.rewrite) {
      switch (h.type) {
        case 'AM': {
          const version = this.#versionOf(h.aspectDef)
          const aspects = [...h.aspects()]
          rows += aspects.length
          rows += storage.has(version) ? aspects.length : countRows([{ version, aspects, ids: [] }])
          break
        }
        case 'ET':
          for (const _ of nodesOf(h.root)) rows++
          break
        default:
          rows += h.size
      }
    }
    return rows
  }

  /** Everything a full save replaces: hierarchies (cascading contents and aspects), pins, entities. */
  async #deleteContents(): Promise<void> {
    await deleteContents(this.#trx, this.#id)
  }

  async #storedHierarchies(): Promise<StoredHierarchies> {
    const rows = await this.#trx
      .selectFrom('hierarchy')
      .select(['name', 'hierarchy_id', 'hierarchy_type', 'aspect_def_id'])
      .where('catalog_id', '=', this.#id)
      .execute()
    return new Map(rows.map((r) => [r.name, r]))
  }

  async #writeCatalogRow(
    revision: bigint,
    isNew: boolean,
    aspectIds: number,
    hierarchies: number,
  ): Promise<void> {
    const c = this.#catalog
    const fields = {
      species: c.species,
      uri: c.uri,
      upstream_catalog_id: c.upstream,
      version_number: c.version,
      revision,
      next_aspect_id: BigInt(this.#nextAspectId + aspectIds),
      next_hierarchy_id: this.#nextHierarchyId + hierarchies,
    }
    if (isNew) {
      // No row to lock when the catalog is new: a writer storing the same id at the same time
      // makes this insert wait for it, then do nothing, and this save is the stale one.
      const inserted = await this.#trx
        .insertInto('catalog')
        .values({ catalog_id: c.globalId, ...fields })
        .onConflict((oc) => oc.column('catalog_id').doNothing())
        .executeTakeFirst()
      if (inserted.numInsertedOrUpdatedRows === 0n) throw storedMeanwhile(c)
    } else {
      await this.#trx
        .updateTable('catalog')
        .set(fields)
        .where('catalog_id', '=', c.globalId)
        .execute()
    }
    this.#written++
  }

  /**
   * catalog_aspect_def (pins) and hierarchy rows: hierarchies gone, retyped or moved to another
   * def are deleted first (cascading their contents), then the rest upserted in order.
   */
  async #writeHeader(
    existing: ReadonlyMap<string, { hierarchy_type: string; aspect_def_id: string | null }>,
  ): Promise<void> {
    const c = this.#catalog
    const keep = (h: Hierarchy): boolean => {
      const row = existing.get(h.name)
      return (
        row !== undefined &&
        row.hierarchy_type === h.type &&
        row.aspect_def_id === (h.type === 'AM' ? h.aspectDef.globalId : null)
      )
    }
    const gone = [...existing.keys()].filter((name) => {
      const h = c.hierarchy(name)
      return h === undefined || !keep(h)
    })
    if (gone.length > 0) {
      await this.#trx
        .deleteFrom('hierarchy')
        .where('catalog_id', '=', this.#id)
        .where('name', '=', sql<string>`any(${gone}::text[])`)
        .execute()
      for (const name of gone) this.#hierarchyIds.delete(name)
    }
    const defs = [...c.aspectDefs()]
    if (existing.size > 0) {
      const ids = defs.map((d) => d.globalId)
      await this.#trx
        .deleteFrom('catalog_aspect_def')
        .where('catalog_id', '=', this.#id)
        .where('aspect_def_id', '!=', sql<string>`all(${ids}::uuid[])`)
        .execute()
    }
    const mode = existing.size > 0 ? 'upsert' : 'insert'
    this.#written += await writeRows(
      this.#trx,
      CATALOG_ASPECT_DEF,
      this.#id,
      defs.map((d, i) => [d.globalId, i, this.#versionOf(d).version]),
      mode,
      undefined,
      this.#progress,
    )
    const rows: unknown[][] = []
    let position = 0
    for (const h of c.hierarchies()) {
      let id = this.#hierarchyIds.get(h.name)
      if (id === undefined) {
        id = this.#nextHierarchyId++
        this.#hierarchyIds.set(h.name, id)
      }
      rows.push([
        h.name,
        h.type,
        position++,
        h.version,
        h.type === 'AM' ? h.aspectDef.globalId : null,
        id,
      ])
    }
    const progress = this.#progress
    this.#written += await writeRows(
      this.#trx,
      HIERARCHY,
      this.#id,
      rows,
      mode,
      undefined,
      progress,
    )
  }

  /** The entities of everything written. */
  #entities(): Set<EntityId> {
    const plan = this.#plan
    const ids = new Set<EntityId>()
    for (const h of plan.rewrite) for (const id of entitiesOf(h)) ids.add(id)
    for (const p of plan.partial) for (const a of p.changed) ids.add(a.entityId)
    return ids
  }

  /** Writes the entities of everything written (existing ones are left as they are). */
  async #writeEntities(ids: ReadonlySet<EntityId>): Promise<void> {
    const plan = this.#plan
    const mode = plan.mode === 'incremental' ? 'upsert-keep' : 'insert'
    this.#written += await writeRows(
      this.#trx,
      ENTITY,
      this.#id,
      (function* () {
        for (const id of ids) yield [id]
      })(),
      mode,
      this.#copyIn,
      this.#progress,
    )
  }

  async #rewrite(
    h: Hierarchy,
    existed: boolean,
    storage: ReadonlyMap<StoredVersion, DedicatedTable>,
  ): Promise<void> {
    const hierarchyId = this.#hierarchyIds.get(h.name) as number
    await this.#progress.between()
    if (h.type !== 'AM') {
      if (existed) {
        await this.#trx
          .deleteFrom(CONTENT_TABLES[h.type])
          .where('catalog_id', '=', this.#id)
          .where('hierarchy_id', '=', hierarchyId)
          .execute()
      }
      this.#written += await writeContents(
        this.#trx,
        this.#id,
        h,
        hierarchyId,
        'insert',
        this.#copyIn,
        this.#progress,
      )
      return
    }
    const def = h.aspectDef
    if (existed) {
      // Cascades to the values, wherever they are stored (schema step 012).
      await this.#trx
        .deleteFrom('aspect')
        .where('catalog_id', '=', this.#id)
        .where('aspect_def_id', '=', def.globalId)
        .execute()
    }
    const aspects = [...h.aspects()]
    const first = this.#nextAspectId
    this.#nextAspectId += aspects.length
    const slice: AspectSlice = {
      version: this.#versionOf(def),
      aspects,
      ids: aspects.map((_, i) => first + i),
    }
    await this.#writeAspects([slice], (_, i) => i, storage, 'insert')
  }

  /** Changed aspects of a map: replaced in place (their position kept) or appended; removals. */
  async #writePartial(
    def: AspectDef,
    changed: readonly Aspect[],
    removed: readonly EntityId[],
    storage: ReadonlyMap<StoredVersion, DedicatedTable>,
  ): Promise<void> {
    const trx = this.#trx
    await this.#progress.between()
    if (removed.length > 0) {
      await trx
        .deleteFrom('aspect')
        .where('catalog_id', '=', this.#id)
        .where('aspect_def_id', '=', def.globalId)
        .where('entity_id', '=', sql<string>`any(${[...removed]}::uuid[])`)
        .execute()
    }
    if (changed.length === 0) return
    const version = this.#versionOf(def)
    const found = await trx
      .selectFrom('aspect')
      .select(['entity_id', 'aspect_id'])
      .where('catalog_id', '=', this.#id)
      .where('aspect_def_id', '=', def.globalId)
      .where('entity_id', '=', sql<string>`any(${changed.map((a) => a.entityId)}::uuid[])`)
      .execute()
    const existing = new Map(found.map((r) => [r.entity_id, Number(r.aspect_id)]))
    const replaced = changed.filter((a) => existing.has(a.entityId))
    const fresh = changed.filter((a) => !existing.has(a.entityId))
    await this.#progress.between()
    const replacedRows = await replaceAspectValues(
      trx,
      this.#id,
      [
        {
          version,
          aspects: replaced,
          ids: replaced.map((a) => existing.get(a.entityId) as number),
        },
      ],
      storage,
    )
    this.#written += replacedRows
    this.#progress.rows('values', replacedRows)
    const first = this.#nextAspectId
    this.#nextAspectId += fresh.length
    const slice: AspectSlice = { version, aspects: fresh, ids: fresh.map((_, i) => first + i) }
    // A new aspect goes at the end of its map: its id, larger than every stored position.
    await this.#writeAspects([slice], (s, i) => s.ids[i] as number, storage, 'insert')
  }

  async #writeAspects(
    slices: readonly AspectSlice[],
    orders: (slice: AspectSlice, index: number) => number,
    storage: ReadonlyMap<StoredVersion, DedicatedTable>,
    mode: 'insert',
  ): Promise<void> {
    this.#written += await writeRows(
      this.#trx,
      ASPECT,
      this.#id,
      aspectRows(slices, orders),
      mode,
      this.#copyIn,
      this.#progress,
    )
    this.#written += await writeAspectValues(
      this.#trx,
      this.#id,
      slices,
      storage,
      mode,
      this.#copyIn,
      this.#progress,
    )
  }
}

function staleError(
  catalog: Catalog,
  stored: bigint | undefined,
  expected: bigint | undefined,
): CheapConflictError {
  const message =
    expected === undefined
      ? `catalog ${catalog.globalId} is already stored (revision ${stored}); load it and apply your changes, or save with { force: true } to overwrite`
      : stored === undefined
        ? `catalog ${catalog.globalId} was expected at revision ${expected} but is no longer stored (deleted by another writer); save with { force: true } to store it again`
        : `catalog ${catalog.globalId} was changed by another writer: expected revision ${expected}, stored revision ${stored}; reload it and apply your changes again, or save with { force: true } to overwrite`
  return new CheapConflictError(message, {
    ...(stored === undefined ? {} : { storedRevision: stored }),
    ...(expected === undefined ? {} : { expectedRevision: expected }),
  })
}

/**
 * Online schema operations under load (issue 19): client loops load catalogs, read aspects,
 * query, upsert, remove aspects, append to a list and load-modify-save, while one more client
 * maps, unmaps and evolves their AspectDef over and over, for a bounded time. Afterwards no
 * acknowledged write is lost, the orphan check finds nothing, no read failed, and every failed
 * write was a retryable CONFLICT.
 *
 * On the server every client has its own adapter; on PGlite all share the one connection, so
 * their calls interleave between transactions only. CHEAP_RELIABILITY_SCALE scales the running
 * time; CHEAP_RELIABILITY_SEED replays a run.
 */
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { v4 as uuidV4 } from 'uuid'
import { CheapConflictError, isCheapError } from '../../src/errors.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  type AspectDef,
  type Catalog,
  type EntityId,
} from '../../src/model/index.ts'
import type { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { forEachBackend, type TestDatabase } from '../db/backends.ts'
import { assertNoOrphans } from '../support/integrity.ts'
import { otherAdapter } from './online-support.ts'
import { Random, budget, entityNumber, sleep } from './support.ts'

const CATALOGS = 2
const FILLER = 200

interface Client {
  readonly index: number
  readonly dao: PostgresDao
  /** Per catalog: the count this client last wrote into its own aspect, acknowledged. */
  readonly counts: bigint[]
  /** Per catalog: entities appended to the log, acknowledged. */
  readonly appended: EntityId[][]
  /** Per catalog: this client's extra entities, and whether each has an aspect now. */
  readonly extras: Map<EntityId, boolean>[]
  next: number
}

const own = (client: number): EntityId => entityNumber(0x300, client)

forEachBackend('reliability: online schema operations under load', (backend) => {
  let db: TestDatabase
  const adapters: PostgresAdapter[] = []
  before(async () => {
    db = await backend.open()
  })
  after(async () => {
    for (const a of adapters) await a.close()
    await db.close()
  })

  it('loses no acknowledged write, leaves no orphan, fails no read while the def is mapped, unmapped and evolved', async (t) => {
    const onServer = db.adapter.kind === 'pg'
    const random = new Random()
    const seconds = budget(onServer ? 15 : 6)
    const clientCount = onServer ? 4 : 3
    const name = `online_${uuidV4().slice(0, 8)}`
    const table = `${name}_tab`
    const setup = new PostgresDao(db.adapter)
    const v1 = createAspectDef({
      name,
      canAddProperties: true,
      canRemoveProperties: true,
      properties: [
        createPropertyDef({ name: 'owner', type: 'STR' }),
        createPropertyDef({ name: 'count', type: 'INT' }),
        createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
      ],
    })
    const catalogIds: string[] = []
    for (let k = 0; k < CATALOGS; k++) {
      const catalog = createCatalog()
      const map = catalog.extend(v1)
      for (let c = 0; c < clientCount; c++) {
        map.add(createAspect(v1, own(c), { owner: `client ${c}`, count: 0n, tags: [] }))
      }
      for (let i = 0; i < FILLER; i++) {
        map.add(
          createAspect(v1, entityNumber(0x400, i), { owner: 'filler', count: 0n, tags: ['f'] }),
        )
      }
      catalog.createEntityList('log')
      await setup.saveCatalog(catalog)
      catalogIds.push(catalog.globalId)
    }
    const daoFor = async (label: string): Promise<PostgresDao> => {
      if (!onServer) return setup
      const adapter = await otherAdapter(db, label, 2)
      adapters.push(adapter)
      return new PostgresDao(adapter)
    }
    const clients: Client[] = []
    for (let c = 0; c < clientCount; c++) {
      clients.push({
        index: c,
        dao: await daoFor(`client-${c}`),
        counts: catalogIds.map(() => 0n),
        appended: catalogIds.map(() => []),
        extras: catalogIds.map(() => new Map<EntityId, boolean>()),
        next: 0,
      })
    }
    const schemaDao = await daoFor('schema')
    const stats = {
      reads: 0,
      writes: 0,
      conflicts: 0,
      maps: 0,
      unmaps: 0,
      evolutions: 0,
      schemaConflicts: 0,
    }
    const conflictKinds = new Map<string, number>()
    const schemaConflictKinds = new Map<string, number>()
    const readFailures: string[] = []
    const writeFailures: string[] = []
    const deadline = performance.now() + seconds * 1000

    /** A write call: true when acknowledged, false after a retryable CONFLICT. */
    async function write(what: string, call: () => Promise<unknown>): Promise<boolean> {
      try {
        await call()
        stats.writes++
        return true
      } catch (error) {
        if (isCheapError(error) && error.code === 'CONFLICT') {
          stats.conflicts++
          const kind =
            error instanceof CheapConflictError && error.storedRevision !== undefined
              ? 'stale revision'
              : /deadlock/i.test(error.message)
                ? 'deadlock'
                : /another stored version/.test(error.message)
                  ? 'stale def'
                  : 'other'
          conflictKinds.set(kind, (conflictKinds.get(kind) ?? 0) + 1)
          return false
        }
        writeFailures.push(
          `${what}: ${isCheapError(error) ? `${error.code}: ` : ''}${String(error)}`,
        )
        return false
      }
    }

    async function read(what: string, call: () => Promise<void>): Promise<void> {
      try {
        await call()
        stats.reads++
      } catch (error) {
        readFailures.push(`${what}: ${String(error)}`)
      }
    }

    /** The version of the def the catalog is on (a client builds its aspects with it). */
    async function catalogDef(dao: PostgresDao, id: string, entity: EntityId): Promise<AspectDef> {
      const found = await dao.loadAspects(id, name, [entity])
      const def = found.get(entity)?.def ?? (await dao.loadCatalog(id))?.aspectDef(name)
      assert.ok(def !== undefined)
      return def
    }

    async function latestDef(dao: PostgresDao): Promise<AspectDef> {
      const def = await dao.loadAspectDef(name)
      assert.ok(def !== null)
      return def
    }

    async function step(client: Client): Promise<void> {
      const k = random.int(CATALOGS)
      const id = catalogIds[k] as string
      const dao = client.dao
      const roll = random.next()
      if (roll < 0.2) {
        const count = (client.counts[k] as bigint) + 1n
        const def = await catalogDef(dao, id, own(client.index))
        const aspect = createAspect(def, own(client.index), {
          owner: `client ${client.index}`,
          count,
        })
        if (await write('upsertAspects', () => dao.upsertAspects(id, name, [aspect]))) {
          client.counts[k] = count
        }
      } else if (roll < 0.35) {
        const extras = client.extras[k] as Map<EntityId, boolean>
        const present = [...extras].filter(([, has]) => has).map(([e]) => e)
        if (present.length > 0 && random.next() < 0.5) {
          const victim = random.pick(present)
          if (await write('removeAspects', () => dao.removeAspects(id, name, [victim]))) {
            extras.set(victim, false)
          }
        } else {
          const entity = entityNumber(0x500 + client.index, client.next++)
          const def = await catalogDef(dao, id, own(client.index))
          const aspect = createAspect(def, entity, { owner: 'extra', count: 1n, tags: ['a', 'b'] })
          if (await write('upsertAspects (new)', () => dao.upsertAspects(id, name, [aspect]))) {
            extras.set(entity, true)
          }
        }
      } else if (roll < 0.5) {
        const entity = entityNumber(0x600 + client.index, client.next++)
        if (await write('addToEntityList', () => dao.addToEntityList(id, 'log', [entity]))) {
          client.appended[k]?.push(entity)
        }
      } else if (roll < 0.65) {
        // load-modify-save: a stale load is a CONFLICT, the client simply goes on
        let loaded: Catalog | null = null
        try {
          loaded = await dao.loadCatalog(id)
          stats.reads++
        } catch (error) {
          readFailures.push(`loadCatalog (for a save): ${String(error)}`)
        }
        if (loaded === null) return
        const count = (client.counts[k] as bigint) + 1n
        const entity = entityNumber(0x600 + client.index, client.next++)
        loaded.aspects(name)?.get(own(client.index))?.set('count', count)
        const log = loaded.hierarchy('log')
        if (log?.type === 'EL') log.add(entity)
        if (await write('saveCatalog', () => dao.saveCatalog(loaded))) {
          client.counts[k] = count
          client.appended[k]?.push(entity)
        }
      } else if (roll < 0.8) {
        await read('loadCatalog', async () => {
          const catalog = await dao.loadCatalog(id)
          const mine = catalog?.aspects(name)?.get(own(client.index))
          assert.equal(mine?.get('count'), client.counts[k], `client ${client.index} lost a write`)
        })
      } else if (roll < 0.9) {
        await read('loadAspects', async () => {
          const found = await dao.loadAspects(id, name, [own(client.index)])
          assert.equal(found.get(own(client.index))?.get('count'), client.counts[k])
        })
      } else {
        await read('findEntities', async () => {
          const ids = await dao.findEntities(id, name, (p) =>
            p('owner').eq(`client ${client.index}`),
          )
          assert.deepEqual(ids, [own(client.index)])
        })
      }
    }

    async function runClient(client: Client): Promise<void> {
      while (performance.now() < deadline) {
        await step(client)
        if (!onServer) await sleep(0) // let the others in between calls
      }
    }

    async function runSchema(): Promise<void> {
      let generation = 0
      const attempt = async (what: string, call: () => Promise<unknown>): Promise<boolean> => {
        try {
          await call()
          return true
        } catch (error) {
          if (isCheapError(error) && error.code === 'CONFLICT') {
            stats.schemaConflicts++
            // Refusals of the schema call itself (a table holds one version), or a race.
            const kind = /deadlock/i.test(error.message)
              ? 'deadlock'
              : /already mapped|holds one version/.test(error.message)
                ? 'refused: another version mapped'
                : 'other'
            schemaConflictKinds.set(kind, (schemaConflictKinds.get(kind) ?? 0) + 1)
            return false
          }
          writeFailures.push(
            `${what}: ${String(error)}${error instanceof Error && !isCheapError(error) ? `\n${error.stack ?? ''}` : ''}`,
          )
          return false
        }
      }
      while (performance.now() < deadline) {
        const roll = random.int(3)
        if (roll === 0) {
          if (await attempt('mapAspectDef', () => schemaDao.mapAspectDef(name, { table }))) {
            stats.maps++
            if (await attempt('unmapAspectDef', () => schemaDao.unmapAspectDef(name)))
              stats.unmaps++
          }
        } else if (roll === 1) {
          if (await attempt('mapAspectDef', () => schemaDao.mapAspectDef(name, { table })))
            stats.maps++
        } else {
          // Adds a property, or drops the one added last (a dropped column, when mapped).
          const current = await latestDef(schemaDao)
          const props = current.propertyDefs()
          const drop = props.length > 3 && random.next() < 0.5
          const next = createAspectDef({
            name,
            globalId: current.globalId,
            canAddProperties: true,
            canRemoveProperties: true,
            properties: drop
              ? props.slice(0, -1)
              : [...props, createPropertyDef({ name: `x${++generation}`, type: 'INT' })],
          })
          if (await attempt('evolveAspectDef', () => schemaDao.evolveAspectDef(next)))
            stats.evolutions++
        }
        await sleep(random.int(onServer ? 30 : 10))
      }
      // Leave the def unmapped half of the time, so both storages get the final checks.
      const mapped = (await schemaDao.aspectTableMappings()).some((m) => m.aspectDefName === name)
      if (mapped && random.next() < 0.5) {
        if (await attempt('unmapAspectDef', () => schemaDao.unmapAspectDef(name))) stats.unmaps++
      }
    }

    const started = performance.now()
    await Promise.all([...clients.map(runClient), runSchema()])
    const elapsed = performance.now() - started

    assert.deepEqual(readFailures, [], 'no read fails')
    assert.deepEqual(writeFailures, [], 'every failed write is a retryable CONFLICT')
    await assertNoOrphans(db.adapter.db)
    for (let k = 0; k < CATALOGS; k++) {
      const id = catalogIds[k] as string
      const catalog = await setup.loadCatalog(id)
      assert.ok(catalog !== null)
      const map = catalog.aspects(name)
      assert.ok(map !== undefined)
      const log = catalog.hierarchy('log')
      assert.ok(log?.type === 'EL')
      const acknowledged = clients.flatMap((c) => c.appended[k] as EntityId[])
      assert.deepEqual(
        [...log.toArray()].sort(),
        [...acknowledged].sort(),
        'the log holds every acknowledged append',
      )
      for (const client of clients) {
        assert.equal(
          map.get(own(client.index))?.get('count'),
          client.counts[k],
          `client ${client.index}'s count`,
        )
        for (const [entity, has] of client.extras[k] as Map<EntityId, boolean>) {
          assert.equal(map.get(entity) !== undefined, has, `extra aspect of ${entity}`)
        }
      }
      assert.equal(
        map.size,
        clientCount +
          FILLER +
          clients.reduce(
            (n, c) =>
              n + [...(c.extras[k] as Map<EntityId, boolean>).values()].filter(Boolean).length,
            0,
          ),
      )
    }
    assert.ok(stats.maps + stats.unmaps + stats.evolutions > 0, 'the schema changed under load')
    t.diagnostic(
      `${db.adapter.kind}: ${clientCount} clients, ${Math.round(elapsed)} ms: ${stats.writes} writes acknowledged, ` +
        `${stats.conflicts} CONFLICTs (${[...conflictKinds].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}), ${stats.reads} reads (0 failed); ${stats.maps} maps, ` +
        `${stats.unmaps} unmaps, ${stats.evolutions} evolutions, ${stats.schemaConflicts} schema CONFLICTs (${[...schemaConflictKinds].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}); ` +
        `0 writes lost, 0 orphans, seed ${random.seed}`,
    )
  })
})

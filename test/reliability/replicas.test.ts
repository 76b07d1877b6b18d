/**
 * Read replicas against a real streaming standby (scripts/replica-cluster.sh): routing, the
 * read-your-writes guarantee by revision (a property over several clients, and replay paused),
 * and faults (the standby stopped, or lagging beyond the bound). Every test that stops the
 * standby or pauses its replay puts it back in `finally`, so later tests find it streaming.
 */
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import fc from 'fast-check'
import { v4 as uuidV4 } from 'uuid'
import { CheapValidationError } from '../../src/errors.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  toEntityId,
  type AspectDef,
  type EntityId,
} from '../../src/model/index.ts'
import {
  PostgresAdapter,
  type ServerAdapterOptions,
} from '../../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { randomSchemaName } from '../db/backends.ts'
import { assertProperty } from '../support/fast-check.ts'
import {
  caughtUp,
  describeOnReplicas,
  onNode,
  standby,
  type ReplicaCluster,
} from './replica-support.ts'

const id = (i: number): EntityId =>
  toEntityId(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)

function counterDef(): AspectDef {
  return createAspectDef({
    name: `counter_${uuidV4().slice(0, 8)}`,
    properties: [createPropertyDef({ name: 'n', type: 'INT' })],
  })
}

async function replicaStats(adapter: PostgresAdapter) {
  const health = await adapter.healthCheck()
  const node = health.replicas?.nodes[0]
  assert.ok(node !== undefined, 'the adapter has a replica')
  return { ...node, primaryReads: health.replicas?.primaryReads ?? 0 }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

it('replicas are refused on the embedded database, with a clear message', async () => {
  await assert.rejects(
    PostgresAdapter.fromEnv({ DATABASE_REPLICA_URLS: 'postgres://r@127.0.0.1:1/x' }),
    (error: unknown) =>
      error instanceof CheapValidationError &&
      /DATABASE_REPLICA_URLS is set, but the embedded database \(PGlite\) cannot have read replicas/.test(
        error.message,
      ),
  )
  await assert.rejects(
    PostgresAdapter.embedded({ replicas: ['postgres://r@127.0.0.1:1/x'] } as never),
    CheapValidationError,
  )
  await assert.rejects(
    PostgresAdapter.create(
      { connectionString: 'postgres://nobody@127.0.0.1:1/x' },
      { replicaWaitMs: -1 },
    ),
    /replicaWaitMs must be a number of milliseconds/,
  )
})

describeOnReplicas('read replicas', (cluster: ReplicaCluster) => {
  const schema = randomSchemaName('cheap_replicas')
  const opened: PostgresAdapter[] = []
  let admin: PostgresAdapter

  async function open(options: ServerAdapterOptions = {}): Promise<PostgresAdapter> {
    const adapter = await PostgresAdapter.create(
      { connectionString: cluster.primaryUrl },
      {
        schema,
        poolSize: 4,
        replicas: [cluster.replicaUrl],
        replicaRetryMs: 200,
        replicaConnectTimeoutMs: 1_000,
        ...options,
      },
    )
    opened.push(adapter)
    return adapter
  }

  before(async () => {
    admin = await PostgresAdapter.create({ connectionString: cluster.primaryUrl }, { schema })
    await PostgresSchema.createSchema(admin)
    await caughtUp(cluster)
  })
  after(async () => {
    await Promise.all(opened.map((a) => a.close()))
    try {
      await PostgresSchema.dropSchema(admin)
    } finally {
      await admin.close()
    }
  })

  it('knows when the replica has replayed a save, so what was seen before needs no check', async () => {
    const adapter = await open()
    const dao = new PostgresDao(adapter)
    const set = adapter.replicaSet
    assert.ok(set !== undefined)
    const def = counterDef()
    const catalog = createCatalog()
    catalog.extend(def).add(createAspect(def, id(1), { n: 1n }))
    await dao.saveCatalog(catalog)
    const saved = Date.now()
    assert.ok(set.caughtUpAt() < saved, 'not yet shown to cover the save')
    await caughtUp(cluster)
    // A probe notes the primary's position; the standby has replayed it, so the probe's start,
    // after the save, becomes the horizon.
    await until('the horizon passes the save', async () => {
      await adapter.healthCheck()
      return set.caughtUpAt() >= saved
    })
    // Reads still find the saved revision (the entry is forgotten, the replica has it).
    const loaded = await dao.loadCatalog(catalog.globalId)
    assert.equal(loaded === null ? null : dao.revisionOf(loaded), 1n)
  })

  it('sends pure reads to the replica and writes to the primary; DATABASE_REPLICA_URLS works', async () => {
    const adapter = await PostgresAdapter.fromEnv(
      { DATABASE_URL: cluster.primaryUrl, DATABASE_REPLICA_URLS: ` ${cluster.replicaUrl} ,` },
      { schema, poolSize: 2 },
    )
    opened.push(adapter)
    const dao = new PostgresDao(adapter)
    const def = counterDef()
    const catalog = createCatalog()
    catalog.extend(def).add(createAspect(def, id(1), { n: 1n }))
    const c = catalog.globalId
    await dao.saveCatalog(catalog)
    await caughtUp(cluster)
    const before = await replicaStats(adapter)
    assert.equal(before.state, 'up')
    assert.equal(before.target, cluster.replicaUrl.replace(/:[^:@/]*@/, ':***@'))
    const loaded = await dao.loadCatalog(c)
    assert.equal(loaded === null ? null : dao.revisionOf(loaded), 1n)
    assert.equal((await dao.loadAspects(c, def, [id(1)])).size, 1)
    assert.deepEqual(await dao.findEntities(c, def, (p) => p('n').eq(1n)), [id(1)])
    assert.equal((await dao.loadHierarchy(c, def.name)).total, 1)
    assert.ok((await dao.listCatalogs()).some((s) => s.catalogId === c))
    assert.equal(await dao.catalogRevision(c), 1n)
    const afterReads = await replicaStats(adapter)
    assert.equal(afterReads.reads - before.reads, 6, JSON.stringify(afterReads))
    assert.equal(afterReads.primaryReads, before.primaryReads)
    // Inside a transaction every read is the primary's.
    await new PostgresDao(adapter).transaction(async (tx) => {
      await tx.upsertAspects(c, def, [createAspect(def, id(2), { n: 2n })])
      assert.equal((await tx.loadAspects(c, def, [id(1), id(2)])).size, 2)
      assert.equal(await tx.catalogRevision(c), 2n)
      const inTx = await tx.loadCatalog(c)
      assert.equal(inTx === null ? null : tx.revisionOf(inTx), 2n)
    })
    const afterTx = await replicaStats(adapter)
    assert.equal(afterTx.reads, afterReads.reads)
    assert.equal(afterTx.fallbacks, afterReads.fallbacks)
  })

  it('replay paused: a load after a save returns the new revision, from the primary', async () => {
    const adapter = await open({ replicaWaitMs: 50 })
    const dao = new PostgresDao(adapter)
    const def = counterDef()
    const catalog = createCatalog()
    catalog.extend(def).add(createAspect(def, id(1), { n: 1n }))
    const c = catalog.globalId
    await dao.saveCatalog(catalog)
    await caughtUp(cluster)
    await onNode(cluster.replicaUrl, 'select pg_wal_replay_pause()')
    try {
      const before = await replicaStats(adapter)
      const { revision } = await dao.upsertAspects(c, def, [createAspect(def, id(2), { n: 2n })])
      assert.equal(revision, 2n)
      const started = performance.now()
      const loaded = await dao.loadCatalog(c)
      const waited = performance.now() - started
      assert.ok(loaded !== null)
      assert.equal(dao.revisionOf(loaded), 2n)
      assert.equal(loaded.aspects(def.name)?.size, 2)
      assert.equal(await dao.catalogRevision(c), 2n)
      assert.equal((await dao.loadAspects(c, def, [id(2)])).size, 1)
      assert.ok(waited >= 45, `waited ${waited} ms for the replica before the primary`)
      const after = await replicaStats(adapter)
      assert.equal(after.staleFallbacks - before.staleFallbacks, 3, JSON.stringify(after))
      assert.equal(after.fallbacks - before.fallbacks, 3)
      assert.equal(after.primaryReads - before.primaryReads, 3)
      assert.equal(after.reads, before.reads)
      // Another process, which never saw revision 2, may read revision 1 from the replica.
      const other = new PostgresDao(await open())
      const old = await other.loadCatalog(c)
      assert.equal(old === null ? null : other.revisionOf(old), 1n)
      // A catalog created while replay is paused is found by a process that never saw it:
      // the replica's "not stored" is confirmed by the primary, which has it.
      const fresh = createCatalog()
      fresh.extend(def).add(createAspect(def, id(3), { n: 3n }))
      await dao.saveCatalog(fresh)
      const found = await other.loadCatalog(fresh.globalId)
      assert.equal(found === null ? null : other.revisionOf(found), 1n)
      assert.equal((await other.loadAspects(fresh.globalId, def, [id(3)])).size, 1)
      assert.equal(await other.catalogRevision(fresh.globalId), 1n)
      // And a catalog this process deleted is not found, though the replica still has it.
      assert.equal(await dao.deleteCatalog(c), true)
      assert.equal(await dao.loadCatalog(c), null)
      assert.equal(await dao.catalogRevision(c), null)
    } finally {
      await onNode(cluster.replicaUrl, 'select pg_wal_replay_resume()')
    }
    await caughtUp(cluster)
  })

  it('a catalog another process deleted is forgotten once the primary says so: no wait on every read', async () => {
    const adapter = await open({ replicaWaitMs: 1_500 })
    const dao = new PostgresDao(adapter)
    const def = counterDef()
    const catalog = createCatalog()
    catalog.extend(def).add(createAspect(def, id(1), { n: 1n }))
    const c = catalog.globalId
    await dao.saveCatalog(catalog)
    assert.equal(await new PostgresDao(await open()).deleteCatalog(c), true)
    await caughtUp(cluster)
    assert.equal(await dao.loadCatalog(c), null) // waited for revision 1, then asked the primary
    const started = performance.now()
    assert.equal(await dao.loadCatalog(c), null)
    assert.equal(await dao.catalogRevision(c), null)
    assert.ok(performance.now() - started < 1_000, 'no replicaWaitMs wait once it is known gone')
    const before = await replicaStats(adapter)
    assert.ok(!(await dao.listCatalogs({ limit: 10_000 })).some((x) => x.catalogId === c))
    const after = await replicaStats(adapter)
    assert.equal(after.reads, before.reads + 1, 'the replica answered the listing')
  })

  it('property: no client ever reads a revision older than it has seen (several clients, random interleavings)', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => open({ replicaWaitMs: 20 })))
    const daos = clients.map((a) => new PostgresDao(a))
    const def = counterDef()
    const catalogIds: string[] = []
    for (let i = 0; i < 2; i++) {
      const catalog = createCatalog()
      catalog.extend(def).add(createAspect(def, id(0), { n: 0n }))
      await (daos[0] as PostgresDao).saveCatalog(catalog)
      catalogIds.push(catalog.globalId)
    }
    const readsBefore = await Promise.all(clients.map(async (a) => (await replicaStats(a)).reads))
    type Op = { client: number; catalog: number; kind: 'write' | 'load' | 'revision' | 'list' }
    const opArb: fc.Arbitrary<Op> = fc.record({
      client: fc.integer({ min: 0, max: 2 }),
      catalog: fc.integer({ min: 0, max: 1 }),
      kind: fc.constantFrom('write', 'write', 'load', 'load', 'revision', 'list'),
    })
    let counter = 1n
    // What each client (an adapter: one process) has seen of each catalog so far: the revisions
    // its completed calls returned, across runs, as the adapters keep theirs. Daos of one adapter
    // share its guarantee, so a client is an adapter, and each call makes a new dao of it.
    const seen = clients.map((_, i) => catalogIds.map(() => (i === 0 ? 1n : 0n)))
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(opArb, { minLength: 4, maxLength: 24 }),
        async (s, ops) => {
          const learn = (client: number, catalog: number, revision: bigint) => {
            const row = seen[client] as bigint[]
            if (revision > (row[catalog] as bigint)) row[catalog] = revision
          }
          const runOp = async (op: Op) => {
            const dao = new PostgresDao(clients[op.client] as PostgresAdapter)
            const c = catalogIds[op.catalog] as string
            const floor = (seen[op.client] as bigint[])[op.catalog] as bigint
            const floors = [...(seen[op.client] as bigint[])]
            const check = (revision: bigint | null | undefined, least: bigint, what: string) => {
              // A catalog the client never saw may not be on the replica yet (null).
              assert.ok(
                least === 0n || (revision !== null && revision !== undefined && revision >= least),
                `client ${op.client} ${what} revision ${String(revision)} of catalog ${op.catalog} after seeing ${least}`,
              )
            }
            switch (op.kind) {
              case 'write': {
                const r = await dao.upsertAspects(c, def, [
                  createAspect(def, id(1), { n: counter++ }),
                ])
                learn(op.client, op.catalog, r.revision)
                return
              }
              case 'load': {
                const loaded = await dao.loadCatalog(c)
                const r = loaded === null ? null : dao.revisionOf(loaded)
                check(r, floor, 'loaded')
                if (r !== null && r !== undefined) learn(op.client, op.catalog, r)
                return
              }
              case 'revision': {
                const r = await dao.catalogRevision(c)
                check(r, floor, 'read')
                if (r !== null) learn(op.client, op.catalog, r)
                return
              }
              case 'list': {
                const listed = await dao.listCatalogs({ limit: 10_000 })
                catalogIds.forEach((cid, i) => {
                  const r = listed.find((x) => x.catalogId === cid)?.revision
                  check(r, floors[i] as bigint, 'listed')
                  if (r !== undefined) learn(op.client, i, r)
                })
                return
              }
            }
          }
          const tasks = ops.map((op) => s.schedule(Promise.resolve(op)).then(runOp))
          await s.waitAll()
          await Promise.all(tasks)
        },
      ),
      { numRuns: 15 },
    )
    const readsAfter = await Promise.all(clients.map(async (a) => (await replicaStats(a)).reads))
    const replicaReads = readsAfter.reduce((t, r, i) => t + r - (readsBefore[i] as number), 0)
    assert.ok(replicaReads > 0, 'some reads were answered by the replica')
  })

  it('a stopped standby: reads go to the primary, health says down, and it is used again once back', async () => {
    const adapter = await open({ replicaWaitMs: 0 })
    const dao = new PostgresDao(adapter)
    const def = counterDef()
    const catalog = createCatalog()
    catalog.extend(def).add(createAspect(def, id(1), { n: 1n }))
    const c = catalog.globalId
    await dao.saveCatalog(catalog)
    await caughtUp(cluster)
    await dao.loadCatalog(c) // the pool has a connection to the standby now
    await standby(cluster, 'stop')
    try {
      const before = await replicaStats(adapter)
      assert.equal(before.state, 'down', JSON.stringify(before))
      assert.ok(before.lastError !== null)
      const started = performance.now()
      for (let i = 0; i < 5; i++) {
        const loaded = await dao.loadCatalog(c)
        assert.equal(loaded === null ? null : dao.revisionOf(loaded), 1n)
        assert.equal((await dao.loadAspects(c, def, [id(1)])).size, 1)
      }
      assert.ok(performance.now() - started < 5_000, 'a down replica does not slow every read')
      const down = await replicaStats(adapter)
      assert.equal(down.primaryReads - before.primaryReads, 10)
      assert.equal(down.reads, before.reads)
    } finally {
      await standby(cluster, 'start')
    }
    await caughtUp(cluster)
    const back = await replicaStats(adapter)
    await until('the replica to be used again', async () => {
      await dao.loadCatalog(c)
      return (await replicaStats(adapter)).reads > back.reads
    })
    assert.equal((await replicaStats(adapter)).state, 'up')
  })

  it('a standby lagging beyond replicaLagBoundMs gets no reads until it catches up', async () => {
    const adapter = await open({ replicaLagBoundMs: 300, replicaWaitMs: 0 })
    const dao = new PostgresDao(adapter)
    const def = counterDef()
    const catalog = createCatalog()
    catalog.extend(def).add(createAspect(def, id(1), { n: 1n }))
    const c = catalog.globalId
    await dao.saveCatalog(catalog)
    await caughtUp(cluster)
    await onNode(cluster.replicaUrl, 'select pg_wal_replay_pause()')
    try {
      // WAL the standby receives and does not replay; its last replayed transaction ages.
      await onNode(cluster.primaryUrl, 'select txid_current()')
      await new Promise((resolve) => setTimeout(resolve, 800))
      await onNode(cluster.primaryUrl, 'select txid_current()')
      const lagging = await replicaStats(adapter)
      assert.equal(lagging.state, 'lagging', JSON.stringify(lagging))
      assert.ok((lagging.lagBytes ?? 0) > 0)
      assert.ok((lagging.lagSeconds ?? 0) > 0.3)
      // A fresh client that knows nothing of the catalog still reads it from the primary.
      const other = new PostgresDao(await open({ replicaLagBoundMs: 300 }))
      for (const d of [dao, other]) assert.equal(await d.catalogRevision(c), 1n)
      const after = await replicaStats(adapter)
      assert.equal(after.reads, lagging.reads)
      assert.equal(after.primaryReads - lagging.primaryReads, 1)
    } finally {
      await onNode(cluster.replicaUrl, 'select pg_wal_replay_resume()')
    }
    await caughtUp(cluster)
    await until('the replica to be up again', async () => {
      return (await replicaStats(adapter)).state === 'up'
    })
    const up = await replicaStats(adapter)
    await dao.catalogRevision(c)
    assert.equal((await replicaStats(adapter)).reads, up.reads + 1)
  })
})

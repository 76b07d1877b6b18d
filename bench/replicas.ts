/**
 * Issue #13's numbers: read throughput (whole-catalog loads per second) of 8 concurrent clients
 * on the primary alone, and with one streaming replica added (every read then goes to the
 * replica while it is up and fresh enough; the primary keeps the writes and the fallbacks).
 * Each client is its own adapter (a process of its own, as in production), loading random
 * catalogs of a fixed set that one writer keeps saving (a partial write every `writeEveryMs`),
 * so the read-your-writes check has something to do.
 *
 *   npm run bench:replicas                       # uses CHEAP_TEST_PRIMARY_URL / _REPLICA_URL
 *   npm run bench:replicas -- --seconds 25 --clients 8 --catalogs 40 --entities 200
 *   npm run bench:replicas -- --own-writes      # clients write too: read-your-writes at work
 *
 * On a machine where the primary, the standby and Node share the same cores, a replica adds
 * no CPU: it moves reads to another server process, and the figure says what that costs.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { createAspect } from '../src/model/aspect.ts'
import { createAspectDef } from '../src/model/aspect-def.ts'
import { createCatalog } from '../src/model/catalog.ts'
import { newEntityId } from '../src/model/entity.ts'
import { createPropertyDef } from '../src/model/property-def.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'

const { values } = parseArgs({
  options: {
    primary: { type: 'string' },
    replica: { type: 'string' },
    seconds: { type: 'string', default: '25' },
    clients: { type: 'string', default: '8' },
    catalogs: { type: 'string', default: '40' },
    entities: { type: 'string', default: '200' },
    'write-every-ms': { type: 'string', default: '50' },
    // Each client also writes: every 10th step upserts an aspect of a catalog and loads it back,
    // so its next loads of that catalog need the replica to have replayed its own write.
    'own-writes': { type: 'boolean', default: false },
  },
})
const primary = values.primary ?? process.env['CHEAP_TEST_PRIMARY_URL']
const replica = values.replica ?? process.env['CHEAP_TEST_REPLICA_URL']
if (primary === undefined || replica === undefined) {
  throw new Error(
    'give --primary and --replica URLs, or run `eval "$(scripts/replica-cluster.sh env)"` first',
  )
}
const seconds = Number(values.seconds)
const clients = Number(values.clients)
const catalogCount = Number(values.catalogs)
const entities = Number(values.entities)
const writeEveryMs = Number(values['write-every-ms'])
const ownWrites = values['own-writes'] === true
const schema = `cheap_bench_replicas_${Date.now().toString(36)}`

const def = createAspectDef({
  name: 'com.example.bench.reading',
  properties: [
    createPropertyDef({ name: 'name', type: 'STR' }),
    createPropertyDef({ name: 'value', type: 'FLT' }),
    createPropertyDef({ name: 'count', type: 'INT' }),
  ],
})

interface Run {
  readonly mode: string
  readonly loads: number
  readonly loadsPerSec: number
  readonly writes: number
  readonly replicaReads: number
  readonly fallbacks: number
  readonly staleFallbacks: number
  readonly load1: number
}

async function measure(mode: 'primary only' | 'primary + replica', ids: string[]): Promise<Run> {
  const replicas = mode === 'primary only' ? [] : [replica as string]
  const adapters = await Promise.all(
    Array.from({ length: clients }, () =>
      PostgresAdapter.create(
        { connectionString: primary as string },
        { schema, poolSize: 2, replicas },
      ),
    ),
  )
  const writerAdapter = await PostgresAdapter.create(
    { connectionString: primary as string },
    { schema, poolSize: 1 },
  )
  const writer = new PostgresDao(writerAdapter)
  const deadline = performance.now() + seconds * 1000
  let loads = 0
  let writes = 0
  const readers = adapters.map(async (adapter) => {
    const dao = new PostgresDao(adapter)
    for (let step = 0; performance.now() < deadline; step++) {
      const id = ids[Math.floor(Math.random() * ids.length)] as string
      if (ownWrites && step % 10 === 0) {
        await dao.upsertAspects(id, def, [
          createAspect(def, newEntityId(), { name: 'own', value: 1, count: BigInt(step) }),
        ])
        writes++
      }
      if ((await dao.loadCatalog(id)) === null) throw new Error(`catalog ${id} missing`)
      loads++
    }
  })
  const writing = (async () => {
    while (performance.now() < deadline) {
      const id = ids[Math.floor(Math.random() * ids.length)] as string
      await writer.upsertAspects(id, def, [
        createAspect(def, newEntityId(), {
          name: 'w',
          value: Math.random(),
          count: BigInt(writes),
        }),
      ])
      writes++
      await new Promise((resolve) => setTimeout(resolve, writeEveryMs))
    }
  })()
  const started = performance.now()
  await Promise.all([...readers, writing])
  const elapsed = (performance.now() - started) / 1000
  let replicaReads = 0
  let fallbacks = 0
  let staleFallbacks = 0
  for (const adapter of adapters) {
    const health = await adapter.healthCheck()
    for (const node of health.replicas?.nodes ?? []) {
      replicaReads += node.reads
      fallbacks += node.fallbacks
      staleFallbacks += node.staleFallbacks
    }
  }
  await Promise.all([...adapters.map((a) => a.close()), writerAdapter.close()])
  return {
    mode,
    loads,
    loadsPerSec: Math.round(loads / elapsed),
    writes,
    replicaReads,
    fallbacks,
    staleFallbacks,
    load1: loadavg()[0] as number,
  }
}

async function main(): Promise<void> {
  const admin = await PostgresAdapter.create({ connectionString: primary as string }, { schema })
  try {
    await PostgresSchema.createSchema(admin, { includeAudit: false })
    const dao = new PostgresDao(admin)
    const ids: string[] = []
    for (let c = 0; c < catalogCount; c++) {
      const catalog = createCatalog()
      const map = catalog.extend(def)
      for (let e = 0; e < entities; e++) {
        map.add(createAspect(def, newEntityId(), { name: `e${e}`, value: e / 3, count: BigInt(e) }))
      }
      await dao.saveCatalog(catalog)
      ids.push(catalog.globalId)
    }
    console.log(
      `${clients} clients loading ${catalogCount} catalogs of ${entities} aspects (${entities * 3} values), ` +
        `one writer upserting an aspect every ${writeEveryMs} ms` +
        (ownWrites ? ', each client upserting before every 10th load' : '') +
        `, ${seconds} s per mode`,
    )
    for (const mode of ['primary only', 'primary + replica'] as const) {
      const run = await measure(mode, ids)
      console.log(
        `${run.mode.padEnd(18)} ${String(run.loadsPerSec).padStart(6)} loads/s  (${run.loads} loads, ` +
          `${run.writes} writes, replica answered ${run.replicaReads}, fallbacks ${run.fallbacks} ` +
          `(${run.staleFallbacks} for freshness), ` +
          `load average ${run.load1.toFixed(2)})`,
      )
    }
  } finally {
    await PostgresSchema.dropSchema(admin).finally(() => admin.close())
  }
}

await main()

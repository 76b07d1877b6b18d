/**
 * Statistics and expiry on a store of many catalogs (a server: DATABASE_URL).
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/stats-expiry.ts [catalogs=100000] [expired=10000]
 *
 * Creates `catalogs` tiny catalogs with one set-based INSERT (plus their catalog_revision rows),
 * times `dao.stats()`, then marks `expired` of them expired and measures the latency of saves of
 * other catalogs alone and while `purgeExpired()` deletes the expired ones. Drops its schema.
 */
import { sql, type Kysely } from 'kysely'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
} from '../src/model/index.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'

const url = process.env['DATABASE_URL']
if (url === undefined || url === '') throw new Error('set DATABASE_URL')
const total = Number(process.argv[2] ?? 100_000)
const expired = Number(process.argv[3] ?? 10_000)
const schema = `cheap_bench_stats_${Date.now()}`
const adapter = await PostgresAdapter.create({ connectionString: url }, { schema, poolSize: 4 })
const raw = adapter.db as unknown as Kysely<unknown>
const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0

try {
  await PostgresSchema.createSchema(adapter)
  const dao = new PostgresDao(adapter)
  let t = performance.now()
  await sql`insert into catalog (catalog_id, species, revision)
    select gen_random_uuid(), 'SINK', 1 from generate_series(1, ${total})`.execute(raw)
  await sql`insert into catalog_revision (catalog_id, revision, operation) select catalog_id, 1, 'save' from catalog`.execute(
    raw,
  )
  await sql`analyze`.execute(raw)
  console.log(`inserted ${total} catalogs set-based in ${ms(t)} ms`)
  for (let i = 0; i < 3; i++) {
    t = performance.now()
    const stats = await dao.stats()
    console.log(`dao.stats() on ${stats.catalogs.total} catalogs: ${ms(t)} ms`)
  }

  await sql`update catalog set expires_at = now() - interval '1 hour'
    where catalog_id in (select catalog_id from catalog order by catalog_id limit ${expired})`.execute(
    raw,
  )
  const def = createAspectDef({
    name: 'bench.item',
    properties: [createPropertyDef({ name: 'label', type: 'STR' })],
  })
  const workers = Array.from({ length: 2 }, () => {
    const c = createCatalog()
    const map = c.extend(def)
    for (let i = 0; i < 20; i++) map.add(createAspect(def, newEntityId(), { label: `x${i}` }))
    return c
  })
  for (const c of workers) await dao.saveCatalog(c)
  async function saves(untilDone: () => boolean, min: number): Promise<number[]> {
    const times: number[] = []
    let n = 0
    while (n < min || !untilDone()) {
      const c = workers[n % workers.length]
      if (c === undefined) break
      const map = c.aspects(def.name)
      map?.add(createAspect(def, newEntityId(), { label: `y${n}` }))
      const s = performance.now()
      await dao.saveCatalog(c)
      times.push(performance.now() - s)
      n++
    }
    return times
  }
  const alone = await saves(() => true, 200)
  let done = false
  t = performance.now()
  const purge = dao.purgeExpired().then((n) => {
    done = true
    return n
  })
  const during = await saves(() => done, 20)
  const purged = await purge
  const purgeMs = ms(t)
  const fmt = (xs: number[]) =>
    `n=${xs.length} median ${pct(xs, 0.5).toFixed(1)} ms, p95 ${pct(xs, 0.95).toFixed(1)} ms`
  console.log(`purged ${purged} expired catalogs in ${purgeMs} ms`)
  console.log(`saves alone:        ${fmt(alone)}`)
  console.log(`saves during purge: ${fmt(during)}`)
  console.log(
    `median ratio ${(pct(during, 0.5) / pct(alone, 0.5)).toFixed(2)}x, p95 ratio ${(pct(during, 0.95) / pct(alone, 0.95)).toFixed(2)}x`,
  )
} finally {
  await PostgresSchema.dropSchema(adapter).catch(() => undefined)
  await adapter.close()
}

/**
 * The child process of the SIGKILL trials in crash-safety.test.ts (not a test file): loads the
 * big catalog, applies the round's deterministic edits, prints `saving` and saves it, then
 * prints `saved <revision>`. The parent kills it at a random moment after `saving`.
 *
 * Environment: CHEAP_CRASH_URL, CHEAP_CRASH_SCHEMA, CHEAP_CRASH_CATALOG, CHEAP_CRASH_DEF (the
 * AspectDef's name), CHEAP_CRASH_ROUND, CHEAP_CRASH_FORCE (`1`: save a fresh copy with force,
 * a full rewrite).
 */
import { catalogFromJson, catalogToJson } from '../../src/json/index.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { editBigCatalog } from './support.ts'

function env(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`${name} is not set`)
  return value
}

const adapter = await PostgresAdapter.create(
  { connectionString: env('CHEAP_CRASH_URL') },
  { schema: env('CHEAP_CRASH_SCHEMA'), poolSize: 1, applicationName: 'cheap-crash-child' },
)
const dao = new PostgresDao(adapter)
const loaded = await dao.loadCatalog(env('CHEAP_CRASH_CATALOG'))
if (loaded === null) throw new Error('the catalog is not stored')
const def = loaded.aspectDef(env('CHEAP_CRASH_DEF'))
if (def === undefined) throw new Error('the AspectDef is not in the catalog')
const force = process.env['CHEAP_CRASH_FORCE'] === '1'
const catalog = force ? catalogFromJson(catalogToJson(loaded)) : loaded
editBigCatalog(catalog, def, Number(env('CHEAP_CRASH_ROUND')))
process.stdout.write('saving\n')
const { revision } = await dao.saveCatalog(catalog, { force })
process.stdout.write(`saved ${revision}\n`)
await adapter.close()

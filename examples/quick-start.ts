/**
 * The README's first example: define an AspectDef, build a catalog, save it, load it back.
 *
 *   npx tsx examples/quick-start.ts    (or: node --import tsx examples/quick-start.ts)
 *
 * Runs on embedded PGlite in memory unless DATABASE_URL names a server (then it writes into
 * that database's public schema). In your own project, import from 'cheap-db-postgres'.
 */
import {
  PostgresAdapter,
  PostgresSchema,
  PostgresDao,
  createCatalog,
  createAspectDef,
  createPropertyDef,
  createAspect,
  newEntityId,
  catalogEquals,
} from '../src/index.ts'

const person = createAspectDef({
  name: 'com.example.person',
  properties: [
    createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
    createPropertyDef({ name: 'age', type: 'INT' }), // bigint | null
    createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }), // readonly string[] | null
  ],
})
const catalog = createCatalog({ species: 'SINK' })
const alice = newEntityId()
catalog.extend(person).add(createAspect(person, alice, { name: 'Alice', age: 42n, tags: [] }))
catalog.createEntityList('queue').add(alice)

const adapter = await PostgresAdapter.fromEnv() // DATABASE_URL / PG* variables, else embedded PGlite
try {
  await PostgresSchema.createSchema(adapter, { includeAudit: true }) // idempotent
  const dao = new PostgresDao(adapter)
  const { revision } = await dao.saveCatalog(catalog) // one transaction: all or nothing
  const loaded = await dao.loadCatalog(catalog.globalId) // equal to what was saved
  const age = loaded?.aspects(person.name)?.get(alice)?.get('age') // 42n, typed bigint | null | undefined

  console.log(`database: ${adapter.target}`)
  console.log(`saved catalog ${catalog.globalId} at revision ${revision}`)
  console.log(`loaded: age of Alice = ${String(age)}`)
  console.log(`equal to the saved catalog: ${loaded !== null && catalogEquals(loaded, catalog)}`)
} finally {
  await adapter.close()
}

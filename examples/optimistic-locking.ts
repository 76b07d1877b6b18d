/**
 * Optimistic locking: two copies of one catalog are edited at once; the second save is a
 * conflict instead of silently undoing the first. Reload and apply the edit again, or force.
 *
 *   npx tsx examples/optimistic-locking.ts
 */
import {
  PostgresAdapter,
  PostgresDao,
  PostgresSchema,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  isCheapError,
  newEntityId,
} from '../src/index.ts'

const valueProperty = createPropertyDef({ name: 'value', type: 'INT', isNullable: false })
const counter = createAspectDef({ name: 'com.example.counter', properties: [valueProperty] })
const id = newEntityId()
const catalog = createCatalog()
catalog.extend(counter).add(createAspect(counter, id, { value: 0n }))

const adapter = await PostgresAdapter.fromEnv()
try {
  await PostgresSchema.createSchema(adapter)
  const dao = new PostgresDao(adapter)
  await dao.saveCatalog(catalog)

  // Two users load the same revision…
  const first = await dao.loadCatalog(catalog.globalId)
  const second = await dao.loadCatalog(catalog.globalId)
  if (first === null || second === null) throw new Error('the catalog was just saved')
  const increment = (copy: typeof first) => {
    const aspect = copy.aspects(counter)?.get(id)
    aspect?.set('value', (aspect.get('value') ?? 0n) + 1n)
  }

  // …the first saves…
  increment(first)
  console.log(`first save: revision ${(await dao.saveCatalog(first)).revision}`)

  // …and the second, still at the old revision, is refused.
  increment(second)
  try {
    await dao.saveCatalog(second)
  } catch (error) {
    if (!isCheapError(error, 'CONFLICT')) throw error
    console.log(`second save refused: ${error.message}`)
  }

  // The usual answer: load the current state, apply the change again, save.
  const fresh = await dao.loadCatalog(catalog.globalId)
  if (fresh === null) throw new Error('the catalog was just saved')
  increment(fresh)
  const { revision } = await dao.saveCatalog(fresh)
  const stored = await dao.loadCatalog(catalog.globalId)
  const count = stored?.aspects(counter)?.get(id)?.get('value')
  console.log(`retried: revision ${revision}, counter = ${count}`)
} finally {
  await adapter.close()
}

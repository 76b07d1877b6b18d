/**
 * Two versions of an application share one AspectDef, and the newer one grows it.
 *
 *   npx tsx examples/evolve-def.ts    (or: node --import tsx examples/evolve-def.ts)
 *
 * Version 1 of the app saves `com.example.item` with one property; version 2 adds `color`. Both
 * keep saving side by side, each catalog pinned to the def version it saved, and neither changes
 * what the other loads. Then `evolveAspectDef` moves the old catalogs to the new shape on
 * purpose, and a shape the def's flags do not allow is refused with a CheapConflictError.
 *
 * Runs on embedded PGlite in memory unless DATABASE_URL names a server; run it as often as you
 * like against the same database (defs get ids from their names, catalogs here are new each run).
 */
import {
  PostgresAdapter,
  PostgresSchema,
  PostgresDao,
  CheapConflictError,
  createCatalog,
  createAspectDef,
  createPropertyDef,
  createAspect,
  newEntityId,
} from '../src/index.ts'

const NAME = 'com.example.item'

// Version 1 of the application: items have a name. They may gain properties later.
const itemV1 = createAspectDef({
  name: NAME,
  canAddProperties: true,
  properties: [createPropertyDef({ name: 'name', type: 'STR', isNullable: false })],
})
// Version 2 of the application: items also have a color.
const itemV2 = createAspectDef({
  name: NAME,
  canAddProperties: true,
  properties: [
    createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
    createPropertyDef({ name: 'color', type: 'STR' }),
  ],
})

const adapter = await PostgresAdapter.fromEnv()
try {
  await PostgresSchema.createSchema(adapter)
  const dao = new PostgresDao(adapter)

  const old = createCatalog({ species: 'SINK' })
  old.extend(itemV1).add(createAspect(itemV1, newEntityId(), { name: 'lamp' }))
  await dao.saveCatalog(old)

  const current = createCatalog({ species: 'SINK' })
  current.extend(itemV2).add(createAspect(itemV2, newEntityId(), { name: 'vase', color: 'red' }))
  await dao.saveCatalog(current) // a new version of the def: v1 allows adding properties

  const oldLoaded = await dao.loadCatalog(old.globalId)
  const oldDef = oldLoaded?.aspectDef(NAME)
  console.log(
    `old catalog still has: ${oldDef
      ?.propertyDefs()
      .map((p) => p.name)
      .join(', ')}`,
  )

  const info = (await dao.listAspectDefs()).find((def) => def.name === NAME)
  const versions = info?.versions.map((v) => `v${v.version}`).join(', ')
  console.log(`${NAME} versions stored: ${versions}`)

  // Move the old catalog to version 2 on purpose: its aspects get no color (absent).
  const evolved = await dao.evolveAspectDef(itemV2, { catalogs: [old.globalId] })
  const moved = evolved.catalogs.map((c) => `from v${c.fromVersion}`).join(', ')
  console.log(`evolved to v${evolved.version}: added ${evolved.added.join(', ')}; moved ${moved}`)
  const after = await dao.loadCatalog(old.globalId)
  console.log(
    `old catalog now has: ${after
      ?.aspectDef(NAME)
      ?.propertyDefs()
      .map((p) => p.name)
      .join(', ')}`,
  )

  // Removing a property needs canRemoveProperties, which no version of this def has.
  const shrunk = createAspectDef({
    name: NAME,
    canAddProperties: true,
    properties: [createPropertyDef({ name: 'color', type: 'STR' })],
  })
  const catalog = createCatalog({ species: 'SINK' })
  catalog.extend(shrunk).add(createAspect(shrunk, newEntityId(), { color: 'blue' }))
  try {
    await dao.saveCatalog(catalog)
  } catch (error) {
    if (!(error instanceof CheapConflictError)) throw error
    console.log(`refused: property '${error.propertyName}' of ${error.aspectDefName}`)
  }
} finally {
  await adapter.close()
}

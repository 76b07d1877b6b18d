import { performance } from 'node:perf_hooks'
import { buildSampleCatalog } from '../src/cli/sample-catalog.ts'
import type { Catalog } from '../src/model/catalog.ts'
import type { EntityId } from '../src/model/entity.ts'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'
import { openTarget, type BenchTarget } from './open-backend.ts'

// One process per size builds the catalog and saves it, so its peak RSS is this size's alone.
// The benchmark's sample catalog plus the shapes that once had cliffs (issue #17): a list and a
// set of every entity, a wide tree (100 folders of N/100 leaves) and a deep one (N/100 levels,
// at most 10,000).
const [targetJson, entitiesText] = process.argv.slice(2)
const target = JSON.parse(targetJson ?? '{}') as BenchTarget
const entities = Number(entitiesText)

function addScaleShapes(catalog: Catalog, ids: readonly EntityId[]): void {
  catalog.createEntityList('everyone').addAll(ids)
  catalog.createEntitySet('everyoneOnce').addAll(ids)
  const wide = catalog.createEntityTree('wide')
  const perFolder = Math.max(1, Math.floor(ids.length / 100))
  for (let f = 0; f < 100; f++) {
    const folder = wide.root.addChild(`folder-${f}`)
    for (let i = f * perFolder; i < Math.min(ids.length, (f + 1) * perFolder); i++) {
      folder.addChild(`leaf-${i}`, { entityId: ids[i] ?? null, isLeaf: true })
    }
  }
  let node = catalog.createEntityTree('deep').root
  const depth = Math.min(10_000, Math.floor(ids.length / 100))
  for (let level = 0; level < depth; level++) node = node.addChild(`level-${level}`)
}

let started = performance.now()
const catalog = buildSampleCatalog({ entities, namespace: `scale${process.pid}n${entities}` })
const ids: EntityId[] = []
const directory = catalog.hierarchy('byName') // the sample's directory names every entity
if (directory?.type === 'ED') for (const [, id] of directory.entries()) ids.push(id)
addScaleShapes(catalog, ids)
const buildMs = performance.now() - started

const adapter = await openTarget(target)
try {
  await PostgresSchema.createSchema(adapter)
  const rssBeforeSave = process.resourceUsage().maxRSS / 1024
  started = performance.now()
  const result = await new PostgresDao(adapter).saveCatalog(catalog)
  const saveMs = performance.now() - started
  console.log(
    JSON.stringify({
      catalogId: catalog.globalId,
      buildMs,
      saveMs,
      rows: result.rowsWritten,
      rssBeforeSaveMb: rssBeforeSave,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  )
} finally {
  await adapter.close()
}

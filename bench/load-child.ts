import { performance } from 'node:perf_hooks'
import { PostgresDao } from '../src/persistence/dao/postgres-dao.ts'
import { openTarget, type BenchTarget } from './open-backend.ts'

// A fresh process loads the catalog, so its peak RSS is the load's (plus the runtime's, and on
// PGlite the embedded database's own ≈0.5 GB), not what the parent built before.
const [targetJson, catalogId] = process.argv.slice(2)
const target = JSON.parse(targetJson ?? '{}') as BenchTarget
const adapter = await openTarget(target)
const baseRss = process.resourceUsage().maxRSS
const started = performance.now()
const catalog = await new PostgresDao(adapter).loadCatalog(catalogId ?? '')
const loadMs = performance.now() - started
const maxRssKb = process.resourceUsage().maxRSS
await adapter.close()
console.log(
  JSON.stringify({
    loadMs,
    found: catalog !== null,
    maxRssMb: maxRssKb / 1024,
    rssBeforeLoadMb: baseRss / 1024,
  }),
)

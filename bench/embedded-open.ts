/**
 * What opening an embedded database costs: time and resident memory (RSS) of
 * `PostgresAdapter.embedded()` in memory, on a fresh data directory and on an existing one, each
 * in its own process. The README's "Embedded or server" sizing comes from this.
 *
 *   node --import tsx bench/embedded-open.ts
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { typeScriptCommand } from '../src/cli/runtime.ts'
import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'
import { PostgresSchema } from '../src/persistence/schema/postgres-schema.ts'

const mb = (bytes: number): number => Math.round(bytes / 1e6)

if (process.argv[2] === '--child') {
  const dataDir = process.argv[3]
  const started = performance.now()
  const adapter = await PostgresAdapter.embedded(dataDir === undefined ? {} : { dataDir })
  const openMs = Math.round(performance.now() - started)
  const rssOpen = mb(process.memoryUsage().rss)
  await PostgresSchema.createSchema(adapter)
  const schemaMs = Math.round(performance.now() - started) - openMs
  await adapter.close()
  // maxRSS is in kilobytes.
  const peak = Math.round(process.resourceUsage().maxRSS / 1e3)
  process.stdout.write(`${JSON.stringify({ openMs, rssOpen, schemaMs, peak })}\n`)
} else {
  const self = fileURLToPath(import.meta.url)
  const measure = (dataDir?: string): string => {
    const child = typeScriptCommand(self, ['--child', ...(dataDir === undefined ? [] : [dataDir])])
    return execFileSync(child.command, [...child.args]).toString('utf8')
  }
  const dir = mkdtempSync(join(tmpdir(), 'cheap-open-'))
  try {
    process.stdout.write(`in memory:                ${measure()}`)
    process.stdout.write(`fresh data directory:     ${measure(join(dir, 'data'))}`)
    process.stdout.write(`existing data directory:  ${measure(join(dir, 'data'))}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

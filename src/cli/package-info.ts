import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface PackageInfo {
  /** The directory holding cheap-db-postgres's package.json (the repository, or node_modules/…). */
  readonly root: string
  readonly version: string
}

let cached: PackageInfo | undefined

/**
 * This package's root and version, found by walking up from this module: it runs as
 * `src/cli/` in a clone and as `dist/src/cli/` when installed, at different depths.
 */
export function packageInfo(): PackageInfo {
  if (cached !== undefined) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown }
      if (json.name === 'cheap-db-postgres') {
        cached = { root: dir, version: typeof json.version === 'string' ? json.version : '0.0.0' }
        return cached
      }
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the package.json of cheap-db-postgres')
    dir = parent
  }
}

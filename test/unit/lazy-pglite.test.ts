/**
 * PGlite (a WASM PostgreSQL of about 800 MB resident once started) is loaded only when an
 * embedded database is opened: importing the package, or using a server, never loads it.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { inheritedNodeFlags } from '../../src/cli/runtime.ts'
import { ROOT, TSX, removeDir, run, tempDir } from '../cli/harness.ts'

// A module hook that refuses to resolve PGlite: any attempt to load it fails the child.
const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@electric-sql/pglite')) throw new Error('PGlite was loaded')
  return next(specifier, context)
}
`

describe('PGlite is loaded lazily', () => {
  let dir = ''
  before(async () => {
    dir = await tempDir('cheap-lazy-')
    await writeFile(join(dir, 'hooks.mjs'), HOOKS)
    await writeFile(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`,
    )
  })
  after(async () => removeDir(dir))

  async function probe(body: string) {
    const file = join(dir, `probe-${Math.random().toString(36).slice(2)}.mts`)
    const index = pathToFileURL(join(ROOT, 'src', 'index.ts')).href
    await writeFile(file, `const cheap = await import(${JSON.stringify(index)})\n${body}\n`)
    const args = [
      ...inheritedNodeFlags(),
      '--import',
      join(dir, 'register.mjs'),
      '--import',
      TSX,
      file,
    ]
    return run(process.execPath, args, { cwd: ROOT })
  }

  it('not by importing the package or creating a server adapter', async () => {
    // The server is unreachable: the adapter fails to connect, as a server adapter, not PGlite.
    const result = await probe(
      `const target = { connectionString: 'postgres://u@127.0.0.1:1/db' }\n` +
        `await cheap.PostgresAdapter.create(target).catch((e) => console.log(e.code))`,
    )
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, 'CONNECTION\n')
  })

  it('but by opening an embedded database (the hook sees it)', async () => {
    const result = await probe(`await cheap.PostgresAdapter.embedded()`)
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /PGlite was loaded/)
  })
})

/**
 * The npm package as a user gets it: build, `npm pack`, install the tarball into an empty
 * project, then run `npx cheap` and an example (importing 'cheap-db-postgres') there, with
 * no tsx and no TypeScript sources in the package.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { currentRuntime, typeScriptCommand } from '../src/cli/runtime.ts'
import { ROOT, TSX, cleanEnv, removeDir, run, tempDir } from './cli/harness.ts'

const exec = promisify(execFile)
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx'

interface PackResult {
  readonly filename: string
  readonly files: readonly { readonly path: string }[]
}

async function npm(args: readonly string[], cwd: string): Promise<string> {
  const { stdout } = await exec(NPM, [...args], {
    cwd,
    env: cleanEnv({ npm_config_update_notifier: 'false' }),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  })
  return stdout
}

const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
  version: string
}

describe('the npm package', () => {
  let dir = ''
  let project = ''
  let files: string[] = []

  before(async () => {
    dir = await tempDir('cheap-pack-')
    project = join(dir, 'project')
    await npm(['run', 'build'], ROOT)
    // The build already ran: --ignore-scripts skips prepack's second one.
    const packed = JSON.parse(
      await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT),
    ) as PackResult[]
    const result = packed[0]
    assert.ok(result !== undefined, 'npm pack reported nothing')
    files = result.files.map((f) => f.path).sort()
    await mkdir(project)
    await writeFile(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'cheap-pack-probe', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
    )
    // The dependencies are in npm's cache from the repository's own install.
    await npm(
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, result.filename)],
      project,
    )
  })
  after(async () => removeDir(dir))

  /**
   * The installed `cheap` as a user of this runtime starts it: `npx cheap` on Node (its
   * shebang), `bun node_modules/.bin/cheap` on Bun, `deno run -A …/bin/cheap` on Deno.
   */
  function installedCheap(args: readonly string[]) {
    const runtime = currentRuntime().name
    const bin = join(project, 'node_modules', 'cheap-db-postgres', 'bin', 'cheap')
    if (runtime === 'node') return run(NPX, ['--no-install', 'cheap', ...args], { cwd: project })
    const prefix = runtime === 'deno' ? ['run', '-A', bin] : [bin]
    return run(process.execPath, [...prefix, ...args], { cwd: project })
  }

  it('holds the built JS, its types, the schema, bin/cheap and the README, nothing else', () => {
    for (const file of [
      'package.json',
      'README.md',
      'bin/cheap',
      'bin/package.json',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/main.js',
      'dist/src/persistence/schema/steps.js',
      'schema/001-migration-ledger.sql',
    ]) {
      assert.ok(files.includes(file), `${file} is missing from the package`)
    }
    // The schema once, at the package root, where the built code looks for it.
    assert.deepEqual(
      files.filter((f) => f.startsWith('dist/schema/')),
      [],
    )
    const unwanted = files.filter(
      (f) =>
        !/^(dist\/src\/.+\.(js|d\.ts)|schema\/\d{3}-[a-z0-9-]+\.sql|bin\/cheap|bin\/package\.json|package\.json|README\.md)$/.test(
          f,
        ),
    )
    assert.deepEqual(unwanted, [], 'unexpected files in the package')
  })

  it('is ESM with an import and a default export condition, types first', async () => {
    const installed = JSON.parse(
      await readFile(join(project, 'node_modules', 'cheap-db-postgres', 'package.json'), 'utf8'),
    ) as { type: string; exports: Record<string, Record<string, string>> }
    assert.equal(installed.type, 'module')
    assert.deepEqual(Object.entries(installed.exports['.'] ?? {}), [
      ['types', './dist/src/index.d.ts'],
      ['import', './dist/src/index.js'],
      ['default', './dist/src/index.js'],
    ])
  })

  it('hides @internal members from its declarations', async () => {
    const aspect = await readFile(
      join(project, 'node_modules', 'cheap-db-postgres', 'dist', 'src', 'model', 'aspect.d.ts'),
      'utf8',
    )
    assert.match(aspect, /class Aspect\b/)
    assert.doesNotMatch(aspect, /\bstatic (restore|stored)\b/)
  })

  it('installs its bin: npx cheap --version', async () => {
    const result = await installedCheap(['--version'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, `${pkg.version}\n`)
  })

  it('npx cheap demo runs on embedded PGlite from the built code', async () => {
    const result = await installedCheap(['demo', '--entities', '200'])
    const shown = `${result.stdout}${result.stderr}`
    assert.equal(result.code, 0, shown)
    assert.match(result.stdout, /^loaded through a fresh adapter: equal to the saved catalog$/m)
    assert.match(result.stdout, /^demo OK$/m)
    assert.doesNotMatch(shown, /\/src\/.*\.ts\b/, 'the installed CLI ran TypeScript sources')
  })

  it('npx cheap finds the schema files: import, then export byte for byte', async () => {
    const fixture = join(ROOT, 'test', 'fixtures', 'json', 'full-catalog.json')
    const imported = await installedCheap(['import', fixture])
    assert.equal(imported.code, 0, imported.stderr)
    const id = imported.stdout.trim()
    const exported = await installedCheap(['export', id, '--pretty'])
    assert.equal(exported.code, 0, exported.stderr)
    assert.equal(exported.stdout, await readFile(fixture, 'utf8'))
  })

  for (const skipLibCheck of [true, false]) {
    it(`a consumer compiles against the package with skipLibCheck: ${skipLibCheck}`, async () => {
      const example = await readFile(join(ROOT, 'examples', 'quick-start.ts'), 'utf8')
      assert.match(example, /from '\.\.\/src\/index\.ts'/)
      await writeFile(
        join(project, 'quick-start.ts'),
        example.replace("from '../src/index.ts'", "from 'cheap-db-postgres'"),
      )
      await writeFile(join(project, 'surface.ts'), SURFACE)
      const config = `tsconfig-${skipLibCheck ? 'skip' : 'check'}.json`
      await writeFile(
        join(project, config),
        JSON.stringify({
          compilerOptions: {
            target: 'es2023',
            lib: ['es2023'],
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            noEmit: true,
            skipLibCheck,
            types: ['node'],
            typeRoots: [join(ROOT, 'node_modules', '@types')],
          },
          files: ['quick-start.ts', 'surface.ts'],
        }),
      )
      const tsc = await run(
        process.execPath,
        [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config],
        { cwd: project },
      )
      assert.equal(tsc.code, 0, `${tsc.stdout}${tsc.stderr}`)
    })
  }

  it("an example importing 'cheap-db-postgres' runs against the package", async () => {
    const example = await readFile(join(ROOT, 'examples', 'quick-start.ts'), 'utf8')
    await writeFile(
      join(project, 'quick-start.ts'),
      example.replace("from '../src/index.ts'", "from 'cheap-db-postgres'"),
    )
    // On Node tsx only strips the example's types; Bun and Deno run it natively. Either way
    // the package itself is plain JS from dist/, found through node_modules.
    const child = typeScriptCommand('quick-start.ts', [], { tsx: TSX })
    const result = await run(child.command, child.args, { cwd: project })
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`)
    assert.match(result.stdout, /^equal to the saved catalog: true$/m)
  })
})

/**
 * A consumer's use of the public types: the row and audited-database types, an existing PGlite,
 * and no access to @internal members (an unused @ts-expect-error fails the compile).
 */
const SURFACE = `import type { Kysely } from 'kysely'
import {
  Aspect,
  PostgresAdapter,
  PropertyDef,
  TreeNode,
  type CheapAuditedDatabase,
  type CheapRow,
  type EmbeddedPglite,
} from 'cheap-db-postgres'

export function names(db: Kysely<CheapAuditedDatabase>) {
  return db.selectFrom('catalog').select(['catalog_id', 'updated_at']).execute()
}
export const row: Pick<CheapRow<'hierarchy'>, 'name'> = { name: 'queue' }
export function open(pglite: EmbeddedPglite) {
  return PostgresAdapter.embedded({ pglite })
}
// @ts-expect-error Aspect.restore is @internal
export const restore = Aspect.restore
// @ts-expect-error Aspect.stored is @internal
export const stored = Aspect.stored
// @ts-expect-error PropertyDef.create is @internal
export const create = PropertyDef.create
// @ts-expect-error TreeNode's constructor takes its tree (not an implied no-argument one)
export const node = new TreeNode()
`

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
      'dist/schema/001-migration-ledger.sql',
    ]) {
      assert.ok(files.includes(file), `${file} is missing from the package`)
    }
    const unwanted = files.filter(
      (f) =>
        !/^(dist\/src\/.+\.(js|d\.ts)|(dist\/)?schema\/\d{3}-[a-z0-9-]+\.sql|bin\/cheap|bin\/package\.json|package\.json|README\.md)$/.test(
          f,
        ),
    )
    assert.deepEqual(unwanted, [], 'unexpected files in the package')
  })

  it('installs its bin: npx cheap --version', async () => {
    const result = await run(NPX, ['--no-install', 'cheap', '--version'], { cwd: project })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, `${pkg.version}\n`)
  })

  it('npx cheap demo runs on embedded PGlite from the built code', async () => {
    const result = await run(NPX, ['--no-install', 'cheap', 'demo', '--entities', '200'], {
      cwd: project,
    })
    const shown = `${result.stdout}${result.stderr}`
    assert.equal(result.code, 0, shown)
    assert.match(result.stdout, /^loaded through a fresh adapter: equal to the saved catalog$/m)
    assert.match(result.stdout, /^demo OK$/m)
    assert.doesNotMatch(shown, /\/src\/.*\.ts\b/, 'the installed CLI ran TypeScript sources')
  })

  it('npx cheap finds the schema files: import, then export byte for byte', async () => {
    const fixture = join(ROOT, 'test', 'fixtures', 'json', 'full-catalog.json')
    const imported = await run(NPX, ['--no-install', 'cheap', 'import', fixture], {
      cwd: project,
    })
    assert.equal(imported.code, 0, imported.stderr)
    const id = imported.stdout.trim()
    const exported = await run(NPX, ['--no-install', 'cheap', 'export', id, '--pretty'], {
      cwd: project,
    })
    assert.equal(exported.code, 0, exported.stderr)
    assert.equal(exported.stdout, await readFile(fixture, 'utf8'))
  })

  it("an example importing 'cheap-db-postgres' type-checks and runs against the package", async () => {
    const example = await readFile(join(ROOT, 'examples', 'quick-start.ts'), 'utf8')
    assert.match(example, /from '\.\.\/src\/index\.ts'/)
    await writeFile(
      join(project, 'quick-start.ts'),
      example.replace("from '../src/index.ts'", "from 'cheap-db-postgres'"),
    )
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2023',
          lib: ['es2023'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['quick-start.ts'],
      }),
    )
    const tsc = await run(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      { cwd: project },
    )
    assert.equal(tsc.code, 0, `${tsc.stdout}${tsc.stderr}`)
    // tsx only strips the example's types; the package itself is plain JS from dist/.
    const result = await run(process.execPath, ['--import', TSX, 'quick-start.ts'], {
      cwd: project,
    })
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`)
    assert.match(result.stdout, /^equal to the saved catalog: true$/m)
  })
})

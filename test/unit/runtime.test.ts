/**
 * src/cli/runtime.ts on whichever runtime runs the tests (Node in `npm test`; Node 22, Bun and
 * Deno in scripts/test-runtimes.sh): it names that runtime, and a TypeScript child started with
 * typeScriptCommand runs on the same runtime and version.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { currentRuntime, inheritedNodeFlags, typeScriptCommand } from '../../src/cli/runtime.ts'
import { ROOT, TSX, removeDir, run, tempDir } from '../cli/harness.ts'

describe('the runtime', () => {
  let dir = ''
  before(async () => {
    dir = await tempDir('cheap-runtime-')
  })
  after(async () => removeDir(dir))

  it('names the runtime of this process, with the version it reports for itself', () => {
    const runtime = currentRuntime()
    const versions = process.versions as Record<string, string | undefined>
    const expected = versions['bun'] !== undefined ? 'bun' : versions['deno'] ? 'deno' : 'node'
    assert.equal(runtime.name, expected)
    assert.equal(runtime.version, versions[expected])
    assert.match(runtime.label, /^(Node|Bun|Deno) \d+\.\d+\.\d+/)
  })

  it('starts a TypeScript child on the same runtime, with its arguments', async () => {
    const file = join(dir, 'child.ts')
    // Type annotations: the child must be run as TypeScript, not as JavaScript.
    await writeFile(
      file,
      `import { currentRuntime } from ${JSON.stringify(join(ROOT, 'src', 'cli', 'runtime.ts'))}\n` +
        `const args: readonly string[] = process.argv.slice(2)\n` +
        `const flags = process.execArgv.filter((flag) => flag === '--no-memory-protection-keys')\n` +
        `process.stdout.write(JSON.stringify({ label: currentRuntime().label, args, flags }))\n`,
    )
    const child = typeScriptCommand(file, ['a b', '--c'], { tsx: TSX })
    assert.equal(child.command, process.execPath)
    const result = await run(child.command, child.args, { cwd: dir })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), {
      label: currentRuntime().label,
      args: ['a b', '--c'],
      // Node 22 and 24 run the tests with --no-memory-protection-keys (scripts/test-runtimes.sh): the
      // child has it too. Elsewhere neither has it.
      flags: inheritedNodeFlags(),
    })
  })

  it('passes on the V8 flags Node refuses in NODE_OPTIONS, and no others', () => {
    const parent = ['--no-memory-protection-keys', '--import', 'tsx', '--test', '--stack-size=900']
    assert.deepEqual(inheritedNodeFlags(parent), ['--no-memory-protection-keys'])
    assert.deepEqual(inheritedNodeFlags(['--import', 'tsx']), [])
  })
})

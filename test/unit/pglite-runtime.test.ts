/**
 * The Node 24 workaround in src/persistence/connection/pglite-runtime.ts: which runtimes get it,
 * and, on an affected one (Node 24 in scripts/test-runtimes.sh), that opening embedded databases
 * really stops V8's wasm code GC — the code path of the double free that aborted CI processes.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { typeScriptCommand } from '../../src/cli/runtime.ts'
import { hasWasmWrapperDoubleFree } from '../../src/persistence/connection/pglite-runtime.ts'
import { ROOT, TSX, removeDir, run, tempDir } from '../cli/harness.ts'

describe('the PGlite runtime workaround (nodejs/node#64500)', () => {
  let dir = ''
  before(async () => {
    dir = await tempDir('cheap-wasm-gc-')
  })
  after(async () => removeDir(dir))

  it('is for V8 13.6 (Node 24) only, never for Bun, Deno or other V8 lines', () => {
    assert.equal(hasWasmWrapperDoubleFree({ v8: '13.6.233.17-node.27' }), true)
    assert.equal(hasWasmWrapperDoubleFree({ v8: '12.4.254.21-node.33' }), false) // Node 22
    assert.equal(hasWasmWrapperDoubleFree({ v8: '11.3.244.8-node.33' }), false) // Node 20
    assert.equal(hasWasmWrapperDoubleFree({ v8: '13.7.152.14' }), false) // fixed upstream
    assert.equal(hasWasmWrapperDoubleFree({ v8: '14.1.146.11-node.14' }), false) // Node 25+
    assert.equal(hasWasmWrapperDoubleFree({ v8: '13.6.0', bun: '1.3.0' }), false)
    assert.equal(hasWasmWrapperDoubleFree({ v8: '13.6.0', deno: '2.5.0' }), false)
    assert.equal(hasWasmWrapperDoubleFree({}), false)
  })

  it('on an affected V8, embedded databases run no wasm code GC (and do without it)', async (t) => {
    if (!hasWasmWrapperDoubleFree(process.versions)) {
      // Not affected: the library leaves V8 alone, which the case above pins for this runtime.
      t.diagnostic(`V8 ${process.versions.v8}: not affected, nothing to turn off`)
      return
    }
    const file = join(dir, 'churn.mts')
    await writeFile(
      file,
      `import { PostgresAdapter } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))}\n` +
        `for (let i = 0; i < 6; i++) {\n` +
        `  const adapter = await PostgresAdapter.embedded()\n` +
        `  await adapter.healthCheck()\n` +
        `  await adapter.close()\n` +
        `  ;(globalThis as { gc?: () => void }).gc?.()\n` +
        `}\n` +
        `process.stdout.write('churned\\n')\n`,
    )
    const child = typeScriptCommand(file, [], {
      tsx: TSX,
      nodeOptions: ['--expose-gc', '--trace-wasm-code-gc'],
    })
    const churn = (env: Record<string, string>) => run(child.command, child.args, { cwd: dir, env })
    const [fixed, control] = await Promise.all([churn({}), churn({ CHEAP_KEEP_WASM_CODE_GC: '1' })])
    for (const result of [fixed, control]) assert.equal(result.code, 0, result.stderr)
    assert.match(fixed.stdout, /churned/)
    assert.doesNotMatch(fixed.stdout + fixed.stderr, /\[wasm-gc\]/)
    // The same churn with the workaround refused does collect code: the check above can fail.
    assert.match(control.stdout + control.stderr, /\[wasm-gc\] Starting GC/)
  })
})

/** `cheap bench` starts the repository's benchmark with the arguments after `bench`. */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { currentRuntime } from '../../src/cli/runtime.ts'
import { cheap, removeDir, show, tempDir } from './harness.ts'

describe('cheap bench', () => {
  let cwd = ''
  before(async () => {
    cwd = await tempDir('cheap-bench-')
  })
  after(async () => removeDir(cwd))

  it('refuses --json and --schema (exit 2)', async () => {
    const json = await cheap(['--json', 'bench'], { cwd })
    assert.equal(json.code, 2, show(json))
    assert.match(json.stderr, /cheap bench has no --json output/)
    const schema = await cheap(['--schema', 's', 'bench'], { cwd })
    assert.equal(schema.code, 2, show(schema))
  })

  // One run for both workloads: each bench process pays PGlite's start-up again.
  it('runs the smallest benchmark and every shape on embedded PGlite, --out relative to the caller', async () => {
    const result = await cheap(
      [
        'bench',
        '--entities',
        '10',
        '--samples',
        '1',
        '--small-catalogs',
        '16',
        '--shapes',
        'all',
        '--out',
        'out',
      ],
      { cwd },
    )
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /^benchmark on pglite/m)
    // Issue #16's workload, both paths side by side.
    assert.match(result.stdout, /^## Many small catalogs: 16 catalogs × 10 entities/m)
    assert.match(result.stdout, /^\| pglite \| auto \|/m)
    assert.match(result.stdout, /^\| pglite \| never \|/m)
    const written = (await readdir(join(cwd, 'out'))).sort()
    // Node's results keep their historical name; Bun's and Deno's are named after the runtime.
    const runtime = currentRuntime().name
    const suffix = runtime === 'node' ? '' : `-${runtime}`
    assert.deepEqual(
      written.map((f) => f.replace(/^\d{4}-\d\d-\d\d-/, '')),
      ['json', 'md', 'svg'].map((ext) => `pglite${suffix}.${ext}`),
    )
    // --shapes all: every shape with its JSONB and dedicated stores.
    assert.match(result.stdout, /^## Shapes$/m)
    for (const shape of ['sample', 'audit', 'strings', 'wide', 'manydefs', 'multivalued'])
      assert.match(
        result.stdout,
        new RegExp(`^\\| ${shape} \\| 10 \\| [\\d,]+ \\| [\\d,]+ \\|`, 'm'),
      )
    // Bytes per stored value, for our tables and both comparison stores.
    assert.match(
      result.stdout,
      /^\| multivalued (\|[^|\n]*){15}\| [\d.]+ B \| [\d.]+ B \| [\d.]+ B \|$/m,
    )
    assert.match(result.stdout, /^- N = 10: save – of COPY \([\d.]+% of unnest\)/m)
    const json = (await readdir(join(cwd, 'out'))).find((f) => f.endsWith('.json'))
    assert.ok(json !== undefined)
    const results = JSON.parse(await readFile(join(cwd, 'out', json), 'utf8')) as {
      shapes: { shape: string; values: number; jsonb: { method: string; rows: number } }[]
    }
    assert.deepEqual(
      results.shapes.map((s) => s.shape),
      ['sample', 'audit', 'strings', 'wide', 'manydefs', 'multivalued'],
    )
    for (const s of results.shapes) {
      assert.ok(s.values > 0, s.shape)
      assert.equal(s.jsonb.method, 'unnest')
      assert.ok(s.jsonb.rows > 0, s.shape)
    }
  })

  it('refuses an unknown shape', async () => {
    const result = await cheap(['bench', '--shapes', 'sample,nope', '--out', 'nope'], { cwd })
    assert.notEqual(result.code, 0, show(result))
    assert.match(result.stderr, /--shapes takes all, none or a comma list of .*; got nope/)
  })
})

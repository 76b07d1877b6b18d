import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cheap, FIXTURES } from './harness.ts'

describe('cheap stats and cheap purge (embedded)', () => {
  let cwd: string
  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cheap-stats-'))
  })
  after(async () => rm(cwd, { recursive: true, force: true }))

  it('stats counts what an import stored, as text and JSON; purge finds nothing expired', async () => {
    const imported = await cheap(['import', join(FIXTURES, 'full-catalog.json')], { cwd })
    assert.equal(imported.code, 0, imported.stderr)
    const text = await cheap(['stats', '--largest', '1'], { cwd })
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^catalogs {6}1 \(SINK 1\), expired not purged 0$/m)
    assert.match(text.stdout, /^550e8400-e29b-41d4-a716-444444444444 +SINK +\d+ +1 /m)
    assert.match(text.stdout, /^catalog +\S+ +\S+ +\d+ +\d+/m)
    const json = await cheap(['stats', '--json'], { cwd })
    assert.equal(json.code, 0, json.stderr)
    const stats = JSON.parse(json.stdout) as {
      catalogs: { total: number }
      largest: { catalogId: string }[]
    }
    assert.equal(stats.catalogs.total, 1)
    assert.equal(stats.largest[0]?.catalogId, '550e8400-e29b-41d4-a716-444444444444')
    const purge = await cheap(['purge', '--json'], { cwd })
    assert.equal(purge.code, 0, purge.stderr)
    assert.deepEqual(JSON.parse(purge.stdout), { purged: 0 })
    assert.equal((await cheap(['stats', '--largest', 'x'], { cwd })).code, 2)
    assert.equal((await cheap(['purge', '--limit', '0'], { cwd })).code, 2)
  })
})

/** The progress line: invisible for the first second, on terminals only, erased when done. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Progress, formatBytes, formatCount } from '../../src/cli/progress.ts'

function fake(enabled = true) {
  const writes: string[] = []
  let now = 0
  const progress = new Progress({
    stream: { write: (text: string) => writes.push(text), columns: 200 },
    enabled,
    now: () => now,
  })
  return {
    progress,
    writes,
    advance: (ms: number) => {
      now += ms
    },
  }
}

describe('Progress', () => {
  it('draws nothing during the first second', () => {
    const { progress, writes, advance } = fake()
    progress.phase('reading')
    advance(999)
    progress.phase('parsing')
    assert.deepEqual(writes, [])
    progress.done()
    assert.deepEqual(writes, [], 'nothing to erase')
  })

  it('after a second, draws the phase and the elapsed time on one line', () => {
    const { progress, writes, advance } = fake()
    progress.phase('reading')
    advance(1500)
    progress.phase('parsing 2.5 MB of JSON')
    assert.equal(writes.length, 1)
    assert.match(writes[0]!, /^\r\x1b\[2K. parsing 2\.5 MB of JSON {2}1\.5 s$/)
    assert.equal(progress.visible, true)
    progress.done()
    assert.equal(writes.at(-1), '\r\x1b[2K')
    assert.equal(progress.visible, false)
    progress.phase('late')
    advance(5000)
    progress.phase('later')
    assert.equal(writes.length, 2, 'nothing is drawn after done()')
  })

  it('shows a bar when the total is known, and redraws at most every 100 ms', () => {
    const { progress, writes, advance } = fake()
    advance(2000)
    progress.phase('reading big.json', { done: 500_000, total: 2_000_000, format: formatBytes })
    assert.match(writes[0]!, /reading big\.json \[######\.{18}\] 25% 500 kB \/ 2\.00 MB {2}2\.0 s$/)
    advance(50)
    progress.phase('reading big.json', { done: 600_000, total: 2_000_000, format: formatBytes })
    assert.equal(writes.length, 1, 'throttled')
    advance(60)
    progress.phase('reading big.json', { done: 2_000_000, total: 2_000_000, format: formatBytes })
    assert.match(writes[1]!, /\[#{24}\] 100% 2\.00 MB \/ 2\.00 MB/)
    progress.done()
  })

  it('counts without a total', () => {
    const { progress, writes, advance } = fake()
    advance(1000)
    progress.phase('writing', { done: 1_234_567 })
    assert.match(writes[0]!, /writing 1,234,567 {2}1\.0 s$/)
    progress.done()
  })

  it('draws nothing at all when disabled (not a terminal)', () => {
    const { progress, writes, advance } = fake(false)
    progress.phase('reading')
    advance(10_000)
    progress.phase('saving', { done: 5, total: 10 })
    progress.done()
    assert.deepEqual(writes, [])
    assert.equal(progress.enabled, false)
  })

  it('formats counts and sizes for people', () => {
    assert.equal(formatCount(1234567), '1,234,567')
    assert.deepEqual([0, 999, 1000, 12_345, 123_456, 12_345_678, 1_500_000_000].map(formatBytes), [
      '0 B',
      '999 B',
      '1.00 kB',
      '12.3 kB',
      '123 kB',
      '12.3 MB',
      '1.50 GB',
    ])
  })
})

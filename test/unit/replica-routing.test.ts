/**
 * The pieces of replica routing that need no server: what counts as fresh for a revision the
 * process has seen, the listing check, DATABASE_REPLICA_URLS parsing and option checks. The
 * routing itself runs against a real standby in test/reliability/replicas.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CheapValidationError } from '../../src/errors.ts'
import {
  checkReplicaOptions,
  replicaUrlsOf,
  ReplayCheckpoints,
  satisfies,
  SeenRevisions,
} from '../../src/persistence/connection/replicas.ts'

const a = '00000000-0000-4000-8000-00000000000a'
const b = '00000000-0000-4000-8000-00000000000b'
const c = '00000000-0000-4000-8000-00000000000c'

describe('replica routing', () => {
  it('a seen revision is satisfied by it or a newer one; a deletion only by no row', () => {
    assert.equal(satisfies(3n, { revision: 3n }), true)
    assert.equal(satisfies(4n, { revision: 3n }), true)
    assert.equal(satisfies(2n, { revision: 3n }), false)
    assert.equal(satisfies(null, { revision: 1n }), false)
    assert.equal(satisfies(null, { deleted: true }), true)
    assert.equal(satisfies(1n, { deleted: true }), false)
  })

  it('SeenRevisions never lowers a revision; a save after a deletion replaces it', () => {
    const seen = new SeenRevisions()
    seen.saw(a, 5n)
    seen.saw(a, 3n)
    assert.deepEqual(seen.get(a), { revision: 5n })
    seen.deleted(a)
    assert.deepEqual(seen.get(a), { deleted: true })
    seen.saw(a, 1n)
    assert.deepEqual(seen.get(a), { revision: 1n })
    assert.equal(seen.get(b), undefined)
  })

  it('a listing page is fresh when it shows every seen catalog in its range at least as new, none deleted', () => {
    const seen = new SeenRevisions()
    seen.saw(a, 2n)
    seen.saw(c, 1n)
    const page = (...rows: [string, bigint][]) =>
      rows.map(([catalogId, revision]) => ({ catalogId, revision }))
    assert.equal(seen.listingIsFresh(page([a, 2n], [c, 1n]), null, true), true)
    assert.equal(seen.listingIsFresh(page([a, 1n], [c, 1n]), null, true), false)
    assert.equal(seen.listingIsFresh(page([a, 2n]), null, true), false, 'c is missing')
    // A full page ending at b says nothing about c, which sorts after it.
    assert.equal(seen.listingIsFresh(page([a, 2n], [b, 9n]), null, false), true)
    // A page after a says nothing about a.
    assert.equal(seen.listingIsFresh(page([c, 1n]), a, true), true)
    seen.deleted(b)
    assert.equal(seen.listingIsFresh(page([a, 2n], [b, 9n], [c, 1n]), null, true), false)
    assert.deepEqual(seen.missingFrom(page([a, 2n]), null, true), [c])
    assert.deepEqual(seen.missingFrom(page([a, 2n]), null, false), [])
  })

  it('what was seen before every replica caught up is forgotten; what came after is kept', () => {
    const seen = new SeenRevisions()
    seen.saw(a, 1n, 1_000)
    seen.deleted(b, 2_000)
    seen.saw(c, 5n, 3_000)
    seen.trim(0) // no replica has shown it caught up yet
    assert.equal(seen.size, 3)
    seen.trim(2_000) // strictly before the horizon only
    assert.equal(seen.get(a), undefined)
    assert.deepEqual(seen.get(b), { deleted: true })
    assert.equal(seen.size, 2)
    // A newer revision is recorded at its own time, so it outlives the old horizon.
    seen.saw(b, 2n, 4_000)
    seen.trim(3_500)
    assert.deepEqual(seen.get(b), { revision: 2n })
    assert.equal(seen.get(c), undefined)
    assert.equal(seen.size, 1)
  })

  it('a replica has caught up to a probe time once it replays what the primary had inserted then', () => {
    const replay = new ReplayCheckpoints()
    replay.record(100n, 1_000, 90n) // behind: not known yet
    assert.equal(replay.caughtUpAt, 0)
    replay.record(150n, 2_000, 120n) // reached the first probe's position, not the second's
    assert.equal(replay.caughtUpAt, 1_000)
    replay.record(160n, 3_000, 160n) // everything inserted by the third probe's start
    assert.equal(replay.caughtUpAt, 3_000)
    replay.record(170n, 4_000, 160n)
    assert.equal(replay.caughtUpAt, 3_000)
  })

  it('DATABASE_REPLICA_URLS is comma-separated; blanks are ignored', () => {
    assert.deepEqual(replicaUrlsOf(undefined), [])
    assert.deepEqual(replicaUrlsOf(' postgres://a/x , ,postgres://b/x,'), [
      'postgres://a/x',
      'postgres://b/x',
    ])
  })

  it('replica options are checked, with defaults', () => {
    assert.deepEqual(checkReplicaOptions({}), { waitMs: 100, lagBoundMs: 10_000, retryMs: 5_000 })
    assert.deepEqual(checkReplicaOptions({ replicaWaitMs: 0, replicaRetryMs: 10 }), {
      waitMs: 0,
      lagBoundMs: 10_000,
      retryMs: 10,
    })
    for (const bad of [
      { replicas: 'postgres://a/x' },
      { replicas: [''] },
      { replicas: [null] },
      { replicaWaitMs: -1 },
      { replicaLagBoundMs: Number.NaN },
      { replicaConnectTimeoutMs: '5' },
    ]) {
      assert.throws(
        () => checkReplicaOptions(bad as never),
        CheapValidationError,
        JSON.stringify(bad),
      )
    }
  })
})

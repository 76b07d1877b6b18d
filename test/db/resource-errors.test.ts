/**
 * A database that runs out of something says so with a RESOURCE error instead of a driver error
 * (or, on PGlite, something that looks like a crash): embedded PGlite's WebAssembly memory is
 * capped at 2 GB (53200 out of memory), a server refuses a value over 1 GB (54000). The adapter
 * stays usable afterwards. What a catalog of a given size needs is in the README (Performance).
 */
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { CheapResourceError, isCheapError } from '../../src/errors.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

// 15 × 100 MB into one text value: past the server's 1 GB limit, and past PGlite's memory.
const TOO_BIG = "select length(string_agg(repeat('x', 100000000), '')) from generate_series(1, 15)"

forEachBackend('running out of memory', (backend) => {
  let db: TestDatabase
  before(async () => {
    db = await backend.open()
  })
  after(async () => db.close())

  it('is a RESOURCE error that names the limit, and the adapter works on', async () => {
    await assert.rejects(db.adapter.execScript(TOO_BIG), (error: unknown) => {
      assert.ok(error instanceof CheapResourceError, String(error))
      assert.ok(isCheapError(error, 'RESOURCE'))
      if (backend.name === 'pglite') {
        assert.equal(error.sqlState, '53200')
        assert.match(
          error.message,
          /the embedded database ran out of memory \(PGlite has at most 2 GB/,
        )
        assert.match(error.message, /use a PostgreSQL server/)
      } else {
        assert.equal(error.sqlState, '54000')
        assert.match(error.message, /a fixed PostgreSQL limit was exceeded/)
      }
      assert.match(error.message, /^running a SQL script: /)
      return true
    })
    const health = await db.adapter.healthCheck()
    assert.equal(health.ok, true)
  })
})

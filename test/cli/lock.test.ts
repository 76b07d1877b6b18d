/** The embedded data directory's lock: one cheap process at a time, stale locks taken over. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { LOCK_FILE, lockDataDir } from '../../src/cli/data-dir-lock.ts'
import { CliError } from '../../src/cli/exit-codes.ts'
import { removeDir, tempDir } from './harness.ts'

describe('lockDataDir', () => {
  let dir = ''
  before(async () => {
    dir = join(await tempDir('cheap-lock-'), 'data')
  })
  after(async () => removeDir(join(dir, '..')))

  it('creates the directory, writes our pid, and removes the file on release', async () => {
    const release = await lockDataDir(dir)
    assert.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
    await release()
    assert.equal(existsSync(join(dir, LOCK_FILE)), false)
  })

  it('takes over the lock of a process that no longer runs', async () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    const deadPid = Number(child.stdout.toString())
    await writeFile(join(dir, LOCK_FILE), `${deadPid}\n`)
    const release = await lockDataDir(dir, { timeoutMs: 1000 })
    assert.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
    await release()
  })

  it('waits for a running holder, then fails with exit code 5 and what to do', async () => {
    const holder = await lockDataDir(dir)
    const waited: number[] = []
    await assert.rejects(
      lockDataDir(dir, { timeoutMs: 300, onWait: (pid) => waited.push(pid) }),
      (error: unknown) => {
        assert.ok(error instanceof CliError)
        assert.equal(error.exitCode, 5)
        assert.match(error.message, /is in use by another cheap command \(process \d+\)/)
        assert.match(error.hint ?? '', /wait for it to finish/)
        return true
      },
    )
    assert.ok(waited.length > 0 && waited.every((pid) => pid === process.pid))
    await holder()
  })

  it('hands over as soon as the holder releases', async () => {
    const holder = await lockDataDir(dir)
    setTimeout(() => void holder(), 300)
    const release = await lockDataDir(dir, { timeoutMs: 5000 })
    await release()
  })
})

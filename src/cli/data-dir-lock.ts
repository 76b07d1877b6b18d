import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CliError, EXIT } from './exit-codes.ts'

/** The lock file inside the data directory (PGlite ignores files it does not know). */
export const LOCK_FILE = 'cheap-cli.lock'

export interface LockOptions {
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number
  /** Called while waiting for another process, with its pid. */
  readonly onWait?: (pid: number) => void
}

/**
 * Takes the embedded database's directory for this process: PGlite has no lock of its own, and
 * two processes writing one data directory corrupt it. A lock left by a process that no longer
 * runs is taken over. Returns the release function.
 */
export async function lockDataDir(
  dir: string,
  options: LockOptions = {},
): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE)
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  await mkdir(dir, { recursive: true })
  for (;;) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' })
      return async () => {
        const holder = await readPid(path)
        if (holder === process.pid) await unlink(path).catch(() => {})
      }
    } catch (error) {
      if (!hasCode(error, 'EEXIST')) throw error
    }
    const pid = await readPid(path)
    if (pid === undefined && (await isFresh(path))) {
      // Another process has just created the file and not yet written its pid.
      await sleep(50)
      continue
    }
    if (pid === undefined || !isRunning(pid)) {
      await unlink(path).catch(() => {})
      continue
    }
    if (Date.now() > deadline) {
      throw new CliError(
        EXIT.CONNECTION,
        `the embedded database in ${dir} is in use by another cheap command (process ${pid})`,
        `wait for it to finish and try again; if no such process is running, delete ${path}`,
      )
    }
    options.onWait?.(pid)
    await sleep(200)
  }
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

async function isFresh(path: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < 2000
  } catch {
    return false
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return hasCode(error, 'EPERM')
  }
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code
}

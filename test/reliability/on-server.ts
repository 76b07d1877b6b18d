/**
 * Suites that need a real PostgreSQL server (crash safety, connection faults) are registered
 * only when the run tests the pg backend, so no skipped test is left behind otherwise.
 */
import { describe } from 'node:test'
import { BACKENDS, PG_TEST_URL } from '../db/backends.ts'

/** `describe('pg: …')` when the pg backend is tested; nothing at all otherwise. */
export function describeOnServer(title: string, fn: (url: string) => void): void {
  const url = PG_TEST_URL
  if (url !== undefined && BACKENDS.some((b) => b.name === 'pg')) {
    describe(`pg: ${title}`, () => fn(url))
  }
}

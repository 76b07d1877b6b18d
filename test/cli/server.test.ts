/**
 * The tour on a PostgreSQL server (DATABASE_URL or CHEAP_TEST_PG_URL), in a throw-away
 * schema chosen with --schema; skipped without a server.
 */
import { describe } from 'node:test'
import { SERVER_URL, randomSchema } from './harness.ts'
import { tour } from './tour.ts'

if (SERVER_URL === undefined) {
  describe('the cheap tour on a server', { skip: 'set DATABASE_URL to run it' }, () => {})
} else {
  const schema = randomSchema()
  tour({
    name: `PostgreSQL (schema ${schema}, from DATABASE_URL)`,
    args: ['--schema', schema],
    env: { DATABASE_URL: SERVER_URL },
    embedded: false,
    async cleanup(run) {
      await run(['schema', 'drop', '--yes'])
    },
  })
}

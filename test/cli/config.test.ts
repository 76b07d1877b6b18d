/**
 * Which database the CLI uses, and that it says so: `--data-dir`, else `--url`, else
 * `DATABASE_URL`, else the PG* variables (as `PostgresAdapter.fromEnv()` reads them), else the
 * embedded `./.cheap-data`; a `using …` line on stderr (not with --json or --quiet); advice in
 * connection and missing-schema errors that fits the CLI and where the server came from.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { globalOptions } from '../../src/cli/context.ts'
import { forCliUser } from '../../src/cli/database.ts'
import {
  FIXTURES,
  SERVER_URL,
  cheap,
  cheapInProcess,
  randomSchema,
  removeDir,
  show,
  tempDir,
  type CliResult,
} from './harness.ts'

const ID = '550e8400-e29b-41d4-a716-444444444444'
const DEAD = { PGHOST: '127.0.0.1', PGPORT: '1', PGUSER: 'u', PGDATABASE: 'db' }

const expect = (result: CliResult, code: number) => assert.equal(result.code, code, show(result))

describe('which database the CLI uses', () => {
  let cwd = ''
  before(async () => {
    cwd = await tempDir()
  })
  after(async () => {
    await removeDir(cwd)
  })
  const noCheapData = () =>
    assert.equal(existsSync(join(cwd, '.cheap-data')), false, 'a .cheap-data was created')

  it('the PG* variables name a server: used (not .cheap-data), named, with advice about them', async () => {
    const result = await cheapInProcess(['list'], { cwd, env: { ...DEAD, PGPASSWORD: 'secret' } })
    expect(result, 5)
    assert.match(
      result.stderr,
      /^using PostgreSQL postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db, schema public \(from PG\* variables\)\n/,
    )
    assert.match(
      result.stderr,
      /fix the PG\* variables, or unset them to use the embedded database/,
    )
    assert.match(result.stderr, /^hint: the server comes from the PG\* variables/m)
    assert.ok(!result.stderr.includes('secret'), 'the password leaked')
    assert.ok(!result.stderr.includes('set DATABASE_URL'), result.stderr)
    noCheapData()
  })

  it('a failure with --url does not tell the user to set DATABASE_URL', async () => {
    const result = await cheapInProcess(['--url', 'postgres://u:secret@127.0.0.1:1/db', 'list'], {
      cwd,
    })
    expect(result, 5)
    assert.ok(!result.stderr.includes('DATABASE_URL, or'), result.stderr)
    assert.ok(!/set DATABASE_URL/.test(result.stderr), result.stderr)
    assert.match(result.stderr, /is the server running\? check --url, or leave it out/)
    noCheapData()
  })

  it('precedence: --data-dir, then --url, then DATABASE_URL, then PG*', () => {
    const env = { ...DEAD, DATABASE_URL: 'postgres://env@127.0.0.1:2/e' }
    const pick = (values: Record<string, string>, e: Record<string, string>) =>
      globalOptions(values, e).database
    assert.deepEqual(pick({ 'data-dir': 'd' }, env), { kind: 'embedded', dataDir: 'd' })
    const url = pick({ url: 'postgres://x@h/y' }, env)
    assert.equal(url.kind === 'server' ? url.source : '', '--url')
    const fromEnv = pick({}, env)
    assert.equal(fromEnv.kind === 'server' ? fromEnv.source : '', 'DATABASE_URL')
    const pg = pick({}, DEAD)
    assert.deepEqual(pg.kind === 'server' ? pg.target : undefined, {
      host: '127.0.0.1',
      port: 1,
      user: 'u',
      database: 'db',
    })
    assert.deepEqual(pick({}, { PGHOST: '' }), { kind: 'embedded', dataDir: '.cheap-data' })
    assert.throws(() => pick({}, { PGPORT: 'abc' }), /PGPORT is not a port number: 'abc'/)
  })

  it('DATABASE_REPLICA_URLS: read replicas of any server source; refused with the embedded database', () => {
    const replicas = ' postgres://r1@127.0.0.1:2/e, postgres://r2@127.0.0.1:3/e ,'
    const pick = (values: Record<string, string>, e: Record<string, string>) =>
      globalOptions(values, { ...e, DATABASE_REPLICA_URLS: replicas }).database
    const expected = ['postgres://r1@127.0.0.1:2/e', 'postgres://r2@127.0.0.1:3/e']
    for (const choice of [
      pick({ url: 'postgres://x@h/y' }, {}),
      pick({}, { DATABASE_URL: 'postgres://env@127.0.0.1:2/e' }),
      pick({}, DEAD),
    ]) {
      assert.deepEqual(choice.kind === 'server' ? choice.replicas : undefined, expected)
    }
    assert.throws(
      () => pick({ 'data-dir': 'd' }, {}),
      /DATABASE_REPLICA_URLS is set, but the database is the embedded one \(PGlite\)/,
    )
    assert.throws(() => pick({}, {}), /cannot have read replicas/)
    assert.throws(
      () => globalOptions({ url: 'postgres://x@h/y' }, { DATABASE_REPLICA_URLS: 'host=r1' }),
      /DATABASE_REPLICA_URLS is not a PostgreSQL URL/,
    )
  })

  it('the CLI names its own commands in library messages', () => {
    const global = globalOptions({ schema: 's1', url: 'postgres://x@h/y' }, {})
    assert.equal(
      forCliUser(
        'schema not created (42P01: relation "catalog" does not exist): run PostgresSchema.createSchema or `cheap schema create`',
        global,
      ),
      'schema not created (42P01: relation "catalog" does not exist): create it with `cheap --schema s1 schema create` (with the same --url)',
    )
    assert.equal(
      forCliUser(
        'schema "s1" is at version 1 and this version of cheap-db-postgres needs version 3: migrate it with `cheap schema migrate` or PostgresSchema.migrate(adapter) (pending: 002-x)',
        globalOptions({ 'data-dir': 'd' }, {}),
      ),
      'schema "s1" is at version 1 and this version of cheap-db-postgres needs version 3: migrate it with `cheap --data-dir d schema migrate` (pending: 002-x)',
    )
  })

  it('--quiet and --json print no using line; the embedded database is named', async () => {
    const named = await cheapInProcess(['--data-dir', 'db', 'list'], { cwd })
    expect(named, 0)
    assert.match(named.stderr, /^using embedded \(db\)\nno catalogs in /)
    const quiet = await cheapInProcess(['--data-dir', 'db', 'list', '--quiet'], { cwd })
    expect(quiet, 0)
    assert.equal(quiet.stderr, '')
    const json = await cheapInProcess(['--data-dir', 'db', 'list', '--json'], { cwd })
    expect(json, 0)
    assert.equal(json.stderr, '')
  })
})

const server = SERVER_URL === undefined ? undefined : new URL(SERVER_URL)
if (server === undefined) {
  describe('the PG* variables on a server', { skip: 'set DATABASE_URL to run it' }, () => {})
} else {
  describe('the PG* variables on a server', () => {
    const schema = randomSchema()
    const env: Record<string, string> = {
      PGHOST: server.hostname,
      PGPORT: server.port === '' ? '5432' : server.port,
      PGUSER: decodeURIComponent(server.username),
      PGDATABASE: decodeURIComponent(server.pathname.slice(1)),
      ...(server.password === '' ? {} : { PGPASSWORD: decodeURIComponent(server.password) }),
    }
    let cwd = ''
    before(async () => {
      cwd = await tempDir()
    })
    after(async () => {
      await cheapInProcess(['--schema', schema, 'schema', 'drop', '--yes'], { cwd, env })
      assert.equal(existsSync(join(cwd, '.cheap-data')), false, 'a .cheap-data was created')
      await removeDir(cwd)
    })

    it('a missing schema names the CLI command with the same options', async () => {
      const result = await cheapInProcess(['--schema', schema, 'list'], { cwd, env })
      expect(result, 7)
      assert.match(
        result.stderr,
        new RegExp(
          `^using PostgreSQL postgres://[^ ]*@${server.hostname}:\\d+/\\w+, schema ${schema} \\(from PG\\* variables\\)\\n`,
        ),
      )
      assert.match(
        result.stderr,
        new RegExp(`create it with \`cheap --schema ${schema} schema create\``),
      )
      assert.match(
        result.stderr,
        new RegExp(`^hint: create the schema with \`cheap --schema ${schema} schema create\``, 'm'),
      )
      assert.ok(!result.stderr.includes('PostgresSchema'), result.stderr)
    })

    it('the cheap process imports into and lists the server the PG* variables name', async () => {
      const imported = await cheap(
        ['--schema', schema, 'import', join(FIXTURES, 'full-catalog.json')],
        {
          cwd,
          env,
        },
      )
      expect(imported, 0)
      assert.match(imported.stderr, /^using PostgreSQL .*\(from PG\* variables\)\n/)
      const list = await cheapInProcess(['--schema', schema, 'list', '--json'], { cwd, env })
      expect(list, 0)
      assert.deepEqual(
        (JSON.parse(list.stdout) as { catalogId: string }[]).map((c) => c.catalogId),
        [ID],
      )
    })
  })
}

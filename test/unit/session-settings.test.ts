/**
 * What a server adapter requires of every connection (session-settings.ts), and the options of
 * transaction pooling: pure functions, no database. The same checks against real PgBouncer are
 * in test/reliability/pgbouncer.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { toConnectionError } from '../../src/persistence/connection/connection-errors.ts'
import {
  buildPoolConfig,
  checkAdapterOptions,
} from '../../src/persistence/connection/pg-adapter-config.ts'
import {
  missingSettings,
  parseSearchPath,
  poolingFromUrl,
  settingsError,
  type SessionSettingsRow,
} from '../../src/persistence/connection/session-settings.ts'
import { assertCheapError, assertRejected } from '../support/assert-error.ts'

const fit: SessionSettingsRow = {
  time_zone: 'UTC',
  date_style: 'ISO, MDY',
  bytea_output: 'hex',
  extra_float_digits: '1',
  search_path: '"$user", public',
  current_schema: 'public',
  current_user: 'app',
  database: 'shop',
  schema_exists: true,
}

describe('session settings a server adapter requires', () => {
  it('reads search_path as PostgreSQL does: quoted names kept, unquoted ones folded', () => {
    assert.deepEqual(parseSearchPath('"$user", public'), ['$user', 'public'])
    assert.deepEqual(parseSearchPath('Cheap,"My ""Odd"" Schema" ,  x'), [
      'cheap',
      'My "Odd" Schema',
      'x',
    ])
    assert.deepEqual(parseSearchPath(''), [])
  })

  it('accepts the defaults of a stock server for the public schema', () => {
    assert.deepEqual(missingSettings(fit, 'public'), [])
    assert.deepEqual(
      missingSettings({ ...fit, time_zone: 'Etc/UTC', extra_float_digits: '3' }, 'public'),
      [],
    )
  })

  it('names every setting that is off, with the value to set', () => {
    const off: SessionSettingsRow = {
      ...fit,
      time_zone: 'Europe/Paris',
      date_style: 'German, DMY',
      bytea_output: 'escape',
      extra_float_digits: '0',
    }
    assert.deepEqual(missingSettings(off, 'public'), [
      "TimeZone = 'UTC'",
      "DateStyle = 'ISO'",
      "bytea_output = 'hex'",
      'extra_float_digits = 1',
    ])
  })

  it('wants the adapter schema to be where unqualified names resolve', () => {
    // It exists: it must be the current schema.
    assert.deepEqual(missingSettings(fit, 'cheap'), ['search_path = "cheap"'])
    assert.deepEqual(missingSettings({ ...fit, current_schema: 'cheap' }, 'cheap'), [])
    // Not created yet: the first entry that can resolve must be it ("$user" without a schema
    // of that name is skipped, as PostgreSQL skips it).
    const fresh = { ...fit, schema_exists: false, current_schema: 'public' }
    assert.deepEqual(missingSettings({ ...fresh, search_path: '"$user", cheap' }, 'cheap'), [])
    assert.deepEqual(missingSettings({ ...fresh, search_path: 'public, cheap' }, 'cheap'), [
      'search_path = "cheap"',
    ])
    assert.deepEqual(missingSettings({ ...fresh, search_path: '"$user"' }, 'app'), [])
  })

  it('says what to run on the server, and why, in its refusal', () => {
    const error = settingsError(
      fit,
      ["TimeZone = 'UTC'", 'search_path = "cheap"'],
      'postgres://x/shop',
      true,
    )
    assert.equal(error.code, 'CONNECTION')
    assert.equal(error.target, 'postgres://x/shop')
    assert.match(
      error.message,
      /ALTER DATABASE "shop" SET TimeZone = 'UTC'; ALTER DATABASE "shop" SET search_path = "cheap";/,
    )
    assert.match(error.message, /transactionPooling/)
    // Without pooling the startup parameters were sent: something dropped them.
    assert.match(
      settingsError(fit, ["bytea_output = 'hex'"], 't', false).message,
      /did not take effect/,
    )
  })
})

describe('transaction pooling options', () => {
  it('takes ?pgbouncer=true from a URL and removes it, as Prisma users write it', () => {
    const pooled = poolingFromUrl({
      connectionString: 'postgres://u@h:6432/db?pgbouncer=true&sslmode=disable',
    })
    assert.equal(pooled.pgbouncer, true)
    assert.deepEqual(pooled.target, { connectionString: 'postgres://u@h:6432/db?sslmode=disable' })
    assert.equal(
      poolingFromUrl({ connectionString: 'postgres://u@h/db?pgbouncer=false' }).pgbouncer,
      false,
    )
    const plain = { connectionString: 'postgres://u@h/db' }
    assert.deepEqual(poolingFromUrl(plain), { target: plain, pgbouncer: false })
    assert.deepEqual(poolingFromUrl({ host: 'h' }), { target: { host: 'h' }, pgbouncer: false })
  })

  it('sends no startup parameters with transactionPooling, and ours without it', () => {
    const target = { connectionString: 'postgres://u@h/db' }
    assert.equal(buildPoolConfig(target, { transactionPooling: true }, 'cheap').options, undefined)
    assert.match(
      String(buildPoolConfig(target, {}, 'cheap').options),
      /-c TimeZone=UTC .*search_path="cheap"/,
    )
  })

  it('refuses statementTimeoutMs with transactionPooling, and a non-boolean flag', () => {
    assertRejected(
      () => checkAdapterOptions({ transactionPooling: true, statementTimeoutMs: 1_000 }),
      'INVALID_ARGUMENT',
      {},
      ['statementTimeoutMs', 'ALTER ROLE', 'query_timeout'],
    )
    assertRejected(
      () => checkAdapterOptions({ transactionPooling: 'yes' as unknown as boolean }),
      'INVALID_ARGUMENT',
      {},
      ['transactionPooling must be true or false'],
    )
    checkAdapterOptions({ transactionPooling: true, poolSize: 4 })
  })

  it('turns a pooler refusing our startup parameters into advice to pool by transaction', () => {
    const refused = Object.assign(new Error('unsupported startup parameter: options'), {
      code: '08P01',
    })
    assertCheapError(
      () => {
        throw toConnectionError(refused, 'postgres://u@h:6432/db', 10_000)
      },
      {
        code: 'CONNECTION',
        message: [
          'refused the startup parameter `options`',
          'transactionPooling: true',
          '?pgbouncer=true',
        ],
      },
    )
  })
})

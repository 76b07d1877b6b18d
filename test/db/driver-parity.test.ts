import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { TABLE_NAMES, TABLES } from '../../src/persistence/schema/tables.ts'
import { BACKENDS, forEachBackend } from './backends.ts'
import type { TestDatabase } from './backends.ts'
import { insertSampleCatalog, SAMPLE } from './sample-rows.ts'

/** What a backend reads back: the literals, and a row of every table after the sample insert. */
async function readBack(
  database: TestDatabase,
): Promise<{ literals: unknown; tables: Record<string, unknown> }> {
  const db = database.adapter.db
  const { rows } = await LITERALS.execute(db)
  await insertSampleCatalog(db)
  const tables: Record<string, unknown> = {}
  for (const table of TABLE_NAMES.filter((name) => TABLES[name].group !== 'meta')) {
    let query = db.selectFrom(table).selectAll()
    for (const column of TABLES[table].primaryKey) query = query.orderBy(sql.ref(column))
    tables[table] = await query.execute()
  }
  await database.reset()
  return { literals: rows[0] ?? {}, tables }
}

/** The exact JS type of a value: `Uint8Array` must not be a Buffer, numbers must not be strings. */
function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `[${value.map(typeOf).join(', ')}]`
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value) as { constructor?: { name: string } } | null
    return prototype?.constructor?.name ?? 'object'
  }
  return typeof value
}

// Literals of every type the manifest uses, plus the edge cases of each parser.
const LITERALS = sql<Record<string, unknown>>`
  SELECT
    9223372036854775807::int8 AS int8_max,
    (-2147483648)::int4 AS int4_min,
    'NaN'::float8 AS float_nan,
    '-Infinity'::float8 AS float_neg_inf,
    0.1::float8 AS float_tenth,
    '-0.000000000000000000001000'::numeric AS numeric_tiny,
    '123456789012345678901234567890'::numeric AS numeric_big,
    '2024-02-29 12:34:56.789012+05:30'::timestamptz AS instant,
    '2024-02-29'::date AS date,
    '2024-02-29 12:00:00.5'::timestamp AS local_time,
    '\\x00ff'::bytea AS blob,
    '\\x'::bytea AS empty_blob,
    'F47AC10B-58CC-4372-A567-0E02B2C3D479'::uuid AS uuid,
    true AS bool,
    '{}'::int8[] AS empty_int8s,
    '{1,NULL,-9223372036854775808}'::int8[] AS int8s,
    '{1,2}'::int4[] AS int4s,
    '{0.5,NaN,Infinity}'::float8[] AS float8s,
    '{1.10,NaN,-3}'::numeric[] AS numerics,
    '{"2024-01-01 00:00:00+05",NULL}'::timestamptz[] AS instants,
    '{"a,b","",NULL,"x\\"y"}'::text[] AS texts,
    '{t,f,NULL}'::bool[] AS bools,
    '{\\\\x00ff,NULL,\\\\x}'::bytea[] AS blobs,
    '{f47ac10b-58cc-4372-a567-0e02b2c3d479}'::uuid[] AS uuids
`

const EXPECTED_LITERALS = {
  int8_max: 9223372036854775807n,
  int4_min: -2147483648,
  float_nan: Number.NaN,
  float_neg_inf: -Infinity,
  float_tenth: 0.1,
  numeric_tiny: '-0.000000000000000000001000',
  numeric_big: '123456789012345678901234567890',
  instant: '2024-02-29 07:04:56.789012+00',
  date: '2024-02-29',
  local_time: '2024-02-29 12:00:00.5',
  blob: new Uint8Array([0, 255]),
  empty_blob: new Uint8Array([]),
  uuid: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  bool: true,
  empty_int8s: [],
  int8s: [1n, null, -9223372036854775808n],
  int4s: [1, 2],
  float8s: [0.5, Number.NaN, Infinity],
  numerics: ['1.10', 'NaN', '-3'],
  instants: ['2023-12-31 19:00:00+00', null],
  texts: ['a,b', '', null, 'x"y'],
  bools: [true, false, null],
  blobs: [new Uint8Array([0, 255]), null, new Uint8Array([])],
  uuids: ['f47ac10b-58cc-4372-a567-0e02b2c3d479'],
}

forEachBackend('driver parity', (backend) => {
  let database: TestDatabase

  before(async () => {
    database = await backend.open()
  })
  after(() => database.close())

  it('reads every native type back as the same JS value and JS type', async () => {
    const { rows } = await LITERALS.execute(database.adapter.db)
    const row = rows[0] ?? {}
    assert.deepEqual(row, EXPECTED_LITERALS)
    assert.deepEqual(
      Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeOf(value)])),
      Object.fromEntries(
        Object.entries(EXPECTED_LITERALS).map(([key, value]) => [key, typeOf(value)]),
      ),
    )
  })

  it('sends bigint, Uint8Array, numeric text and arrays of them as parameters', async () => {
    const blob = new Uint8Array([1, 2, 3])
    const { rows } = await sql<Record<string, unknown>>`
      SELECT ${-9223372036854775808n}::int8 AS int8, ${blob}::bytea AS blob,
             ${'0.10'}::numeric AS numeric, ${[blob, new Uint8Array([])]}::bytea[] AS blobs,
             ${[1n, 2n]}::int8[] AS int8s, ${'2024-06-01T10:00:00+02:00'}::timestamptz AS instant
    `.execute(database.adapter.db)
    assert.deepEqual(rows[0], {
      int8: -9223372036854775808n,
      blob,
      numeric: '0.10',
      blobs: [blob, new Uint8Array([])],
      int8s: [1n, 2n],
      instant: '2024-06-01 08:00:00+00',
    })
  })

  it('reads a row of every table back with the types of CheapDatabase', async () => {
    const { tables } = await readBack(database)
    const value = (table: string) => (tables[table] as { value: unknown }[])[0]?.value
    assert.equal(value('property_value_integer'), -9223372036854775808n)
    assert.equal(value('property_value_big_integer'), '123456789012345678901234567890')
    assert.equal(value('property_value_date_time'), '2024-02-29 11:34:56.789012+00')
    assert.equal(typeOf(value('property_value_blob')), 'Uint8Array')
    const defaults = (tables['property_def'] as Record<string, unknown>[]).find(
      (row) => row['name'] === 'p_dat',
    )
    assert.deepEqual(defaults?.['default_date_time'], ['2000-01-01 00:00:00+00'])
    const catalog = (tables['catalog'] as Record<string, unknown>[])[0]
    assert.deepEqual(catalog, {
      catalog_id: SAMPLE.catalogId,
      species: 'SINK',
      uri: 'https://example.org/cat',
      upstream_catalog_id: null,
      version_number: 0n,
      revision: 1n,
      next_aspect_id: 2n,
      next_hierarchy_id: 6,
      expires_at: null,
    })
  })

  it('streams rows through a cursor', async () => {
    const codes: string[] = []
    const stream = database.adapter.db
      .selectFrom('property_type')
      .select('code')
      .orderBy('code')
      .stream(5)
    for await (const row of stream) codes.push(row.code)
    assert.equal(codes.length, 12)
    assert.equal(codes[0], 'BGF')
  })

  it('rolls back to a savepoint and keeps the rest of the transaction', async () => {
    const db = database.adapter.db
    const trx = await db.startTransaction().execute()
    const catalog = (n: number) => ({
      catalog_id: `ca7a0000-0000-4000-8000-00000000000${n}`,
      species: 'SOURCE',
    })
    await trx.insertInto('catalog').values(catalog(1)).execute()
    const afterFirst = await trx.savepoint('after_first').execute()
    await afterFirst.insertInto('catalog').values(catalog(2)).execute()
    await afterFirst.rollbackToSavepoint('after_first').execute()
    await trx.commit().execute()
    const ids = await db.selectFrom('catalog').select('catalog_id').execute()
    assert.deepEqual(ids, [{ catalog_id: catalog(1).catalog_id }])
    await database.reset()
  })
})

// Self-contained: opens every configured backend itself, whatever ran before or runs alongside.
describe('driver parity across backends', { skip: BACKENDS.length < 2 }, () => {
  it('reads identical values on every configured backend', async () => {
    const seen: { name: string; read: Awaited<ReturnType<typeof readBack>> }[] = []
    for (const backend of BACKENDS) {
      const database = await backend.open()
      try {
        seen.push({ name: backend.name, read: await readBack(database) })
      } finally {
        await database.close()
      }
    }
    const [first, ...others] = seen
    assert.ok(first !== undefined)
    for (const other of others) {
      assert.deepEqual(
        other.read.literals,
        first.read.literals,
        `${other.name} vs ${first.name}: literals`,
      )
      assert.deepEqual(
        other.read.tables,
        first.read.tables,
        `${other.name} vs ${first.name}: tables`,
      )
    }
  })
})

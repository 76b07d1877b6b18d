import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'

// src/persistence/pglite-bridge.ts, through the embedded adapter: pg's own protocol parser on
// PGlite's raw replies, so values come back byte for byte as a real server sends them.
describe('PGlite bridge (pg-protocol parser on PGlite)', () => {
  let adapter: PostgresAdapter
  before(async () => {
    adapter = await PostgresAdapter.embedded()
  })
  after(async () => {
    await adapter.close()
  })

  const BOM = '\uFEFF'

  it('keeps a leading U+FEFF in a parameter', async () => {
    const value = `${BOM}bom`
    const { rows } = await sql<{ v: string }>`select ${value}::text as v`.execute(adapter.db)
    assert.deepEqual(rows, [{ v: value }])
    assert.equal(rows[0]!.v.codePointAt(0), 0xfeff)
  })

  it('keeps a leading U+FEFF in a literal', async () => {
    const { rows } = await sql<{ v: string; n: number }>`
      select E'\\uFEFFbom' as v, length(E'\\uFEFFbom') as n`.execute(adapter.db)
    assert.deepEqual(rows, [{ v: `${BOM}bom`, n: 4 }])
  })

  it('keeps a leading U+FEFF inside a text[] array', async () => {
    const values = [`${BOM}first`, 'second', BOM, `${BOM}${BOM}`]
    const { rows } = await sql<{ a: string[]; b: string[] }>`
      select ${values}::text[] as a, array[E'\\uFEFFx', 'y'] as b`.execute(adapter.db)
    assert.deepEqual(rows, [{ a: values, b: [`${BOM}x`, 'y'] }])
  })

  it('stores and reads back a U+FEFF-prefixed value unchanged', async () => {
    await sql`create table bridge_bom (v text primary key)`.execute(adapter.db)
    const value = `${BOM}stored \u{1F600} é`
    await sql`insert into bridge_bom values (${value})`.execute(adapter.db)
    const { rows } = await sql<{ v: string; hit: boolean }>`
      select v, v = ${value} as hit from bridge_bom`.execute(adapter.db)
    assert.deepEqual(rows, [{ v: value, hit: true }])
  })

  it('surfaces a unique violation as an error with its SQLSTATE code', async () => {
    await sql`create table bridge_unique (id int primary key)`.execute(adapter.db)
    await sql`insert into bridge_unique values (1)`.execute(adapter.db)
    await assert.rejects(sql`insert into bridge_unique values (${1})`.execute(adapter.db), {
      code: '23505',
      constraint: 'bridge_unique_pkey',
    })
    await assert.rejects(sql`select * from no_such_table`.execute(adapter.db), { code: '42P01' })
    // The session is usable after the errors.
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from bridge_unique`.execute(
      adapter.db,
    )
    assert.deepEqual(rows, [{ n: 1 }])
  })

  it('rolls back to a savepoint, and rolls back a whole transaction', async () => {
    await sql`create table bridge_tx (id int primary key)`.execute(adapter.db)
    const trx = await adapter.db.startTransaction().execute()
    await sql`insert into bridge_tx values (1)`.execute(trx)
    const afterOne = await trx.savepoint('after_one').execute()
    await sql`insert into bridge_tx values (2)`.execute(afterOne)
    await assert.rejects(sql`insert into bridge_tx values (1)`.execute(afterOne), {
      code: '23505',
    })
    await afterOne.rollbackToSavepoint('after_one').execute()
    await sql`insert into bridge_tx values (3)`.execute(trx)
    await trx.commit().execute()

    await assert.rejects(
      adapter.db.transaction().execute(async (tx) => {
        await sql`insert into bridge_tx values (4)`.execute(tx)
        throw new Error('abort')
      }),
      /abort/,
    )
    const { rows } = await sql<{ id: number }>`select id from bridge_tx order by id`.execute(
      adapter.db,
    )
    assert.deepEqual(rows, [{ id: 1 }, { id: 3 }])
  })

  it('returns every row of a 100k-row result', async () => {
    const { rows } = await sql<{ i: number; t: string }>`
      select i, 'row ' || i as t from generate_series(1, 100000) as i`.execute(adapter.db)
    assert.equal(rows.length, 100_000)
    assert.deepEqual(rows[0], { i: 1, t: 'row 1' })
    assert.deepEqual(rows[99_999], { i: 100_000, t: 'row 100000' })
    assert.ok(rows.every((row, index) => row.i === index + 1))
  })

  it('streams rows through a cursor', async () => {
    let seen = 0
    const stream = adapter.db
      .selectFrom(sql<{ i: number }>`generate_series(1, 1000)`.as('g'))
      .select(sql<number>`g`.as('i'))
      .stream(100)
    for await (const row of stream) {
      seen += 1
      assert.equal(row.i, seen)
    }
    assert.equal(seen, 1000)
  })

  it('serializes concurrent queries through the pool', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, n) =>
        n % 10 === 9
          ? sql`select 1 / (${n}::int - ${n}::int) as boom`.execute(adapter.db)
          : sql<{ n: number; t: string }>`
              select ${n}::int as n, ${`${BOM}${n}`}::text as t`.execute(adapter.db),
      ),
    )
    results.forEach((result, n) => {
      if (n % 10 === 9) {
        assert.equal(result.status, 'rejected')
        assert.equal((result.reason as { code?: unknown }).code, '22012')
      } else {
        assert.equal(result.status, 'fulfilled')
        const { rows } = result.value as { rows: { n: number; t: string }[] }
        assert.equal(rows.length, 1)
        assert.equal(rows[0]!.n, n)
        assert.equal(rows[0]!.t, `${BOM}${n}`)
      }
    })
  })
})

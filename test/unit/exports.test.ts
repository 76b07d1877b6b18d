/**
 * The types the TSDoc names for typed SQL over the tables are exported from the package entry
 * (this file only compiles if they are; `npm run typecheck` checks it).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import type {
  AuditColumns,
  AuditedTableName,
  CheapAuditedDatabase,
  CheapDatabase,
  CheapRow,
  CheapRowUpdate,
  CheapTableName,
  NewCheapRow,
} from '../../src/index.ts'

type Assignable<A, B> = [A] extends [B] ? true : false

describe('package exports for typed SQL', () => {
  it('CheapRow, NewCheapRow, CheapRowUpdate and CheapAuditedDatabase describe the tables', () => {
    const row: CheapRow<'catalog'>['catalog_id'] = '550e8400-e29b-41d4-a716-444444444444'
    const insert: Pick<NewCheapRow<'hierarchy'>, 'name'> = { name: 'queue' }
    const update: CheapRowUpdate<'catalog'> = {}
    const audited: Assignable<
      CheapAuditedDatabase['catalog'],
      CheapDatabase['catalog'] & AuditColumns
    > = true
    const table: CheapTableName = 'catalog'
    const auditedTable: AuditedTableName = 'catalog'
    const useDb = (db: Kysely<CheapAuditedDatabase>) =>
      db.selectFrom('catalog').select(['catalog_id', 'updated_at'])
    assert.equal(typeof useDb, 'function')
    assert.deepEqual([row, insert.name, update, audited, table, auditedTable].length, 6)
  })
})

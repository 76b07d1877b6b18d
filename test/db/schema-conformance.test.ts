import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import type { CheapDatabase } from '../../src/persistence/schema/database.ts'
import type { ColumnSpec } from '../../src/persistence/schema/columns.ts'
import { AUDIT_COLUMNS, TABLE_NAMES, TABLES } from '../../src/persistence/schema/tables.ts'
import { forEachBackend } from './backends.ts'
import { liveTables } from '../support/introspect.ts'
import type { TestDatabase } from './backends.ts'

/** One line per column, `table.column type [null] [default]`, for readable full diffs. */
function describeColumn(table: string, column: string, spec: ColumnSpec): string {
  const flags = [spec.nullable ? 'null' : 'not null', spec.hasDefault ? 'default' : 'no default']
  return `${table}.${column} ${spec.type} ${flags.join(' ')}`
}

function manifestColumns(withAudit: boolean): string[] {
  return TABLE_NAMES.flatMap((table) => {
    const { columns, audited } = TABLES[table]
    const all: [string, ColumnSpec][] = [
      ...Object.entries<ColumnSpec>(columns),
      ...(withAudit && audited ? Object.entries<ColumnSpec>(AUDIT_COLUMNS) : []),
    ]
    return all.map(([name, spec]) => describeColumn(table, name, spec))
  }).sort()
}

async function liveColumns(db: Kysely<CheapDatabase>, schema: string): Promise<string[]> {
  const tables = await liveTables(db, schema)
  return tables
    .flatMap((table) =>
      table.columns.map((column) =>
        describeColumn(table.name, column.name, {
          type: column.dataType as ColumnSpec['type'],
          nullable: column.isNullable,
          // An identity column (property.property_id) fills itself like a defaulted one.
          hasDefault: column.hasDefaultValue || column.isAutoIncrementing,
        }),
      ),
    )
    .sort()
}

async function columnOrder(db: Kysely<CheapDatabase>, schema: string) {
  const tables = await liveTables(db, schema)
  return Object.fromEntries(
    tables.map((table) => [table.name, table.columns.map((column) => column.name)]),
  )
}

async function keys(db: Kysely<CheapDatabase>, schema: string) {
  const { rows } = await sql<{ table_name: string; kind: string; name: string; columns: string[] }>`
    SELECT c.relname AS table_name,
           CASE WHEN i.indisprimary THEN 'primary' ELSE 'index' END AS kind,
           ic.relname AS name,
           array(
             SELECT a.attname::text
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             ORDER BY k.ord
           ) AS columns
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema}
    UNION ALL
    SELECT c.relname, 'foreign', con.conname || ' -> ' || tc.relname,
           array(
             SELECT a.attname::text
             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             ORDER BY k.ord
           )
    FROM pg_catalog.pg_constraint con
    JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
    JOIN pg_catalog.pg_class tc ON tc.oid = con.confrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND con.contype = 'f'
    ORDER BY 1, 2, 3
  `.execute(db)
  return rows
}

// Foreign keys deliberately without an index on the referencing side: lookups are never
// deleted; a property slot is deleted only with its AspectDef, whose versions and column
// mappings (property_def, aspect_column_mapping) go first by their own cascades; and a
// mapping's version cannot go while the mapping exists (it is deleted with the def).
const UNINDEXED_FOREIGN_KEY =
  /-> (property_type|hierarchy_type|catalog_species)$|_property_fkey -> property$|^aspect_table_mapping_version_fkey -> aspect_def_version$/

forEachBackend('schema conformance', (backend) => {
  let plain: TestDatabase
  let audited: TestDatabase

  before(async () => {
    plain = await backend.open()
    audited = await backend.open({ includeAudit: true })
  })
  after(async () => {
    await plain.close()
    await audited.close()
  })

  it('has exactly the tables and columns of the manifest, with its types, nullability and defaults', async () => {
    assert.deepEqual(await liveColumns(plain.adapter.db, plain.schema), manifestColumns(false))
  })

  it('adds exactly the audit columns to the audited tables with includeAudit', async () => {
    assert.deepEqual(await liveColumns(audited.adapter.db, audited.schema), manifestColumns(true))
  })

  it('orders the columns of every table as the manifest does', async () => {
    const expected = Object.fromEntries(
      TABLE_NAMES.map((table) => [table, Object.keys(TABLES[table].columns)]),
    )
    assert.deepEqual(await columnOrder(plain.adapter.db, plain.schema), expected)
  })

  it('has the primary keys of the manifest', async () => {
    const live = (await keys(plain.adapter.db, plain.schema))
      .filter((row) => row.kind === 'primary')
      .map((row) => `${row.table_name} (${row.columns.join(', ')})`)
      .sort()
    const expected = TABLE_NAMES.map(
      (table) => `${table} (${TABLES[table].primaryKey.join(', ')})`,
    ).sort()
    assert.deepEqual(live, expected)
  })

  it('backs every foreign key with an index on its leading columns, except the documented ones', async () => {
    const rows = await keys(plain.adapter.db, plain.schema)
    const indexes = rows.filter((row) => row.kind !== 'foreign')
    const unserved = rows
      .filter((row) => row.kind === 'foreign' && !UNINDEXED_FOREIGN_KEY.test(row.name))
      .filter((fk) => {
        const lead = Math.min(2, fk.columns.length)
        return !indexes.some(
          (index) =>
            index.table_name === fk.table_name &&
            index.columns.length >= lead &&
            index.columns.slice(0, lead).every((column) => fk.columns.includes(column)),
        )
      })
      .map((fk) => `${fk.table_name}: ${fk.name} (${fk.columns.join(', ')})`)
    assert.deepEqual(unserved, [])
  })

  it('has one touch trigger per audited table with includeAudit, and none without', async () => {
    const triggers = async (database: TestDatabase) => {
      const { rows } = await sql<{ name: string }>`
        SELECT t.tgname AS name
        FROM pg_catalog.pg_trigger t
        JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ${database.schema} AND NOT t.tgisinternal
        ORDER BY 1
      `.execute(database.adapter.db)
      return rows.map((row) => row.name)
    }
    const expected = TABLE_NAMES.filter((table) => TABLES[table].audited)
      .map((table) => `${table}_touch_updated_at`)
      .sort()
    const touch = (names: string[]) => names.filter((name) => name.endsWith('_touch_updated_at'))
    assert.deepEqual(touch(await triggers(audited)), expected)
    assert.deepEqual(touch(await triggers(plain)), [])
  })

  it('guards every bulk table with a set-based integrity trigger, with or without audit', async () => {
    const names = async (database: TestDatabase) =>
      (
        await sql<{ name: string }>`
          SELECT t.tgname AS name FROM pg_catalog.pg_trigger t
          JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ${database.schema} AND NOT t.tgisinternal AND t.tgname NOT LIKE '%touch_updated_at'
          ORDER BY 1`.execute(database.adapter.db)
      ).rows.map((row) => row.name)
    const bulk = TABLE_NAMES.filter(
      (t) =>
        t.startsWith('property_value_') ||
        t.startsWith('hierarchy_entity_') ||
        t === 'property_list' ||
        t === 'aspect',
    )
    const expected = [
      ...bulk.map((t) => `${t}_check`),
      'aspect_cascade',
      'entity_check_delete',
      'hierarchy_cascade',
      'hierarchy_entity_tree_node_cascade',
      'hierarchy_entity_tree_node_parent_check',
    ].sort()
    assert.deepEqual(await names(plain), expected)
    assert.deepEqual(await names(audited), expected)
  })

  it('seeds the lookups, and every property type names a value table of the manifest', async () => {
    const db = plain.adapter.db
    const types = await db.selectFrom('property_type').selectAll().orderBy('code').execute()
    assert.equal(types.length, 12)
    for (const type of types) assert.ok(type.value_table in TABLES, type.value_table)
    const hierarchyTypes = await db.selectFrom('hierarchy_type').select('code').execute()
    assert.deepEqual(hierarchyTypes.map((row) => row.code).sort(), ['AM', 'ED', 'EL', 'ES', 'ET'])
    const species = await db.selectFrom('catalog_species').selectAll().orderBy('code').execute()
    assert.deepEqual(
      species.map((row) => `${row.code}:${row.requires_upstream}`),
      ['CACHE:true', 'CLONE:true', 'FORK:true', 'MIRROR:true', 'SINK:false', 'SOURCE:false'],
    )
  })
})

import assert from 'node:assert/strict'
import { after, afterEach, before, it } from 'node:test'
import { sql } from 'kysely'
import { CheapIntegrityError } from '../../src/errors.ts'
import { forEachBackend } from './backends.ts'
import type { TestDatabase } from './backends.ts'
import { HIERARCHY_IDS, insertSampleCatalog, SAMPLE, slotOf } from './sample-rows.ts'

const [E1, E2] = SAMPLE.entityIds
/** A second aspect of the sample def (E2), and the key of its values. */
const aspectRow = {
  catalog_id: SAMPLE.catalogId,
  aspect_id: 2n,
  aspect_def_id: SAMPLE.aspectDefId,
  entity_id: E2,
  map_order: 1n,
}
const aspectKey = { catalog_id: SAMPLE.catalogId, aspect_id: 2n }

forEachBackend('schema constraints', (backend) => {
  let database: TestDatabase

  before(async () => {
    database = await backend.open()
  })
  after(() => database.close())
  afterEach(() => database.reset())

  /** Runs `work`, maps its failure like the DAO will, and checks SQLSTATE and constraint. */
  async function rejectsWith(work: () => Promise<unknown>, sqlState: string, constraint?: string) {
    const error = await work().then(
      () => assert.fail(`expected ${sqlState} ${constraint ?? ''}, but the write succeeded`),
      (failure: unknown) => database.adapter.mapError(failure, 'test write'),
    )
    assert.ok(error instanceof CheapIntegrityError, `not a CheapIntegrityError: ${String(error)}`)
    assert.equal(error.sqlState, sqlState)
    if (constraint !== undefined) assert.equal(error.constraint, constraint)
    assert.match(error.message, /^test write: /)
  }

  it('rejects a catalog whose species and upstream disagree', async () => {
    const db = database.adapter.db
    const catalog_id = '11111111-0000-4000-8000-000000000001'
    await rejectsWith(
      () => db.insertInto('catalog').values({ catalog_id, species: 'MIRROR' }).execute(),
      '23514',
      'catalog_upstream_check',
    )
    await rejectsWith(
      () =>
        db
          .insertInto('catalog')
          .values({ catalog_id, species: 'SOURCE', upstream_catalog_id: SAMPLE.catalogId })
          .execute(),
      '23514',
      'catalog_upstream_check',
    )
    await rejectsWith(
      () =>
        db
          .insertInto('catalog')
          .values({ catalog_id, species: 'GALAXY', upstream_catalog_id: SAMPLE.catalogId })
          .execute(),
      '23503',
      'catalog_species_fkey',
    )
    await db
      .insertInto('catalog')
      .values({ catalog_id, species: 'FORK', upstream_catalog_id: SAMPLE.catalogId })
      .execute()
  })

  it('rejects a value stored in the table of another type', async () => {
    await insertSampleCatalog(database.adapter.db)
    await database.adapter.db.insertInto('aspect').values(aspectRow).execute()
    // p_int is an INT property: its slot has no place in the string table.
    await rejectsWith(
      () =>
        database.adapter.db
          .insertInto('property_value_string')
          .values({ ...aspectKey, property_id: slotOf('p_int'), value: '5' })
          .execute(),
      '23503',
      'property_value_string_property_fkey',
    )
    // Nor may a single-valued slot have a list row.
    await rejectsWith(
      () =>
        database.adapter.db
          .insertInto('property_list')
          .values({ ...aspectKey, property_id: slotOf('p_int'), length: 1 })
          .execute(),
      '23503',
      'property_list_property_fkey',
    )
  })

  it('rejects a String longer than 8192 characters and accepts exactly 8192', async () => {
    await insertSampleCatalog(database.adapter.db)
    await database.adapter.db.insertInto('aspect').values(aspectRow).execute()
    const write = (value: string) =>
      database.adapter.db
        .insertInto('property_value_string')
        .values({ ...aspectKey, property_id: slotOf('p_str'), value })
        .execute()
    await rejectsWith(() => write('é'.repeat(8193)), '23514', 'property_value_string_length_check')
    await write('é'.repeat(8192))
  })

  it('rejects a second root in one entity tree', async () => {
    await insertSampleCatalog(database.adapter.db)
    await rejectsWith(
      () =>
        database.adapter.db
          .insertInto('hierarchy_entity_tree_node')
          .values({
            catalog_id: SAMPLE.catalogId,
            hierarchy_id: HIERARCHY_IDS.tree,
            node_id: '70000000-0000-4000-8000-0000000000ff',
            parent_node_id: null,
            node_key: '',
            tree_order: 0,
          })
          .execute(),
      '23505',
      'hierarchy_entity_tree_node_root_idx',
    )
  })

  it('rejects two siblings with the same key, however long', async () => {
    await insertSampleCatalog(database.adapter.db)
    const sibling = (node_id: string, node_key: string) =>
      database.adapter.db
        .insertInto('hierarchy_entity_tree_node')
        .values({
          catalog_id: SAMPLE.catalogId,
          hierarchy_id: HIERARCHY_IDS.tree,
          node_id,
          parent_node_id: SAMPLE.rootNodeId,
          node_key,
          tree_order: 1,
        })
        .execute()
    const long = 'k'.repeat(20_000)
    await sibling('70000000-0000-4000-8000-0000000000a1', long)
    await rejectsWith(
      () => sibling('70000000-0000-4000-8000-0000000000a2', long),
      '23505',
      'hierarchy_entity_tree_node_sibling_idx',
    )
  })

  it('rejects content rows in a hierarchy of another type', async () => {
    await insertSampleCatalog(database.adapter.db)
    await rejectsWith(
      () =>
        database.adapter.db
          .insertInto('hierarchy_entity_list')
          .values({
            catalog_id: SAMPLE.catalogId,
            hierarchy_id: HIERARCHY_IDS.set,
            list_order: 0,
            entity_id: E1,
          })
          .execute(),
      '23503',
      'hierarchy_entity_list_hierarchy_fkey',
    )
  })

  it('rejects numbers that are not BigIntegers and non-finite BigDecimals', async () => {
    await insertSampleCatalog(database.adapter.db)
    await database.adapter.db.insertInto('aspect').values(aspectRow).execute()
    await rejectsWith(
      () =>
        database.adapter.db
          .insertInto('property_value_big_integer')
          .values({ ...aspectKey, property_id: slotOf('p_bgi'), value: '1.5' })
          .execute(),
      '23514',
      'property_value_big_integer_scale_check',
    )
    await rejectsWith(
      () =>
        database.adapter.db
          .insertInto('property_value_big_decimal')
          .values({ ...aspectKey, property_id: slotOf('p_bgf'), value: 'NaN', value_scale: 0 })
          .execute(),
      '23514',
      'property_value_big_decimal_finite_check',
    )
  })

  it('rejects a default value in the column of another type or without the flag', async () => {
    const db = database.adapter.db
    await db
      .insertInto('aspect_def')
      .values({ aspect_def_id: SAMPLE.aspectDefId, name: 'defaults' })
      .execute()
    await db
      .insertInto('aspect_def_version')
      .values({ aspect_def_id: SAMPLE.aspectDefId, version: 1, hash_version: 0n })
      .execute()
    await db
      .insertInto('property')
      .values({
        property_id: 1,
        aspect_def_id: SAMPLE.aspectDefId,
        name: 'n',
        property_type: 'INT',
        is_multivalued: false,
      })
      .execute()
    const base = {
      aspect_def_id: SAMPLE.aspectDefId,
      version: 1,
      property_id: 1,
      name: 'n',
      property_index: 0,
    }
    await rejectsWith(
      () =>
        db
          .insertInto('property_def')
          .values({ ...base, property_type: 'INT', has_default_value: true, default_float: [1] })
          .execute(),
      '23514',
      'property_def_default_type_check',
    )
    await rejectsWith(
      () =>
        db
          .insertInto('property_def')
          .values({ ...base, property_type: 'INT', default_integer: [1n] })
          .execute(),
      '23514',
      'property_def_default_flag_check',
    )
    await rejectsWith(
      () =>
        db
          .insertInto('property_def')
          .values({
            ...base,
            property_type: 'INT',
            has_default_value: true,
            default_integer: [1n, 2n],
          })
          .execute(),
      '23514',
      'property_def_default_single_check',
    )
    await rejectsWith(
      () =>
        db
          .insertInto('property_def')
          .values({
            ...base,
            property_type: 'BGF',
            has_default_value: true,
            default_big_decimal: ['1.5'],
          })
          .execute(),
      '23514',
      'property_def_default_pair_check',
    )
  })

  it('rejects an AspectMap without its AspectDef and an AspectDef that is in use being deleted', async () => {
    await insertSampleCatalog(database.adapter.db)
    await rejectsWith(
      () =>
        database.adapter.db
          .insertInto('hierarchy')
          .values({
            catalog_id: SAMPLE.catalogId,
            name: 'am2',
            hierarchy_type: 'AM',
            position: 9,
            hierarchy_id: 9,
          })
          .execute(),
      '23514',
      'hierarchy_aspect_map_check',
    )
    await rejectsWith(
      () =>
        database.adapter.db
          .deleteFrom('aspect_def')
          .where('aspect_def_id', '=', SAMPLE.aspectDefId)
          .execute(),
      '23503',
      'catalog_aspect_def_version_fkey',
    )
  })

  it('checks deferred order keys at commit, so positions can be swapped in a transaction', async () => {
    await insertSampleCatalog(database.adapter.db)
    await database.adapter.db.transaction().execute(async (trx) => {
      const swap = (name: string, position: number) =>
        trx
          .updateTable('hierarchy')
          .set({ position })
          .where('catalog_id', '=', SAMPLE.catalogId)
          .where('name', '=', name)
          .execute()
      await swap('list', 2)
      await swap('set', 1)
    })
    await rejectsWith(
      () =>
        database.adapter.db
          .updateTable('hierarchy')
          .set({ position: 0 })
          .where('name', '=', 'list')
          .execute(),
      '23505',
      'hierarchy_position_key',
    )
  })

  it('deletes everything that belongs to a catalog with the catalog row', async () => {
    const db = database.adapter.db
    await insertSampleCatalog(db)
    await db.deleteFrom('catalog').where('catalog_id', '=', SAMPLE.catalogId).execute()
    const { rows } = await sql<{ table_name: string; n: bigint }>`
      SELECT 'aspect' AS table_name, count(*) AS n FROM aspect
      UNION ALL SELECT 'entity', count(*) FROM entity
      UNION ALL SELECT 'hierarchy', count(*) FROM hierarchy
      UNION ALL SELECT 'property_value_string', count(*) FROM property_value_string
      UNION ALL SELECT 'property_list', count(*) FROM property_list
      UNION ALL SELECT 'hierarchy_entity_tree_node', count(*) FROM hierarchy_entity_tree_node
      UNION ALL SELECT 'catalog_revision', count(*) FROM catalog_revision
      UNION ALL SELECT 'property_def (global, kept)', count(*) FROM property_def
    `.execute(db)
    assert.deepEqual(Object.fromEntries(rows.map((row) => [row.table_name, row.n])), {
      aspect: 0n,
      entity: 0n,
      hierarchy: 0n,
      property_value_string: 0n,
      property_list: 0n,
      hierarchy_entity_tree_node: 0n,
      catalog_revision: 0n,
      'property_def (global, kept)': 13n,
    })
  })

  it('rejects a value of an aspect that does not exist, set-based, naming the missing key', async () => {
    await insertSampleCatalog(database.adapter.db)
    await rejectsWith(
      () =>
        database.adapter.db
          .insertInto('property_value_integer')
          .values({ ...aspectKey, property_id: slotOf('p_int'), value: 5n })
          .execute(),
      '23503',
      'property_value_integer_aspect_fkey',
    )
  })

  it('rejects content and aspects whose entity is not registered in the catalog', async () => {
    const db = database.adapter.db
    await insertSampleCatalog(db)
    const stranger = 'e0000000-0000-4000-8000-0000000000ff'
    await rejectsWith(
      () =>
        db
          .insertInto('hierarchy_entity_list')
          .values({
            catalog_id: SAMPLE.catalogId,
            hierarchy_id: HIERARCHY_IDS.list,
            list_order: 99,
            entity_id: stranger,
          })
          .execute(),
      '23503',
      'hierarchy_entity_list_entity_fkey',
    )
    await rejectsWith(
      () =>
        db
          .insertInto('aspect')
          .values({ ...aspectRow, entity_id: stranger })
          .execute(),
      '23503',
      'aspect_entity_fkey',
    )
    await rejectsWith(
      () => db.deleteFrom('entity').where('entity_id', '=', E1).execute(),
      '23503',
      'entity_reference_fkey',
    )
  })

  it('cascades deletions of aspects and hierarchies to their rows, and of unused defs to their versions', async () => {
    const db = database.adapter.db
    await insertSampleCatalog(db)
    const count = async (
      table: 'property_value_integer' | 'property_list' | 'hierarchy_entity_list' | 'aspect',
    ) =>
      Number(
        (await sql<{ n: bigint }>`select count(*) as n from ${sql.table(table)}`.execute(db))
          .rows[0]?.n,
      )
    assert.ok((await count('property_value_integer')) > 0)
    assert.ok((await count('property_list')) > 0)
    await db.deleteFrom('aspect').execute()
    assert.equal(await count('property_value_integer'), 0)
    assert.equal(await count('property_list'), 0)
    assert.ok((await count('hierarchy_entity_list')) > 0)
    await db.deleteFrom('hierarchy').where('name', '=', 'list').execute()
    assert.equal(await count('hierarchy_entity_list'), 0)
    // A def no catalog uses goes with its versions, their properties and its slots.
    await db.deleteFrom('catalog').execute()
    await db.deleteFrom('aspect_table_mapping').execute()
    await db.deleteFrom('aspect_def').execute()
    for (const table of ['aspect_def_version', 'property_def', 'property'] as const) {
      assert.equal(
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<bigint>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
        0,
        table,
      )
    }
  })

  it('rejects a tree node whose parent is not in its tree and deletes subtrees with their root', async () => {
    const db = database.adapter.db
    await insertSampleCatalog(db)
    const node = (id: string, parent: string, key: string) => ({
      catalog_id: SAMPLE.catalogId,
      hierarchy_id: HIERARCHY_IDS.tree,
      node_id: id,
      parent_node_id: parent,
      node_key: key,
      tree_order: 5,
    })
    await rejectsWith(
      () =>
        db
          .insertInto('hierarchy_entity_tree_node')
          .values(
            node(
              '70000000-0000-4000-8000-0000000000aa',
              '70000000-0000-4000-8000-0000000000ff',
              'orphan',
            ),
          )
          .execute(),
      '23503',
      'hierarchy_entity_tree_node_parent_fkey',
    )
    const grandchild = '70000000-0000-4000-8000-0000000000bb'
    await db
      .insertInto('hierarchy_entity_tree_node')
      .values(node(grandchild, SAMPLE.childNodeId, 'deeper'))
      .execute()
    await db
      .deleteFrom('hierarchy_entity_tree_node')
      .where('node_id', '=', SAMPLE.rootNodeId)
      .execute()
    const left = await db
      .selectFrom('hierarchy_entity_tree_node')
      .select('node_id')
      .where('hierarchy_id', '=', HIERARCHY_IDS.tree)
      .execute()
    assert.deepEqual(left, [])
  })
})

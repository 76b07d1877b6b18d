import type { Kysely } from 'kysely'
import type { CheapDatabase, NewCheapRow } from '../../src/persistence/schema/database.ts'

/** Fixed ids, so rows read back can be compared across backends and runs. */
export const SAMPLE = {
  aspectDefId: '0a5e0000-0000-4000-8000-000000000001',
  catalogId: 'ca7a0000-0000-4000-8000-000000000001',
  entityIds: ['e0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000002'],
  rootNodeId: '70000000-0000-4000-8000-000000000001',
  childNodeId: '70000000-0000-4000-8000-000000000002',
} as const

const [E1, E2] = SAMPLE.entityIds
/** The aspect's key in the value tables, and its row. */
const ASPECT_ID = 1n
const key = { catalog_id: SAMPLE.catalogId, aspect_id: ASPECT_ID }

const PROPERTY_TYPES = [
  ['p_int', 'INT'],
  ['p_flt', 'FLT'],
  ['p_bln', 'BLN'],
  ['p_str', 'STR'],
  ['p_txt', 'TXT'],
  ['p_bgi', 'BGI'],
  ['p_bgf', 'BGF'],
  ['p_dat', 'DAT'],
  ['p_uri', 'URI'],
  ['p_uid', 'UID'],
  ['p_clb', 'CLB'],
  ['p_blb', 'BLB'],
  ['tags', 'STR'],
] as const

/** The property slot (`property.property_id`) of each sample property: 1, 2, … in this order. */
export function slotOf(name: (typeof PROPERTY_TYPES)[number][0]): number {
  return PROPERTY_TYPES.findIndex(([n]) => n === name) + 1
}

/** One value of each type, in its native column, as the DAO would write it. */
const VALUES = {
  property_value_integer: { property_id: slotOf('p_int'), value: -9223372036854775808n },
  property_value_float: { property_id: slotOf('p_flt'), value: 0.1 },
  property_value_boolean: { property_id: slotOf('p_bln'), value: true },
  property_value_string: { property_id: slotOf('p_str'), value: 'grüße, 世界' },
  property_value_text: { property_id: slotOf('p_txt'), value: 'line one\nline two' },
  property_value_big_integer: {
    property_id: slotOf('p_bgi'),
    value: '123456789012345678901234567890',
  },
  property_value_big_decimal: { property_id: slotOf('p_bgf'), value: '1000', value_scale: -3 },
  property_value_date_time: {
    property_id: slotOf('p_dat'),
    value: '2024-02-29T12:34:56.789012+01:00',
    zone: 'Europe/Berlin',
  },
  property_value_uri: { property_id: slotOf('p_uri'), value: 'https://example.org/a?b=c#d' },
  property_value_uuid: {
    property_id: slotOf('p_uid'),
    value: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  },
  property_value_clob: { property_id: slotOf('p_clb'), value: 'x'.repeat(10_000) },
  property_value_blob: { property_id: slotOf('p_blb'), value: new Uint8Array([0, 1, 254, 255]) },
} as const

/** Hierarchy ids of the sample's hierarchies. */
export const HIERARCHY_IDS = { sample: 1, list: 2, set: 3, dir: 4, tree: 5 } as const

/**
 * A small catalog with at least one row in every definition and catalog table: one AspectDef
 * (one version) with a property of each type (plus a multivalued one with defaults), all five
 * hierarchy types, two entities, one aspect with a value of each type, a revision and a table
 * mapping.
 */
export async function insertSampleCatalog(db: Kysely<CheapDatabase>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('aspect_def')
      .values({ aspect_def_id: SAMPLE.aspectDefId, name: 'sample' })
      .execute()
    await trx
      .insertInto('aspect_def_version')
      .values({ aspect_def_id: SAMPLE.aspectDefId, version: 1, hash_version: -42n })
      .execute()
    await trx
      .insertInto('property')
      .values(
        PROPERTY_TYPES.map(([name, type]) => ({
          property_id: slotOf(name),
          aspect_def_id: SAMPLE.aspectDefId,
          name,
          property_type: type,
          is_multivalued: name === 'tags',
        })),
      )
      .execute()
    await trx
      .insertInto('property_def')
      .values(
        PROPERTY_TYPES.map(([name, type], index): NewCheapRow<'property_def'> => {
          const base = {
            aspect_def_id: SAMPLE.aspectDefId,
            version: 1,
            property_id: slotOf(name),
            name,
            property_index: index,
            property_type: type,
          }
          if (name === 'tags') {
            return {
              ...base,
              is_multivalued: true,
              has_default_value: true,
              default_string: ['a', 'b'],
            }
          }
          if (name === 'p_dat') {
            return {
              ...base,
              has_default_value: true,
              default_date_time: ['2000-01-01T00:00:00Z'],
              default_date_time_zone: ['Z'],
            }
          }
          return base
        }),
      )
      .execute()
    await trx
      .insertInto('catalog')
      .values({
        catalog_id: SAMPLE.catalogId,
        species: 'SINK',
        uri: 'https://example.org/cat',
        next_aspect_id: 2n,
        next_hierarchy_id: 6,
      })
      .execute()
    await trx
      .insertInto('catalog_aspect_def')
      .values({
        catalog_id: SAMPLE.catalogId,
        aspect_def_id: SAMPLE.aspectDefId,
        position: 0,
        version: 1,
      })
      .execute()
    await trx
      .insertInto('hierarchy')
      .values([
        { ...hierarchy('sample', 'AM', 0), aspect_def_id: SAMPLE.aspectDefId },
        hierarchy('list', 'EL', 1),
        hierarchy('set', 'ES', 2),
        hierarchy('dir', 'ED', 3),
        hierarchy('tree', 'ET', 4),
      ])
      .execute()
    await trx
      .insertInto('entity')
      .values(SAMPLE.entityIds.map((entity_id) => ({ catalog_id: SAMPLE.catalogId, entity_id })))
      .execute()
    await trx
      .insertInto('aspect')
      .values({ ...key, aspect_def_id: SAMPLE.aspectDefId, entity_id: E1, map_order: 0n })
      .execute()
    for (const [table, row] of Object.entries(VALUES)) {
      await trx
        .insertInto(table as keyof typeof VALUES)
        .values({ ...key, ...row })
        .execute()
    }
    await trx
      .insertInto('property_value_string')
      .values(
        ['x', 'y'].map((value, value_index) => ({
          ...key,
          property_id: slotOf('tags'),
          value_index,
          value,
        })),
      )
      .execute()
    await trx
      .insertInto('property_list')
      .values({ ...key, property_id: slotOf('tags'), length: 2 })
      .execute()
    const inCatalog = { catalog_id: SAMPLE.catalogId }
    await trx
      .insertInto('hierarchy_entity_list')
      .values(
        [E1, E2, E1].map((entity_id, list_order) => ({
          ...inCatalog,
          hierarchy_id: HIERARCHY_IDS.list,
          list_order,
          entity_id,
        })),
      )
      .execute()
    await trx
      .insertInto('hierarchy_entity_set')
      .values(
        [E2, E1].map((entity_id, set_order) => ({
          ...inCatalog,
          hierarchy_id: HIERARCHY_IDS.set,
          set_order,
          entity_id,
        })),
      )
      .execute()
    await trx
      .insertInto('hierarchy_entity_directory')
      .values({
        ...inCatalog,
        hierarchy_id: HIERARCHY_IDS.dir,
        entity_key: 'first',
        entity_id: E1,
        dir_order: 0,
      })
      .execute()
    await trx
      .insertInto('hierarchy_entity_tree_node')
      .values([
        {
          ...inCatalog,
          hierarchy_id: HIERARCHY_IDS.tree,
          node_id: SAMPLE.rootNodeId,
          parent_node_id: null,
          node_key: '',
          tree_order: 0,
          entity_id: null,
        },
        {
          ...inCatalog,
          hierarchy_id: HIERARCHY_IDS.tree,
          node_id: SAMPLE.childNodeId,
          parent_node_id: SAMPLE.rootNodeId,
          node_key: 'a',
          tree_order: 0,
          entity_id: E2,
          is_leaf: true,
        },
      ])
      .execute()
    await trx
      .insertInto('catalog_revision')
      .values({
        catalog_id: SAMPLE.catalogId,
        revision: 1n,
        saved_at: '2024-01-01T00:00:00Z',
        operation: 'save',
        rows_written: 40n,
      })
      .execute()
    await trx
      .insertInto('aspect_table_mapping')
      .values({
        aspect_def_id: SAMPLE.aspectDefId,
        version: 1,
        table_name: 'sample_aspects',
        has_catalog_id: true,
        has_entity_id: true,
      })
      .execute()
    await trx
      .insertInto('aspect_column_mapping')
      .values({
        aspect_def_id: SAMPLE.aspectDefId,
        property_id: slotOf('p_int'),
        column_name: 'int_col',
      })
      .execute()
  })
}

function hierarchy(
  name: keyof typeof HIERARCHY_IDS,
  hierarchy_type: string,
  position: number,
): NewCheapRow<'hierarchy'> {
  return {
    catalog_id: SAMPLE.catalogId,
    name,
    hierarchy_type,
    position,
    hierarchy_id: HIERARCHY_IDS[name],
  }
}

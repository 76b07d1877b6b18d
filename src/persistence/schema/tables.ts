import { defaulted, optional, required } from './columns.ts'
import type { ColumnSpec, PgTypeName, TableSpec } from './columns.ts'

/**
 * The runtime manifest of every table `schema/*.sql` creates, in schema order: columns in
 * CREATE TABLE order with the type name `pg_catalog` reports, nullability and whether a default
 * exists. `database.ts` derives the Kysely types from it, `schema.ts` derives the drop and
 * truncate lists, and `test/db/schema-conformance.test.ts` holds it against the live schema.
 * Audit columns (`includeAudit`) are not listed: see {@link AUDIT_COLUMNS}.
 */
export const TABLES = {
  schema_migration: {
    group: 'meta',
    primaryKey: ['version'],
    audited: false,
    columns: {
      version: required('int4'),
      name: required('text'),
      checksum: required('text'),
      applied_at: defaulted('timestamptz'),
    },
  },
  property_type: {
    group: 'lookup',
    primaryKey: ['code'],
    audited: false,
    columns: { code: required('text'), name: required('text'), value_table: required('text') },
  },
  hierarchy_type: {
    group: 'lookup',
    primaryKey: ['code'],
    audited: false,
    columns: { code: required('text'), name: required('text') },
  },
  catalog_species: {
    group: 'lookup',
    primaryKey: ['code'],
    audited: false,
    columns: { code: required('text'), requires_upstream: required('bool') },
  },
  aspect_def: {
    group: 'definition',
    primaryKey: ['aspect_def_id'],
    audited: true,
    columns: {
      aspect_def_id: required('uuid'),
      name: required('text'),
    },
  },
  property_def: {
    group: 'definition',
    primaryKey: ['aspect_def_id', 'version', 'name'],
    audited: true,
    columns: {
      aspect_def_id: required('uuid'),
      name: required('text'),
      property_index: required('int4'),
      property_type: required('text'),
      is_readable: defaulted('bool'),
      is_writable: defaulted('bool'),
      is_nullable: defaulted('bool'),
      is_multivalued: defaulted('bool'),
      has_default_value: defaulted('bool'),
      default_integer: optional('_int8'),
      default_float: optional('_float8'),
      default_boolean: optional('_bool'),
      default_string: optional('_text'),
      default_text: optional('_text'),
      default_big_integer: optional('_numeric'),
      default_big_decimal: optional('_numeric'),
      default_big_decimal_scale: optional('_int4'),
      default_date_time: optional('_timestamptz'),
      default_date_time_zone: optional('_text'),
      default_uri: optional('_text'),
      default_uuid: optional('_uuid'),
      default_clob: optional('_text'),
      default_blob: optional('_bytea'),
      version: required('int4'),
      property_id: required('int4'),
    },
  },
  catalog: {
    group: 'catalog',
    primaryKey: ['catalog_id'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      species: required('text'),
      uri: optional('text'),
      upstream_catalog_id: optional('uuid'),
      version_number: defaulted('int8'),
      revision: defaulted('int8'),
      next_aspect_id: defaulted('int8'),
      next_hierarchy_id: defaulted('int4'),
      expires_at: optional('timestamptz'),
    },
  },
  catalog_aspect_def: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'aspect_def_id'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      aspect_def_id: required('uuid'),
      position: required('int4'),
      version: required('int4'),
    },
  },
  hierarchy: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'name'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      name: required('text'),
      hierarchy_type: required('text'),
      position: required('int4'),
      version_number: defaulted('int8'),
      aspect_def_id: optional('uuid'),
      hierarchy_id: required('int4'),
    },
  },
  entity: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'entity_id'],
    audited: true,
    columns: { catalog_id: required('uuid'), entity_id: required('uuid') },
  },
  aspect: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'aspect_id'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      aspect_def_id: required('uuid'),
      entity_id: required('uuid'),
      map_order: required('int8'),
      aspect_id: required('int8'),
    },
  },
  catalog_revision: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'revision'],
    audited: false,
    columns: {
      catalog_id: required('uuid'),
      revision: required('int8'),
      saved_at: defaulted('timestamptz'),
      operation: required('text'),
      rows_written: defaulted('int8'),
    },
  },
  property_value_integer: valueTable('int8', {}),
  property_value_float: valueTable('float8', {}),
  property_value_boolean: valueTable('bool', {}),
  property_value_string: valueTable('text', {}),
  property_value_text: valueTable('text', {}),
  property_value_big_integer: valueTable('numeric', {}),
  property_value_big_decimal: valueTable('numeric', { value_scale: optional('int4') }),
  property_value_date_time: valueTable('timestamptz', { zone: optional('text') }),
  property_value_uri: valueTable('text', {}),
  property_value_uuid: valueTable('uuid', {}),
  property_value_clob: valueTable('text', {}),
  property_value_blob: valueTable('bytea', {}),
  property_list: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'aspect_id', 'property_id'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      aspect_id: required('int8'),
      property_id: required('int4'),
      length: optional('int4'),
    },
  },
  hierarchy_entity_list: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'hierarchy_id', 'list_order'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      hierarchy_id: required('int4'),
      list_order: required('int4'),
      entity_id: required('uuid'),
    },
  },
  hierarchy_entity_set: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'hierarchy_id', 'entity_id'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      hierarchy_id: required('int4'),
      entity_id: required('uuid'),
      set_order: required('int4'),
    },
  },
  hierarchy_entity_directory: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'hierarchy_id', 'dir_order'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      hierarchy_id: required('int4'),
      entity_key: required('text'),
      entity_id: required('uuid'),
      dir_order: required('int4'),
    },
  },
  hierarchy_entity_tree_node: {
    group: 'catalog',
    primaryKey: ['catalog_id', 'hierarchy_id', 'node_id'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      hierarchy_id: required('int4'),
      node_id: required('uuid'),
      parent_node_id: optional('uuid'),
      node_key: required('text'),
      tree_order: required('int4'),
      entity_id: optional('uuid'),
      is_leaf: defaulted('bool'),
    },
  },
  aspect_table_mapping: {
    group: 'definition',
    primaryKey: ['aspect_def_id'],
    audited: true,
    columns: {
      aspect_def_id: required('uuid'),
      table_name: required('text'),
      has_catalog_id: required('bool'),
      has_entity_id: required('bool'),
      is_read_only: defaulted('bool'),
      version: required('int4'),
    },
  },
  aspect_column_mapping: {
    group: 'definition',
    primaryKey: ['aspect_def_id', 'property_id'],
    audited: true,
    columns: {
      aspect_def_id: required('uuid'),
      column_name: required('text'),
      property_id: required('int4'),
    },
  },
  aspect_def_version: {
    group: 'definition',
    primaryKey: ['aspect_def_id', 'version'],
    audited: true,
    columns: {
      aspect_def_id: required('uuid'),
      version: required('int4'),
      hash_version: required('int8'),
      is_readable: defaulted('bool'),
      is_writable: defaulted('bool'),
      can_add_properties: defaulted('bool'),
      can_remove_properties: defaulted('bool'),
    },
  },
  property: {
    group: 'definition',
    primaryKey: ['property_id'],
    audited: true,
    columns: {
      property_id: defaulted('int4'),
      aspect_def_id: required('uuid'),
      name: required('text'),
      property_type: required('text'),
      is_multivalued: required('bool'),
    },
  },
} as const satisfies Readonly<Record<string, TableSpec>>

export type CheapTableName = keyof typeof TABLES

/** Every table name, in schema (creation) order. */
export const TABLE_NAMES: readonly CheapTableName[] = Object.freeze(
  Object.keys(TABLES) as CheapTableName[],
)

/** The columns `cheap_enable_audit` (schema step 010) adds to every audited table, in this order. */
export const AUDIT_COLUMNS = {
  created_at: defaulted('timestamptz'),
  updated_at: defaulted('timestamptz'),
} as const satisfies Readonly<Record<string, ColumnSpec>>

/** The tables that carry audit columns when the schema was created with `includeAudit`. */
export const AUDITED_TABLE_NAMES: readonly CheapTableName[] = Object.freeze(
  TABLE_NAMES.filter((name) => TABLES[name].audited),
)

/** The shared shape of the twelve `property_value_<type>` tables. */
function valueTable<V extends PgTypeName, X extends Readonly<Record<string, ColumnSpec>>>(
  valueType: V,
  extra: X,
) {
  return {
    group: 'catalog',
    primaryKey: ['catalog_id', 'aspect_id', 'property_id', 'value_index'],
    audited: true,
    columns: {
      catalog_id: required('uuid'),
      aspect_id: required('int8'),
      property_id: required('int4'),
      value_index: defaulted('int4'),
      value: optional(valueType),
      ...extra,
    },
  } as const
}

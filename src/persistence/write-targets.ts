import type { PropertyTypeCode } from '../model/property-type.ts'
import type { WriteColumn, WriteTarget } from './store/bulk-write.ts'
import { VALUE_CODECS } from './store/value-codecs.ts'

const col = (name: string, sqlType: string): WriteColumn => ({ name, sqlType })

export const CATALOG_ASPECT_DEF: WriteTarget = {
  table: 'catalog_aspect_def',
  keys: [col('aspect_def_id', 'uuid')],
  values: [col('position', 'int4')],
}

export const HIERARCHY: WriteTarget = {
  table: 'hierarchy',
  keys: [col('name', 'text')],
  values: [
    col('hierarchy_type', 'text'),
    col('position', 'int4'),
    col('version_number', 'int8'),
    col('aspect_def_id', 'uuid'),
  ],
}

export const ENTITY: WriteTarget = { table: 'entity', keys: [col('entity_id', 'uuid')], values: [] }

export const ASPECT: WriteTarget = {
  table: 'aspect',
  keys: [col('aspect_def_id', 'uuid'), col('entity_id', 'uuid')],
  values: [col('map_order', 'int4')],
}

export const ENTITY_LIST: WriteTarget = {
  table: 'hierarchy_entity_list',
  keys: [col('hierarchy_name', 'text'), col('list_order', 'int4')],
  values: [col('entity_id', 'uuid')],
}

export const ENTITY_SET: WriteTarget = {
  table: 'hierarchy_entity_set',
  keys: [col('hierarchy_name', 'text'), col('entity_id', 'uuid')],
  values: [col('set_order', 'int4')],
}

export const ENTITY_DIRECTORY: WriteTarget = {
  table: 'hierarchy_entity_directory',
  keys: [col('hierarchy_name', 'text'), col('entity_key', 'text')],
  values: [col('entity_id', 'uuid'), col('dir_order', 'int4')],
}

export const ENTITY_TREE_NODE: WriteTarget = {
  table: 'hierarchy_entity_tree_node',
  keys: [col('hierarchy_name', 'text'), col('node_id', 'uuid')],
  values: [
    col('parent_node_id', 'uuid'),
    col('node_key', 'text'),
    col('node_path', 'text'),
    col('tree_order', 'int4'),
    col('entity_id', 'uuid'),
    col('is_leaf', 'bool'),
  ],
}

export const PROPERTY_LIST: WriteTarget = {
  table: 'property_list',
  keys: [col('aspect_def_id', 'uuid'), col('entity_id', 'uuid'), col('property_name', 'text')],
  values: [col('property_type', 'text'), col('length', 'int4')],
}

const VALUE_KEYS = [
  col('aspect_def_id', 'uuid'),
  col('entity_id', 'uuid'),
  col('property_name', 'text'),
  col('value_index', 'int4'),
]

function valueTarget(type: PropertyTypeCode): WriteTarget {
  const codec = VALUE_CODECS[type]
  const values = [col('value', codec.sqlType)]
  if (codec.extra !== undefined) values.push(col(codec.extra.column, codec.extra.sqlType))
  return { table: codec.table, keys: VALUE_KEYS, values }
}

export const VALUE_TARGETS: { readonly [T in PropertyTypeCode]: WriteTarget } = {
  INT: valueTarget('INT'),
  FLT: valueTarget('FLT'),
  BLN: valueTarget('BLN'),
  STR: valueTarget('STR'),
  TXT: valueTarget('TXT'),
  BGI: valueTarget('BGI'),
  BGF: valueTarget('BGF'),
  DAT: valueTarget('DAT'),
  URI: valueTarget('URI'),
  UID: valueTarget('UID'),
  CLB: valueTarget('CLB'),
  BLB: valueTarget('BLB'),
}

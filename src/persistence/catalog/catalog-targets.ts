import { target } from '../store/bulk-write.ts'

/** A catalog's def pins: which version of each AspectDef it is stored with. */
export const CATALOG_ASPECT_DEF = target(
  'catalog_aspect_def',
  ['aspect_def_id', 'position', 'version'],
  1,
)

/** A catalog's hierarchy rows. */
export const HIERARCHY = target(
  'hierarchy',
  ['name', 'hierarchy_type', 'position', 'version_number', 'aspect_def_id', 'hierarchy_id'],
  1,
)

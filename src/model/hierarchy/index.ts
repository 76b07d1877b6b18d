import type { AspectMap } from './aspect-map.ts'
import type { EntityDirectory } from './entity-directory.ts'
import type { EntityList } from './entity-list.ts'
import type { EntitySet } from './entity-set.ts'
import type { EntityTree } from './entity-tree.ts'

export { AspectMap } from './aspect-map.ts'
export { EntityDirectory } from './entity-directory.ts'
export { EntityList } from './entity-list.ts'
export { EntitySet } from './entity-set.ts'
export {
  EntityTree,
  TreeNode,
  splitPath,
  type EntityTreeOptions,
  type TreeNodeOptions,
} from './entity-tree.ts'
export {
  HIERARCHY_TYPES,
  HIERARCHY_TYPE_CODES,
  isHierarchyTypeCode,
  type HierarchyTypeCode,
} from './hierarchy-type.ts'
export type { HierarchyOptions } from './hierarchy-base.ts'

/** Any hierarchy; discriminate on `type`. */
export type Hierarchy = EntityList | EntitySet | EntityDirectory | EntityTree | AspectMap

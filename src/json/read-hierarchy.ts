import { CheapValidationError } from '../errors.ts'
import type { AspectDef } from '../model/aspect-def.ts'
import { AspectMap } from '../model/hierarchy/aspect-map.ts'
import { EntityDirectory } from '../model/hierarchy/entity-directory.ts'
import { EntityList } from '../model/hierarchy/entity-list.ts'
import { EntitySet } from '../model/hierarchy/entity-set.ts'
import { EntityTree } from '../model/hierarchy/entity-tree.ts'
import {
  HIERARCHY_TYPE_CODES,
  isHierarchyTypeCode,
  type HierarchyTypeCode,
} from '../model/hierarchy/hierarchy-type.ts'
import type { Hierarchy } from '../model/hierarchy/index.ts'
import { readAspects } from './read-aspects.ts'
import type { PathSegment } from './json-path.ts'
import { quoteShort, type Deferred, type ReadContext } from './read-context.ts'
import { readEntityId } from './read-entity-id.ts'
import { readTree } from './read-tree.ts'

const KEYS = ['type', 'name', 'version', 'contents'] as const

/**
 * Reads the hierarchy under `hierarchies.<key>`: `type`, `name`, optional `version` and
 * `contents` in any order (contents that come before type and name are read once those are
 * known). The name must equal the key; an `AM` needs the AspectDef of that name, and a
 * hierarchy named like an AspectDef must be its `AM`.
 */
export function readHierarchy(
  ctx: ReadContext,
  key: string,
  defs: ReadonlyMap<string, AspectDef>,
): Hierarchy {
  let type: HierarchyTypeCode | undefined
  let name: string | undefined
  let version: bigint | undefined
  let hierarchy: Hierarchy | undefined
  let contents: Deferred | undefined
  const seen = new Set<string>()
  const at = [...ctx.path.snapshot()]
  ctx.readObject('a hierarchy object', (field) => {
    ctx.checkDuplicate(seen, field)
    switch (field) {
      case 'type': {
        const code = ctx.readString(`a hierarchy type (one of ${HIERARCHY_TYPE_CODES.join(', ')})`)
        if (!isHierarchyTypeCode(code))
          ctx.unexpected(`one of the hierarchy types ${HIERARCHY_TYPE_CODES.join(', ')}`)
        type = code
        return
      }
      case 'name':
        name = ctx.readString('the hierarchy name (a string)')
        if (name !== key)
          ctx.unexpected(`${quoteShort(key)}, the key of this hierarchy in hierarchies`)
        return
      case 'version':
        version = ctx.readVersion()
        if (hierarchy !== undefined) hierarchy.version = version
        return
      case 'contents':
        if (type === undefined || name === undefined) {
          contents = ctx.defer()
          return
        }
        hierarchy = create(ctx, at, type, name, version, defs)
        readContents(ctx, hierarchy)
        return
      default:
        ctx.unknownKey(field, 'a hierarchy', KEYS)
    }
  })
  if (type === undefined) ctx.missingKey('type', 'the hierarchy')
  if (name === undefined) ctx.missingKey('name', 'the hierarchy')
  if (hierarchy !== undefined) return hierarchy
  if (contents === undefined) ctx.missingKey('contents', 'the hierarchy')
  const created = create(ctx, at, type, name, version, defs)
  ctx.resume(contents, () => readContents(ctx, created))
  return created
}

/** Creates the empty hierarchy; `at` is the hierarchy's own path, wherever contents were. */
function create(
  ctx: ReadContext,
  at: readonly PathSegment[],
  type: HierarchyTypeCode,
  name: string,
  version: bigint | undefined,
  defs: ReadonlyMap<string, AspectDef>,
): Hierarchy {
  const options = version === undefined ? {} : { version }
  const def = defs.get(name)
  if (type === 'AM') {
    if (def === undefined) {
      ctx.failAtPath(
        [...at, 'name'],
        'INVALID_JSON',
        `found the aspect map name ${quoteShort(name)}, expected the name of an AspectDef in aspectDefs`,
      )
    }
    return new AspectMap(def, options)
  }
  if (def !== undefined) {
    ctx.failAtPath(
      [...at, 'type'],
      'INVALID_JSON',
      `found the type "${type}", expected "AM": ${quoteShort(name)} names an AspectDef, and a hierarchy of that name is its aspect map`,
    )
  }
  try {
    switch (type) {
      case 'EL':
        return new EntityList(name, options)
      case 'ES':
        return new EntitySet(name, options)
      case 'ED':
        return new EntityDirectory(name, options)
      default:
        return new EntityTree(name, options)
    }
  } catch (error) {
    // The only thing the constructors check here is the name (the version was read as int64).
    if (error instanceof CheapValidationError)
      ctx.failAtPath([...at, 'name'], error.reason, error.message)
    throw error
  }
}

function readContents(ctx: ReadContext, hierarchy: Hierarchy): void {
  switch (hierarchy.type) {
    case 'EL':
      ctx.readArray('an array of entity ids', () => hierarchy.add(readEntityId(ctx)))
      return
    case 'ES':
      ctx.readArray('an array of entity ids', () => {
        const id = readEntityId(ctx)
        if (hierarchy.has(id)) {
          ctx.fail(
            'INVALID_JSON',
            `found the entity ${id} a second time, expected each entity once in an entity set`,
          )
        }
        hierarchy.add(id)
      })
      return
    case 'ED':
      ctx.readObject('an object of key → entity id', (entryKey) => {
        if (hierarchy.has(entryKey)) {
          ctx.fail(
            'INVALID_JSON',
            `found the key ${quoteShort(entryKey)} a second time, expected each key once`,
          )
        }
        ctx.next()
        const id = readEntityId(ctx)
        ctx.wrap(() => hierarchy.set(entryKey, id))
      })
      return
    case 'ET':
      readTree(ctx, hierarchy)
      return
    case 'AM':
      readAspects(ctx, hierarchy)
  }
}

import { createAspectDef, type AspectDef } from '../model/aspect-def.ts'
import {
  PROPERTY_TYPE_CODES,
  PROPERTY_TYPES,
  propertyTypeFromName,
  type PropertyTypeCode,
} from '../model/property-type.ts'
import {
  createPropertyDef,
  type PropertyDef,
  type PropertyDefOptions,
} from '../model/property-def.ts'
import { isEntityId } from '../model/entity.ts'
import type { JsonEvent } from './json-tokenizer.ts'
import { readPropertyValue } from './json-value-reader.ts'
import { quoteShort, type Deferred, type ReadContext } from './read-context.ts'

const DEF_KEYS = [
  'name',
  'globalId',
  'isReadable',
  'isWritable',
  'canAddProperties',
  'canRemoveProperties',
  'propertyDefs',
] as const
const PROP_KEYS = [
  'name',
  'type',
  'defaultValue',
  'isReadable',
  'isWritable',
  'isNullable',
  'isMultivalued',
] as const
const TYPE_NAMES = PROPERTY_TYPE_CODES.map((code) => PROPERTY_TYPES[code].name).join(', ')

type DefFlag = 'isReadable' | 'isWritable' | 'canAddProperties' | 'canRemoveProperties'
type PropFlag = 'isReadable' | 'isWritable' | 'isNullable' | 'isMultivalued'

interface PropertyDraft {
  name?: string
  type?: PropertyTypeCode
  defaultValue?: Deferred
  flags: Partial<Record<PropFlag, boolean>>
}

/**
 * Reads the AspectDef under `aspectDefs.<key>`. Keys may come in any order; PropertyDef
 * `isReadable`/`isWritable` default to the AspectDef's flags (whatever their position), and
 * `defaultValue` is decoded once the PropertyDef's type and multiplicity are known.
 */
export function readAspectDef(ctx: ReadContext, key: string): AspectDef {
  let name: string | undefined
  let globalId: string | undefined
  const flags: Partial<Record<DefFlag, boolean>> = {}
  const drafts: PropertyDraft[] = []
  const seen = new Set<string>()
  ctx.readObject('an AspectDef object', (field) => {
    ctx.checkDuplicate(seen, field)
    switch (field) {
      case 'name':
        name = ctx.readString('the AspectDef name (a string)')
        if (name !== key)
          ctx.unexpected(`${quoteShort(key)}, the key of this AspectDef in aspectDefs`)
        return
      case 'globalId':
        globalId = ctx.readString('the AspectDef globalId (a UUID string)')
        if (!isEntityId(globalId))
          ctx.unexpected('a canonical lower-case UUID (8-4-4-4-12 hex digits)', 'INVALID_UUID')
        return
      case 'isReadable':
      case 'isWritable':
      case 'canAddProperties':
      case 'canRemoveProperties':
        flags[field] = ctx.readBoolean()
        return
      case 'propertyDefs':
        ctx.readArray('an array of PropertyDef objects', (_, event) =>
          drafts.push(readPropertyDraft(ctx, event)),
        )
        return
      default:
        ctx.unknownKey(field, 'an AspectDef', DEF_KEYS)
    }
  })
  if (name === undefined) ctx.missingKey('name', 'the AspectDef')
  if (globalId === undefined) ctx.missingKey('globalId', 'the AspectDef')
  const properties = drafts.map((draft, index) => {
    ctx.path.push('propertyDefs')
    ctx.path.push(index)
    const prop = buildPropertyDef(ctx, draft, flags)
    ctx.path.pop()
    ctx.path.pop()
    return prop
  })
  checkUniqueNames(ctx, properties)
  const options = { name, globalId, properties, ...flags }
  return ctx.wrap(() => createAspectDef(options))
}

function readPropertyDraft(ctx: ReadContext, event: JsonEvent): PropertyDraft {
  if (event !== 'startObject') ctx.unexpected('a PropertyDef object')
  const draft: PropertyDraft = { flags: {} }
  const seen = new Set<string>()
  while (ctx.next() !== 'endObject') {
    const field = ctx.parser.text
    ctx.checkDuplicate(seen, field)
    ctx.path.push(field)
    switch (field) {
      case 'name':
        draft.name = ctx.readString('the property name (a string)')
        break
      case 'type': {
        const type = propertyTypeFromName(ctx.readString(`a type name (one of ${TYPE_NAMES})`))
        if (type === undefined)
          ctx.unexpected(`one of the type names ${TYPE_NAMES} (case-sensitive)`, 'WRONG_TYPE')
        draft.type = type
        break
      }
      case 'defaultValue':
        draft.defaultValue = ctx.defer()
        break
      case 'isReadable':
      case 'isWritable':
      case 'isNullable':
      case 'isMultivalued':
        draft.flags[field] = ctx.readBoolean()
        break
      default:
        ctx.unknownKey(field, 'a PropertyDef', PROP_KEYS)
    }
    ctx.path.pop()
  }
  if (draft.name === undefined) ctx.missingKey('name', 'the PropertyDef')
  if (draft.type === undefined) ctx.missingKey('type', 'the PropertyDef')
  return draft
}

function buildPropertyDef(
  ctx: ReadContext,
  draft: PropertyDraft,
  defFlags: Partial<Record<DefFlag, boolean>>,
): PropertyDef {
  const shape = {
    name: draft.name as string,
    type: draft.type as PropertyTypeCode,
    isNullable: draft.flags.isNullable ?? true,
    isMultivalued: draft.flags.isMultivalued ?? false,
  }
  const options: PropertyDefOptions<string, PropertyTypeCode, boolean, boolean> = {
    ...shape,
    isReadable: draft.flags.isReadable ?? defFlags.isReadable ?? true,
    isWritable: draft.flags.isWritable ?? defFlags.isWritable ?? true,
  }
  const deferred = draft.defaultValue
  if (deferred === undefined) return ctx.wrap(() => createPropertyDef(options), nameOrNothing)
  const defaultValue = ctx.resume(deferred, () => readPropertyValue(ctx, shape))
  const withDefault = { ...options, defaultValue } as PropertyDefOptions<
    string,
    PropertyTypeCode,
    boolean,
    boolean
  >
  return ctx.wrap(
    () => createPropertyDef(withDefault),
    (error) => (error.reason === 'INVALID_NAME' ? ['name'] : ['defaultValue']),
  )
}

function nameOrNothing(error: { reason: string }): readonly string[] {
  return error.reason === 'INVALID_NAME' ? ['name'] : []
}

function checkUniqueNames(ctx: ReadContext, properties: readonly PropertyDef[]): void {
  const names = new Set<string>()
  properties.forEach((prop, index) => {
    if (names.has(prop.name)) {
      ctx.fail(
        'DUPLICATE_NAME',
        `found a second property named ${quoteShort(prop.name)}, expected unique property names`,
        { propertyName: prop.name },
        ['propertyDefs', index, 'name'],
      )
    }
    names.add(prop.name)
  })
}

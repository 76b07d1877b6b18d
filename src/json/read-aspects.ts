import { restoreAspect } from '../model/aspect.ts'
import type { AspectMap } from '../model/hierarchy/aspect-map.ts'
import { readPropertyValue } from './json-value-reader.ts'
import { quoteShort, type ReadContext } from './read-context.ts'
import { keyAsEntityId } from './read-entity-id.ts'

const LISTED_NAMES = 20

/**
 * AM contents: entity id → aspect object. Each value is decoded by its PropertyDef's type and
 * the aspect is built with `restoreAspect` (values validated, access flags not checked, so a
 * non-writable AspectDef still imports). An explicit `null` is stored as null; a property left
 * out stays absent.
 */
export function readAspects(ctx: ReadContext, map: AspectMap): void {
  const def = map.aspectDef
  ctx.readObject('an object of entity id → aspect', (key) => {
    const id = keyAsEntityId(ctx, key)
    if (map.has(id))
      ctx.fail(
        'INVALID_JSON',
        `found the entity ${id} a second time, expected one aspect per entity`,
      )
    const values = new Map<string, unknown>()
    ctx.readObject('an aspect object (property name → value)', (name) => {
      const prop = def.propertyDef(name)
      if (prop === undefined) {
        ctx.fail(
          'UNKNOWN_PROPERTY',
          `found the property ${quoteShort(name)}, expected one that AspectDef '${def.name}' declares (${declared(map)})`,
          {
            aspectDefName: def.name,
            propertyName: name,
          },
        )
      }
      if (values.has(name))
        ctx.fail(
          'INVALID_JSON',
          `found the property ${quoteShort(name)} a second time, expected each property once`,
        )
      values.set(name, readPropertyValue(ctx, prop))
    })
    const aspect = ctx.wrap(
      () => restoreAspect(def, id, values),
      (error) => (error.propertyName === undefined ? [] : [error.propertyName]),
    )
    map.add(aspect)
  })
}

function declared(map: AspectMap): string {
  const names = map.aspectDef.propertyDefs().map((p) => p.name)
  if (names.length === 0) return 'none'
  const shown = names.slice(0, LISTED_NAMES).join(', ')
  return names.length > LISTED_NAMES ? `${shown}, … ${names.length} in all` : shown
}

import { isEntityId, type EntityId } from '../model/entity.ts'
import type { ReadContext } from './read-context.ts'

/** The current event as an entity id: a canonical lower-case UUID string. */
export function readEntityId(ctx: ReadContext): EntityId {
  if (ctx.event !== 'string') ctx.unexpected('an entity id (a UUID string)')
  const text = ctx.parser.text
  if (!isEntityId(text))
    ctx.unexpected('a canonical lower-case UUID (8-4-4-4-12 hex digits)', 'INVALID_UUID')
  return text
}

/** An entity id used as an object key (AM contents). */
export function keyAsEntityId(ctx: ReadContext, key: string): EntityId {
  if (!isEntityId(key)) {
    ctx.unexpected(
      'an entity id key: a canonical lower-case UUID (8-4-4-4-12 hex digits)',
      'INVALID_UUID',
    )
  }
  return key
}

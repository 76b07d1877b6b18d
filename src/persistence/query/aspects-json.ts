import { sql, type RawBuilder } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import type {
  AspectDef,
  AspectDefName,
  PropertyDefMap,
  PropertyNames,
} from '../../model/aspect-def.ts'
import { checkUuid, type EntityId } from '../../model/entity.ts'
import type { PropertyDef } from '../../model/property-def.ts'
import type { PropertyTypeCode } from '../../model/property-type.ts'

/**
 * The JSON form of one element of a property type, as `cheap_aspects_json` (and the catalog JSON
 * writer) writes it: INT and BGI numbers (strings beyond ±(2^53-1) unless asked otherwise), FLT
 * numbers or `"NaN"`/`"Infinity"`/`"-Infinity"`, BGF numbers, BLN booleans, DAT Java
 * `ZonedDateTime` text, BLB lower-case hex, the rest strings.
 */
export interface JsonElementTypes {
  INT: number | string
  BGI: number | string
  FLT: number | 'NaN' | 'Infinity' | '-Infinity'
  BGF: number
  BLN: boolean
  DAT: string
  BLB: string
  STR: string
  TXT: string
  URI: string
  UID: string
  CLB: string
}

type PropsOf<D extends AspectDef> = D extends AspectDef<infer Ps> ? Ps : readonly PropertyDef[]
type JsonOf<P> =
  P extends PropertyDef<string, infer T, infer M, infer N>
    ? | (true extends M
          ? JsonElementTypes[T & PropertyTypeCode][]
          : JsonElementTypes[T & PropertyTypeCode])
      | (true extends N ? null : true extends M ? null : never)
    : unknown

/**
 * An aspect as JSON: a property is there when a value (possibly null) is stored for it, so
 * every key is optional. Typed by the AspectDef's literal type; `Record<string, unknown>`-like
 * for an untyped def.
 */
export type AspectJson<D extends AspectDef = AspectDef> = {
  readonly [K in PropertyNames<PropsOf<D>>]?: K extends keyof PropertyDefMap<PropsOf<D>>
    ? JsonOf<PropertyDefMap<PropsOf<D>>[K]>
    : unknown
}

export interface AspectsJsonOptions {
  /** INT and BGI values beyond ±(2^53-1) as strings (default true), so `JSON.parse` is exact. */
  readonly bigIntegersAsText?: boolean | undefined
}

/**
 * The SQL function `cheap_aspects_json(catalog, aspect_def, big_integers_as_text)` (schema step
 * 015) as a typed Kysely expression: run it with `.execute(db)`, or use it as a subquery. One
 * row per aspect, in AspectMap order. Raises `no_data_found` when the catalog does not exist,
 * has expired, or has no such AspectDef (the dao's `aspectsJson` turns that into a CheapError).
 *
 * @example
 * ```ts
 * const { rows } = await aspectsJson(catalogId, person).execute(kysely)
 * rows[0]?.aspect.name // string | null | undefined
 * ```
 */
export function aspectsJson<D extends AspectDef>(
  catalogId: string,
  aspectDef: D | AspectDefName<D>,
  options: AspectsJsonOptions = {},
): RawBuilder<{ entity_id: EntityId; aspect: AspectJson<D> }> {
  checkUuid('catalog id', catalogId)
  const name =
    typeof aspectDef === 'string' ? aspectDef : (aspectDef as AspectDef | undefined)?.name
  if (typeof name !== 'string') {
    throw new CheapValidationError('aspectsJson needs an AspectDef or its name', {
      reason: 'INVALID_ARGUMENT',
    })
  }
  const big = options.bigIntegersAsText ?? true
  return sql<{
    entity_id: EntityId
    aspect: AspectJson<D>
  }>`select j.entity_id, j.aspect from cheap_aspects_json(${catalogId}::uuid, ${name}::text, ${big}::boolean) j`
}

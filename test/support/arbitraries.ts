/**
 * fast-check arbitraries for the CHEAP model, shared by the model, JSON and database tests.
 *
 * - values: {@link intValue} … {@link blobValue}, {@link valueOf}, {@link propertyValueFor}
 * - definitions: {@link propertyDefArb}, {@link aspectDefArb}
 * - contents: {@link aspectArb} and one arbitrary per hierarchy type
 * - whole catalogs: {@link catalogArb}; random edits of a catalog live in `./edits.ts`
 *
 * @example
 * ```ts
 * import { catalogArb } from './arbitraries.ts'
 * import { assertProperty } from './fast-check.ts'
 * assertProperty(fc.property(catalogArb({ maxEntities: 100 }), (c) => catalogEquals(c, c)))
 * ```
 */
export {
  INT64_MAX,
  INT64_MIN,
  MAX_STR_LENGTH,
  bigDecimalValue,
  bigIntegerValue,
  blobValue,
  booleanValue,
  clobValue,
  dateTimeValue,
  floatValue,
  intValue,
  storableText,
  stringValue,
  textValue,
  uriValue,
  uuidValue,
  valueOf,
  zoneArb,
} from './value-arbitraries.ts'
export {
  aspectDefArb,
  aspectDefPlanArb,
  buildAspectDef,
  buildPropertyDef,
  nameArb,
  propertyDefArb,
  propertyTypeArb,
  propertyValueFor,
  type AspectDefArbOptions,
  type AspectDefPlan,
  type PropertyDefPlan,
  type ValueShape,
} from './def-arbitraries.ts'
export {
  MAX_TREE_DEPTH,
  aspectArb,
  aspectMapArb,
  aspectValuesArb,
  buildAspect,
  entityDirectoryArb,
  entityListArb,
  entitySetArb,
  entityTreeArb,
  versionArb,
  type AspectValuesPlan,
  type StandaloneOptions,
} from './hierarchy-arbitraries.ts'
export {
  buildCatalog,
  catalogArb,
  catalogPlanArb,
  type CatalogArbOptions,
  type CatalogIds,
  type CatalogPlan,
} from './catalog-arbitraries.ts'

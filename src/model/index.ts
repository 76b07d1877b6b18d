export {
  Aspect,
  checkRequiredProperties,
  createAspect,
  isRequired,
  restoreAspect,
  type AspectInit,
} from './aspect.ts'
export {
  ASPECT_DEF_ID_NAMESPACE,
  AspectDef,
  createAspectDef,
  defaultAspectDefId,
  type AspectDefName,
  type AspectDefOptions,
  type AspectValues,
  type PropertyDefMap,
  type PropertyNames,
} from './aspect-def.ts'
export { Catalog, createCatalog, type CatalogOptions } from './catalog.ts'
export {
  CATALOG_SPECIES,
  CATALOG_SPECIES_CODES,
  isCatalogSpecies,
  type CatalogSpecies,
} from './catalog-species.ts'
export { isEntityId, newEntityId, toEntityId, type EntityId } from './entity.ts'
export { aspectDefDiff, catalogDiff, catalogEquals, hierarchyDiff } from './equality.ts'
export * from './hierarchy/index.ts'
export {
  PropertyDef,
  createPropertyDef,
  type LiteralPropertyDef,
  type PropertyDefInput,
  type PropertyDefOptions,
  type PropertyDefValue,
  type ValueFor,
} from './property-def.ts'
export {
  PROPERTY_TYPES,
  PROPERTY_TYPE_CODES,
  isPropertyTypeCode,
  propertyTypeFromName,
  type PropertyTypeCode,
  type PropertyTypeName,
  type PropertyValue,
  type PropertyValueTypes,
  type ScalarValue,
} from './property-type.ts'
export { scalarEquals, valueEquals } from './values/equal.ts'
export { validateScalar, type ValueContext } from './values/validate.ts'
export { validateValue } from './values/validate-value.ts'

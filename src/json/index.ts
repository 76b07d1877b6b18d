export { catalogFromJson } from './json-reader.ts'
export { catalogToJson, writeCatalogJson, type JsonWriteOptions } from './json-writer.ts'

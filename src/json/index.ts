export { catalogFromJson, type JsonReadOptions, type JsonReadProgress } from './json-reader.ts'
export { catalogToJson, writeCatalogJson, type JsonWriteOptions } from './json-writer.ts'

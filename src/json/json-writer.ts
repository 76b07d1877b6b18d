/*
 * The catalog JSON writer: the Java reference's `CheapJacksonSerializer` output, byte for byte,
 * for every catalog the Java writer can express (key order, omitted defaults, value texts,
 * Jackson's compact and pretty layouts, no trailing newline).
 *
 * Deliberate differences, each for something the Java writer cannot express or loses:
 * - A property whose stored value is null is written as `"name" : null`. Java's writer skips
 *   nulls, so "null" and "absent" would read back alike; writing the null keeps the two states
 *   apart and the Java reader still accepts it (it applies `write(name, null)`). A catalog read
 *   from a Java document holds no stored nulls, so re-writing it gives Java's bytes again.
 * - `version` (catalog and hierarchy) is written when not 0; Java never writes it, its reader
 *   accepts it.
 * - `isLeaf: true` marks leaf tree nodes (Java's reader accepts it; its writer drops the flag).
 * - Non-finite floats are the strings "NaN", "Infinity", "-Infinity"; BLOBs are lower-case hex.
 * - Aspects are written without access checks: a non-readable def or property still exports.
 */
import type { AspectDef } from '../model/aspect-def.ts'
import type { Catalog } from '../model/catalog.ts'
import { PROPERTY_TYPES } from '../model/property-type.ts'
import type { PropertyValue } from '../model/property-type.ts'
import { JsonEmitter, type JsonWriteOptions } from './json-emitter.ts'
import { writePropertyValue } from './json-value-writer.ts'
import { writeHierarchy } from './write-hierarchy.ts'

export type { JsonWriteOptions } from './json-emitter.ts'

/**
 * Streams the catalog's JSON to `write` in chunks of about 64 KiB, so a large catalog can go to
 * a file without ever being one string.
 *
 * @example
 * ```ts
 * const file = fs.createWriteStream('catalog.json')
 * writeCatalogJson(catalog, (chunk) => file.write(chunk), { pretty: true })
 * file.end()
 * ```
 */
export function writeCatalogJson(
  catalog: Catalog,
  write: (chunk: string) => void,
  options: JsonWriteOptions = {},
): void {
  const out = new JsonEmitter(write, options)
  out.startObject()
  out.key('globalId')
  out.string(catalog.globalId)
  out.key('uri')
  if (catalog.uri === null) out.token('null')
  else out.string(catalog.uri)
  out.key('species')
  out.string(catalog.species.toLowerCase())
  if (catalog.upstream !== null) {
    out.key('upstream')
    out.string(catalog.upstream)
  }
  if (catalog.version !== 0n) {
    out.key('version')
    out.token(catalog.version.toString())
  }
  out.key('aspectDefs')
  out.startObject()
  for (const def of catalog.aspectDefs()) {
    out.key(def.name)
    writeAspectDef(out, def)
  }
  out.endObject()
  out.key('hierarchies')
  out.startObject()
  for (const hierarchy of catalog.hierarchies()) {
    out.key(hierarchy.name)
    writeHierarchy(out, hierarchy)
  }
  out.endObject()
  out.endObject()
  out.flush()
}

/**
 * The catalog as a JSON string: compact by default, Jackson's pretty layout with `pretty`.
 *
 * @example
 * ```ts
 * const text = catalogToJson(catalog, { pretty: true })
 * catalogEquals(catalogFromJson(text), catalog) // true
 * ```
 */
export function catalogToJson(catalog: Catalog, options: JsonWriteOptions = {}): string {
  const chunks: string[] = []
  writeCatalogJson(catalog, (chunk) => chunks.push(chunk), options)
  return chunks.join('')
}

/** name, globalId, the non-default flags, then propertyDefs: the Java AspectDefSerializer. */
function writeAspectDef(out: JsonEmitter, def: AspectDef): void {
  out.startObject()
  out.key('name')
  out.string(def.name)
  out.key('globalId')
  out.string(def.globalId)
  if (!def.isReadable) flag(out, 'isReadable', false)
  if (!def.isWritable) flag(out, 'isWritable', false)
  if (def.canAddProperties) flag(out, 'canAddProperties', true)
  if (def.canRemoveProperties) flag(out, 'canRemoveProperties', true)
  out.key('propertyDefs')
  out.startArray()
  for (const prop of def.propertyDefs()) {
    out.startObject()
    out.key('name')
    out.string(prop.name)
    out.key('type')
    out.string(PROPERTY_TYPES[prop.type].name)
    if (prop.hasDefaultValue) {
      out.key('defaultValue')
      writePropertyValue(out, prop.type, prop.defaultValue as PropertyValue)
    }
    // Readable/writable are written only where they differ from the AspectDef's flag.
    if (prop.isReadable !== def.isReadable) flag(out, 'isReadable', prop.isReadable)
    if (prop.isWritable !== def.isWritable) flag(out, 'isWritable', prop.isWritable)
    if (!prop.isNullable) flag(out, 'isNullable', false)
    if (prop.isMultivalued) flag(out, 'isMultivalued', true)
    out.endObject()
  }
  out.endArray()
  out.endObject()
}

function flag(out: JsonEmitter, name: string, value: boolean): void {
  out.key(name)
  out.token(value ? 'true' : 'false')
}

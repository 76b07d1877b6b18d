/*
 * The catalog JSON reader: reads what the Java reference's `CheapJacksonDeserializer` reads,
 * from a hand-written pull parser (not `JSON.parse`), so INT, BGI and BGF come from the number
 * token's exact text, key order is kept, and duplicate keys are caught.
 *
 * Stricter than Java, on purpose: unknown keys are errors everywhere (Java skips unknown
 * catalog keys), duplicate keys are errors, a hierarchy's and an AspectDef's name must equal
 * its key, an entity set may not list an entity twice. Values are checked against their
 * PropertyDef (type, range, nullability) instead of being kept as strings. More lenient where
 * the order of keys is concerned: every object takes its keys in any order.
 *
 * Every AspectDef in `aspectDefs` ends up in the catalog (Java drops those without an aspect
 * map): in this model a def always has its aspect map, so a def whose map the document leaves
 * out gets an empty one, placed after the document's hierarchies.
 */
import type { AspectDef } from '../model/aspect-def.ts'
import { CATALOG_SPECIES, isCatalogSpecies, type CatalogSpecies } from '../model/catalog-species.ts'
import { createCatalog, type Catalog } from '../model/catalog.ts'
import { isEntityId } from '../model/entity.ts'
import type { Hierarchy } from '../model/hierarchy/index.ts'
import { isUriReference } from '../model/values/uri-text.ts'
import { CheapValidationError, checkAbortOptions, throwIfAborted } from '../errors.ts'
import { readAspectDef } from './read-aspect-def.ts'
import { decodeJsonBytes, utf8Length } from './utf8.ts'
import { ReadContext, quoteShort, type Deferred } from './read-context.ts'
import { readHierarchy } from './read-hierarchy.ts'

const KEYS = [
  'globalId',
  'uri',
  'species',
  'upstream',
  'version',
  'aspectDefs',
  'hierarchies',
] as const
const SPECIES_NAMES = Object.keys(CATALOG_SPECIES)
  .map((s) => s.toLowerCase())
  .join(', ')

/** How far {@link catalogFromJson} got, in UTF-8 bytes of the document. */
export interface JsonReadProgress {
  readonly phase: 'parse'
  /** Bytes parsed so far; never goes back; equal to `bytesTotal` at the last event. */
  readonly bytesDone: number
  /** The document's size in UTF-8 bytes (its `byteLength` when bytes were given). */
  readonly bytesTotal: number
}

export interface JsonReadOptions {
  /**
   * Stops the read with a `CheapAbortError` (code `ABORTED`, `cause`: `signal.reason`). The read
   * is synchronous: the signal is checked before it starts and at every progress step, so it sees
   * an abort made before the call or from `onProgress`; a timer or an event handler cannot run
   * while it parses (read in a worker to cancel from outside).
   */
  readonly signal?: AbortSignal
  /**
   * Called synchronously every 256 KiB or so of the document, and once at its end. A document
   * that lists its hierarchies before its AspectDefs reads the hierarchies again at the end: the
   * last event comes after that. What it throws ends the read and is the call's error.
   */
  readonly onProgress?: (event: JsonReadProgress) => void
}

/** Characters between two progress events. */
const PROGRESS_STEP = 1 << 18

interface Header {
  globalId?: string
  uri?: string | null
  species?: CatalogSpecies
  upstream?: string | null
  version?: bigint
}

/**
 * Reads a catalog from its JSON text (the Java `cheap-json` format), or from the document's
 * bytes, which must be UTF-8 (invalid UTF-8 is an `INVALID_TEXT` error giving the byte offset; a
 * leading byte-order mark is skipped, in text or bytes). Every problem is a
 * `CheapValidationError` whose `path` is the JSON path of the bad value and whose message
 * starts with that path; syntax errors also give the line and column.
 *
 * @example
 * ```ts
 * const catalog = catalogFromJson(fs.readFileSync('catalog.json'))
 * catalog.aspects('person')?.get('10000000-0000-0000-0000-000000000001')?.get('age') // 30n
 * ```
 *
 * `options.onProgress` reports the bytes parsed, `options.signal` stops the read
 * ({@link JsonReadOptions}).
 */
export function catalogFromJson(json: string | Uint8Array, options: JsonReadOptions = {}): Catalog {
  if (typeof options !== 'object' || options === null) {
    throw new CheapValidationError(
      `catalogFromJson: options must be an object, got ${options === null ? 'null' : typeof options}`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  checkAbortOptions('catalogFromJson', options)
  throwIfAborted(options.signal, 'reading catalog JSON')

  const text = json instanceof Uint8Array ? decodeJsonBytes(json) : json
  if (typeof text !== 'string') {
    throw new CheapValidationError(
      `catalogFromJson expects the JSON text as a string or its UTF-8 bytes as a Uint8Array, got ${typeof text}`,
      {
        reason: 'INVALID_ARGUMENT',
      },
    )
  }
  const ctx: ReadContext = new ReadContext(text)
  const finish = watchProgress(ctx, json, text, options)
  const header: Header = {}
  let defs: Map<string, AspectDef> | undefined
  let hierarchies: Hierarchy[] | undefined
  let deferred: Deferred | undefined
  const seen = new Set<string>()
  ctx.readObject('a catalog object', (key) => {
    ctx.checkDuplicate(seen, key)
    switch (key) {
      case 'aspectDefs':
        // A CatalogDef (Java `CheapJacksonSerializer.toJson(CatalogDef)`) lists its defs in an array.
        if (ctx.next() === 'startArray' && !seen.has('globalId') && !seen.has('hierarchies'))
          catalogDefGiven(ctx, 'an "aspectDefs" array')
        defs = readAspectDefs(ctx)
        return
      case 'hierarchyDefs':
        if (!seen.has('globalId') && !seen.has('hierarchies'))
          catalogDefGiven(ctx, 'a "hierarchyDefs" key')
        return ctx.unknownKey(key, 'the catalog', KEYS)
      case 'hierarchies':
        // AspectMaps need their AspectDefs: read now if they are known, else after them.
        if (defs === undefined) deferred = ctx.defer()
        else hierarchies = readHierarchies(ctx, defs)
        return
      default:
        readHeaderField(ctx, header, key)
    }
  })
  ctx.next()
  const { globalId, species } = header
  if (globalId === undefined) ctx.missingKey('globalId', 'the catalog')
  if (species === undefined) ctx.missingKey('species', 'the catalog')
  const upstream = header.upstream ?? null
  if (CATALOG_SPECIES[species].requiresUpstream && upstream === null) {
    ctx.fail(
      'SPECIES_UPSTREAM',
      `found the species "${species.toLowerCase()}" without an upstream, expected an "upstream" catalog id: mirror, cache, clone and fork catalogs have one`,
    )
  }
  if (!CATALOG_SPECIES[species].requiresUpstream && upstream !== null) {
    ctx.fail(
      'SPECIES_UPSTREAM',
      `found an upstream for a "${species.toLowerCase()}" catalog, expected none: source and sink catalogs have no upstream`,
      {},
      ['upstream'],
    )
  }
  const allDefs = defs ?? new Map<string, AspectDef>()
  if (deferred !== undefined)
    hierarchies = ctx.resume(deferred, () => readHierarchies(ctx, allDefs))
  const catalog = ctx.wrap(() =>
    createCatalog({
      globalId,
      species,
      upstream,
      uri: header.uri ?? null,
      version: header.version ?? 0n,
    }),
  )
  for (const hierarchy of hierarchies ?? []) catalog.addHierarchy(hierarchy)
  for (const def of allDefs.values()) {
    if (catalog.aspectDef(def.name) === undefined) catalog.extend(def)
  }
  finish()
  return catalog
}

/**
 * Hooks the progress reports and abort checks into the read; returns the last report. Byte
 * offsets are counted as the text goes (UTF-8 lengths of the stretches between reports), so a
 * read without `onProgress` pays nothing.
 */
function watchProgress(
  ctx: ReadContext,
  json: string | Uint8Array,
  text: string,
  { signal, onProgress }: JsonReadOptions,
): () => void {
  if (signal === undefined && onProgress === undefined) return () => undefined
  const bytesTotal = json instanceof Uint8Array ? json.byteLength : utf8Length(text)
  let chars = 0
  let bytes = 0
  const report = (bytesDone: number): void => {
    onProgress?.({ phase: 'parse', bytesDone, bytesTotal })
    throwIfAborted(signal, 'reading catalog JSON')
  }
  ctx.watch(PROGRESS_STEP, (offset) => {
    bytes += utf8Length(text, chars, offset)
    chars = offset
    report(Math.min(bytes, bytesTotal))
  })
  return () => report(bytesTotal)
}

function readHeaderField(ctx: ReadContext, header: Header, key: string): void {
  switch (key) {
    case 'globalId':
      header.globalId = readUuid(ctx, ctx.readString('the catalog globalId (a UUID string)'))
      return
    case 'uri': {
      const uri = ctx.readStringOrNull('a URI string or null')
      if (uri !== null && !isUriReference(uri))
        ctx.unexpected('an RFC 3986 URI reference or null', 'INVALID_URI')
      header.uri = uri
      return
    }
    case 'species': {
      const text = ctx.readString(`a species (one of ${SPECIES_NAMES})`)
      const code = /^[A-Za-z]+$/.test(text) ? text.toUpperCase() : ''
      if (!isCatalogSpecies(code))
        ctx.unexpected(`one of the species ${SPECIES_NAMES} (in any case)`, 'SPECIES_UPSTREAM')
      header.species = code
      return
    }
    case 'upstream': {
      const upstream = ctx.readStringOrNull('the upstream catalog id (a UUID string) or null')
      header.upstream = upstream === null ? null : readUuid(ctx, upstream)
      return
    }
    case 'version':
      header.version = ctx.readVersion()
      return
    default:
      ctx.unknownKey(key, 'the catalog', KEYS)
  }
}

function readUuid(ctx: ReadContext, text: string): string {
  if (!isEntityId(text))
    ctx.unexpected('a canonical lower-case UUID (8-4-4-4-12 hex digits)', 'INVALID_UUID')
  return text
}

/** The document is a CatalogDef: say so rather than name the first key a catalog lacks. */
function catalogDefGiven(ctx: ReadContext, found: string): never {
  return ctx.failAtPath(
    [],
    'INVALID_JSON',
    `this is a CatalogDef, not a catalog: found ${found} and no "globalId" or "hierarchies", expected a catalog document (what \`cheap export\`, catalogToJson and the Java CheapJacksonSerializer write for a Catalog)`,
  )
}

/** Reads the AspectDefs object whose first event was just read. */
function readAspectDefs(ctx: ReadContext): Map<string, AspectDef> {
  const defs = new Map<string, AspectDef>()
  ctx.readObjectHere('an object of AspectDef name → AspectDef', (name) => {
    if (defs.has(name))
      ctx.fail(
        'INVALID_JSON',
        `found the AspectDef ${quoteShort(name)} a second time, expected each AspectDef once`,
      )
    defs.set(name, readAspectDef(ctx, name))
  })
  return defs
}

function readHierarchies(ctx: ReadContext, defs: ReadonlyMap<string, AspectDef>): Hierarchy[] {
  const hierarchies: Hierarchy[] = []
  const names = new Set<string>()
  ctx.readObject('an object of hierarchy name → hierarchy', (name) => {
    if (names.has(name))
      ctx.fail(
        'INVALID_JSON',
        `found the hierarchy ${quoteShort(name)} a second time, expected each hierarchy once`,
      )
    names.add(name)
    hierarchies.push(readHierarchy(ctx, name, defs))
  })
  return hierarchies
}

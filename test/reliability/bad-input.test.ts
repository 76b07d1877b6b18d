/**
 * The bad-input corpus (test/fixtures/bad/index.json, see its README.md), plus bad inputs only
 * code can express, on both backends. Every case must fail with a CheapError of the declared
 * code (and validation reason) whose message names the place (JSON path, def, property, value),
 * and must leave the database exactly as it was: row count and content checksum of every table.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, it } from 'node:test'
import {
  CheapError,
  CheapValidationError,
  type CheapErrorCode,
  type ValidationReason,
} from '../../src/errors.ts'
import { catalogFromJson } from '../../src/json/index.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  type AspectMap,
  type Catalog,
} from '../../src/model/index.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { forEachBackend, type TestDatabase } from '../db/backends.ts'
import {
  assertSameFingerprint,
  entityNumber,
  fingerprint,
  rejectsWith,
  type DatabaseFingerprint,
} from './support.ts'

interface BadCase {
  readonly name: string
  readonly description?: string
  readonly file?: string
  readonly generate?: 'deep-tree' | 'large-document'
  readonly stage: 'parse' | 'save'
  readonly setup?: 'stored-base'
  readonly expect: {
    readonly code: CheapErrorCode
    readonly reason?: ValidationReason
    readonly message: readonly string[]
  }
}

const FIXTURES = new URL('../fixtures/bad/', import.meta.url)
const index = JSON.parse(await readFile(new URL('index.json', FIXTURES), 'utf8')) as {
  readonly cases: readonly BadCase[]
}
/** The corpus's valid base document: stored before the cases run. */
const BASE = await readFile(new URL('catalog-already-stored.json', FIXTURES), 'utf8')
const DEF_NAME = 'com.example.bad'
const DEF_ID = '30000000-0000-4000-8000-0000000000de'

/** A 10,000-level tree, valid as JSON, whose deepest node's name has a slash. */
function deepTree(): string {
  let inner = '{"children":{"bad/name":{}}}'
  for (let i = 9999; i >= 0; i--) inner = `{"children":{"n${i}":${inner}}}`
  return (
    '{"globalId":"30000000-0000-4000-8000-000000000d33","species":"sink","hierarchies":' +
    `{"deep":{"type":"ET","name":"deep","contents":${inner}}}}`
  )
}

/** About 20 MB: 100,000 aspects, the third-last with a bad INT. */
function largeDocument(): string {
  const parts: string[] = []
  const count = 100_000
  const label = 'x'.repeat(150)
  for (let i = 0; i < count; i++) {
    const id = `40000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
    parts.push(`"${id}":{"n":${i === count - 3 ? '"oops"' : String(i)},"label":"${label}"}`)
  }
  return (
    '{"globalId":"30000000-0000-4000-8000-000000000b16","species":"sink","aspectDefs":{"big":' +
    '{"name":"big","globalId":"30000000-0000-4000-8000-0000000000bb","propertyDefs":' +
    '[{"name":"n","type":"Integer"},{"name":"label","type":"String"}]}},' +
    `"hierarchies":{"big":{"type":"AM","name":"big","contents":{${parts.join(',')}}}}}`
  )
}

/** `length` characters that do not compress (a deterministic walk over the CJK block). */
function incompressible(length: number): string {
  let state = 12345
  let out = ''
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648
    out += String.fromCharCode(0x4e00 + (state % 20000))
  }
  return out
}

/** The case's document: generated text, or the file's bytes (so invalid UTF-8 stays invalid). */
async function payload(c: BadCase): Promise<string | Uint8Array> {
  if (c.generate === 'deep-tree') return deepTree()
  if (c.generate === 'large-document') {
    const text = largeDocument()
    assert.ok(text.length > 20_000_000, `the large document has ${text.length} characters`)
    return text
  }
  assert.ok(c.file !== undefined, `case ${c.name} names no file`)
  return readFile(new URL(c.file, FIXTURES))
}

/** A message a person can act on: the declared fragments, and the JSON path it starts with. */
function assertActionable(error: CheapError, c: BadCase): void {
  assert.ok(error.message.length >= 30, `too terse: ${error.message}`)
  if (c.stage === 'parse' && error instanceof CheapValidationError) {
    assert.ok(error.path !== undefined, `${c.name}: a JSON error names its path`)
    const where = error.path === '' ? '(document)' : error.path
    assert.ok(error.message.startsWith(`${where}: `), `${c.name}: the message starts with the path`)
  }
}

forEachBackend('reliability: bad input', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  let initial: DatabaseFingerprint
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
    await dao.saveCatalog(catalogFromJson(BASE))
    const json = new URL('../fixtures/json/full-catalog.json', import.meta.url)
    await dao.saveCatalog(catalogFromJson(await readFile(json, 'utf8')))
    initial = await fingerprint(db.adapter)
  })
  after(async () => db.close())

  it(`the corpus holds at least 60 cases, every file of it listed once`, async () => {
    assert.ok(index.cases.length >= 60, `${index.cases.length} cases`)
    const names = index.cases.map((c) => c.name)
    assert.equal(new Set(names).size, names.length, 'case names are unique')
    const { readdir } = await import('node:fs/promises')
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json') && f !== 'index.json')
    const listed = index.cases.flatMap((c) => (c.file === undefined ? [] : [c.file]))
    assert.deepEqual([...files].sort(), [...listed].sort())
  })

  for (const c of index.cases) {
    it(`${c.stage === 'save' ? 'save' : 'parse'}: ${c.name}${c.description === undefined ? '' : ` (${c.description})`}`, async () => {
      const text = await payload(c)
      const before = await fingerprint(db.adapter)
      let catalog: Catalog | undefined
      let thrown: unknown
      try {
        catalog = catalogFromJson(text)
      } catch (error) {
        thrown = error
      }
      if (c.stage === 'parse') {
        assert.ok(catalog === undefined, `${c.name}: catalogFromJson accepted it`)
      } else {
        assert.ok(
          catalog !== undefined,
          `${c.name}: catalogFromJson rejected it: ${String(thrown)}`,
        )
        const parsed = catalog
        thrown = await rejectsWith(() => dao.saveCatalog(parsed), c.expect)
      }
      assert.ok(
        thrown instanceof CheapError,
        `${c.name}: expected a CheapError, got ${String(thrown)}`,
      )
      assert.equal(thrown.code, c.expect.code, thrown.message)
      if (c.expect.reason !== undefined) {
        assert.ok(thrown instanceof CheapValidationError, thrown.message)
        assert.equal(thrown.reason, c.expect.reason, thrown.message)
      }
      for (const fragment of c.expect.message) {
        assert.ok(
          thrown.message.includes(fragment),
          `${c.name}: ${thrown.message} lacks ${fragment}`,
        )
      }
      assertActionable(thrown, c)
      assertSameFingerprint(await fingerprint(db.adapter), before, c.name)
    })
  }

  // Bad inputs JSON cannot express: wrong arguments and model objects built in code.
  const other = createAspectDef({
    name: 'com.example.other',
    properties: [createPropertyDef({ name: 'x', type: 'INT' })],
  })
  const stored = '30000000-0000-4000-8000-000000000001'
  const e1 = '30000000-0000-4000-8000-0000000000e1'
  const inCode: [string, () => Promise<unknown>, Parameters<typeof rejectsWith>[1]][] = [
    [
      'saveCatalog(null)',
      () => dao.saveCatalog(null as unknown as Catalog),
      {
        code: 'VALIDATION',
        reason: 'INVALID_ARGUMENT',
        message: ['saveCatalog expects a Catalog', 'null'],
      },
    ],
    [
      'saveCatalog of a plain object shaped like a catalog',
      () => dao.saveCatalog({ globalId: stored } as unknown as Catalog),
      { code: 'VALIDATION', reason: 'INVALID_ARGUMENT', message: ['expects a Catalog'] },
    ],
    [
      'an AspectMap given an aspect of another AspectDef',
      async () => {
        const catalog = createCatalog()
        const def = createAspectDef({
          name: 'com.example.mine',
          properties: [createPropertyDef({ name: 'x', type: 'INT' })],
        })
        const map = catalog.extend(def) as unknown as AspectMap
        map.add(createAspect(other, entityNumber(9, 1), { x: 1n }))
        return dao.saveCatalog(catalog)
      },
      {
        code: 'VALIDATION',
        reason: 'WRONG_ASPECT_DEF',
        message: ['com.example.other', 'com.example.mine'],
      },
    ],
    [
      'a changed immutable AspectDef (same name and id) built in code',
      async () => {
        const changed = createAspectDef({
          name: DEF_NAME,
          globalId: DEF_ID,
          properties: [createPropertyDef({ name: 'int', type: 'STR' })],
        })
        const catalog = createCatalog()
        catalog.extend(changed)
        return dao.saveCatalog(catalog)
      },
      { code: 'CONFLICT', message: [DEF_NAME, DEF_ID, 'immutable'] },
    ],
    [
      'an INT given as a JavaScript number',
      async () => createAspect(other, entityNumber(9, 2), { x: 42 as unknown as bigint }),
      {
        code: 'VALIDATION',
        reason: 'WRONG_TYPE',
        message: ["'com.example.other'", "'x'", '42', 'bigint'],
      },
    ],
    [
      'an INT beyond the signed 64-bit range',
      async () => createAspect(other, entityNumber(9, 3), { x: 2n ** 63n }),
      { code: 'VALIDATION', reason: 'OUT_OF_RANGE', message: ['9223372036854775808'] },
    ],
    [
      'upsertAspects with an aspect of a different def of the same name',
      () => {
        const impostor = createAspectDef({
          name: DEF_NAME,
          properties: [createPropertyDef({ name: 'int', type: 'INT' })],
        })
        return dao.upsertAspects(stored, DEF_NAME, [createAspect(impostor, e1, { int: 1n })])
      },
      { code: 'VALIDATION', reason: 'WRONG_ASPECT_DEF', message: [DEF_NAME] },
    ],
    [
      'upsertAspects into a catalog that is not stored',
      () => dao.upsertAspects(entityNumber(9, 4), DEF_NAME, []),
      { code: 'NOT_FOUND', message: [entityNumber(9, 4), 'not stored'] },
    ],
    [
      'addTreeNodes with a node name holding a slash',
      () => dao.addTreeNodes(stored, 'tree', '/', [{ name: 'a/b' }]),
      { code: 'VALIDATION', reason: 'INVALID_NAME', message: ['a/b'] },
    ],
    [
      'putDirectoryEntries with an entity id that is no UUID',
      () => dao.putDirectoryEntries(stored, 'dir', [['k', 'not-a-uuid']]),
      { code: 'VALIDATION', reason: 'INVALID_UUID', message: ['not-a-uuid'] },
    ],
    [
      'addToEntityList of a hierarchy that is a set',
      () => dao.addToEntityList(stored, 'set', [e1]),
      {
        code: 'VALIDATION',
        reason: 'WRONG_HIERARCHY',
        message: ['"set"', 'is an entity set (ES), not an entity list (EL)'],
      },
    ],
    [
      'addToEntityList of a hierarchy the catalog does not have',
      () => dao.addToEntityList(stored, 'nope', [e1]),
      { code: 'NOT_FOUND', message: [`catalog ${stored} has no hierarchy named "nope"`] },
    ],
    [
      'removeAspects of an AspectMap the catalog does not have',
      () => dao.removeAspects(stored, 'com.example.nope', [e1]),
      {
        code: 'NOT_FOUND',
        message: [`catalog ${stored} has no AspectMap for the AspectDef 'com.example.nope'`],
      },
    ],
    [
      'loadCatalog of an id that is no UUID',
      () => dao.loadCatalog('catalog-1'),
      { code: 'VALIDATION', reason: 'INVALID_UUID', message: ['catalog-1'] },
    ],
    [
      'listCatalogs with limit 0',
      () => dao.listCatalogs({ limit: 0 }),
      { code: 'VALIDATION', reason: 'INVALID_ARGUMENT', message: ['limit', '0'] },
    ],
    [
      'an adapter with poolSize 0',
      () =>
        PostgresAdapter.create(
          { connectionString: 'postgres://u@127.0.0.1:1/db' },
          { poolSize: 0 },
        ),
      { code: 'VALIDATION', reason: 'INVALID_ARGUMENT', message: ['poolSize', '0'] },
    ],
    [
      'an adapter with a NaN statement timeout',
      () =>
        PostgresAdapter.create(
          { connectionString: 'postgres://u@127.0.0.1:1/db' },
          { statementTimeoutMs: Number.NaN },
        ),
      { code: 'VALIDATION', reason: 'INVALID_ARGUMENT', message: ['statementTimeoutMs', 'NaN'] },
    ],
  ]
  // Names too long for a btree index (incompressible text): the database refuses them.
  const long = incompressible(1200) // 3,600 bytes of UTF-8
  const tooLong = (what: string) => ({
    code: 'VALIDATION' as const,
    reason: 'TOO_LONG' as const,
    message: ['a name too long for the database', what, '2,700 bytes'],
  })
  const saving = (build: (c: Catalog) => void) => () => {
    const catalog = createCatalog()
    build(catalog)
    return dao.saveCatalog(catalog)
  }
  inCode.push(
    [
      'an AspectDef name of 1,200 random CJK characters',
      saving(
        (c) =>
          void c.extend(
            createAspectDef({
              name: long,
              properties: [createPropertyDef({ name: 'p', type: 'INT' })],
            }),
          ),
      ),
      tooLong('an AspectDef name'),
    ],
    [
      'a property name of 1,200 random CJK characters',
      saving(
        (c) =>
          void c.extend(
            createAspectDef({
              name: 'com.example.long',
              properties: [createPropertyDef({ name: long, type: 'INT' })],
            }),
          ),
      ),
      tooLong('a property name'),
    ],
    [
      'a hierarchy name of 1,200 random CJK characters',
      saving((c) => void c.createEntityList(long)),
      tooLong('a hierarchy name'),
    ],
    [
      'a hierarchy name of 3,000 random CJK characters (too long for any index row)',
      saving((c) => void c.createEntityList(incompressible(3000))),
      tooLong('every name, directory key and tree path'),
    ],
  )

  for (const [name, action, expected] of inCode) {
    it(`code: ${name}`, async () => {
      const before = await fingerprint(db.adapter)
      await rejectsWith(action, expected)
      assertSameFingerprint(await fingerprint(db.adapter), before, name)
    })
  }

  // Directory keys and tree node names are indexed by their hash, so no length of them is a
  // cliff: what the model accepts, the store keeps (deep trees: test/db/no-cliffs.test.ts).
  it('stores and loads directory keys and tree node names of any length', async () => {
    const catalog = createCatalog()
    catalog.createEntityDirectory('d').set(long, entityNumber(9, 5))
    catalog.createEntityTree('t').root.addChild(incompressible(3000))
    await dao.saveCatalog(catalog)
    try {
      await dao.putDirectoryEntries(catalog.globalId, 'd', [[incompressible(2000), e1]])
      const loaded = await dao.loadCatalog(catalog.globalId)
      assert.ok(loaded !== null)
      const dir = loaded.hierarchy('d')
      assert.ok(dir?.type === 'ED')
      assert.equal(dir.size, 2)
      assert.equal(dir.get(long)?.toString(), entityNumber(9, 5).toString())
      const tree = loaded.hierarchy('t')
      assert.ok(tree?.type === 'ET')
      assert.equal([...tree.root.children()][0]?.[0].length, 3000)
    } finally {
      await dao.deleteCatalog(catalog.globalId)
    }
  })

  it('left the database exactly as it was before the corpus ran', async () => {
    assertSameFingerprint(await fingerprint(db.adapter), initial, 'after every bad input')
  })
})

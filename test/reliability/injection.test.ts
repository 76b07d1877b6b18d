/**
 * SQL injection attempts through every name a user controls: catalog URI, AspectDef names,
 * property names, hierarchy names, directory keys, tree node names (saved whole and through the
 * partial calls, queried with findEntities, moved into a dedicated table), plus identifiers that
 * reach DDL (schema names, dedicated table names), which validation must reject. Values are bound
 * parameters and names are quoted or bound: everything is stored literally (load → equal) and
 * nothing else happens (the same tables, every other table's rows untouched).
 */
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { sql } from 'kysely'
import { catalogFromJson } from '../../src/json/index.ts'
import {
  catalogDiff,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  type AspectDef,
  type Catalog,
} from '../../src/model/index.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { forEachBackend, PG_TEST_URL, type TestDatabase } from '../db/backends.ts'
import {
  assertSameFingerprint,
  entityNumber,
  fingerprint,
  raw,
  rejectsWith,
  rowCount,
  tableNames,
} from './support.ts'

/** Names that would break SQL built by string concatenation, and other awkward text. */
const ATTEMPTS = [
  `'; drop table catalog; --`,
  `"; drop table catalog; --`,
  `'); delete from aspect; --`,
  `x' or '1'='1`,
  `"`,
  `'`,
  `''`,
  `\\`,
  `\\'`,
  `\\"; drop schema public cascade; --`,
  `$1`,
  `$$ drop table catalog $$`,
  `$tag$ x $tag$`,
  `%s`,
  `%I %L %%`,
  `?`,
  `:name`,
  `E'\\x00'`,
  `U&"\\0061"`,
  `‘’“”ʼ＇＂`,
  `line\nbreak\ttab\r`,
  `a\u2028b\u2029c`,
  `é` + `e\u0301`,
  `😀 𝄞`,
  `select * from pg_catalog.pg_user`,
  `*`,
  `-- comment`,
  `*) or (1=1`,
  ` leading and trailing `,
  'x'.repeat(2000),
] as const

/** URIs (valid RFC 3986 references) carrying the same kind of payload. */
const URIS = [
  `urn:x:';drop-table-catalog;--`,
  `http://example.com/'%3Bdrop%20table%20catalog%3B--?a=$1&b=%25s&c='x'`,
  `http://example.com/?q=';drop+table+catalog;--`,
  `x:%27;--`,
]

forEachBackend('reliability: injection', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
    // Something that must survive untouched.
    const json = new URL('../fixtures/json/full-catalog.json', import.meta.url)
    const { readFile } = await import('node:fs/promises')
    await dao.saveCatalog(catalogFromJson(await readFile(json, 'utf8')))
  })
  after(async () => db.close())

  it('names and values full of SQL are stored literally, and nothing else happens', async () => {
    const tablesBefore = await tableNames(db.adapter)
    const before = await fingerprint(db.adapter)
    const defsBefore = await rowCount(db.adapter, 'aspect_def')

    // One AspectDef whose property names are the attempts, and one AspectDef per attempt name.
    const props = createAspectDef({
      name: `props ${ATTEMPTS[0]}`,
      properties: ATTEMPTS.map((name) => createPropertyDef({ name, type: 'STR' })),
    })
    const defs: AspectDef[] = ATTEMPTS.map((name) =>
      createAspectDef({ name, properties: [createPropertyDef({ name, type: 'STR' })] }),
    )
    const catalogs: Catalog[] = []
    const e = (i: number) => entityNumber(0xabc, i)
    // Catalog 0: the AspectDefs (AspectMap names) with attempts as property names and values.
    const named = createCatalog({ uri: URIS[0] as string })
    const values = Object.fromEntries(ATTEMPTS.map((a) => [a, a]))
    named.extend(props).add(createAspect(props, e(0), values))
    defs.forEach((def, i) =>
      named.extend(def).add(createAspect(def, e(i), { [def.name]: def.name })),
    )
    catalogs.push(named)
    // One catalog per entity hierarchy type, each with one hierarchy per attempt name.
    const lists = createCatalog({ uri: URIS[1] as string })
    const dirs = createCatalog({ uri: URIS[2] as string })
    const trees = createCatalog({ uri: URIS[3] as string })
    ATTEMPTS.forEach((name, i) => {
      lists.createEntityList(name).add(e(i), e(0))
      lists.createEntitySet(`set ${name}`).add(e(i))
      const dir = dirs.createEntityDirectory(name)
      for (const key of ATTEMPTS) dir.set(key, e(i))
      const tree = trees.createEntityTree(name, { rootEntityId: e(i) })
      tree.root
        .addChild(name, { entityId: e(i) })
        .addChild(ATTEMPTS[(i + 1) % ATTEMPTS.length] as string)
    })
    catalogs.push(lists, dirs, trees)
    for (const c of catalogs) {
      await dao.saveCatalog(c)
      assert.equal(catalogDiff((await dao.loadCatalog(c.globalId)) as Catalog, c), undefined)
    }

    // The partial calls take the same names.
    const name = ATTEMPTS[0]
    const other = ATTEMPTS[1]
    await dao.putDirectoryEntries(dirs.globalId, name, [[`${other} new key`, e(1)]])
    await dao.removeDirectoryEntries(dirs.globalId, name, [other])
    await dao.addTreeNodes(trees.globalId, name, `/${name}`, [{ name: other, entityId: e(2) }])
    await dao.removeTreeNodes(trees.globalId, other, [`/${other}`])
    await dao.addToEntityList(lists.globalId, name, [e(3)])
    await dao.addToEntitySet(lists.globalId, `set ${name}`, [e(4)])
    const def0 = defs[0] as AspectDef
    await dao.upsertAspects(named.globalId, def0.name, [
      createAspect(def0, e(5), { [name]: other }),
    ])
    const dirModel = dirs.hierarchy(name)
    const treeModel = trees.hierarchy(name)
    const otherTree = trees.hierarchy(other)
    const listModel = lists.hierarchy(name)
    const setModel = lists.hierarchy(`set ${name}`)
    assert.ok(dirModel?.type === 'ED' && treeModel?.type === 'ET' && otherTree?.type === 'ET')
    assert.ok(listModel?.type === 'EL' && setModel?.type === 'ES')
    dirModel.set(`${other} new key`, e(1)).delete(other)
    treeModel.get(`/${name}`).addChild(other, { entityId: e(2) })
    otherTree.root.removeChild(other)
    listModel.add(e(3))
    setModel.add(e(4))
    named.aspects(def0.name)?.add(createAspect(def0, e(5), { [name]: other }))
    for (const c of catalogs) {
      assert.equal(catalogDiff((await dao.loadCatalog(c.globalId)) as Catalog, c), undefined)
    }
    const page = await dao.loadHierarchy(dirs.globalId, name)
    assert.equal(page.type, 'ED')

    // Queries compile names and values into SQL: they must still match literally.
    for (const attempt of ATTEMPTS.slice(0, 12)) {
      const found = await dao.findEntities(named.globalId, props.name, (p) =>
        p(attempt).eq(attempt),
      )
      assert.deepEqual(found, [e(0)], `findEntities on property ${JSON.stringify(attempt)}`)
      const none = await dao.findEntities(named.globalId, props.name, (p) =>
        p(attempt).eq(`${attempt}'`),
      )
      assert.deepEqual(none, [])
    }

    // A dedicated table for the def whose property names are the attempts: values move literally.
    await dao.mapAspectDef(props, { table: 'injection_props' })
    assert.equal(catalogDiff((await dao.loadCatalog(named.globalId)) as Catalog, named), undefined)
    const mapped = await dao.findEntities(named.globalId, props.name, (p) => p(name).eq(name))
    assert.deepEqual(mapped, [e(0)])
    await dao.unmapAspectDef(props.name)
    assert.equal(catalogDiff((await dao.loadCatalog(named.globalId)) as Catalog, named), undefined)

    // Nothing else happened: the same tables; every table as before once the catalogs are gone,
    // except the definitions, which gained exactly the new AspectDefs.
    for (const c of catalogs) assert.equal(await dao.deleteCatalog(c.globalId), true)
    assert.deepEqual(await tableNames(db.adapter), tablesBefore)
    const after = await fingerprint(db.adapter)
    const definitions = new Set([
      'aspect_def',
      'aspect_def_version',
      'property',
      'property_def',
      'aspect_table_mapping',
      'aspect_column_mapping',
    ])
    const keep = (print: ReadonlyMap<string, string>) =>
      new Map([...print].filter(([table]) => !definitions.has(table)))
    assertSameFingerprint(keep(after), keep(before), 'every table but the definitions')
    assert.equal(await rowCount(db.adapter, 'aspect_def'), defsBefore + defs.length + 1)
    const stored = await sql<{
      name: string
    }>`select name from aspect_def where name = any(${[...ATTEMPTS]}::text[])`.execute(
      raw(db.adapter),
    )
    assert.deepEqual(stored.rows.map((r) => r.name).sort(), [...ATTEMPTS].sort())
    assert.equal(await rowCount(db.adapter, 'aspect_table_mapping'), 0)
  })

  it('identifiers that reach DDL are validated: schema and table names with SQL are rejected', async () => {
    const tablesBefore = await tableNames(db.adapter)
    const before = await fingerprint(db.adapter)
    const bad = [
      ...ATTEMPTS.filter((a) => a !== '*'),
      'public"; drop table catalog; --',
      'a b',
      '1abc',
      'x'.repeat(64),
      '',
    ]
    for (const schema of bad) {
      const invalid = {
        code: 'VALIDATION' as const,
        reason: 'INVALID_NAME' as const,
        message: ['schema name'],
      }
      await rejectsWith(() => PostgresAdapter.embedded({ schema }), invalid)
      await rejectsWith(() => PostgresSchema.createSchema(db.adapter, { schema }), invalid)
      await rejectsWith(() => PostgresSchema.dropSchema(db.adapter, { schema }), invalid)
      if (PG_TEST_URL !== undefined) {
        await rejectsWith(
          () => PostgresAdapter.create({ connectionString: PG_TEST_URL as string }, { schema }),
          invalid,
        )
      }
    }
    const def = createAspectDef({
      name: `injection table ${db.adapter.kind}`,
      properties: [createPropertyDef({ name: 'p', type: 'INT' })],
    })
    for (const table of bad) {
      await rejectsWith(() => dao.mapAspectDef(def, { table }), {
        code: 'VALIDATION',
        reason: 'INVALID_NAME',
      })
      await rejectsWith(() => dao.mapAspectDef(def, { table: 'ok_table', columns: { p: table } }), {
        code: 'VALIDATION',
        reason: 'INVALID_NAME',
      })
    }
    assert.deepEqual(await tableNames(db.adapter), tablesBefore)
    // Only the AspectDef itself may have been stored (mapAspectDef stores it before the table).
    const keep = (print: ReadonlyMap<string, string>) =>
      new Map([...print].filter(([table]) => table !== 'aspect_def' && table !== 'property_def'))
    assertSameFingerprint(keep(await fingerprint(db.adapter)), keep(before), 'rejected identifiers')
  })

  // The server only: PGlite has no startup packet.
  if (backend.name === 'pg') {
    it('an application name full of SQL is only a name', async () => {
      assert.ok(PG_TEST_URL !== undefined)
      const applicationName = `x'; drop table catalog; -- "${process.pid}"`
      const adapter = await PostgresAdapter.create(
        { connectionString: PG_TEST_URL },
        { schema: db.schema, applicationName },
      )
      try {
        const seen = await sql<{
          name: string
        }>`select application_name as name from pg_stat_activity where pid = pg_backend_pid()`.execute(
          adapter.db,
        )
        assert.equal(seen.rows[0]?.name, applicationName)
        assert.ok((await tableNames(adapter)).includes('catalog'))
      } finally {
        await adapter.close()
      }
    })
  }
})

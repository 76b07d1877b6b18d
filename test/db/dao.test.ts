import assert from 'node:assert/strict'
import { after, before, beforeEach, it } from 'node:test'
import { sql, type Kysely } from 'kysely'
import { DateTime } from 'luxon'
import { v4 as uuidV4 } from 'uuid'
import { isCheapError } from '../../src/errors.ts'
import {
  catalogDiff,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  type Catalog,
} from '../../src/model/index.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { forEachBackend, type TestDatabase } from './backends.ts'

function uniqueName(base: string): string {
  return `${base}_${uuidV4().slice(0, 8)}`
}

async function count(db: TestDatabase, table: string, catalogId?: string): Promise<number> {
  const raw = db.adapter.db as unknown as Kysely<unknown>
  const where = catalogId === undefined ? sql`` : sql`where catalog_id = ${catalogId}::uuid`
  const result = await sql<{
    n: bigint
  }>`select count(*) as n from ${sql.id(table)} ${where}`.execute(raw)
  return Number(result.rows[0]?.n ?? 0n)
}

function assertSame(actual: Catalog | null, expected: Catalog): void {
  assert.ok(actual !== null, 'the catalog was not found')
  assert.equal(catalogDiff(actual, expected), undefined)
}

forEachBackend('PostgresDao', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open()
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())
  beforeEach(async () => db.reset())

  it('saves and loads an empty SINK catalog with the same id, species and no upstream', async () => {
    const catalog = createCatalog()
    assert.deepEqual(await dao.saveCatalog(catalog), {
      revision: 1n,
      mode: 'insert',
      rowsWritten: 1,
      unchanged: false,
    })
    const loaded = await dao.loadCatalog(catalog.globalId)
    assertSame(loaded, catalog)
    assert.equal(loaded?.species, 'SINK')
    assert.equal(loaded?.upstream, null)
  })

  it('round-trips a catalog uri and version', async () => {
    const catalog = createCatalog({
      species: 'SOURCE',
      uri: 'https://example.com/c?x=1#f',
      version: -5n,
    })
    await dao.saveCatalog(catalog)
    assertSame(await dao.loadCatalog(catalog.globalId), catalog)
  })

  it('round-trips an upstream catalog reference', async () => {
    const source = createCatalog({ species: 'SOURCE' })
    const mirror = createCatalog({ species: 'MIRROR', upstream: source.globalId })
    await dao.saveCatalog(source)
    await dao.saveCatalog(mirror)
    assert.equal((await dao.loadCatalog(mirror.globalId))?.upstream, source.globalId)
  })

  it('round-trips a mutable AspectDef without properties and its empty AspectMap', async () => {
    const catalog = createCatalog()
    const person = createAspectDef({
      name: uniqueName('person'),
      properties: [],
      canAddProperties: true,
      canRemoveProperties: true,
    })
    const map = catalog.extend(person)
    map.add(createAspect(person, newEntityId()))
    map.add(createAspect(person, newEntityId()))
    await dao.saveCatalog(catalog)
    const loaded = await dao.loadCatalog(catalog.globalId)
    assertSame(loaded, catalog)
    assert.equal(loaded?.aspects(person.name)?.size, 2)
  })

  it('round-trips entity sets, directories, lists with duplicates and trees with sibling order', async () => {
    const [a, b, c] = [newEntityId(), newEntityId(), newEntityId()]
    const catalog = createCatalog()
    catalog.createEntitySet('entities', { version: 7n }).add(c, a, b)
    catalog.createEntityDirectory('directory').set('second', b).set('first', a).set('again', a)
    catalog.createEntityList('queue', { version: 2n }).add(a, b, a, a)
    const tree = catalog.createEntityTree('tree', { version: 9n })
    tree.root.addChild('zeta', { entityId: a }).addChild('leaf', { isLeaf: true, entityId: b })
    tree.root.addChild('alpha')
    tree.root.addChild('mid', { entityId: c })
    await dao.saveCatalog(catalog)
    const loaded = await dao.loadCatalog(catalog.globalId)
    assertSame(loaded, catalog)
    const names = [...(loaded?.hierarchy('tree') as typeof tree).root.children()].map(([n]) => n)
    assert.deepEqual(names, ['zeta', 'alpha', 'mid'])
  })

  it('keeps a tree root without an entity without one', async () => {
    const catalog = createCatalog()
    catalog.createEntityTree('empty')
    await dao.saveCatalog(catalog)
    const loaded = await dao.loadCatalog(catalog.globalId)
    assertSame(loaded, catalog)
    assert.equal(loaded?.hierarchy('empty')?.type === 'ET' && loaded.hierarchy('empty')?.type, 'ET')
  })

  it('deletes a catalog: exists before, gone after, and no row of it is left in any table', async () => {
    const catalog = createCatalog()
    const def = createAspectDef({
      name: uniqueName('thing'),
      properties: [createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true })],
    })
    const e = newEntityId()
    catalog.extend(def).add(createAspect(def, e, { tags: ['a', 'b'] }))
    catalog.createEntityList('l').add(e)
    const other = createCatalog()
    other.createEntitySet('s').add(e)
    await dao.saveCatalog(catalog)
    await dao.saveCatalog(other)
    assert.equal(await dao.catalogExists(catalog.globalId), true)
    assert.equal(await dao.deleteCatalog(catalog.globalId), true)
    assert.equal(await dao.catalogExists(catalog.globalId), false)
    assert.equal(await dao.loadCatalog(catalog.globalId), null)
    const tables = [
      'catalog',
      'catalog_aspect_def',
      'hierarchy',
      'entity',
      'aspect',
      'property_list',
      'property_value_string',
      'hierarchy_entity_list',
      'catalog_revision',
    ]
    for (const table of tables) assert.equal(await count(db, table, catalog.globalId), 0, table)
    assertSame(await dao.loadCatalog(other.globalId), other)
    assert.equal(await count(db, 'aspect_def'), 1, 'definitions are kept')
  })

  it('reports false when deleting or finding a catalog that does not exist', async () => {
    const id = uuidV4()
    assert.equal(await dao.deleteCatalog(id), false)
    assert.equal(await dao.catalogExists(id), false)
    assert.equal(await dao.loadCatalog(id), null)
  })

  it('rejects saving something that is not a catalog with a validation error', async () => {
    await assert.rejects(dao.saveCatalog(null as unknown as Catalog), (e) =>
      isCheapError(e, 'VALIDATION'),
    )
  })

  it('stores a multivalued string as one row per element in order and reads it back', async () => {
    const def = createAspectDef({
      name: uniqueName('product'),
      properties: [createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true })],
    })
    const catalog = createCatalog()
    catalog
      .extend(def)
      .add(createAspect(def, newEntityId(), { tags: ['electronics', 'gadget', 'popular'] }))
    await dao.saveCatalog(catalog)
    const raw = db.adapter.db as unknown as Kysely<unknown>
    const rows = await sql<{
      value: string
      value_index: number
    }>`select value, value_index from property_value_string where catalog_id = ${catalog.globalId}::uuid order by value_index`.execute(
      raw,
    )
    assert.deepEqual(rows.rows, [
      { value: 'electronics', value_index: 0 },
      { value: 'gadget', value_index: 1 },
      { value: 'popular', value_index: 2 },
    ])
    assertSame(await dao.loadCatalog(catalog.globalId), catalog)
  })

  it('keeps null, empty and absent multivalued values apart', async () => {
    const def = createAspectDef({
      name: uniqueName('product'),
      properties: [
        createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
        createPropertyDef({ name: 'scores', type: 'INT', isMultivalued: true, defaultValue: [1n] }),
      ],
    })
    const catalog = createCatalog()
    const map = catalog.extend(def)
    const [a, b, c] = [newEntityId(), newEntityId(), newEntityId()]
    map.add(createAspect(def, a, { tags: [], scores: null }))
    map.add(createAspect(def, b, { tags: null }))
    map.add(createAspect(def, c))
    await dao.saveCatalog(catalog)
    const loaded = await dao.loadCatalog(catalog.globalId)
    assertSame(loaded, catalog)
    const m = loaded?.aspects(def.name)
    assert.deepEqual(m?.get(a)?.get('tags'), [])
    assert.equal(m?.get(a)?.get('scores'), null)
    assert.equal(m?.get(b)?.get('tags'), null)
    assert.equal(m?.get(c)?.has('tags'), false)
    assert.deepEqual(m?.get(c)?.get('scores'), [1n])
  })

  it('round-trips every type, single and multivalued, with mixed lengths', async () => {
    const types = [
      'INT',
      'FLT',
      'BLN',
      'STR',
      'TXT',
      'BGI',
      'BGF',
      'DAT',
      'URI',
      'UID',
      'CLB',
      'BLB',
    ] as const
    const def = createAspectDef({
      name: uniqueName('all_types'),
      properties: [
        ...types.map((type) => createPropertyDef({ name: `one_${type}`, type })),
        ...types.map((type) =>
          createPropertyDef({ name: `many_${type}`, type, isMultivalued: true }),
        ),
      ],
    })
    const values = {
      INT: -9223372036854775808n,
      FLT: -0,
      BLN: false,
      STR: 'Hello \u{1F600} wörld',
      TXT: 'line\nline',
      BGI: 123456789012345678901234567890n,
      BGF: '123.456789012345678901234567890',
      DAT: DateTime.fromISO('2025-01-15T10:30:15.500+02:00', { zone: 'Europe/Paris' }),
      URI: 'https://example.com/path?q=1#frag',
      UID: '550e8400-e29b-41d4-a716-446655440000',
      CLB: 'CLOB content here',
      BLB: new Uint8Array([1, 2, 3, 4, 5]),
    }
    const init: Record<string, unknown> = {}
    for (const type of types) {
      init[`one_${type}`] = values[type]
      init[`many_${type}`] = [values[type], values[type]]
    }
    init['many_FLT'] = [NaN, Infinity, -Infinity, 1e-310]
    init['many_BGF'] = ['1E+3', '0.00000001', '-4.50']
    const catalog = createCatalog()
    catalog.extend(def).add(createAspect(def, newEntityId(), init as never))
    await dao.saveCatalog(catalog)
    assertSame(await dao.loadCatalog(catalog.globalId), catalog)
  })

  it('replaces a multivalued value with a longer one and leaves no stale element rows', async () => {
    const def = createAspectDef({
      name: uniqueName('product'),
      properties: [createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true })],
    })
    const catalog = createCatalog()
    const e = newEntityId()
    const map = catalog.extend(def)
    map.add(createAspect(def, e, { tags: ['tag1', 'tag2', 'tag3'] }))
    await dao.saveCatalog(catalog)
    map.add(createAspect(def, e, { tags: ['new1', 'new2', 'new3', 'new4', 'new5'] }))
    await dao.saveCatalog(catalog)
    assert.equal(await count(db, 'property_value_string', catalog.globalId), 5)
    map.get(e)?.set('tags', ['only'])
    await dao.saveCatalog(catalog)
    assert.equal(await count(db, 'property_value_string', catalog.globalId), 1)
    assertSame(await dao.loadCatalog(catalog.globalId), catalog)
  })

  it('preserves property insertion order of an AspectDef', async () => {
    const names = ['zebra', 'alpha', 'middle', 'beta']
    const def = createAspectDef({
      name: uniqueName('ordered'),
      properties: names.map((name) => createPropertyDef({ name, type: 'STR' })),
    })
    const catalog = createCatalog()
    catalog.extend(def)
    await dao.saveCatalog(catalog)
    const loaded = await dao.loadCatalog(catalog.globalId)
    assert.deepEqual(
      loaded
        ?.aspectDef(def.name)
        ?.propertyDefs()
        .map((p) => p.name),
      names,
    )
  })

  it('round-trips all four AspectDef flags and typed defaults, and loads a non-writable def', async () => {
    const def = createAspectDef({
      name: uniqueName('locked'),
      isReadable: false,
      isWritable: false,
      canAddProperties: true,
      properties: [
        createPropertyDef({ name: 'n', type: 'INT', defaultValue: 5n, isWritable: false }),
        createPropertyDef({
          name: 'when',
          type: 'DAT',
          defaultValue: DateTime.fromMillis(0, { zone: 'Asia/Kolkata' }),
        }),
        createPropertyDef({ name: 'none', type: 'STR', defaultValue: null }),
        createPropertyDef({
          name: 'blob',
          type: 'BLB',
          isMultivalued: true,
          defaultValue: [new Uint8Array([9])],
        }),
      ],
    })
    const catalog = createCatalog()
    const map = catalog.extend(def)
    const { restoreAspect } = await import('../../src/model/aspect.ts')
    map.add(restoreAspect(def, newEntityId(), new Map([['n', 7n]])))
    await dao.saveCatalog(catalog)
    assertSame(await dao.loadCatalog(catalog.globalId), catalog)
  })

  it('removes what the catalog no longer holds: list items, set members, keys, nodes, aspects and hierarchies', async () => {
    const def = createAspectDef({
      name: uniqueName('p'),
      properties: [createPropertyDef({ name: 'x', type: 'INT' })],
    })
    const [a, b, c] = [newEntityId(), newEntityId(), newEntityId()]
    const catalog = createCatalog()
    const map = catalog.extend(def)
    for (const e of [a, b, c]) map.add(createAspect(def, e, { x: 1n }))
    const list = catalog.createEntityList('l').add(a, b, c)
    const set = catalog.createEntitySet('s').add(a, b, c)
    const dir = catalog.createEntityDirectory('d').set('a', a).set('b', b)
    const tree = catalog.createEntityTree('t')
    tree.root.addChild('x', { entityId: a }).addChild('y', { entityId: b })
    catalog.createEntityList('gone').add(c)
    await dao.saveCatalog(catalog)
    list.removeAt(1)
    set.delete(a)
    dir.delete('a')
    tree.root.removeChild('x')
    map.delete(b)
    catalog.removeHierarchy('gone')
    await dao.saveCatalog(catalog)
    const loaded = await dao.loadCatalog(catalog.globalId)
    assertSame(loaded, catalog)
    assert.equal(await count(db, 'hierarchy_entity_tree_node', catalog.globalId), 1)
  })

  it('rejects a stale save with a conflict and accepts it with force', async () => {
    const catalog = createCatalog()
    catalog.createEntityList('l').add(newEntityId())
    await dao.saveCatalog(catalog)
    const copy = await dao.loadCatalog(catalog.globalId)
    assert.ok(copy !== null)
    ;(copy.hierarchy('l') as ReturnType<Catalog['createEntityList']>).add(newEntityId())
    assert.equal((await dao.saveCatalog(copy)).revision, 2n)
    ;(catalog.hierarchy('l') as ReturnType<Catalog['createEntityList']>).clear()
    await assert.rejects(
      dao.saveCatalog(catalog),
      (e) =>
        isCheapError(e, 'CONFLICT') &&
        /expected revision 1, stored revision 2/.test((e as Error).message),
    )
    assertSame(await dao.loadCatalog(catalog.globalId), copy)
    assert.equal((await dao.saveCatalog(catalog, { force: true })).revision, 3n)
    assertSame(await dao.loadCatalog(catalog.globalId), catalog)
  })

  it('refuses to overwrite a stored catalog with an object it never loaded', async () => {
    const catalog = createCatalog()
    await dao.saveCatalog(catalog)
    const twin = createCatalog({ globalId: catalog.globalId, version: 9n })
    await assert.rejects(
      dao.saveCatalog(twin),
      (e) => isCheapError(e, 'CONFLICT') && /already stored/.test((e as Error).message),
    )
  })

  it('reuses an identical AspectDef and rejects the same name with another id', async () => {
    const props = [createPropertyDef({ name: 'x', type: 'INT' })]
    const name = uniqueName('shared')
    const def = createAspectDef({ name, properties: props })
    const one = createCatalog()
    one.extend(def)
    const two = createCatalog()
    two.extend(def)
    await dao.saveCatalog(one)
    await dao.saveCatalog(two)
    assert.equal(await count(db, 'aspect_def'), 1)
    // Same name, another explicit id (a def made without one gets the name's id: the same).
    assert.equal(createAspectDef({ name, properties: props }).globalId, def.globalId)
    const impostor = createAspectDef({ name, globalId: uuidV4(), properties: props })
    const three = createCatalog()
    three.extend(impostor)
    await assert.rejects(
      dao.saveCatalog(three),
      (e) => isCheapError(e, 'CONFLICT') && (e as Error).message.includes(name),
    )
    assert.equal(
      await dao.catalogExists(three.globalId),
      false,
      'nothing of the failed save is stored',
    )
  })

  it('rejects a changed immutable AspectDef and updates a mutable one that gained or lost properties', async () => {
    const id = uuidV4()
    const name = uniqueName('def')
    const first = createAspectDef({
      name,
      globalId: id,
      properties: [createPropertyDef({ name: 'x', type: 'INT' })],
    })
    const catalog = createCatalog()
    catalog.extend(first)
    await dao.saveCatalog(catalog)
    const changed = createAspectDef({
      name,
      globalId: id,
      properties: [createPropertyDef({ name: 'x', type: 'STR' })],
    })
    const other = createCatalog()
    other.extend(changed)
    await assert.rejects(
      dao.saveCatalog(other),
      (e) => isCheapError(e, 'CONFLICT') && /immutable/.test((e as Error).message),
    )

    const mutableName = uniqueName('mutable')
    const mutable = createAspectDef({
      name: mutableName,
      canAddProperties: true,
      canRemoveProperties: true,
      properties: [
        createPropertyDef({ name: 'a', type: 'INT' }),
        createPropertyDef({ name: 'b', type: 'STR' }),
      ],
    })
    const holder = createCatalog()
    const e = newEntityId()
    holder.extend(mutable).add(createAspect(mutable, e, { a: 1n, b: 'x' }))
    await dao.saveCatalog(holder)
    mutable.removePropertyDef('a')
    mutable.addPropertyDef(createPropertyDef({ name: 'c', type: 'BLN' }))
    holder.aspects(mutableName)?.get(e)?.set('c', true)
    await dao.saveCatalog(holder)
    const loaded = await dao.loadCatalog(holder.globalId)
    assert.deepEqual(
      loaded
        ?.aspectDef(mutableName)
        ?.propertyDefs()
        .map((p) => p.name),
      ['b', 'c'],
    )
    assert.equal(loaded?.aspects(mutableName)?.get(e)?.get('c'), true)
    assert.equal(loaded?.aspects(mutableName)?.get(e)?.has('a'), false)
  })

  it('lists catalogs in id order a page at a time', async () => {
    const ids = [uuidV4(), uuidV4(), uuidV4()].sort()
    for (const globalId of ids) await dao.saveCatalog(createCatalog({ globalId }))
    const first = await dao.listCatalogs({ limit: 2 })
    assert.deepEqual(
      first.map((c) => c.catalogId),
      ids.slice(0, 2),
    )
    const rest = await dao.listCatalogs({ limit: 2, after: first[1]?.catalogId as string })
    assert.deepEqual(
      rest.map((c) => c.catalogId),
      ids.slice(2),
    )
    assert.equal(first[0]?.revision, 1n)
  })

  it('writes a catalog_revision row per save with the operation and rows written', async () => {
    const catalog = createCatalog()
    catalog.createEntityList('l').add(newEntityId())
    await dao.saveCatalog(catalog)
    ;(catalog.hierarchy('l') as ReturnType<Catalog['createEntityList']>).add(newEntityId())
    await dao.saveCatalog(catalog)
    const raw = db.adapter.db as unknown as Kysely<unknown>
    const rows = await sql<{
      revision: bigint
      operation: string
    }>`select revision, operation from catalog_revision where catalog_id = ${catalog.globalId}::uuid order by revision`.execute(
      raw,
    )
    assert.deepEqual(rows.rows, [
      { revision: 1n, operation: 'save' },
      { revision: 2n, operation: 'incremental' },
    ])
  })
})

forEachBackend('PostgresDao audit columns', (backend) => {
  let db: TestDatabase
  let dao: PostgresDao
  before(async () => {
    db = await backend.open({ includeAudit: true })
    dao = new PostgresDao(db.adapter)
  })
  after(async () => db.close())

  it('sets created_at on insert and moves updated_at only for rows that really change', async () => {
    const def = createAspectDef({
      name: uniqueName('audited'),
      properties: [createPropertyDef({ name: 'x', type: 'INT' })],
    })
    const catalog = createCatalog()
    const [a, b] = [newEntityId(), newEntityId()]
    const map = catalog.extend(def)
    map.add(createAspect(def, a, { x: 1n }))
    map.add(createAspect(def, b, { x: 2n }))
    await dao.saveCatalog(catalog)
    const raw = db.adapter.db as unknown as Kysely<unknown>
    const stamps = async () =>
      (
        await sql<{
          entity_id: string
          created_at: string
          updated_at: string
        }>`select a.entity_id, v.created_at::text, v.updated_at::text from property_value_integer v join aspect a on a.catalog_id = v.catalog_id and a.aspect_id = v.aspect_id where v.catalog_id = ${catalog.globalId}::uuid order by a.entity_id`.execute(
          raw,
        )
      ).rows
    const before = await stamps()
    assert.equal(before.length, 2)
    for (const row of before) assert.equal(row.created_at, row.updated_at)
    await new Promise((resolve) => setTimeout(resolve, 20))
    map.get(a)?.set('x', 10n)
    map.get(b)?.set('x', 2n)
    await dao.saveCatalog(catalog, { force: true })
    const afterRows = await stamps()
    const changed = afterRows.find((r) => r.entity_id === a)
    const same = afterRows.find((r) => r.entity_id === b)
    const was = (id: string) => before.find((r) => r.entity_id === id)
    assert.equal(changed?.created_at, was(a)?.created_at)
    assert.notEqual(changed?.updated_at, was(a)?.updated_at)
    assert.deepEqual(same, was(b))
  })
})

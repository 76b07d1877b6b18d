/**
 * A database created and filled by the first release's own code (taken from git), then upgraded
 * by this version: every catalog loads exactly as the release stored it, the schema has the same
 * structure as one created fresh, and it keeps working. Every schema step since release 1 runs
 * here; a step that changes the shape of stored data must make this test's data exercise it.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import type { Kysely } from 'kysely'
import { DateTime } from 'luxon'
import { catalogToJson } from '../../src/json/index.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  type Catalog,
} from '../../src/model/index.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import { PostgresSchema } from '../../src/persistence/schema/postgres-schema.ts'
import { readSchemaSteps } from '../../src/persistence/schema/steps.ts'
import { catalogArb } from '../support/catalog-arbitraries.ts'
import { BACKENDS, PG_TEST_URL, randomSchemaName } from '../db/backends.ts'
import {
  RELEASE_1,
  checkoutRelease,
  runWriter,
  schemaStructure,
  type ReleaseCheckout,
} from './release.ts'

const MAPPED_DEF = 'com.example.release1.mapped'
const steps = await readSchemaSteps()
const latest = Math.max(...steps.map((s) => s.version))
const release1Steps = new Set([1, 2, 3, 4, 5, 6, 7, 8])

/** A catalog whose AspectDef uses every type (lists and defaults too), to map to a table. */
function mappedCatalog(): Catalog {
  const def = createAspectDef({
    name: MAPPED_DEF,
    canAddProperties: true,
    properties: [
      createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
      createPropertyDef({ name: 'count', type: 'INT', defaultValue: 7n }),
      createPropertyDef({ name: 'ratio', type: 'FLT' }),
      createPropertyDef({ name: 'flag', type: 'BLN' }),
      createPropertyDef({ name: 'notes', type: 'TXT' }),
      createPropertyDef({ name: 'big', type: 'BGI' }),
      createPropertyDef({ name: 'amount', type: 'BGF' }),
      createPropertyDef({ name: 'when', type: 'DAT' }),
      createPropertyDef({ name: 'link', type: 'URI' }),
      createPropertyDef({ name: 'ref', type: 'UID' }),
      createPropertyDef({ name: 'body', type: 'CLB' }),
      createPropertyDef({ name: 'bytes', type: 'BLB' }),
      createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
    ],
  })
  const catalog = createCatalog({ species: 'SOURCE' })
  const map = catalog.extend(def)
  for (let i = 0; i < 5; i++) {
    map.add(
      createAspect(def, newEntityId(), {
        name: `item ${i}`,
        ...(i % 2 === 0 ? { count: BigInt(i) } : {}),
        ratio: i / 3,
        flag: i % 2 === 0,
        notes: i === 3 ? null : `note ${i}`,
        big: 2n ** 70n + BigInt(i),
        amount: `${i}.500`,
        when: DateTime.fromISO('2026-01-31T12:00:00.123', { zone: 'Europe/Berlin' }),
        link: `https://example.org/${i}`,
        ref: newEntityId(),
        body: 'x'.repeat(i * 10),
        bytes: new Uint8Array([i, 255 - i]),
        tags: i === 0 ? null : Array.from({ length: i }, (_, k) => `t${k}`),
      }),
    )
  }
  catalog.createEntityList('order').add(...map.entityIds())
  return catalog
}

interface Target {
  readonly adapter: () => Promise<PostgresAdapter>
  readonly job: { backend: 'pg' | 'pglite'; url?: string; schema?: string; dataDir?: string }
  /** A fresh schema of the current version to compare with, and how to dispose of it. */
  readonly fresh: () => Promise<{ adapter: PostgresAdapter; dispose: () => Promise<void> }>
  readonly dispose: () => Promise<void>
}

async function makeTarget(backend: 'pg' | 'pglite', work: string): Promise<Target> {
  if (backend === 'pglite') {
    const dataDir = join(work, 'pgdata')
    return {
      adapter: () => PostgresAdapter.embedded({ dataDir }),
      job: { backend, dataDir },
      fresh: async () => {
        const adapter = await PostgresAdapter.embedded()
        await PostgresSchema.createSchema(adapter, { includeAudit: true })
        return { adapter, dispose: () => adapter.close() }
      },
      dispose: async () => {},
    }
  }
  const url = PG_TEST_URL as string
  const schema = randomSchemaName('cheap_release1')
  const open = () => PostgresAdapter.create({ connectionString: url }, { schema, poolSize: 2 })
  return {
    adapter: open,
    job: { backend, url, schema },
    fresh: async () => {
      const adapter = await PostgresAdapter.create(
        { connectionString: url },
        { schema: randomSchemaName('cheap_fresh'), poolSize: 2 },
      )
      await PostgresSchema.createSchema(adapter, { includeAudit: true })
      return {
        adapter,
        dispose: async () => {
          await PostgresSchema.dropSchema(adapter).finally(() => adapter.close())
        },
      }
    },
    dispose: async () => {
      const adapter = await open()
      await PostgresSchema.dropSchema(adapter).finally(() => adapter.close())
    },
  }
}

let release: ReleaseCheckout
before(async () => {
  release = await checkoutRelease(RELEASE_1)
})
after(async () => release.remove())

for (const backend of BACKENDS) {
  describe(`${backend.name}: upgrading a database made by release 1 (${RELEASE_1.slice(0, 7)})`, () => {
    let work: string
    let target: Target
    let adapter: PostgresAdapter
    const expected = new Map<string, { json: string; revision: bigint }>()

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'cheap-upgrade-'))
      const inDir = join(work, 'in')
      const outDir = join(work, 'out')
      await mkdir(inDir)
      const catalogs = [
        mappedCatalog(),
        ...fc.sample(catalogArb({ maxEntities: 25, maxAspectsPerMap: 8 }), {
          seed: 20261204,
          numRuns: 12,
        }),
      ]
      for (const [i, catalog] of catalogs.entries()) {
        const name = `${String(i).padStart(2, '0')}-${catalog.globalId}.json`
        await writeFile(join(inDir, name), catalogToJson(catalog))
      }
      target = await makeTarget(backend.name, work)
      await runWriter(release, {
        ...target.job,
        audit: true,
        inDir,
        outDir,
        mapDef: MAPPED_DEF,
      })
      const revisions = JSON.parse(
        await readFile(join(outDir, 'revisions.json'), 'utf8'),
      ) as Record<string, string>
      for (const file of await readdir(outDir)) {
        if (file === 'revisions.json') continue
        const id = file.slice(0, -'.json'.length)
        expected.set(id, {
          json: await readFile(join(outDir, file), 'utf8'),
          revision: BigInt(revisions[id] ?? '0'),
        })
      }
      assert.equal(expected.size, catalogs.length)
      adapter = await target.adapter()
    })
    after(async () => {
      await adapter?.close()
      await target?.dispose()
      await rm(work, { recursive: true, force: true })
    })

    it('is recognised as version 8 with the later steps pending', async () => {
      const status = await PostgresSchema.status(adapter)
      assert.equal(status.state, 'outdated')
      assert.equal(status.version, 8)
      assert.equal(status.libraryVersion, latest)
      assert.equal(status.hasAudit, true)
      assert.deepEqual(
        status.pending.map((s) => s.name),
        steps.filter((s) => !release1Steps.has(s.version)).map((s) => s.name),
      )
    })

    it('is not touched by createSchema, which says to migrate', async () => {
      await assert.rejects(PostgresSchema.createSchema(adapter), {
        name: 'CheapSchemaMismatchError',
        message: new RegExp(
          `is at version 8 and this version of cheap-db-postgres needs version ${latest}: ` +
            'migrate it with `cheap schema migrate`',
        ),
      })
      assert.equal((await PostgresSchema.status(adapter)).version, 8)
    })

    it('migrates step by step to the current version, and a second run does nothing', async () => {
      const seen: string[] = []
      const result = await PostgresSchema.migrate(adapter, { onStep: (s) => seen.push(s.name) })
      const pending = steps.filter((s) => !release1Steps.has(s.version)).map((s) => s.name)
      assert.deepEqual(result, { from: 8, to: latest, applied: pending })
      assert.deepEqual(seen, pending)
      assert.deepEqual(await PostgresSchema.migrate(adapter), {
        from: latest,
        to: latest,
        applied: [],
      })
      const status = await PostgresSchema.status(adapter)
      assert.equal(status.state, 'current')
      assert.equal(status.hasAudit, true)
    })

    it('loads every catalog exactly as release 1 stored it, at the same revision', async () => {
      const dao = new PostgresDao(adapter)
      for (const [id, { json, revision }] of expected) {
        const loaded = await dao.loadCatalog(id)
        assert.ok(loaded !== null, `catalog ${id} is missing`)
        assert.equal(catalogToJson(loaded), json, `catalog ${id}`)
        assert.equal(await dao.catalogRevision(id), revision, `revision of ${id}`)
      }
    })

    it('has the structure of a schema created fresh by this version', async () => {
      const fresh = await target.fresh()
      try {
        const skip = ['release_mapped']
        assert.deepEqual(
          await schemaStructure(adapter.db as unknown as Kysely<never>, adapter.schema, skip),
          await schemaStructure(fresh.adapter.db as unknown as Kysely<never>, fresh.adapter.schema),
        )
      } finally {
        await fresh.dispose()
      }
    })

    it('keeps working: a loaded catalog is edited, saved and loaded again', async () => {
      const dao = new PostgresDao(adapter)
      for (const id of expected.keys()) {
        const catalog = await dao.loadCatalog(id)
        assert.ok(catalog !== null)
        catalog.version = catalog.version + 10n
        catalog.createEntityList('after-upgrade').add(newEntityId())
        const { revision } = await dao.saveCatalog(catalog)
        assert.equal(revision, (expected.get(id)?.revision ?? 0n) + 1n)
        const again = await new PostgresDao(adapter).loadCatalog(id)
        assert.ok(again !== null)
        assert.equal(catalogToJson(again), catalogToJson(catalog))
      }
    })
  })
}

/**
 * The schema distributed over a real Citus cluster (issue 12): `CHEAP_TEST_CITUS_URL` names the
 * coordinator (`.ci/run` starts ../shared/tools/citus-cluster and sets it). Each test file run
 * makes a throw-away PostgreSQL schema in the coordinator's database (the one with the citus
 * extension) and drops it after. What Citus did is read from Citus itself: its metadata
 * (`pg_dist_partition`, `citus_tables`) and its plans (EXPLAIN of the statements the DAO ran).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { sql } from 'kysely'
import pgDriver from 'pg'
import { buildSampleCatalog } from '../../src/cli/sample-catalog.ts'
import { catalogDiff, type Catalog } from '../../src/model/index.ts'
import { PostgresAdapter } from '../../src/persistence/connection/adapter.ts'
import type { QueryLogEvent } from '../../src/persistence/connection/query-log.ts'
import { PostgresDao } from '../../src/persistence/dao/postgres-dao.ts'
import {
  PostgresSchema,
  type CreateSchemaResult,
} from '../../src/persistence/schema/postgres-schema.ts'
import { TABLE_NAMES, TABLES } from '../../src/persistence/schema/tables.ts'
import { applyEdits, catalogWithEditsArb } from '../support/edits.ts'
import { assertProperty } from '../support/fast-check.ts'
import { randomSchemaName } from './backends.ts'

const CITUS_URL = process.env['CHEAP_TEST_CITUS_URL']?.trim() || undefined

const CATALOG_TABLES = TABLE_NAMES.filter((name) => TABLES[name].group === 'catalog')
const REFERENCE_TABLES = TABLE_NAMES.filter((name) => {
  const group = TABLES[name].group
  return group === 'lookup' || group === 'definition'
})

/** Fewer than the single-node suites' 100 edit runs: the cluster shares two cores. */
const GENERATED_RUNS = 50

/** Few shards: the cluster runs on a two-core machine, and the count changes nothing tested. */
const SHARD_COUNT = 4

if (CITUS_URL === undefined) {
  it('Citus: the distributed schema', {
    skip:
      'CHEAP_TEST_CITUS_URL is not set: no Citus coordinator to test against ' +
      '(.ci/run sets it when ../shared/tools/citus-cluster starts a cluster)',
  })
} else {
  const url: string = CITUS_URL
  describe('Citus: the distributed schema', () => {
    const schema = randomSchemaName('cheap_citus')
    const statements: QueryLogEvent[] = []
    let adapter: PostgresAdapter
    let client: pgDriver.Client
    let created: CreateSchemaResult

    before(async () => {
      adapter = await PostgresAdapter.create(
        { connectionString: url },
        {
          schema,
          poolSize: 4,
          logParameters: true,
          log: (event) => {
            statements.push(event)
          },
        },
      )
      client = new pgDriver.Client({ connectionString: url })
      await client.connect()
      // Here, not in the first test: every test needs it, and each can run alone.
      created = await PostgresSchema.createSchema(adapter, {
        distribution: 'citus',
        shardCount: SHARD_COUNT,
      })
    })
    after(async () => {
      try {
        await PostgresSchema.dropSchema(adapter)
      } finally {
        await adapter.close()
        await client.end()
      }
    })

    /** The ids, per catalog-scoped table, Citus holds for the schema's tables. */
    async function partitions(): Promise<
      Map<string, { method: string; column: string | null; colocation: number }>
    > {
      const { rows } = await client.query<{
        name: string
        method: string
        column: string | null
        colocation: number
      }>(
        `SELECT c.relname AS name, p.partmethod::text AS method,
           CASE WHEN p.partmethod = 'h' THEN column_to_column_name(p.logicalrelid, p.partkey) END AS column,
           p.colocationid AS colocation
         FROM pg_dist_partition p
         JOIN pg_class c ON c.oid = p.logicalrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1`,
        [schema],
      )
      return new Map(rows.map((r) => [r.name, r]))
    }

    /** An adapter on the schema whose sessions Citus counts (citus.enable_stat_counters). */
    function countedAdapter(): Promise<PostgresAdapter> {
      const counted = new URL(url)
      counted.searchParams.set('options', '-c citus.enable_stat_counters=on')
      return PostgresAdapter.create(
        { connectionString: counted.toString() },
        { schema, poolSize: 2 },
      )
    }

    /** Citus's single- and multi-shard executions in this database since the last reset. */
    async function executions(): Promise<{ single: number; multi: number }> {
      const { rows } = await client.query<{ single: string; multi: string }>(
        `SELECT query_execution_single_shard::text AS single,
           query_execution_multi_shard::text AS multi
         FROM citus_stat_counters((SELECT oid FROM pg_database WHERE datname = current_database()))`,
      )
      return { single: Number(rows[0]?.single), multi: Number(rows[0]?.multi) }
    }

    it('creates the schema with every catalog-scoped table distributed by catalog_id, colocated, and lookups and definitions as reference tables', async () => {
      assert.equal(created.distributed, true)
      assert.equal(created.applied.length > 0, true)
      const placed = await partitions()
      const catalog = placed.get('catalog')
      assert.ok(catalog !== undefined, 'catalog is not distributed')
      for (const table of CATALOG_TABLES) {
        const p = placed.get(table)
        assert.ok(p !== undefined, `${table} is not in pg_dist_partition`)
        assert.equal(p.method, 'h', `${table} is not hash-distributed`)
        assert.equal(p.column, 'catalog_id', `${table} is distributed by ${p.column}`)
        assert.equal(p.colocation, catalog.colocation, `${table} is not colocated with catalog`)
      }
      for (const table of REFERENCE_TABLES) {
        assert.equal(placed.get(table)?.method, 'n', `${table} is not a reference table`)
      }
      // Citus's own view says the same.
      const { rows } = await client.query<{ table_name: string; citus_table_type: string }>(
        `SELECT table_name::text, citus_table_type FROM citus_tables
         WHERE table_name::text LIKE $1`,
        [`${schema}.%`],
      )
      const kinds = new Map(rows.map((r) => [r.table_name.replace(`${schema}.`, ''), r]))
      assert.equal(kinds.get('catalog')?.citus_table_type, 'distributed')
      assert.equal(kinds.get('property_type')?.citus_table_type, 'reference')
      const status = await PostgresSchema.status(adapter)
      assert.equal(status.state, 'current')
      assert.deepEqual(status.distribution, {
        kind: 'citus',
        distributedTables: CATALOG_TABLES.length,
        referenceTables: REFERENCE_TABLES.length,
      })
    })

    it('does nothing when createSchema runs a second time', async () => {
      const before = await partitions()
      const result = await PostgresSchema.createSchema(adapter, {
        distribution: 'citus',
        shardCount: SHARD_COUNT,
      })
      assert.deepEqual(result.applied, [])
      assert.equal(result.distributed, false)
      // Without the option, too: a distributed schema is current as it is.
      assert.equal((await PostgresSchema.createSchema(adapter)).distributed, false)
      assert.deepEqual(await partitions(), before)
    })

    for (const when of ['with the schema', 'to a schema distributed before'] as const) {
      it(`keeps audit columns on distributed tables, added ${when}: created_at stays, updated_at moves on a change`, async () => {
        const audited = await PostgresAdapter.create(
          { connectionString: url },
          { schema: randomSchemaName('cheap_citus_audit'), poolSize: 2 },
        )
        try {
          const options = { distribution: 'citus', shardCount: SHARD_COUNT } as const
          if (when === 'with the schema') {
            await PostgresSchema.createSchema(audited, { ...options, includeAudit: true })
          } else {
            await PostgresSchema.createSchema(audited, options)
            const added = await PostgresSchema.createSchema(audited, { includeAudit: true })
            assert.equal(added.addedAudit, true)
          }
          const status = await PostgresSchema.status(audited)
          assert.equal(status.hasAudit, true)
          assert.equal(status.distribution.kind, 'citus')
          const dao = new PostgresDao(audited)
          const catalog = buildSampleCatalog({ entities: 20, namespace: 'citus_audit' })
          await dao.saveCatalog(catalog)
          // The audit columns are not in the Kysely types: they are optional (includeAudit).
          const stamps = async (): Promise<{ created: string; updated: string }> => {
            const { rows } = await sql<{ created: string; updated: string }>`
              SELECT created_at::text AS created, updated_at::text AS updated
              FROM catalog WHERE catalog_id = ${catalog.globalId}
            `.execute(audited.db)
            assert.ok(rows[0] !== undefined)
            return rows[0]
          }
          const first = await stamps()
          assert.equal(first.updated, first.created)
          // Every save bumps the catalog row's revision: its touch trigger, on the shard, runs.
          catalog.createEntityList('one more')
          await dao.saveCatalog(catalog)
          const second = await stamps()
          assert.equal(second.created, first.created)
          assert.ok(second.updated > first.updated, `${second.updated} after ${first.updated}`)
          assertSame(await dao.loadCatalog(catalog.globalId), catalog)
        } finally {
          await PostgresSchema.dropSchema(audited).finally(() => audited.close())
        }
      })
    }

    for (const path of ['always', 'never'] as const) {
      it(`saves, loads, finds and deletes a catalog through the coordinator (smallCatalogs: ${path})`, async () => {
        const dao = new PostgresDao(adapter, { smallCatalogs: path })
        const catalog = buildSampleCatalog({ entities: 40, namespace: `citus_${path}` })
        const saved = await dao.saveCatalog(catalog)
        assert.equal(saved.mode, 'insert')
        assertSame(await dao.loadCatalog(catalog.globalId), catalog)
        assert.equal((await dao.saveCatalog(catalog)).unchanged, true)
        assert.equal(await dao.catalogExists(catalog.globalId), true)
        assert.equal(await dao.deleteCatalog(catalog.globalId), true)
        assert.equal(await dao.catalogExists(catalog.globalId), false)
        assert.equal(await dao.loadCatalog(catalog.globalId), null)
        // Nothing of it is left in any distributed table.
        for (const table of CATALOG_TABLES) {
          const { rows } = await client.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM "${schema}"."${table}" WHERE catalog_id = $1`,
            [catalog.globalId],
          )
          assert.equal(rows[0]?.n, '0', `${table} still holds rows of the deleted catalog`)
        }
      })
    }

    for (const path of ['always', 'never'] as const) {
      it(`loads a catalog with statements Citus routes to one shard group (smallCatalogs: ${path})`, async () => {
        const dao = new PostgresDao(adapter, { smallCatalogs: path })
        const catalog = buildSampleCatalog({ entities: 20, namespace: `citus_route_${path}` })
        await dao.saveCatalog(catalog)
        statements.length = 0
        assertSame(await dao.loadCatalog(catalog.globalId), catalog)
        const reads = statements.filter(
          (s) => s.level === 'query' && /^\s*(select|with)\b/i.test(s.sql),
        )
        const scoped = reads.filter((s) =>
          CATALOG_TABLES.some((table) => new RegExp(`\\b${table}\\b`).test(s.sql)),
        )
        assert.ok(scoped.length > 0, 'the load ran no statement on a catalog-scoped table')
        const nodes = new Set<string>()
        for (const statement of scoped) {
          const plan = await explain(statement)
          for (const m of plan.matchAll(/Node: host=(\S+) port=(\d+)/g))
            nodes.add(`${m[1]}:${m[2]}`)
          assert.match(plan, /Custom Scan \(Citus Adaptive\)/, `not a Citus plan:\n${plan}`)
          assert.match(plan, /Task Count: 1\b/, `not a single-task (router) plan:\n${plan}`)
          assert.doesNotMatch(plan, /Task Count: (?!1\b)\d+/, `a multi-task step:\n${plan}`)
        }
        // Every one of them on the same worker: the one holding the catalog's shard group.
        assert.equal(nodes.size, 1, `the load's statements ran on ${[...nodes].join(', ')}`)
      })
    }

    it('distributes the dedicated tables mapAspectDef makes, and round-trips a catalog through them', async () => {
      const dao = new PostgresDao(adapter)
      const catalog = buildSampleCatalog({ entities: 30, namespace: 'citus_mapped' })
      const tables: string[] = []
      for (const def of catalog.aspectDefs()) {
        const table = `mapped_${tables.length}_${schema.slice(-6)}`
        await dao.mapAspectDef(def, { table })
        tables.push(table)
      }
      const placed = await partitions()
      const catalogGroup = placed.get('catalog')?.colocation
      for (const table of tables) {
        const p = placed.get(table)
        assert.equal(p?.method, 'h', `${table} is not distributed`)
        assert.equal(p.column, 'catalog_id')
        assert.equal(p.colocation, catalogGroup, `${table} is not colocated with catalog`)
      }
      await dao.saveCatalog(catalog)
      assertSame(await dao.loadCatalog(catalog.globalId), catalog)
      let mappedRows = 0
      for (const table of tables) {
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM "${schema}"."${table}" WHERE catalog_id = $1`,
          [catalog.globalId],
        )
        mappedRows += Number(rows[0]?.n)
      }
      assert.ok(mappedRows > 0, 'no aspect was stored in a dedicated table')
      assert.equal(await dao.deleteCatalog(catalog.globalId), true)
      for (const table of tables) {
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM "${schema}"."${table}"`,
        )
        assert.equal(rows[0]?.n, '0', `${table} kept rows of the deleted catalog`)
      }
    })

    it('distributes a single-node schema made on the coordinator, keeping its catalogs and dedicated tables', async () => {
      const other = await PostgresAdapter.create(
        { connectionString: url },
        { schema: randomSchemaName('cheap_citus_later'), poolSize: 2 },
      )
      try {
        await PostgresSchema.createSchema(other)
        assert.deepEqual((await PostgresSchema.status(other)).distribution, {
          kind: 'single-node',
        })
        const dao = new PostgresDao(other)
        const catalog = buildSampleCatalog({ entities: 20, namespace: 'citus_later' })
        const [first] = catalog.aspectDefs()
        assert.ok(first !== undefined)
        const table = `later_${other.schema.slice(-6)}`
        await dao.mapAspectDef(first, { table })
        await dao.saveCatalog(catalog)
        const result = await PostgresSchema.createSchema(other, {
          distribution: 'citus',
          shardCount: SHARD_COUNT,
        })
        assert.equal(result.distributed, true)
        const { rows } = await client.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_dist_partition p
           JOIN pg_class c ON c.oid = p.logicalrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND p.partmethod = 'h'`,
          [other.schema],
        )
        const distributed = new Set(rows.map((r) => r.name))
        for (const name of [...CATALOG_TABLES, table]) {
          assert.ok(distributed.has(name), `${name} is not distributed`)
        }
        assertSame(await new PostgresDao(other).loadCatalog(catalog.globalId), catalog)
        assert.equal(await dao.deleteCatalog(catalog.globalId), true)
        const left = await client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM "${other.schema}"."${table}"`,
        )
        assert.equal(left.rows[0]?.n, '0', 'the dedicated table kept rows of the deleted catalog')
      } finally {
        await PostgresSchema.dropSchema(other).finally(() => other.close())
      }
    })

    it('still rejects rows without their aspect, entity or parent, as the single-node triggers do', async () => {
      const dao = new PostgresDao(adapter)
      const catalog = buildSampleCatalog({ entities: 5, namespace: 'citus_integrity' })
      await dao.saveCatalog(catalog)
      const id = catalog.globalId
      const q = (table: string): string => `"${schema}"."${table}"`
      const { rows } = await client.query<{ property_id: number }>(
        `SELECT property_id FROM ${q('property')} WHERE property_type = 'INT' LIMIT 1`,
      )
      const propertyId = rows[0]?.property_id
      /** Fails on the named foreign key (Citus reports it with the shard's suffix). */
      const rejected = async (
        constraint: string,
        statement: string,
        parameters: unknown[],
      ): Promise<void> => {
        await assert.rejects(client.query(statement, parameters), (error: unknown) => {
          assert.equal((error as { code?: string }).code, '23503')
          assert.match((error as Error).message, new RegExp(`"${constraint}_\\d+"`))
          return true
        })
      }
      // A value row of an aspect that does not exist.
      await rejected(
        'property_value_integer_aspect_fkey',
        `INSERT INTO ${q('property_value_integer')} (catalog_id, aspect_id, property_id, value) VALUES ($1, 999999999, $2, 1)`,
        [id, propertyId],
      )
      // An aspect of an entity that does not exist (checked at commit: one statement is one).
      const { rows: aspects } = await client.query<{ aspect_def_id: string }>(
        `SELECT aspect_def_id FROM ${q('aspect')} WHERE catalog_id = $1 LIMIT 1`,
        [id],
      )
      await rejected(
        'aspect_entity_fkey',
        `INSERT INTO ${q('aspect')} (catalog_id, aspect_id, entity_id, aspect_def_id, map_order) VALUES ($1, 999999999, gen_random_uuid(), $2, 999999999)`,
        [id, aspects[0]?.aspect_def_id],
      )
      // A tree node whose parent does not exist.
      const { rows: trees } = await client.query<{ hierarchy_id: number }>(
        `SELECT hierarchy_id FROM ${q('hierarchy')} WHERE catalog_id = $1 AND hierarchy_type = 'ET' LIMIT 1`,
        [id],
      )
      assert.ok(trees[0] !== undefined, 'the sample catalog has no tree')
      await rejected(
        'hierarchy_entity_tree_node_parent_fkey',
        `INSERT INTO ${q('hierarchy_entity_tree_node')} (catalog_id, hierarchy_id, node_id, parent_node_id, node_key, tree_order, is_leaf) VALUES ($1, $2, gen_random_uuid(), gen_random_uuid(), 'x', 999999999, true)`,
        [id, trees[0].hierarchy_id],
      )
      assertSame(await dao.loadCatalog(id), catalog)
      await dao.deleteCatalog(id)
    })

    // Generated catalogs (every shape the model allows: empty hierarchies, deep trees, nulls,
    // multivalued properties) find what the colocated foreign keys reject that a sample does not.
    it('round-trips generated catalogs and random edits of them', async () => {
      const dao = new PostgresDao(adapter)
      await assertProperty(
        fc.asyncProperty(catalogWithEditsArb(), async ([catalog, edits]) => {
          // No truncate between runs (on Citus it takes seconds: it reaches every shard and
          // every node's reference tables): generated AspectDef names and ids are fresh per run.
          await dao.saveCatalog(catalog)
          const loaded = await dao.loadCatalog(catalog.globalId)
          assertSame(loaded, catalog)
          applyEdits(loaded as Catalog, edits)
          await dao.saveCatalog(loaded as Catalog)
          assertSame(
            await new PostgresDao(adapter).loadCatalog(catalog.globalId),
            loaded as Catalog,
          )
          assert.equal(await dao.deleteCatalog(catalog.globalId), true)
        }),
        { numRuns: GENERATED_RUNS },
      )
    })

    // Citus's own counters (13.1+): every statement it executed, single-shard or multi-shard,
    // counted for sessions with citus.enable_stat_counters on: here only this adapter's.
    it('saves, loads, checks and deletes a catalog with single-shard executions only (citus_stat_counters)', async () => {
      const other = await countedAdapter()
      try {
        for (const path of ['always', 'never'] as const) {
          const dao = new PostgresDao(other, { smallCatalogs: path })
          const catalog = buildSampleCatalog({ entities: 20, namespace: `citus_counted_${path}` })
          const calls: [string, () => Promise<unknown>][] = [
            ['saveCatalog (new AspectDefs)', () => dao.saveCatalog(catalog)],
            ['loadCatalog', () => dao.loadCatalog(catalog.globalId)],
            ['saveCatalog (unchanged)', () => dao.saveCatalog(catalog)],
            ['catalogExists', () => dao.catalogExists(catalog.globalId)],
            ['deleteCatalog', () => dao.deleteCatalog(catalog.globalId)],
          ]
          for (const [name, call] of calls) {
            await client.query('SELECT citus_stat_counters_reset()')
            await call()
            const counts = await executions()
            assert.equal(
              counts.multi,
              0,
              `${name} (${path}) ran ${counts.multi} multi-shard statements`,
            )
            assert.ok(counts.single > 0, `${name} (${path}) ran no statement through Citus`)
          }
        }
      } finally {
        await other.close()
      }
    })

    // The same counters for every partial call and for findEntities: each works on one catalog,
    // so Citus must route every statement of it (reads, the revision bump, the log row) to the
    // one shard group holding it.
    it('runs every partial call and findEntities within a catalog with single-shard executions only (citus_stat_counters)', async () => {
      const other = await countedAdapter()
      try {
        for (const path of ['always', 'never'] as const) {
          const dao = new PostgresDao(other, { smallCatalogs: path })
          const catalog = buildSampleCatalog({ entities: 20, namespace: `citus_partial_${path}` })
          await dao.saveCatalog(catalog)
          const c = catalog.globalId
          const [person, , measurement] = catalog.aspectDefs()
          assert.ok(person !== undefined && measurement !== undefined)
          const people = catalog.aspects(person)
          assert.ok(people !== undefined)
          const ids = [...people.entityIds()]
          const [a, b, d] = ids
          assert.ok(a !== undefined && b !== undefined && d !== undefined)
          const first = people.get(a)
          assert.ok(first !== undefined)
          const calls: [string, () => Promise<unknown>][] = [
            [
              'loadHierarchy (list page)',
              () => dao.loadHierarchy(c, 'queue', { offset: 1, limit: 2 }),
            ],
            ['loadHierarchy (set)', () => dao.loadHierarchy(c, 'active')],
            ['loadHierarchy (directory page)', () => dao.loadHierarchy(c, 'byName', { limit: 3 })],
            ['loadHierarchy (tree)', () => dao.loadHierarchy(c, 'org')],
            [
              'loadHierarchy (tree page)',
              () => dao.loadHierarchy(c, 'org', { offset: 2, limit: 3 }),
            ],
            [
              'loadHierarchy (aspect map page)',
              () => dao.loadHierarchy(c, person.name, { limit: 4 }),
            ],
            ['loadAspects', () => dao.loadAspects(c, person, [a, b])],
            ['upsertAspects', () => dao.upsertAspects(c, person, [first])],
            ['removeAspects', () => dao.removeAspects(c, measurement, [a])],
            ['addToEntityList', () => dao.addToEntityList(c, 'queue', [b, d])],
            ['removeFromEntityList', () => dao.removeFromEntityList(c, 'queue', [b])],
            ['addToEntitySet', () => dao.addToEntitySet(c, 'active', [a])],
            ['removeFromEntitySet', () => dao.removeFromEntitySet(c, 'active', [a])],
            ['putDirectoryEntries', () => dao.putDirectoryEntries(c, 'byName', { extra: a })],
            ['removeDirectoryEntries', () => dao.removeDirectoryEntries(c, 'byName', ['extra'])],
            [
              'addTreeNodes',
              () => dao.addTreeNodes(c, 'org', '/sales', [{ name: 'routed', entityId: a }]),
            ],
            ['removeTreeNodes', () => dao.removeTreeNodes(c, 'org', ['/sales/routed'])],
            ['findEntities (ids)', () => dao.findEntities(c, person, (p) => p('age').gt(30n))],
            [
              'findEntities (aspects, ordered, paged)',
              () =>
                dao.findEntities(c, person.name, (p) => p('name').startsWith('Person'), {
                  select: 'aspects',
                  orderBy: 'name',
                  limit: 5,
                }),
            ],
          ]
          for (const [name, call] of calls) {
            await client.query('SELECT citus_stat_counters_reset()')
            await call()
            const counts = await executions()
            assert.equal(
              counts.multi,
              0,
              `${name} (${path}) ran ${counts.multi} multi-shard statements`,
            )
            assert.ok(counts.single > 0, `${name} (${path}) ran no statement through Citus`)
          }
          await dao.deleteCatalog(c)
        }
      } finally {
        await other.close()
      }
    })

    /** The coordinator's plan of a statement the DAO ran, with its parameters. */
    async function explain(statement: QueryLogEvent): Promise<string> {
      await client.query(`SET search_path TO "${schema}"`)
      const parameters = (statement.parameters ?? []).map((p) =>
        typeof p === 'bigint' ? p.toString() : p,
      )
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${statement.sql}`,
        parameters,
      )
      return rows.map((r) => r['QUERY PLAN']).join('\n')
    }
  })
}

function assertSame(actual: Catalog | null, expected: Catalog): void {
  assert.ok(actual !== null, 'the catalog was not found')
  assert.equal(catalogDiff(actual, expected), undefined)
}

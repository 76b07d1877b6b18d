import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { FIXTURES, cheap, removeDir, show, tempDir, type CliResult } from './harness.ts'

const ID = '550e8400-e29b-41d4-a716-444444444444'
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

export interface TourTarget {
  readonly name: string
  /** Global options added to every command (e.g. --schema on a shared server). */
  readonly args: readonly string[]
  /** Added to the child's environment (e.g. DATABASE_URL). */
  readonly env: Readonly<Record<string, string>>
  readonly embedded: boolean
  /** Runs after the tour, e.g. to drop a server schema. */
  readonly cleanup?: (run: (args: readonly string[]) => Promise<CliResult>) => Promise<void>
}

/**
 * Every command on one database, in one order: the embedded default in a private working
 * directory, or a throw-away schema on a server. It complements the README tour
 * (readme.test.ts), which checks the text outputs, the import conflict, the pretty export
 * and the not-found `show`: here are stdin, --json, the compact export, schema management.
 */
export function tour(target: TourTarget): void {
  describe(`the cheap tour on ${target.name}`, () => {
    let cwd = ''
    before(async () => {
      cwd = await tempDir()
    })
    after(async () => {
      await target.cleanup?.(run)
      await removeDir(cwd)
    })
    async function run(args: readonly string[], input?: string): Promise<CliResult> {
      const result = await cheap([...target.args, ...args], {
        cwd,
        env: target.env,
        ...(input === undefined ? {} : { input }),
      })
      // Piped: no progress display, no terminal control sequences.
      assert.doesNotMatch(result.stderr, /[\r\x1b]/, `progress output when piped\n${show(result)}`)
      return result
    }
    const expect = (result: CliResult, code: number) =>
      assert.equal(result.code, code, show(result))

    it('schema status: not created yet (exit 7)', async () => {
      const result = await run(['schema', 'status'])
      expect(result, 7)
      assert.match(result.stdout, /^the CHEAP schema is not created in schema "\w+" of /)
      assert.match(result.stdout, /create it with `cheap schema create`/)
    })

    it(
      target.embedded
        ? 'list: the embedded database gets its schema on first use'
        : 'list: a server without the schema is exit 7, with what to do',
      async () => {
        const result = await run(['list'])
        if (target.embedded) {
          expect(result, 0)
          assert.equal(result.stdout, '')
          assert.match(result.stderr, /^no catalogs in embedded \(\.cheap-data\): import one with/)
        } else {
          expect(result, 7)
          assert.match(result.stderr, /schema not created/)
          assert.match(result.stderr, /^hint: create the schema with `cheap schema create`/m)
        }
      },
    )

    it('import prints the catalog id (and creates the schema on a server)', async () => {
      const result = await run(['import', join(FIXTURES, 'full-catalog.json')])
      expect(result, 0)
      assert.equal(result.stdout, `${ID}\n`)
      assert.match(
        result.stderr,
        new RegExp(`^imported .*full-catalog\\.json as catalog ${ID}: revision 1, \\d+ rows in `),
      )
    })

    it('import --force from stdin replaces it; --json describes the save', async () => {
      const text = await readFile(join(FIXTURES, 'full-catalog-compact.json'), 'utf8')
      const result = await run(['import', '-', '--force', '--json'], text)
      expect(result, 0)
      const json = JSON.parse(result.stdout) as Record<string, unknown>
      assert.equal(json['catalogId'], ID)
      assert.equal(json['file'], 'stdin')
      assert.equal(json['replaced'], true)
      assert.equal(json['revision'], 2)
      assert.equal(result.stderr, '')
    })

    it('list --json', async () => {
      const json = await run(['list', '--json'])
      expect(json, 0)
      assert.deepEqual(JSON.parse(json.stdout), [
        { catalogId: ID, species: 'SINK', uri: null, upstream: null, version: 0, revision: 2 },
      ])
    })

    it('show --json: hierarchies with types and sizes, AspectDefs with counts', async () => {
      const json = await run(['show', ID.toUpperCase(), '--json'])
      expect(json, 0)
      const overview = JSON.parse(json.stdout) as {
        hierarchies: { name: string; type: string; size: number }[]
        aspectDefs: { name: string; properties: number; aspects: number }[]
      }
      assert.deepEqual(
        overview.hierarchies.map((h) => `${h.name} ${h.type} ${h.size}`),
        [
          'person AM 2',
          'document AM 2',
          'userDirectory ED 3',
          'taskQueue EL 4',
          'activeUsers ES 3',
          'fileSystem ET 4',
        ],
      )
      assert.deepEqual(
        overview.aspectDefs.map((d) => [d.name, d.properties, d.aspects]),
        [
          ['person', 2, 2],
          ['document', 2, 2],
        ],
      )
    })

    it('export to stdout is compact JSON, byte for byte', async () => {
      const result = await run(['export', ID])
      expect(result, 0)
      assert.equal(
        result.stdout,
        await readFile(join(FIXTURES, 'full-catalog-compact.json'), 'utf8'),
      )
      assert.equal(result.stderr, '')
    })

    it('export of an unknown catalog is not found (exit 6)', async () => {
      const result = await run(['export', UNKNOWN])
      expect(result, 6)
      assert.match(result.stderr, new RegExp(`^cheap export: no catalog ${UNKNOWN} in `))
      assert.match(result.stderr, /^hint: `cheap list` shows the stored catalogs$/m)
    })

    it('delete removes it; a second delete is not found', async () => {
      const result = await run(['delete', ID])
      expect(result, 0)
      assert.equal(result.stdout, `deleted catalog ${ID}\n`)
      expect(await run(['delete', ID, '--json']), 6)
      const list = await run(['list', '--json'])
      assert.deepEqual(JSON.parse(list.stdout), [])
    })

    it('schema status, drop, create --audit', async () => {
      const status = await run(['schema', 'status', '--json'])
      expect(status, 0)
      const json = JSON.parse(status.stdout) as Record<string, unknown>
      assert.equal(json['complete'], true)
      assert.deepEqual(json['missingTables'], [])
      assert.equal(json['hasAudit'], false)

      const drop = await run(['schema', 'drop'])
      expect(drop, 0)
      assert.match(drop.stdout, /^dropped the CHEAP schema in schema "\w+" of /)

      const create = await run(['schema', 'create', '--audit'])
      expect(create, 0)
      assert.match(create.stdout, /^created the CHEAP schema in .*: version \d+\n$/)
      const after = await run(['schema', 'status'])
      expect(after, 0)
      assert.match(after.stdout, /is current: version \d+, audit columns on/)
    })
  })
}

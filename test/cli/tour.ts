import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  FIXTURES,
  cheap,
  cheapInProcess,
  removeDir,
  show,
  tempDir,
  type CliResult,
} from './harness.ts'

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
 * The README tour runs every command as its own process; this one runs `runCli` in this
 * process (the same code minus process start-up), so the two do not pay for the same path.
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
      const result = await cheapInProcess([...target.args, ...args], {
        cwd,
        env: target.env,
        ...(input === undefined ? {} : { input }),
      })
      // Piped: no progress display, no terminal control sequences.
      assert.doesNotMatch(result.stderr, /[\r\x1b]/, `progress output when piped\n${show(result)}`)
      // Every command that opens the database names it first (not with --json); the checks
      // below look at what follows.
      const using =
        /^using (embedded \(\.cheap-data\)|PostgreSQL \S+, schema \w+ \(from DATABASE_URL\))\n/
      if (args.includes('--json')) assert.doesNotMatch(result.stderr, /^using /m, show(result))
      return { ...result, stderr: result.stderr.replace(using, '') }
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
          // In this process the directory shows absolute (the README tour checks the relative
          // form a user sees).
          assert.match(
            result.stderr,
            /^no catalogs in embedded \((\/.*\/)?\.cheap-data\): import one with/,
          )
        } else {
          expect(result, 7)
          assert.match(result.stderr, /schema not created/)
          assert.match(
            result.stderr,
            /^hint: create the schema with `cheap (--schema \w+ )?schema create`/m,
          )
        }
      },
    )

    it('import prints the catalog id (and creates the schema on a server)', async () => {
      const raw = await cheap([...target.args, 'import', join(FIXTURES, 'full-catalog.json')], {
        cwd,
        env: target.env,
      })
      assert.match(
        raw.stderr,
        target.embedded
          ? /^using embedded \(\.cheap-data\)\n/
          : /^using PostgreSQL postgres:\/\/\S+, schema \w+ \(from DATABASE_URL\)\n/,
      )
      const result = { ...raw, stderr: raw.stderr.replace(/^using .*\n/, '') }
      expect(result, 0)
      assert.equal(result.stdout, `${ID}\n`)
      assert.match(
        result.stderr,
        new RegExp(`^imported .*full-catalog\\.json as catalog ${ID}: revision 1, \\d+ rows in `),
      )
    })

    it('import --force from stdin of what is stored writes nothing; --json says so', async () => {
      const text = await readFile(join(FIXTURES, 'full-catalog-compact.json'), 'utf8')
      const result = await run(['import', '-', '--force', '--json'], text)
      expect(result, 0)
      const json = JSON.parse(result.stdout) as Record<string, unknown>
      assert.equal(json['catalogId'], ID)
      assert.equal(json['file'], 'stdin')
      assert.equal(json['replaced'], true)
      assert.equal(json['revision'], 1)
      assert.equal(json['unchanged'], true)
      assert.equal(json['rowsWritten'], 0)
      assert.equal(result.stderr, '')
    })

    it('import --force of other contents replaces it: a new revision', async () => {
      const text = (await readFile(join(FIXTURES, 'full-catalog-compact.json'), 'utf8')).replace(
        '"John Doe"',
        '"John Roe"',
      )
      assert.match(text, /John Roe/)
      const result = await run(['import', '-', '--force'], text)
      expect(result, 0)
      assert.match(
        result.stderr,
        new RegExp(`^replaced stdin as catalog ${ID}: revision 2, \\d+ rows`),
      )
    })

    it('defs list and show: the stored AspectDefs, their versions and users', async () => {
      const list = await run(['defs', 'list', '--json'])
      expect(list, 0)
      const defs = JSON.parse(list.stdout) as {
        name: string
        catalogs: number
        versions: { version: number; hash: string }[]
      }[]
      assert.deepEqual(
        defs.map((d) => [d.name, d.catalogs, d.versions.map((v) => v.version)]),
        [
          ['document', 1, [1]],
          ['person', 1, [1]],
        ],
      )
      const text = await run(['defs', 'show', 'person'])
      expect(text, 0)
      assert.match(text.stdout, /^aspect def  person$/m)
      assert.match(text.stdout, /^  1 +-?\d+ +2 +1$/m)
      assert.match(text.stdout, /^  name +STR +no +-$/m)
      const json = await run(['defs', 'show', 'person', '--version', '1', '--json'])
      expect(json, 0)
      const shown = JSON.parse(json.stdout) as {
        aspectDef: { hash: string; properties: { name: string }[] }
      }
      assert.equal(shown.aspectDef.hash, defs[1]?.versions[0]?.hash)
      assert.deepEqual(shown.aspectDef.properties.map((p) => p.name).sort(), ['age', 'name'])
      expect(await run(['defs', 'show', 'person', '--version', '2']), 6)
      expect(await run(['defs', 'show']), 2)
    })

    it('defs delete is refused while a catalog uses the def (exit 4)', async () => {
      const result = await run(['defs', 'delete', 'person', '--yes'])
      expect(result, 4)
      assert.match(result.stderr, new RegExp(`AspectDef 'person' is used by 1 catalog \\(${ID}\\)`))
      assert.match(result.stderr, /^hint: `cheap defs show person`/m)
    })

    it('list --json', async () => {
      const json = await run(['list', '--json'])
      expect(json, 0)
      assert.deepEqual(JSON.parse(json.stdout), [
        {
          catalogId: ID,
          species: 'SINK',
          uri: null,
          upstream: null,
          version: 0,
          revision: 2,
          expiresAt: null,
        },
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
      // The fixture as the forced import above changed it.
      const fixture = await readFile(join(FIXTURES, 'full-catalog-compact.json'), 'utf8')
      assert.equal(result.stdout, fixture.replace('"John Doe"', '"John Roe"'))
      assert.equal(result.stderr, '')
    })

    it('export of an unknown catalog is not found (exit 6)', async () => {
      const result = await run(['export', UNKNOWN])
      expect(result, 6)
      assert.match(result.stderr, new RegExp(`^cheap export: no catalog ${UNKNOWN} in `))
      assert.match(result.stderr, /^hint: `cheap list` shows the stored catalogs$/m)
    })

    it('delete removes it; a second delete is not found', async () => {
      const result = await run(['delete', ID, '--yes'])
      expect(result, 0)
      assert.equal(result.stdout, `deleted catalog ${ID}\n`)
      expect(await run(['delete', ID, '--json', '--yes']), 6)
      const list = await run(['list', '--json'])
      assert.deepEqual(JSON.parse(list.stdout), [])
    })

    it('defs delete: once no catalog uses it, the def goes; again is not found', async () => {
      const result = await run(['defs', 'delete', 'person', '--json', '--yes'])
      expect(result, 0)
      assert.deepEqual(JSON.parse(result.stdout), { aspectDef: 'person', deleted: true })
      const again = await run(['defs', 'delete', 'person', '--yes'])
      expect(again, 6)
      assert.match(again.stderr, /AspectDef 'person' is not stored in /)
      const list = await run(['defs', 'list', '--json'])
      assert.deepEqual(
        (JSON.parse(list.stdout) as { name: string }[]).map((d) => d.name),
        ['document'],
      )
    })

    it('schema status, drop, create --audit', async () => {
      const status = await run(['schema', 'status', '--json'])
      expect(status, 0)
      const json = JSON.parse(status.stdout) as Record<string, unknown>
      assert.equal(json['complete'], true)
      assert.deepEqual(json['missingTables'], [])
      assert.equal(json['hasAudit'], false)

      const drop = await run(['schema', 'drop', '--yes'])
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

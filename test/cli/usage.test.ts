/**
 * The command line without a database: help, usage errors, input errors caught before the
 * database is opened, and an unreachable server. Every case checks the exit code, that the
 * message says what to do, and that no stack trace is printed for an expected failure.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { COMMANDS, hintFor } from '../../src/cli/run.ts'
import { exitCodeOf } from '../../src/cli/exit-codes.ts'
import { inheritedNodeFlags } from '../../src/cli/runtime.ts'
import { CheapConflictError, CheapResourceError } from '../../src/errors.ts'
import {
  FIXTURES,
  ROOT,
  cheap,
  cheapInProcess,
  removeDir,
  run as run_,
  show,
  tempDir,
  type CliResult,
} from './harness.ts'

const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx'

const STACK = /^\s+at .+\(.+:\d+:\d+\)$/m

function assertNoStack(result: CliResult): void {
  assert.doesNotMatch(result.stderr, STACK, `unexpected stack trace\n${show(result)}`)
}

function assertExit(result: CliResult, code: number): void {
  assert.equal(result.code, code, show(result))
}

describe('cheap without a database', () => {
  let cwd = ''
  before(async () => {
    cwd = await tempDir()
  })
  after(async () => {
    // No command here may have created the embedded database.
    assert.equal(existsSync(join(cwd, '.cheap-data')), false, 'a .cheap-data was created')
    await removeDir(cwd)
  })
  // In this process: the same code as the `cheap` process, without its start-up time.
  const run = (args: readonly string[], input?: string) =>
    cheapInProcess(args, input === undefined ? { cwd } : { cwd, input })

  it('--help lists every command, the global options and the exit codes', async () => {
    const result = await run(['--help'])
    assertExit(result, 0)
    for (const command of COMMANDS)
      assert.match(result.stdout, new RegExp(`^  ${command.name}\\b`, 'm'))
    for (const option of ['--url', '--schema', '--data-dir', '--json', '--debug', '--version'])
      assert.ok(result.stdout.includes(option), option)
    assert.match(result.stdout, /^ {2}7 {2}the CHEAP schema is missing/m)
    assert.equal(result.stderr, '')
  })

  for (const command of COMMANDS) {
    it(`cheap ${command.name} --help`, async () => {
      const result = await run([command.name, '--help'])
      assertExit(result, 0)
      assert.ok(result.stdout.startsWith(`cheap ${command.name}: `), result.stdout)
      assert.match(result.stdout, /^Usage:$/m)
      assert.match(result.stdout, /^Examples:$/m)
      assert.ok(result.stdout.includes('--url URL'), 'global options are listed')
      assert.equal(result.stderr, '')
    })
  }

  it('cheap help <command> is the same as cheap <command> --help', async () => {
    const [a, b] = await Promise.all([run(['help', 'export']), run(['export', '-h'])])
    assertExit(a, 0)
    assert.equal(a.stdout, b.stdout)
  })

  it('in a clone, npx cheap runs bin/cheap, which runs the TypeScript source', async () => {
    const result = await run_(NPX, ['--no-install', 'cheap', '--version'], { cwd: ROOT })
    assert.equal(result.code, 0, show(result))
    const bin = [...inheritedNodeFlags(), join(ROOT, 'bin', 'cheap'), 'show', 'x']
    const viaBin = await run_(process.execPath, bin, { cwd })
    assertExit(viaBin, 3)
    assert.match(viaBin.stderr, /^cheap show: 'x' is not a catalog id/)
  })

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(FIXTURES, '../../../package.json'), 'utf8')) as {
      version: string
    }
    const result = await run(['--version'])
    assertExit(result, 0)
    assert.equal(result.stdout, `${pkg.version}\n`)
  })

  describe('usage errors exit with 2 and point at --help', () => {
    const cases: readonly [string, readonly string[], RegExp][] = [
      ['no command', [], /cheap: no command given/],
      [
        'an unknown command, with a suggestion',
        ['lst'],
        /unknown command 'lst'\nhint: did you mean `cheap list`\?/,
      ],
      [
        'an unknown option',
        ['import', '--frce', 'x.json'],
        /cheap import: unknown option '--frce'\nhint: see `cheap import --help`/,
      ],
      [
        'a missing argument',
        ['export'],
        /cheap export: missing argument: cheap export <catalog-id>/,
      ],
      ['an extra argument', ['list', 'extra'], /cheap list: unexpected argument 'extra'/],
      [
        'a missing option value',
        ['export', 'x', '--out'],
        /option '-o, --out <value>' argument missing/,
      ],
      [
        'a bad number',
        ['list', '--limit', 'ten'],
        /--limit must be a whole number of at least 1, got 'ten'/,
      ],
      [
        'an unknown schema action',
        ['schema', 'erase'],
        /unknown schema action 'erase': expected create, migrate, drop or status/,
      ],
      [
        'an unknown defs action',
        ['defs', 'drop', 'x'],
        /unknown defs action 'drop': expected list, show or delete/,
      ],
      ['defs show without a name', ['defs', 'show'], /`cheap defs show` needs the name or id/],
      ['defs list with a name', ['defs', 'list', 'x'], /`cheap defs list` takes no name/],
      [
        '--version on defs delete',
        ['defs', 'delete', 'x', '--version', '1'],
        /--version belongs to `cheap defs show`/,
      ],
      [
        '--url with --data-dir',
        ['--url', 'postgres://x/y', '--data-dir', 'd', 'list'],
        /--url and --data-dir exclude each other/,
      ],
      [
        'a --url that is not a URL',
        ['--url', 'localhost:5432', 'list'],
        /--url is not a PostgreSQL URL: 'localhost:5432'\nhint: write it like postgres:\/\/user:password@host:5432\/database/,
      ],
      [
        'an --out in a missing directory (before the catalog is loaded)',
        ['export', '550e8400-e29b-41d4-a716-444444444444', '--out', 'no/such/x.json'],
        /^cheap export: cannot write no\/such\/x\.json: its directory does not exist\n$/,
      ],
    ]
    for (const [what, args, message] of cases) {
      it(what, async () => {
        const result = await run(args)
        assertExit(result, 2)
        assert.match(result.stderr, message)
        assertNoStack(result)
      })
    }
  })

  it('a malformed catalog id is invalid input (3), before any database is opened', async () => {
    for (const command of ['show', 'export', 'delete']) {
      const result = await run([command, 'not-a-uuid'])
      assertExit(result, 3)
      assert.match(result.stderr, /'not-a-uuid' is not a catalog id: expected a UUID/)
      assert.match(result.stderr, /hint: `cheap list` shows the stored catalogs/)
    }
  })

  it('a directory that is not a backup is not found (6), before any database is opened', async () => {
    const result = await run(['import', '.'])
    assertExit(result, 6)
    assert.match(
      result.stderr,
      /^cheap import: \. is a directory without a manifest\.json\nhint: import a directory written by `cheap export --all --out DIR`/,
    )
  })

  it('a missing input file is not found (6)', async () => {
    const result = await run(['import', 'nowhere.json'])
    assertExit(result, 6)
    assert.match(result.stderr, /^cheap import: nowhere\.json: no such file\nhint: check the path/)
    assertNoStack(result)
  })

  it('bad JSON is invalid input (3) and names the JSON path, with --json too', async () => {
    const text = await readFile(join(FIXTURES, 'full-catalog.json'), 'utf8')
    const bad = text.replace('"age" : 30', '"age" : "thirty"')
    assert.notEqual(bad, text)
    await writeFile(join(cwd, 'bad.json'), bad)
    const path = 'hierarchies.person.contents.10000000-0000-0000-0000-000000000001.age'
    const result = await run(['import', 'bad.json'])
    assertExit(result, 3)
    assert.ok(
      result.stderr.startsWith(
        `cheap import: bad.json: ${path}: found the string "thirty", expected Integer`,
      ),
      result.stderr,
    )
    assert.match(result.stderr, /hint: nothing was imported/)
    assertNoStack(result)

    const json = await run(['import', 'bad.json', '--json'])
    assertExit(json, 3)
    assert.equal(json.stdout, '')
    const error = (JSON.parse(json.stderr) as { error: Record<string, unknown> }).error
    assert.equal(error['code'], 'VALIDATION')
    assert.equal(error['exitCode'], 3)
    assert.equal(error['path'], path)
  })

  it('a syntax error on stdin gives its line and column', async () => {
    const result = await run(['import', '-'], '{\n  "globalId" : ')
    assertExit(result, 3)
    assert.match(result.stderr, /^cheap import: stdin: globalId: invalid JSON at line 2, column 16/)
  })

  it('a leading byte-order mark is skipped: lines and columns count from after it', async () => {
    const result = await run(['import', '-'], '\uFEFF{\n  "globalId" : ')
    assertExit(result, 3)
    assert.match(result.stderr, /^cheap import: stdin: globalId: invalid JSON at line 2, column 16/)
  })

  it('invalid UTF-8 is invalid input (3) with its byte offset, nothing imported', async () => {
    const text = await readFile(join(FIXTURES, 'full-catalog.json'))
    const at = text.indexOf('John Doe') + 4
    const bad = Buffer.from(text)
    bad[at] = 0xc3 // a lead byte followed by a letter, not a continuation byte
    await writeFile(join(cwd, 'latin1.json'), bad)
    const result = await run(['import', 'latin1.json'])
    assertExit(result, 3)
    assert.ok(
      result.stderr.startsWith(
        `cheap import: latin1.json: (document): invalid UTF-8 at byte offset ${at} (line 38): found the byte 0xC3`,
      ),
      result.stderr,
    )
    assert.match(result.stderr, /hint: nothing was imported/)
    assertNoStack(result)
    const json = await run(['import', 'latin1.json', '--json'])
    const error = (JSON.parse(json.stderr) as { error: Record<string, unknown> }).error
    assert.equal(error['code'], 'VALIDATION')
    assert.equal(error['exitCode'], 3)
  })

  it('a bare NaN is invalid JSON (3) with its path, line and column', async () => {
    const text = await readFile(join(FIXTURES, 'full-catalog.json'), 'utf8')
    const bad = text.replace('"age" : 30', '"age" : NaN')
    assert.notEqual(bad, text)
    await writeFile(join(cwd, 'nan.json'), bad)
    const result = await run(['import', 'nan.json'])
    assertExit(result, 3)
    assert.match(
      result.stderr,
      /^cheap import: nan\.json: hierarchies\.person\.contents\.10000000-0000-0000-0000-000000000001\.age: invalid JSON at line 37, column 19: found the bare token NaN, expected a JSON value: NaN is not JSON; write the string "NaN" for a Float$/m,
    )
  })

  it('a CatalogDef document is named as such (3)', async () => {
    const catalogDef = JSON.stringify({
      aspectDefs: [{ name: 'person', propertyDefs: [{ name: 'name', type: 'String' }] }],
      hierarchyDefs: [{ name: 'taskQueue', type: 'EL' }],
    })
    const result = await run(['import', '-'], catalogDef)
    assertExit(result, 3)
    assert.match(
      result.stderr,
      /^cheap import: stdin: \(document\): this is a CatalogDef, not a catalog/,
    )
    assertNoStack(result)
  })

  it('an unreachable server is a connection error (5), password masked, no stack', async () => {
    const url = 'postgres://u:secret@127.0.0.1:1/db'
    const result = await run(['--url', url, 'list'])
    assertExit(result, 5)
    assert.ok(
      result.stderr.startsWith(
        'using PostgreSQL postgres://u:***@127.0.0.1:1/db, schema public (from --url)\n' +
          'cheap list: cannot reach PostgreSQL at postgres://u:***@127.0.0.1:1/db (ECONNREFUSED): is the server running?',
      ),
      result.stderr,
    )
    assert.match(result.stderr, /^hint: the server comes from --url/m)
    assert.ok(!result.stderr.includes('secret'), 'the password leaked')
    assertNoStack(result)
  })

  it('DATABASE_URL is used when --url is absent, and the hint says so', async () => {
    const result = await cheapInProcess(['list', '--json'], {
      cwd,
      env: { DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/db' },
    })
    assertExit(result, 5)
    const error = (JSON.parse(result.stderr) as { error: Record<string, unknown> }).error
    assert.equal(error['code'], 'CONNECTION')
    assert.match(String(error['hint']), /comes from DATABASE_URL: fix it, or unset it/)
    assert.ok(!result.stderr.includes('secret'))
  })

  it('the cheap process exits with the same codes (2, 3, 5)', async () => {
    const [usage, invalid, connection] = await Promise.all([
      cheap(['lst'], { cwd }),
      cheap(['show', 'x'], { cwd }),
      cheap(['--url', 'postgres://u:secret@127.0.0.1:1/db', 'list'], { cwd }),
    ])
    assertExit(usage, 2)
    assert.match(
      usage.stderr,
      /^cheap: unknown command 'lst'\nhint: did you mean `cheap list`\?\n$/,
    )
    assertExit(invalid, 3)
    assertExit(connection, 5)
    assert.ok(!connection.stderr.includes('secret'))
    for (const result of [usage, invalid, connection]) assertNoStack(result)
  })

  it('--debug prints the stack trace of an expected failure', async () => {
    const result = await run(['--debug', 'import', 'nowhere.json'])
    assertExit(result, 6)
    assert.match(result.stderr, STACK)
  })
})

describe('resource errors', () => {
  it('exit 5 with a hint to split the work or use a server', () => {
    const error = new CheapResourceError('out of memory', { sqlState: '53200' })
    assert.equal(exitCodeOf(error), 5)
    assert.match(
      hintFor(error) ?? '',
      /split it, .* or use a server instead of the embedded database/,
    )
  })
})

describe('conflict hints', () => {
  it('suggest --force for a stale revision, but not when --force was given', () => {
    const stale = new CheapConflictError('catalog x was changed: stored revision 3, expected 2')
    assert.match(hintFor(stale) ?? '', /pass --force to overwrite it/)
    const withForce = hintFor(stale, { force: true }) ?? ''
    assert.doesNotMatch(withForce, /pass --force/)
    assert.match(withForce, /not one --force overrides/)
  })

  it('send an AspectDef conflict to `cheap defs show`, with or without --force', () => {
    const def = new CheapConflictError("AspectDef 'person' …", { aspectDefName: 'person' })
    for (const force of [false, true]) {
      const hint = hintFor(def, { force }) ?? ''
      assert.match(hint, /^`cheap defs show person` shows its stored versions/)
      assert.doesNotMatch(hint, /--force/)
    }
  })
})

/**
 * Every file in examples/ runs to completion and prints what it is about, and so does the
 * README's TypeScript example, on embedded PGlite (DATABASE_URL and PG* unset for the child).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { ROOT, SERVER_URL, TSX, removeDir, run } from './cli/harness.ts'
import { typeScriptCommand } from '../src/cli/runtime.ts'

const EXAMPLES = join(ROOT, 'examples')

/** What each example must print (every example must at least exit with 0). */
const EXPECTED: Readonly<Record<string, readonly RegExp[]>> = {
  'quick-start.ts': [
    /^database: embedded \(memory\)$/m,
    /^saved catalog [0-9a-f-]{36} at revision 1$/m,
    /^loaded: age of Alice = 42$/m,
    /^equal to the saved catalog: true$/m,
  ],
  'json-interchange.ts': [
    /^read back from the file: equal$/m,
    /^stored at revision 1; loaded: equal$/m,
    /^rejected: hierarchies\["com\.example\.reading"\]\.contents\.[0-9a-f-]{36}\.sensor: found the number 42/m,
  ],
  'typed-aspects.ts': [
    /^Dune by Frank Herbert: 412 pages, in print: true$/m,
    /^price 9\.99, pages null, inPrint stored: false$/m,
    /^WRONG_TYPE: .*'pages'/m,
    /^NOT_NULLABLE: .*'title'/m,
    /^INVALID_DECIMAL: .*'price'/m,
  ],
  'evolve-def.ts': [
    /^old catalog still has: name$/m,
    /^com\.example\.item versions stored: v1, v2$/m,
    /^evolved to v2: added color; moved from v1$/m,
    /^old catalog now has: name, color$/m,
    /^refused: property 'name' of com\.example\.item$/m,
  ],
  'full-text-and-json.ts': [
    /^'run', most relevant first: The marathon diaries \| Bread at home$/m,
    /^phrase and tag: The marathon diaries$/m,
    /^'the' \(a stop word\) matches: 0$/m,
    /^in memory agrees: true$/m,
    /^sql: Running shoes reviewed, views 120$/m,
    /^typed: views of bread = "1152921504606846976"$/m,
  ],
  'optimistic-locking.ts': [
    /^first save: revision 2$/m,
    /^second save refused: catalog [0-9a-f-]{36} was changed by another writer/m,
    /^retried: revision 3, counter = 2$/m,
  ],
}

/** Runs an example on the runtime of the test run: Node through tsx, Bun and Deno natively. */
function runTs(file: string, env: Readonly<Record<string, string>> = {}) {
  const child = typeScriptCommand(file, [], { tsx: TSX })
  return run(child.command, child.args, { cwd: ROOT, env })
}

describe('examples', { concurrency: 2 }, () => {
  const files = readdirSync(EXAMPLES)
    .filter((name) => name.endsWith('.ts'))
    .sort()

  it('has the examples the README names', () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), files.filter((f) => f in EXPECTED).sort())
    for (const name of Object.keys(EXPECTED)) assert.ok(files.includes(name), name)
  })

  for (const name of files) {
    it(`examples/${name} runs`, async () => {
      const result = await runTs(join(EXAMPLES, name))
      const shown = `exit ${result.code}\n${result.stdout}${result.stderr}`
      assert.equal(result.code, 0, shown)
      for (const expected of EXPECTED[name] ?? []) assert.match(result.stdout, expected, shown)
    })
  }
})

// Every example runs twice against one server database: defs get stable ids and a second run
// finds its stored self (the README quick start once failed on its second run).
describe('examples, twice against one server database', { skip: SERVER_URL === undefined }, () => {
  const database = `cheap_examples_${randomBytes(5).toString('hex')}`
  let url = ''
  before(async () => {
    await admin(`create database ${database}`)
    const parsed = new URL(SERVER_URL ?? '')
    parsed.pathname = `/${database}`
    url = parsed.href
  })
  after(async () => admin(`drop database if exists ${database} with (force)`))

  for (const name of Object.keys(EXPECTED).sort()) {
    it(`examples/${name} runs twice`, async () => {
      for (const round of [1, 2]) {
        const result = await runTs(join(EXAMPLES, name), { DATABASE_URL: url })
        const shown = `round ${round}: exit ${result.code}\n${result.stdout}${result.stderr}`
        assert.equal(result.code, 0, shown)
        for (const expected of EXPECTED[name] ?? []) {
          assert.match(
            result.stdout.replace(/^database: .*$/m, 'database: embedded (memory)'),
            expected,
            shown,
          )
        }
      }
    })
  }
})

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

describe("the README's TypeScript example", () => {
  let dir = ''
  before(async () => {
    // Inside the clone, where a reader would put it: the package name resolves there.
    dir = await mkdtemp(join(ROOT, '.readme-example-'))
  })
  after(async () => removeDir(dir))

  it('runs as written in a clone, without a build, importing the TypeScript source', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    const section = readme.indexOf('## In TypeScript')
    const start = readme.indexOf('```ts\n', section)
    const end = readme.indexOf('\n```', start + 1)
    assert.ok(section >= 0 && start > section && end > start, 'no ts block in "In TypeScript"')
    const code = readme.slice(start + '```ts\n'.length, end)
    assert.match(code, /from 'cheap-db-postgres'/)
    // .mts: an ES module wherever it is.
    const file = join(dir, 'readme-example.mts')
    await writeFile(file, code)
    const result = await runTs(file)
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`)
    // tsconfig.json's `paths` sends 'cheap-db-postgres' to src/index.ts under tsx, so the
    // example needs no dist/ and never runs a stale one.
    const probe = join(dir, 'probe.mts')
    const source = pathToFileURL(join(ROOT, 'src', 'index.ts')).href
    await writeFile(
      probe,
      `import * as byName from 'cheap-db-postgres'\n` +
        `const bySource: unknown = await import(${JSON.stringify(source)})\n` +
        `console.log(byName === bySource ? 'source' : 'other')\n`,
    )
    const probed = await runTs(probe)
    assert.equal(probed.code, 0, probed.stderr)
    assert.equal(probed.stdout, 'source\n')
  })
})

/**
 * Every TypeScript block of the README compiles under the project's strict settings, and every
 * type it claims in a comment (`expr // … typed T`) is exactly the type the compiler gives
 * `expr`. The blocks are what a reader copies; a claim like "typed bigint | null | undefined"
 * that the compiler does not make is worse than none. Fragments (blocks without imports) get a
 * prelude declaring what the README's prose gives them: the `person` and `article` defs, a
 * `dao`, a `catalog`, `alice`, `catalogId` and a typed `kysely`.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { ROOT, removeDir } from './cli/harness.ts'

const PRELUDE = `import {
  PostgresAdapter,
  PostgresDao,
  aspectsJson,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  type CheapDatabase,
  type Where,
} from 'cheap-db-postgres'
import type { Kysely } from 'kysely'
declare const dao: PostgresDao
declare const kysely: Kysely<CheapDatabase>
declare const catalogId: string
declare const id: string
declare const bar: { update(done: number, total?: number): void }
const person = createAspectDef({
  name: 'com.example.person',
  properties: [
    createPropertyDef({ name: 'name', type: 'STR', isNullable: false }),
    createPropertyDef({ name: 'first name', type: 'STR' }),
    createPropertyDef({ name: 'age', type: 'INT' }),
    createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
  ],
})
const article = createAspectDef({
  name: 'com.example.article',
  properties: [
    createPropertyDef({ name: 'title', type: 'STR' }),
    createPropertyDef({ name: 'body', type: 'TXT' }),
    createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
    createPropertyDef({ name: 'views', type: 'INT' }),
  ],
})
const catalog = createCatalog()
const alice = createAspect(person, newEntityId(), { name: 'Alice' })
void [PostgresAdapter, aspectsJson, dao, kysely, catalogId, id, bar, article, catalog, alice]
`

const EQUAL = `type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
`

/** `expr // … typed T (…)`: an expression statement whose comment claims its exact type. */
const CLAIM = /^(\s*)([^/]+?);?\s*\/\/.*?\btyped ([^(]+?)\s*(?:\(.*)?$/

interface Block {
  readonly line: number
  readonly code: string
}

/** The ```ts blocks of a Markdown text (in list items too), with the line each starts on. */
export function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const fence = /^( *)```ts$/.exec(lines[i] as string)
    if (fence === null) continue
    const indent = (fence[1] as string).length
    const start = i + 1
    let end = start
    while (end < lines.length && (lines[end] as string).trim() !== '```') end++
    const code = lines.slice(start, end).map((line) => line.slice(indent))
    blocks.push({ line: start + 1, code: code.join('\n') })
    i = end
  }
  return blocks
}

/** The block as a module: its claims turned into compile-time equality checks. */
export function checked(block: Block): { source: string; claims: number } {
  let claims = 0
  const body = block.code.split('\n').map((line) => {
    const match = CLAIM.exec(line)
    if (match === null || /^\s*(const|let|var|await|import|export)\b/.test(line)) return line
    const [, indent = '', expr = '', type = ''] = match
    claims++
    return (
      `${indent}const claim${claims} = ${expr}\n` +
      `${indent}const check${claims}: Equal<typeof claim${claims}, ${type}> = true\n` +
      `${indent}void check${claims}`
    )
  })
  const fragment = !/^import\b/m.test(block.code)
  return {
    source: `${fragment ? PRELUDE : ''}${EQUAL}${body.join('\n')}\nexport {}\n`,
    claims,
  }
}

describe("the README's TypeScript blocks", () => {
  let dir = ''
  before(async () => {
    // Inside the clone, where tsconfig.json's paths send 'cheap-db-postgres' to src/index.ts.
    dir = await mkdtemp(join(ROOT, '.readme-types-'))
  })
  after(async () => removeDir(dir))

  it('turns a claimed type into a check, and leaves other lines alone', () => {
    const { source, claims } = checked({
      line: 1,
      code: "import { x } from 'y'\nconst a = f() // typed rows\nx.get('age') // 42n, typed bigint | null (why)",
    })
    assert.equal(claims, 1)
    assert.match(
      source,
      /const claim1 = x\.get\('age'\)\nconst check1: Equal<typeof claim1, bigint \| null> = true/,
    )
    assert.match(source, /const a = f\(\) \/\/ typed rows/)
  })

  it('compile under the strict settings, with every claimed type exact', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    const blocks = tsBlocks(readme)
    assert.ok(blocks.length >= 10, `found ${blocks.length} ts blocks`)
    let claims = 0
    const files: string[] = []
    for (const block of blocks) {
      const module = checked(block)
      claims += module.claims
      const file = `readme-line-${block.line}.mts`
      files.push(file)
      await writeFile(join(dir, file), module.source)
    }
    assert.ok(claims >= 2, `found ${claims} type claims`)
    await writeFile(
      join(dir, 'tsconfig.json'),
      // The driver seam's own declarations (pg-cursor has none of its own).
      JSON.stringify({ extends: '../tsconfig.json', include: [...files, '../src/**/*.d.ts'] }),
    )
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', dir], {
      cwd: ROOT,
    }).then(
      () => '',
      (error: Error & { stdout?: string }) => error.stdout ?? error.message,
    )
    // tsc names the generated file; its name says the README line the block starts on.
    assert.equal(result, '', `the README's TypeScript does not compile as claimed:\n${result}`)
  })
})

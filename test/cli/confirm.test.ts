/**
 * Destructive commands (`schema drop`, `delete`, `defs delete`) ask on a terminal and need
 * --yes otherwise: refused from a script without it (exit 2, nothing deleted), done with it,
 * and on a (simulated) terminal done after "y", cancelled (exit 1) after "n". On the embedded
 * database, and on a server (throw-away --schema) when DATABASE_URL is set.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  FIXTURES,
  SERVER_URL,
  cheapInProcess,
  randomSchema,
  removeDir,
  show,
  tempDir,
  type CliResult,
} from './harness.ts'

const ID = '550e8400-e29b-41d4-a716-444444444444'

interface Target {
  readonly name: string
  readonly args: readonly string[]
  readonly env: Readonly<Record<string, string>>
}

const targets: Target[] = [{ name: 'the embedded database', args: [], env: {} }]
if (SERVER_URL !== undefined) {
  targets.push({
    name: 'a server',
    args: ['--schema', randomSchema()],
    env: { DATABASE_URL: SERVER_URL },
  })
}

for (const target of targets) {
  describe(`confirmation of destructive commands on ${target.name}`, () => {
    let cwd = ''
    const run = (args: readonly string[], options: { input?: string; terminal?: boolean } = {}) =>
      cheapInProcess([...target.args, ...args], { cwd, env: target.env, ...options })
    const expect = (result: CliResult, code: number) =>
      assert.equal(result.code, code, show(result))
    const catalogs = async () =>
      (JSON.parse((await run(['list', '--json'])).stdout) as { catalogId: string }[]).map(
        (c) => c.catalogId,
      )
    const defs = async () =>
      (JSON.parse((await run(['defs', 'list', '--json'])).stdout) as { name: string }[]).map(
        (d) => d.name,
      )

    before(async () => {
      cwd = await tempDir()
      expect(await run(['import', join(FIXTURES, 'full-catalog.json')]), 0)
    })
    after(async () => {
      if (SERVER_URL !== undefined && target.args.length > 0) {
        await run(['schema', 'drop', '--yes'])
      }
      await removeDir(cwd)
    })

    it('delete without --yes from a script is a usage error; nothing is deleted', async () => {
      const result = await run(['delete', ID])
      expect(result, 2)
      assert.match(result.stderr, /stdin is not a terminal to ask on: pass --yes to confirm/)
      assert.deepEqual(await catalogs(), [ID])
    })

    it('delete on a terminal: "n" cancels (exit 1), nothing deleted', async () => {
      const result = await run(['delete', ID], { terminal: true, input: 'n\n' })
      expect(result, 1)
      assert.match(
        result.stderr,
        new RegExp(`^using .+\\ndelete catalog ${ID} of .+ and everything in it\\? \\[y/N\\] `),
      )
      assert.match(result.stderr, /cancelled: nothing was deleted/)
      assert.deepEqual(await catalogs(), [ID])
    })

    it('defs delete without --yes from a script is refused; a def in use is a conflict', async () => {
      const refused = await run(['defs', 'delete', 'person'])
      expect(refused, 2)
      assert.match(refused.stderr, /pass --yes/)
      // In use: refused by the store whatever the answer, without a question.
      const inUse = await run(['defs', 'delete', 'person', '--yes'])
      expect(inUse, 4)
      assert.deepEqual(await defs(), ['document', 'person'])
    })

    it('delete on a terminal: "y" deletes', async () => {
      const result = await run(['delete', ID], { terminal: true, input: 'y\n' })
      expect(result, 0)
      assert.match(result.stdout, new RegExp(`^deleted catalog ${ID}\n$`))
      assert.deepEqual(await catalogs(), [])
    })

    it('defs delete of an unused def: "n" cancels, "y" deletes', async () => {
      const no = await run(['defs', 'delete', 'person'], { terminal: true, input: 'no\n' })
      expect(no, 1)
      assert.match(
        no.stderr,
        /^using .+\ndelete AspectDef 'person' \(1 version\(s\)\) of .+\? \[y\/N\] /,
      )
      assert.deepEqual(await defs(), ['document', 'person'])
      const yes = await run(['defs', 'delete', 'person'], { terminal: true, input: 'y\n' })
      expect(yes, 0)
      assert.deepEqual(await defs(), ['document'])
    })

    it('schema drop: refused from a script, cancelled by "n", then --yes drops', async () => {
      const refused = await run(['schema', 'drop'])
      expect(refused, 2)
      assert.match(refused.stderr, /^cheap schema: `cheap schema drop` deletes data/)
      expect(await run(['schema', 'status']), 0)

      const no = await run(['schema', 'drop'], { terminal: true, input: '\n' })
      expect(no, 1)
      assert.match(
        no.stderr,
        /^using .+\ndrop the CHEAP schema "\w+" of .+ and every catalog in it\? \[y\/N\] /,
      )
      expect(await run(['schema', 'status']), 0)

      const yes = await run(['schema', 'drop', '--yes'])
      expect(yes, 0)
      assert.match(yes.stdout, /^dropped the CHEAP schema/)
      expect(await run(['schema', 'status']), 7)
    })

    it('--yes belongs to the destructive actions only', async () => {
      expect(await run(['schema', 'status', '--yes']), 2)
      expect(await run(['defs', 'list', '--yes']), 2)
    })
  })
}

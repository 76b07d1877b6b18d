/**
 * The CLI's progress line follows a save's and a load's rows and a parse's bytes, and Ctrl-C
 * (`CliIo.interrupt`, which stands for SIGINT) during an import rolls the save back: exit 130,
 * one line on stderr, nothing stored.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { INTERRUPTED } from '../../src/cli/context.ts'
import { EXIT } from '../../src/cli/exit-codes.ts'
import { catalogToJson } from '../../src/json/index.ts'
import {
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  toEntityId,
  type Catalog,
} from '../../src/model/index.ts'
import { cheapInProcess, removeDir, show, tempDir } from './harness.ts'

function bigCatalog(n: number): Catalog {
  const def = createAspectDef({
    name: 'person',
    properties: [
      createPropertyDef({ name: 'name', type: 'STR' }),
      createPropertyDef({ name: 'age', type: 'INT' }),
    ],
  })
  const catalog = createCatalog()
  const map = catalog.extend(def)
  for (let i = 0; i < n; i++) {
    const id = toEntityId(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
    map.add(createAspect(def, id, { name: `person ${i}`, age: BigInt(i) }))
  }
  return catalog
}

/** The progress lines drawn on stderr (each starts with a carriage return and an erase). */
function drawn(stderr: string): string[] {
  return stderr.split('\r\x1b[2K').filter((line) => line !== '')
}

describe('cheap import / export: progress and Ctrl-C (embedded)', () => {
  let cwd: string
  const catalog = bigCatalog(3000)
  before(async () => {
    cwd = await tempDir()
    await writeFile(join(cwd, 'big.json'), catalogToJson(catalog))
  })
  after(async () => removeDir(cwd))

  it('Ctrl-C while saving rolls the import back: exit 130, one line, nothing stored', async () => {
    const controller = new AbortController()
    const result = await cheapInProcess(['import', 'big.json'], {
      cwd,
      terminalOutput: true,
      drawAtOnce: true,
      interrupt: controller.signal,
      // Ctrl-C once the save has sent rows.
      onStderr: (text) => {
        if (/saving .*\d rows/.test(text)) controller.abort(new Error(INTERRUPTED))
      },
    })
    assert.equal(result.code, EXIT.INTERRUPTED, show(result))
    assert.equal(result.stdout, '')
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '')
    const message = lines.at(-1) ?? ''
    assert.match(
      message,
      new RegExp(
        `cheap import: saving catalog ${catalog.globalId}: aborted: interrupted \\(Ctrl-C\\); the transaction was rolled back, nothing was written$`,
      ),
      show(result),
    )
    assert.doesNotMatch(result.stderr, /hint:/)
    const list = await cheapInProcess(['list', '--json'], { cwd })
    assert.doesNotMatch(list.stdout, new RegExp(catalog.globalId), show(list))
  })

  it('the progress line shows the parse in bytes and the save in rows, up to the total', async () => {
    const result = await cheapInProcess(['import', 'big.json'], {
      cwd,
      terminalOutput: true,
      drawAtOnce: true,
    })
    assert.equal(result.code, EXIT.OK, show(result))
    const lines = drawn(result.stderr)
    assert.ok(
      lines.some((l) => /parsing big\.json \[#+\.*\] \d+% .* \/ .*B/.test(l)),
      lines.join('\n'),
    )
    const saving = lines.filter((l) => /^. saving 1 hierarchies, 3,000 aspects \[/.test(l))
    assert.ok(saving.length >= 2, lines.join('\n'))
    const amounts = saving.map((l) => {
      const match = /(\d[\d,]*) \/ (\d[\d,]*) rows/.exec(l)
      assert.ok(match !== null, l)
      return [Number(match[1]?.replaceAll(',', '')), Number(match[2]?.replaceAll(',', ''))]
    })
    for (let i = 1; i < amounts.length; i++)
      assert.ok((amounts[i]?.[0] ?? 0) >= (amounts[i - 1]?.[0] ?? 0), 'rows done only grow')
    const [done, total] = amounts.at(-1) ?? []
    assert.equal(done, total, 'the bar ends full')
    assert.match(saving.at(-1) ?? '', /\[#{24}\] 100%/)
    assert.match(result.stderr, /imported big\.json as catalog .*: revision 1, ([\d,]+) rows/)
    const written = /revision 1, ([\d,]+) rows/.exec(result.stderr)?.[1]?.replaceAll(',', '')
    assert.equal(Number(written), total, 'the total is the rows the import wrote')
  })

  it('the export shows the load in rows; Ctrl-C during it is exit 130', async () => {
    const ok = await cheapInProcess(['export', catalog.globalId, '--out', 'copy.json'], {
      cwd,
      terminalOutput: true,
      drawAtOnce: true,
    })
    assert.equal(ok.code, EXIT.OK, show(ok))
    assert.ok(
      drawn(ok.stderr).some((l) =>
        new RegExp(`loading catalog ${catalog.globalId} [\\d,]+ rows`).test(l),
      ),
      ok.stderr,
    )
    const controller = new AbortController()
    controller.abort(new Error(INTERRUPTED))
    const stopped = await cheapInProcess(['export', catalog.globalId], {
      cwd,
      interrupt: controller.signal,
    })
    assert.equal(stopped.code, EXIT.INTERRUPTED, show(stopped))
    assert.equal(stopped.stdout, '')
    assert.match(
      stopped.stderr,
      /^cheap export: loading catalog [-0-9a-f]+: aborted: interrupted \(Ctrl-C\)$/m,
    )
  })
})

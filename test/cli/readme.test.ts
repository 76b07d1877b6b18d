/**
 * The README's `cheap` tour, run as written: every `$ …` line of the console block in
 * "The `cheap` command line" runs in a shell, in a fresh directory holding the fixture the
 * tour imports, with `npx cheap` standing for this checkout's CLI. On the embedded default
 * the output must match the README (timings, dates and `…` elisions aside); on a server
 * (DATABASE_URL) every line must succeed with the same exit codes, in a throw-away schema.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { typeScriptCommand } from '../../src/cli/runtime.ts'
import {
  FIXTURES,
  MAIN,
  ROOT,
  SERVER_URL,
  TSX,
  cleanEnv,
  randomSchema,
  removeDir,
  tempDir,
} from './harness.ts'

interface Step {
  readonly command: string
  readonly expected: readonly string[]
}

/** The `$ command` lines of the section's console block, each with the lines it prints. */
export function tourSteps(readme: string): Step[] {
  const start = readme.indexOf('## The `cheap` command line')
  assert.ok(start >= 0, 'the README has no "The `cheap` command line" section')
  const open = readme.indexOf('```console\n', start)
  const close = readme.indexOf('\n```', open + 1)
  assert.ok(open > start && close > open, 'the section has no console block')
  const steps: { command: string; expected: string[] }[] = []
  for (const line of readme.slice(open + '```console\n'.length, close).split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [] })
    else steps.at(-1)?.expected.push(line)
  }
  return steps
}

/** Things that differ from run to run, replaced in both the README and the output. */
function normalise(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)/g, '<time>')
    .replace(/\b\d+(\.\d+)? s\b/g, '<seconds> s')
}

/** The README's lines as a pattern: a line `…` stands for any lines, `…` in a line for any text. */
function pattern(expected: readonly string[]): RegExp {
  const parts = expected.map((line) =>
    line === '…'
      ? '(?:[^\\n]*\\n)*?'
      : `${normalise(line)
          .split('…')
          .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^\\n]*?')}\\n`,
  )
  return new RegExp(`^${parts.join('')}$`)
}

function shell(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  // `npx cheap` is this checkout's CLI on the runtime of the test run; stdout and stderr
  // interleave as on a terminal.
  const prelude =
    'exec 2>&1; cheap() { "$CHEAP_NODE" $CHEAP_RUNTIME_ARGS "$CHEAP_MAIN" $CHEAP_ARGS "$@"; }'
  const script = `${prelude}\n${command.replaceAll('npx cheap', 'cheap')}\n`
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

const steps = tourSteps(await readFile(join(ROOT, 'README.md'), 'utf8'))

function runTour(name: string, variant: { env: Record<string, string>; exact: boolean }): void {
  describe(`the README tour, ${name}`, () => {
    let cwd = ''
    const env = () =>
      cleanEnv({
        CHEAP_NODE: process.execPath,
        // What goes before the script: `--import <tsx>` on Node, `run -A` on Deno, nothing on Bun.
        CHEAP_RUNTIME_ARGS: typeScriptCommand(MAIN, [], { tsx: TSX }).args.slice(0, -1).join(' '),
        CHEAP_MAIN: MAIN,
        ...variant.env,
      })
    before(async () => {
      cwd = await tempDir('cheap-readme-')
      await mkdir(join(cwd, 'test', 'fixtures', 'json'), { recursive: true })
      await copyFile(
        join(FIXTURES, 'full-catalog.json'),
        join(cwd, 'test', 'fixtures', 'json', 'full-catalog.json'),
      )
    })
    after(async () => {
      if (!variant.exact) await shell('npx cheap schema drop --yes', cwd, env())
      await removeDir(cwd)
    })

    it('has the steps the tour is about', () => {
      const commands = steps.map((s) => s.command.split(/[ ;]/)[2])
      for (const name of ['import', 'list', 'show', 'export', 'delete', 'schema', 'demo'])
        assert.ok(commands.includes(name), `the tour does not show cheap ${name}`)
    })

    for (const step of steps) {
      it(step.command, async () => {
        const { code, output } = await shell(step.command, cwd, env())
        const message = `$ ${step.command}\n${output}`
        assert.equal(code, 0, message)
        if (variant.exact) {
          assert.match(normalise(output), pattern(step.expected), message)
        } else {
          const exit = step.expected.find((line) => line.startsWith('exit code '))
          if (exit !== undefined) assert.ok(output.includes(`${exit}\n`), message)
          assert.doesNotMatch(output, /unexpected error/, message)
        }
      })
    }
  })
}

runTour('on the embedded default (no server)', { env: {}, exact: true })

if (SERVER_URL === undefined) {
  describe('the README tour with DATABASE_URL', { skip: 'set DATABASE_URL to run it' }, () => {})
} else {
  runTour('with DATABASE_URL (a throw-away --schema)', {
    env: { DATABASE_URL: SERVER_URL, CHEAP_ARGS: `--schema ${randomSchema()}` },
    exact: false,
  })
}

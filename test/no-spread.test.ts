/**
 * No call in src/ spreads a collection into arguments (`f(...items)`): JavaScript engines cap
 * the argument count (about 100,000 in V8; a 200,000-entity list once saved but could never be
 * loaded again because the loader spread it into `add`). Many items go through an iterable
 * parameter (`addAll`, `setAll`) or a loop. A spread whose length is bounded by the code itself
 * may stay when its line says so with a `bounded-spread:` comment giving the bound.
 */
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { it } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
/** The library, and the benchmark and examples, which build catalogs of any size too. */
const CHECKED = ['src', 'bench', 'examples']

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** `file:line: text` of every spread argument in a call or `new` without a bound comment. */
export function spreadArguments(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true)
  const lines = text.split('\n')
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && node.arguments !== undefined) {
      for (const arg of node.arguments) {
        if (!ts.isSpreadElement(arg)) continue
        const line = source.getLineAndCharacterOfPosition(arg.getStart()).line
        const here = lines[line] ?? ''
        if (!here.includes('bounded-spread:')) found.push(`${fileName}:${line + 1}: ${here.trim()}`)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

it('finds a spread argument, and accepts one marked as bounded', () => {
  assert.deepEqual(spreadArguments('a.ts', 'list.add(...ids)\n'), ['a.ts:1: list.add(...ids)'])
  assert.deepEqual(spreadArguments('b.ts', 'new Set([...a])\nf(x, [...y])\n'), [])
  assert.deepEqual(spreadArguments('c.ts', 'Math.max(...xy) // bounded-spread: two values\n'), [])
})

it('src/, bench/ and examples/ spread no collection into call arguments', () => {
  const found = CHECKED.flatMap((dir) => sourceFiles(join(ROOT, dir))).flatMap((path) =>
    spreadArguments(relative(ROOT, path), readFileSync(path, 'utf8')),
  )
  assert.deepEqual(
    found,
    [],
    `spread arguments (use an iterable parameter or a loop):\n${found.join('\n')}`,
  )
})

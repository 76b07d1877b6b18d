/**
 * The raw SQL of src/persistence names only tables and columns of the table manifest
 * (schema/tables.ts), which the schema conformance test checks against the live schema. Kysely's
 * query builder makes a typo in a table or column a compile error; raw SQL — COPY, unnest bulk
 * writes, recursive and catalog-scoped CTEs, locks — cannot, so this test reads every SQL text in
 * src/persistence and fails on a table that is not in the manifest, or an `alias.column` whose
 * column its table lacks. Names built at run time (`sql.id`, `${…}`) are the caller's; CTE names,
 * set-returning functions and PostgreSQL's own catalogs are left alone, and so are unqualified
 * column names (which the statement's tests run).
 */
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { AUDIT_COLUMNS, TABLE_NAMES, TABLES } from '../src/persistence/schema/tables.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PERSISTENCE = join(ROOT, 'src', 'persistence')

const COLUMNS = new Map<string, ReadonlySet<string>>(
  TABLE_NAMES.map((t) => [
    t,
    new Set([...Object.keys(TABLES[t].columns), ...Object.keys(AUDIT_COLUMNS)]),
  ]),
)

/** Words that may follow a table reference and are not its alias. */
const NOT_ALIAS = new Set(
  'where on using join left right inner full outer cross natural set order group limit offset returning values select for union except intersect having window as with and or not lateral into default do from skip nowait of'.split(
    ' ',
  ),
)

/** Every template literal of a TypeScript source (nested `${}` replaced by a placeholder). */
export function templates(source: string): string[] {
  const found: string[] = []
  let i = 0
  while ((i = source.indexOf('`', i)) >= 0) {
    let text = ''
    let j = i + 1
    while (j < source.length && source[j] !== '`') {
      if (source[j] === '\\') {
        text += source.slice(j, j + 2)
        j += 2
      } else if (source.startsWith('${', j)) {
        let depth = 1
        j += 2
        while (j < source.length && depth > 0) {
          if (source[j] === '{') depth++
          else if (source[j] === '}') depth--
          else if (source[j] === '`') {
            // A template inside the interpolation: skip to its end.
            j = source.indexOf('`', j + 1)
          }
          j++
        }
        text += ' $x '
      } else text += source[j++]
    }
    found.push(text)
    i = j + 1
  }
  return found
}

/** The SQL-looking texts among them, lower-cased, string literals emptied. */
export function sqlTexts(source: string): string[] {
  return templates(source)
    .map((t) => t.toLowerCase().replace(/'(?:[^']|'')*'/g, "''"))
    .filter((t) => /\b(select|insert|update|delete)\b/.test(t) && /\b(from|into|update)\b/.test(t))
}

/** PostgreSQL's system columns, which every table has. */
const SYSTEM_COLUMNS = new Set(['xmin', 'xmax', 'ctid', 'tableoid', 'cmin', 'cmax'])

/**
 * The names a text defines for itself: CTEs (`name as (`, `with name`). A file may build one
 * statement from several templates, so the caller passes the names of all of them.
 */
export function localNames(texts: readonly string[]): Set<string> {
  const local = new Set<string>()
  for (const text of texts) {
    for (const m of text.matchAll(
      /\b([a-z_]\w*)\s*(?:\([\w\s,]*\))?\s+as\s+(?:not\s+)?(?:materialized\s+)?\(/g,
    )) {
      local.add(m[1] as string)
    }
    for (const m of text.matchAll(/\bwith\s+(?:recursive\s+)?([a-z_]\w*)/g))
      local.add(m[1] as string)
  }
  return local
}

/** What is wrong with one SQL text: unknown tables and `alias.column`s. */
export function problems(text: string, local = localNames([text])): string[] {
  const found: string[] = []
  const aliases = new Map<string, string>()
  // The alias is read ahead, not consumed: `from h join aspect t` must still see `join aspect`.
  const refs =
    /\b(?:from|join|into|update|only)\s+([a-z_][\w.]*)(\s*\()?(?=(?:\s+(?:as\s+)?([a-z_]\w*))?)/g
  for (const m of text.matchAll(refs)) {
    const name = m[1] as string
    if (m[2] !== undefined) continue // a function: unnest(…), jsonb_to_recordset(…)
    if (local.has(name) || name.startsWith('pg_') || name.startsWith('information_schema')) continue
    if (NOT_ALIAS.has(name) || name === 'x' || name === 'only') continue
    if (!COLUMNS.has(name)) {
      found.push(`table ${name} is not in the manifest`)
      continue
    }
    const alias = m[3]
    aliases.set(name, name)
    if (alias !== undefined && !NOT_ALIAS.has(alias)) aliases.set(alias, name)
  }
  for (const m of text.matchAll(/\b([a-z_]\w*)\.([a-z_]\w*)\b/g)) {
    const table = aliases.get(m[1] as string)
    if (table === undefined || local.has(m[1] as string)) continue
    if (
      !SYSTEM_COLUMNS.has(m[2] as string) &&
      !(COLUMNS.get(table) as ReadonlySet<string>).has(m[2] as string)
    ) {
      found.push(`${m[1]}.${m[2]}: ${table} has no column ${m[2]}`)
    }
  }
  return found
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
}

describe('raw SQL in src/persistence', () => {
  it('finds typos in tables and qualified columns (the check can fail)', () => {
    assert.deepEqual(problems('select c.revison from catalog c where c.catalog_id = $x'), [
      'c.revison: catalog has no column revison',
    ])
    assert.deepEqual(problems('delete from hierarchy_entity_lst where catalog_id = $x'), [
      'table hierarchy_entity_lst is not in the manifest',
    ])
    // An alias that follows a CTE reference: `from h join aspect t` still sees `join aspect t`.
    assert.deepEqual(
      problems('with h as (select 1) select t.map_ordr from h join aspect t on true'),
      ['t.map_ordr: aspect has no column map_ordr'],
    )
    assert.deepEqual(
      problems(
        'with recursive walk as (select n.node_id from hierarchy_entity_tree_node n join walk w on n.parent_node_id = w.node_id) select * from walk, unnest($x::uuid[]) as u(id)',
      ),
      [],
    )
  })

  it('names only tables and columns of the manifest', () => {
    const found: string[] = []
    let texts = 0
    for (const file of sources(PERSISTENCE)) {
      const source = readFileSync(file, 'utf8')
      const local = localNames(templates(source).map((t) => t.toLowerCase()))
      for (const text of sqlTexts(source)) {
        texts++
        for (const problem of problems(text, local))
          found.push(`${relative(ROOT, file)}: ${problem}`)
      }
    }
    assert.ok(texts >= 40, `read only ${texts} SQL texts`)
    assert.deepEqual(found, [])
  })
})

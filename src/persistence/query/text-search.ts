import { sql, type Kysely } from 'kysely'
import { CheapValidationError } from '../../errors.ts'
import type { CheapDatabase } from '../schema/database.ts'
import type { TextSearch } from './evaluate.ts'

type Db = Kysely<CheapDatabase>

/** Configurations found to exist, per DAO context (`memo`): a query needs no look-up for them. */
const KNOWN = new WeakMap<object, Set<string>>()

/**
 * Refuses text search configurations the database does not have (a backend may lack one that
 * another has), before any statement names them. With `memo` (an object living as long as the
 * database connection, e.g. the DAO's def cache) a configuration seen once is not looked up
 * again: configurations are created with the database and effectively never dropped.
 */
export async function checkLanguagesExist(
  db: Db,
  languages: Iterable<string>,
  memo?: object,
): Promise<void> {
  const known = memo === undefined ? undefined : KNOWN.get(memo)
  const wanted = [...new Set(languages)].filter((l) => known?.has(l) !== true)
  if (wanted.length === 0) return
  const missing = await sql<{
    name: string
  }>`select c.name from unnest(${wanted}::text[]) as c(name)
    where not exists (select 1 from pg_ts_config t where t.cfgname = c.name and pg_ts_config_is_visible(t.oid))`.execute(
    db,
  )
  const first = missing.rows[0]
  if (first !== undefined) {
    throw new CheapValidationError(
      `this database has no text search configuration '${first.name}' (see pg_ts_config; 'simple' and 'english' are built in)`,
      { reason: 'INVALID_ARGUMENT' },
    )
  }
  if (memo !== undefined) {
    const set = known ?? new Set<string>()
    for (const l of wanted) set.add(l)
    KNOWN.set(memo, set)
  }
}

function key(document: string, query: string, language: string): string {
  return JSON.stringify([language, query, document])
}

/**
 * Asks the database, in one statement, every `to_tsvector(language, document) @@
 * websearch_to_tsquery(language, query)` in `searches`, and returns them as a {@link TextSearch}
 * (which refuses a question it was not asked, rather than guess).
 */
export async function askTextSearch(
  db: Db,
  searches: readonly { document: string; query: string; language: string }[],
): Promise<TextSearch> {
  const answers = new Map<string, boolean>()
  const distinct = new Map(searches.map((s) => [key(s.document, s.query, s.language), s]))
  if (distinct.size > 0) {
    const list = [...distinct.values()]
    await checkLanguagesExist(
      db,
      list.map((s) => s.language),
    )
    const rows = await sql<{ i: string; m: boolean }>`select x.i::text as i,
        to_tsvector(x.c::regconfig, x.d) @@ websearch_to_tsquery(x.c::regconfig, x.q) as m
      from unnest(${list.map((s) => s.language)}::text[], ${list.map((s) => s.query)}::text[],
        ${list.map((s) => s.document)}::text[]) with ordinality as x(c, q, d, i)`.execute(db)
    for (const row of rows.rows) {
      const s = list[Number(row.i) - 1] as { document: string; query: string; language: string }
      answers.set(key(s.document, s.query, s.language), row.m)
    }
  }
  return (document, query, language) => {
    const answer = answers.get(key(document, query, language))
    if (answer === undefined) throw new Error('internal: a text search that was not asked')
    return answer
  }
}

/**
 * Whether `websearch_to_tsquery(language, query)` is monotone in the words present (no `!`
 * negation and no `<->` phrase, whose positions a joined document may shift past PostgreSQL's
 * 16383 limit): then a list whose element matches also matches as one joined document, so the
 * joined document's GIN index can prefilter a multivalued dedicated column.
 */
export async function monotoneQueries(
  db: Db,
  queries: readonly { query: string; language: string }[],
): Promise<ReadonlySet<string>> {
  const out = new Set<string>()
  if (queries.length === 0) return out
  const rows = await sql<{ c: string; q: string; t: string }>`select x.c, x.q,
      websearch_to_tsquery(x.c::regconfig, x.q)::text as t
    from unnest(${queries.map((q) => q.language)}::text[], ${queries.map((q) => q.query)}::text[]) as x(c, q)`.execute(
    db,
  )
  for (const row of rows.rows) {
    if (!/[!<]/.test(row.t)) out.add(JSON.stringify([row.c, row.q]))
  }
  return out
}

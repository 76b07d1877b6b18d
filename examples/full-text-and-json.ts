/**
 * Full-text search over text properties, and aspects as JSON from plain SQL.
 *
 *   npx tsx examples/full-text-and-json.ts    (or: node --import tsx examples/full-text-and-json.ts)
 *
 * Runs on embedded PGlite in memory unless DATABASE_URL names a server (then it writes into
 * that database's public schema). In your own project, import from 'cheap-db-postgres'.
 */
import { sql } from 'kysely'
import {
  PostgresAdapter,
  PostgresSchema,
  PostgresDao,
  aspectsJson,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
} from '../src/index.ts'

const article = createAspectDef({
  name: 'com.example.article',
  properties: [
    createPropertyDef({ name: 'title', type: 'STR', isNullable: false }),
    createPropertyDef({ name: 'body', type: 'TXT' }),
    createPropertyDef({ name: 'tags', type: 'STR', isMultivalued: true }),
    createPropertyDef({ name: 'views', type: 'INT' }),
  ],
})
const catalog = createCatalog({ species: 'SINK' })
const articles = catalog.extend(article)
const titles = new Map<string, string>()
for (const [title, body, tags, views] of [
  [
    'Running shoes reviewed',
    'We ran in ten pairs of shoes. The runners liked two.',
    ['sport'],
    120n,
  ],
  ['Bread at home', 'Knead, rest, bake: a loaf runs on patience.', ['food'], 2n ** 60n],
  [
    'The marathon diaries',
    'Running a marathon: running, running and more running.',
    ['sport', 'diary'],
    7n,
  ],
] as const) {
  const id = newEntityId()
  titles.set(id, title)
  articles.add(createAspect(article, id, { title, body, tags: [...tags], views }))
}

const adapter = await PostgresAdapter.fromEnv()
try {
  await PostgresSchema.createSchema(adapter)
  const dao = new PostgresDao(adapter)
  await dao.saveCatalog(catalog)
  // GIN indexes on to_tsvector('english', …): what matches() uses (idempotent).
  await dao.indexProperty(article.name, 'body', { fullText: { language: 'english' } })
  await dao.indexProperty(article.name, 'tags', { fullText: {} })

  // English stemming: "run" finds "runs" and "running", not "ran" or "runners" (a stemmer
  // cuts suffixes, it knows no dictionary); "the" alone is a stop word and matches nothing.
  const run = await dao.findEntities(catalog.globalId, article, (p) => p('body').matches('run'), {
    orderBy: { relevance: true },
  })
  console.log(`'run', most relevant first: ${run.map((id) => titles.get(id)).join(' | ')}`)
  const phrase = await dao.findEntities(catalog.globalId, article, (p) =>
    p.and(p('body').matches('"marathon running" -bread'), p('tags').matches('diary')),
  )
  console.log(`phrase and tag: ${phrase.map((id) => titles.get(id)).join(' | ')}`)
  const stop = await dao.findEntities(catalog.globalId, article, (p) => p('body').matches('the'))
  console.log(`'the' (a stop word) matches: ${stop.length}`)

  // The same predicate in memory: the database answers only the text-search questions.
  const inMemory = await dao.evaluatePredicate([...articles.aspects()], (p) =>
    p('body').matches('run'),
  )
  console.log(`in memory agrees: ${inMemory.filter(Boolean).length === run.length}`)

  // Aspects as JSONB, from SQL (what psql or a BI tool would run)…
  const { rows } = await sql<{ title: string; views: unknown }>`
    select aspect->>'title' as title, aspect->'views' as views
    from cheap_aspects_json(${catalog.globalId}::uuid, ${article.name})
    where aspect->'tags' ? 'sport'`.execute(adapter.db)
  for (const row of rows) console.log(`sql: ${row.title}, views ${JSON.stringify(row.views)}`)
  // …and typed through Kysely (INT beyond 2^53 arrives as a string, so nothing is rounded).
  const typed = await aspectsJson(catalog.globalId, article).execute(adapter.db)
  const bread = typed.rows.find((r) => r.aspect.title === 'Bread at home')
  console.log(`typed: views of bread = ${JSON.stringify(bread?.aspect.views)}`)
} finally {
  await adapter.close()
}

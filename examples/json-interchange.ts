/**
 * JSON interchange with the Java `cheap-json` module: write a catalog as JSON (as a string or
 * streamed to a file), read it back losslessly, and store what was read.
 *
 *   npx tsx examples/json-interchange.ts
 *
 * The same files work with the command line: `cheap import file.json`, `cheap export <id>`.
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { DateTime } from 'luxon'
import {
  PostgresAdapter,
  PostgresDao,
  PostgresSchema,
  catalogDiff,
  catalogFromJson,
  catalogToJson,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  isCheapError,
  newEntityId,
  writeCatalogJson,
} from '../src/index.ts'

const reading = createAspectDef({
  name: 'com.example.reading',
  properties: [
    createPropertyDef({ name: 'sensor', type: 'STR', isNullable: false }),
    createPropertyDef({ name: 'at', type: 'DAT' }),
    createPropertyDef({ name: 'value', type: 'BGF' }), // exact decimals, as canonical strings
    createPropertyDef({ name: 'count', type: 'INT' }),
    createPropertyDef({ name: 'raw', type: 'BLB' }),
  ],
})
const catalog = createCatalog({ species: 'SOURCE', uri: 'https://example.com/readings' })
const readings = catalog.extend(reading)
const log = catalog.createEntityList('log')
for (let i = 0; i < 3; i++) {
  const id = newEntityId()
  readings.add(
    createAspect(reading, id, {
      sensor: `s-${i}`,
      at: DateTime.fromISO(`2024-05-0${i + 1}T12:00:00.250`, { zone: 'Europe/Paris' }),
      value: `${i}.50`,
      count: 9007199254740993n + BigInt(i), // beyond 2^53: stays exact in JSON
      raw: new Uint8Array([0xca, 0xfe, i]),
    }),
  )
  log.add(id)
}

// 1. A string: compact by default, the Java writer's layout with `pretty`.
const text = catalogToJson(catalog, { pretty: true })
console.log(`JSON: ${text.length} characters, starts with ${JSON.stringify(text.slice(0, 16))}`)

// 2. Streamed to a file in chunks of about 64 KiB: a large catalog is never one string.
const dir = await mkdtemp(join(tmpdir(), 'cheap-json-'))
try {
  const file = join(dir, 'readings.json')
  const out = createWriteStream(file)
  writeCatalogJson(catalog, (chunk) => out.write(chunk), { pretty: true })
  out.end()
  await finished(out)

  // 3. Read back: the same catalog, exactly (decimals, 64-bit integers, zones, bytes).
  const back = catalogFromJson(await readFile(file, 'utf8'))
  console.log(`read back from the file: ${catalogDiff(back, catalog) ?? 'equal'}`)

  // 4. What was read can be stored like any catalog.
  const adapter = await PostgresAdapter.fromEnv()
  try {
    await PostgresSchema.createSchema(adapter)
    const dao = new PostgresDao(adapter)
    const { revision } = await dao.saveCatalog(back)
    const loaded = await dao.loadCatalog(back.globalId)
    console.log(
      `stored at revision ${revision}; loaded: ${loaded === null ? 'missing' : (catalogDiff(loaded, catalog) ?? 'equal')}`,
    )
  } finally {
    await adapter.close()
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}

// 5. Bad input says where: a validation error with the JSON path of the bad value.
try {
  catalogFromJson(text.replace('"s-1"', '42'))
} catch (error) {
  if (!isCheapError(error, 'VALIDATION')) throw error
  console.log(`rejected: ${error.message}`)
}

import { PGlite } from '@electric-sql/pglite'
import { PostgresAdapter } from './src/persistence/connection/adapter.ts'
import { PostgresSchema } from './src/persistence/schema/postgres-schema.ts'
let t = performance.now()
const lap = (s: string) => { const n = performance.now(); console.log(s, (n - t).toFixed(0), 'ms'); t = n }
const p = await PGlite.create(); lap('create')
const c = await p.clone() as PGlite; lap('clone')
const a = await PostgresAdapter.embedded({ pglite: c }); lap('adapter')
await PostgresSchema.createSchema(a, { includeAudit: false }); lap('createSchema')
const c2 = await c.clone() as PGlite; lap('clone with schema')
const blob = await c.dumpDataDir('none'); lap('dump ' + blob.size)
const p3 = await PGlite.create({ loadDataDir: blob }); lap('create from dump')
const pg = await PostgresAdapter.create({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' }, { schema: 'cheap_tmp_x1', poolSize: 4 }); lap('pg adapter')
await PostgresSchema.createSchema(pg, { includeAudit: false }); lap('pg createSchema')
await PostgresSchema.dropSchema(pg); lap('pg drop')
await pg.close()

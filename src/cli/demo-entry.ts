import { runDemo } from './demo.ts'

// `npm run demo`: embedded PGlite unless DATABASE_URL names a server.
const url = process.env['DATABASE_URL']
const result = await runDemo({ url: url === undefined || url === '' ? undefined : url })
process.exitCode = result.equal ? 0 : 1

#!/usr/bin/env node
/**
 * The `cheap` command: `cheap --help` lists the commands. Installed, it runs as
 * dist/src/cli/main.js; in a clone, `npx cheap` (bin/cheap) or `npm run cheap --` run this
 * file through tsx.
 */
import { runCli } from './run.ts'

// `cheap export … | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

process.exitCode = await runCli(process.argv.slice(2))

import { createInterface } from 'node:readline'
import { booleanOption, type OptionSpec, type OptionValues } from './args.ts'
import type { CommandContext } from './context.ts'
import { CliError, EXIT, UsageError } from './exit-codes.ts'

/** The option every destructive command takes. */
export const YES_OPTION: OptionSpec = {
  type: 'boolean',
  short: 'y',
  description: 'do not ask for confirmation (required when stdin is not a terminal)',
}

/** True when stdin is a terminal, where a person can answer a question. */
function onTerminal(ctx: CommandContext): boolean {
  return (ctx.io.stdin as { isTTY?: boolean }).isTTY === true
}

/**
 * Before a destructive command opens the database: without --yes it must be able to ask, so a
 * script (stdin not a terminal) is refused with a usage error and nothing is touched.
 */
export function requireConsent(ctx: CommandContext, values: OptionValues, command: string): void {
  if (booleanOption(values, 'yes') || onTerminal(ctx)) return
  throw new UsageError(
    `\`${command}\` deletes data and stdin is not a terminal to ask on: pass --yes to confirm`,
    `run \`${command} --yes\``,
  )
}

/**
 * Asks `question [y/N]` on stderr and reads the answer from stdin, unless --yes was given.
 * Anything but y/yes (or end of input) cancels: exit code 1, nothing done.
 */
export async function confirm(
  ctx: CommandContext,
  values: OptionValues,
  question: string,
  nothing: string,
): Promise<void> {
  if (booleanOption(values, 'yes')) return
  ctx.progress.done()
  ctx.io.stderr.write(`${question} [y/N] `)
  const answer = await readLine(ctx)
  if (answer === undefined) ctx.io.stderr.write('\n')
  if (/^\s*y(es)?\s*$/i.test(answer ?? '')) return
  throw new CliError(EXIT.UNEXPECTED, `cancelled: ${nothing}`, 'pass --yes to skip the question')
}

/** One line of stdin, or undefined at its end. */
function readLine(ctx: CommandContext): Promise<string | undefined> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: ctx.io.stdin, terminal: false })
    let answered = false
    lines.once('line', (line) => {
      answered = true
      resolve(line)
      lines.close()
    })
    lines.once('close', () => {
      if (!answered) resolve(undefined)
    })
  })
}

import type { OptionSpecs, OptionValues } from './args.ts'
import type { CommandContext } from './context.ts'
import type { ExitCode } from './exit-codes.ts'

export interface CommandArgs {
  readonly positionals: readonly string[]
  readonly values: OptionValues
  /** For pass-through commands: every argument after the command name, as given. */
  readonly rest: readonly string[]
}

/** One `cheap` command: its help text, its options, and what it does. */
export interface CommandSpec {
  readonly name: string
  /** One line for the command list. */
  readonly summary: string
  /** The arguments as shown in the command list, e.g. `<catalog-id>`. */
  readonly synopsis: string
  readonly usage: readonly string[]
  readonly description: readonly string[]
  readonly options: OptionSpecs
  readonly positionals: { readonly min: number; readonly max: number }
  readonly examples: readonly string[]
  /** Unknown options are not errors: the arguments go to another program (`bench`). */
  readonly passThrough?: boolean
  /** Returns the exit code, or nothing for success. */
  run(ctx: CommandContext, args: CommandArgs): Promise<ExitCode | undefined>
}

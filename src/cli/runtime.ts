/**
 * Which JavaScript runtime runs this process, and how to start another TypeScript program on
 * the same one. Node runs TypeScript through tsx (`--import tsx`); Bun and Deno run it natively
 * and know nothing of `--import` (Deno's `deno --import …` is an error), so a child started as
 * `process.execPath --import tsx file.ts` only works on Node.
 */
export type RuntimeName = 'node' | 'bun' | 'deno'

export interface Runtime {
  readonly name: RuntimeName
  /** The runtime's own version, e.g. `22.23.5`, `1.4.5`, `2.9.6` (no leading `v`). */
  readonly version: string
  /** For people: `Node 22.23.5`, `Bun 1.4.5`, `Deno 2.9.6`. */
  readonly label: string
}

/**
 * The runtime of this process. Bun and Deno both emulate Node's `process` and report a Node
 * version in `process.version`, so they are told apart by their own entries in
 * `process.versions`.
 */
export function currentRuntime(): Runtime {
  const versions = process.versions as NodeJS.ProcessVersions & {
    readonly bun?: string
    readonly deno?: string
  }
  if (versions.bun !== undefined)
    return { name: 'bun', version: versions.bun, label: `Bun ${versions.bun}` }
  if (versions.deno !== undefined) {
    return { name: 'deno', version: versions.deno, label: `Deno ${versions.deno}` }
  }
  return { name: 'node', version: versions.node, label: `Node ${versions.node}` }
}

/**
 * The V8 flags of this Node process that a Node child must be started with too: the ones Node
 * refuses in `NODE_OPTIONS`, so a child can only get them on its command line.
 *
 * `--no-memory-protection-keys` is the one that matters: CI starts Node 22 and 24 with it, as
 * first reported for the Node 24 PGlite crash (nodejs/node#64500). That crash is a V8 13.6
 * double free in wasm code GC, which the library itself now turns off before its first PGlite
 * (persistence/connection/pglite-runtime.ts); a parent started with the flag still wants its
 * children started with it.
 */
export function inheritedNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return execArgv.filter((flag) => INHERITED_FLAGS.has(flag))
}

const INHERITED_FLAGS = new Set(['--no-memory-protection-keys'])

/** A program and its arguments, for `spawn`/`execFile`. */
export interface Command {
  readonly command: string
  readonly args: readonly string[]
}

/**
 * How to run the TypeScript file `script` with `args` on the runtime of this process: Node as
 * `node --import <tsx> script`, Bun as `bun script`, Deno as `deno run -A script` (a child of
 * a development tool gets every permission, as it would on Node). `tsx` is the loader to use on
 * Node, as a specifier or an absolute URL; `nodeOptions` go before it (e.g.
 * `--max-old-space-size=…`, which only Node understands), after this process's
 * {@link inheritedNodeFlags}.
 */
export function typeScriptCommand(
  script: string,
  args: readonly string[] = [],
  options: { readonly tsx?: string; readonly nodeOptions?: readonly string[] } = {},
): Command {
  const runtime = currentRuntime()
  if (runtime.name === 'bun') return { command: process.execPath, args: [script, ...args] }
  if (runtime.name === 'deno') {
    return { command: process.execPath, args: ['run', '-A', script, ...args] }
  }
  return {
    command: process.execPath,
    args: [
      ...inheritedNodeFlags(),
      ...(options.nodeOptions ?? []),
      '--import',
      options.tsx ?? 'tsx',
      script,
      ...args,
    ],
  }
}

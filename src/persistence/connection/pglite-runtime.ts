/**
 * Whether this process's V8 has the WebAssembly wrapper double-free that kills PGlite processes
 * on Node 24 (nodejs/node#64500): V8 13.6's `WasmImportWrapperCache::MaybeGet` takes a reference
 * to an import wrapper that wasm code GC is already freeing on another thread, and the wrapper is
 * freed twice when that reference goes. The process then aborts with `Check failed:
 * jit_page_->allocations_.erase(addr) == 1` (or `jit_page.has_value()`) in V8's JIT-page
 * bookkeeping, or segfaults. PGlite hits it under create/close churn: our CI lost a test file's
 * process and an example's to it. V8 fixed it in 13.7 (crbug 409379692); Node 24 ships 13.6 and
 * has no backport. Node 22 (V8 12.4) keeps import wrappers per module and is not affected; Bun
 * (JavaScriptCore) and Deno (its own V8, which reports a Deno version) are left alone.
 */
export function hasWasmWrapperDoubleFree(versions: {
  readonly v8?: string | undefined
  readonly bun?: string | undefined
  readonly deno?: string | undefined
}): boolean {
  if (versions.bun !== undefined || versions.deno !== undefined) return false
  return /^13\.6\./.test(versions.v8 ?? '')
}

let applied = false

/**
 * Before the first PGlite of the process: on an affected V8, turns off wasm code GC, the only
 * thing that frees import wrappers. Measured: with it off, PGlite churn runs no wasm code GC at
 * all (`--trace-wasm-code-gc` prints nothing), and the code PGlite compiles is kept for the
 * process's life instead — PGlite already keeps its compiled module for the process, so what
 * stays is the wrappers and the baseline code of tiered-up functions, a few hundred KB. The
 * flag is V8's own (`node --no-wasm-code-gc` does the same at start-up); set it yourself, or
 * not at all, with `CHEAP_KEEP_WASM_CODE_GC=1`.
 */
export async function preparePgliteRuntime(): Promise<void> {
  if (applied) return
  applied = true
  if (process.env['CHEAP_KEEP_WASM_CODE_GC'] === '1') return
  if (!hasWasmWrapperDoubleFree(process.versions)) return
  const v8 = await import('node:v8')
  v8.setFlagsFromString('--no-wasm-code-gc')
}

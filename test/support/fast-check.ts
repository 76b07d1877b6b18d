/**
 * Runs fast-check properties under node:test with knobs from the environment:
 *
 * - `CHEAP_FC_RUNS=500` — number of runs (default: fast-check's 100, or the `numRuns` passed)
 * - `CHEAP_FC_SEED=-123456` and optionally `CHEAP_FC_PATH=3:1:0` — replay a failure (the
 *   values apply to every property run, so pick the failing test with `--test-name-pattern`)
 *
 * On failure the seed and path are written to stderr (`console.error`) as well as into the
 * thrown error's message, so they are visible in node:test output however it is reported.
 */
import fc from 'fast-check'

function envInteger(name: string): number | undefined {
  const text = process.env[name]
  if (text === undefined || text.trim() === '') return undefined
  const value = Number(text)
  if (!Number.isInteger(value))
    throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`)
  return value
}

/** The parameters after applying `CHEAP_FC_RUNS`, `CHEAP_FC_SEED` and `CHEAP_FC_PATH`. */
export function propertyParameters<T>(params: fc.Parameters<T> = {}): fc.Parameters<T> {
  const numRuns = envInteger('CHEAP_FC_RUNS')
  const seed = envInteger('CHEAP_FC_SEED')
  const path = process.env['CHEAP_FC_PATH']
  return {
    ...params,
    ...(numRuns === undefined ? {} : { numRuns }),
    ...(seed === undefined ? {} : { seed }),
    ...(seed === undefined || path === undefined || path === '' ? {} : { path }),
  }
}

function report<T>(details: fc.RunDetails<T>, message: string): never {
  const replay = `CHEAP_FC_SEED=${details.seed}${
    details.counterexamplePath === null ? '' : ` CHEAP_FC_PATH=${details.counterexamplePath}`
  }`
  console.error(
    `fast-check failed: seed ${details.seed}, path ${String(details.counterexamplePath)}; replay with ${replay}`,
  )
  throw new Error(`${message}\n\nReplay with ${replay}`, {
    cause: details.errorInstance ?? undefined,
  })
}

/**
 * `fc.assert` with the environment's runs and seed, reporting seed and path on failure.
 * Returns a promise for an async property.
 *
 * @example
 * ```ts
 * it('accepts every generated catalog', () => assertProperty(fc.property(catalogArb(), check)))
 * it('round-trips', () => assertProperty(fc.asyncProperty(catalogArb(), roundTrip), { numRuns: 30 }))
 * ```
 */
export function assertProperty<Ts>(property: fc.IProperty<Ts>, params?: fc.Parameters<Ts>): void
export function assertProperty<Ts>(
  property: fc.IAsyncProperty<Ts>,
  params?: fc.Parameters<Ts>,
): Promise<void>
export function assertProperty<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  params?: fc.Parameters<Ts>,
): void | Promise<void> {
  const parameters = propertyParameters(params)
  if (property.isAsync()) {
    return fc.check(property as fc.IAsyncProperty<Ts>, parameters).then(async (details) => {
      if (details.failed)
        report(details, (await fc.asyncDefaultReportMessage(details)) ?? 'property failed')
    })
  }
  const details = fc.check(property as fc.IProperty<Ts>, parameters)
  if (details.failed) report(details, fc.defaultReportMessage(details) ?? 'property failed')
}

import { performance } from 'node:perf_hooks'

export interface Latency {
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly samples: number
}

/** Runs `operation` `samples` times (after a few warm-ups) and returns percentiles in ms. */
export async function measureLatency(
  samples: number,
  operation: (i: number) => Promise<unknown>,
): Promise<Latency> {
  for (let i = 0; i < Math.min(20, samples); i++) await operation(i)
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    const started = performance.now()
    await operation(i)
    times.push(performance.now() - started)
  }
  return latencyOf(times)
}

/** Percentiles, in ms rounded to 0.01, of measured times (any order). */
export function latencyOf(times: readonly number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b)
  const at = (q: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0)
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), samples: sorted.length }
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

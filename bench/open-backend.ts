import { PostgresAdapter } from '../src/persistence/connection/adapter.ts'

/** Where a benchmark run keeps its database: a server schema, or a PGlite data directory. */
export interface BenchTarget {
  readonly url?: string | undefined
  readonly schema?: string | undefined
  readonly dataDir?: string | undefined
}

export function openTarget(target: BenchTarget): Promise<PostgresAdapter> {
  return target.url === undefined
    ? PostgresAdapter.embedded({ dataDir: target.dataDir })
    : PostgresAdapter.create(
        { connectionString: target.url },
        { schema: target.schema, poolSize: 2 },
      )
}

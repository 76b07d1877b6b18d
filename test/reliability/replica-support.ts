/**
 * The replica tests run against our own primary and streaming standby (scripts/replica-cluster.sh,
 * started by .ci/run): registered only when its `env` variables are set, so no skipped test is
 * left behind elsewhere; in CI they are set, so these suites run.
 */
import { execFile } from 'node:child_process'
import { describe } from 'node:test'
import { promisify } from 'node:util'
import pg from 'pg'

export interface ReplicaCluster {
  readonly primaryUrl: string
  readonly replicaUrl: string
  /** `15/cheap_replica`: what pg_ctlcluster needs to stop and start the standby. */
  readonly replicaCluster: string
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

const primaryUrl = nonEmpty(process.env['CHEAP_TEST_PRIMARY_URL'])
const replicaUrl = nonEmpty(process.env['CHEAP_TEST_REPLICA_URL'])
const replicaCluster = nonEmpty(process.env['CHEAP_TEST_REPLICA_CLUSTER'])

/** `describe('replicas: …')` when the replica cluster's variables are set; nothing otherwise. */
export function describeOnReplicas(title: string, fn: (cluster: ReplicaCluster) => void): void {
  if (primaryUrl === undefined || replicaUrl === undefined) return
  if (replicaCluster === undefined) {
    throw new Error('CHEAP_TEST_REPLICA_URL is set but CHEAP_TEST_REPLICA_CLUSTER is not')
  }
  describe(`replicas: ${title}`, () => fn({ primaryUrl, replicaUrl, replicaCluster }))
}

const run = promisify(execFile)

/** Stops or starts the standby (as root, bypassing systemd as the script does). */
export async function standby(cluster: ReplicaCluster, action: 'stop' | 'start'): Promise<void> {
  const [version, name] = cluster.replicaCluster.split('/') as [string, string]
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, action, '-m', 'fast'])
}

/** One statement on a node as its superuser, outside any adapter. */
export async function onNode<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(text)).rows
  } finally {
    await client.end()
  }
}

/** Waits until the standby has replayed everything the primary had written when called. */
export async function caughtUp(cluster: ReplicaCluster, timeoutMs = 15_000): Promise<void> {
  const [row] = await onNode<{ lsn: string }>(
    cluster.primaryUrl,
    'select pg_current_wal_insert_lsn()::text as lsn',
  )
  const target = row?.lsn ?? '0/0'
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const [r] = await onNode<{ done: boolean }>(
        cluster.replicaUrl,
        `select pg_last_wal_replay_lsn() >= '${target}'::pg_lsn as done`,
      )
      if (r?.done === true) return
    } catch {
      // starting up: try again
    }
    if (Date.now() > deadline) throw new Error(`the standby did not replay up to ${target}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

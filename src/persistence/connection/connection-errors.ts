import { CheapConnectionError, isCheapError } from '../../errors.ts'

const FALLBACK_ADVICE = 'set DATABASE_URL, or leave it unset to use the embedded database'

/**
 * Turns a failed first connection into a {@link CheapConnectionError} that names the target
 * (password already masked by the caller) and says what to do about it.
 */
export function toConnectionError(
  error: unknown,
  target: string,
  connectTimeoutMs: number,
): CheapConnectionError {
  if (isCheapError(error, 'CONNECTION')) return error as CheapConnectionError
  const fields =
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {}
  const code = typeof fields['code'] === 'string' ? fields['code'] : ''
  const message = error instanceof Error ? error.message : String(error)
  const because = (reason: string, advice: string) =>
    new CheapConnectionError(`${reason}: ${advice}`, { cause: error, target })

  switch (code) {
    case 'ECONNREFUSED':
      return because(
        `cannot reach PostgreSQL at ${target} (ECONNREFUSED)`,
        `is the server running? ${FALLBACK_ADVICE}`,
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return because(
        `cannot resolve the host of ${target} (${code})`,
        `check the host name, or ${FALLBACK_ADVICE}`,
      )
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return because(
        `cannot reach PostgreSQL at ${target} (${code})`,
        `check the host, the port and the firewall, or ${FALLBACK_ADVICE}`,
      )
    case '28P01':
    case '28000':
      return because(
        `PostgreSQL at ${target} refused the login (${code}: ${message})`,
        'check the user name and password, and pg_hba.conf on the server',
      )
    case '3D000':
      return because(
        `the database of ${target} does not exist (3D000)`,
        'create it (createdb) or correct the database name',
      )
    case '57P03':
      return because(
        `PostgreSQL at ${target} is not accepting connections yet (57P03)`,
        'wait for it to finish starting up and try again',
      )
  }
  // PgBouncer (transaction or statement pooling) refuses the startup `options` that carry the
  // adapter's session settings.
  const unsupported = /unsupported startup parameter: (\S+)/.exec(message)
  if (unsupported !== null) {
    return because(
      `${target} refused the startup parameter \`${unsupported[1]}\` (${code}): it is a pooler such as PgBouncer`,
      'with PgBouncer in transaction pooling, pass transactionPooling: true to the adapter or ' +
        'add ?pgbouncer=true to the connection string',
    )
  }
  if (/timeout|timed out/i.test(message)) {
    return because(
      `no answer from PostgreSQL at ${target} within ${connectTimeoutMs} ms`,
      `check that the host and port are right and reachable, or raise connectTimeoutMs`,
    )
  }
  return because(
    `cannot connect to PostgreSQL at ${target}${code === '' ? '' : ` (${code})`}: ${message}`,
    FALLBACK_ADVICE,
  )
}

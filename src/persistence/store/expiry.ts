import { sql, type RawBuilder } from 'kysely'
import { DateTime } from 'luxon'
import { CheapValidationError } from '../../errors.ts'

/**
 * `expires_at is null or expires_at > now()` on a catalog row (qualified with `alias`). A catalog
 * is live while its expiry is after the database's `now()`, the start of the reading
 * transaction: one snapshot sees one moment, and application clocks never decide. Every read
 * that finds catalogs filters with this, so an expired catalog is absent from the moment it
 * expires, purged or not.
 */
export function notExpired(alias?: string): RawBuilder<boolean> {
  const col = sql.ref(alias === undefined ? 'expires_at' : `${alias}.expires_at`)
  return sql<boolean>`(${col} is null or ${col} > now())`
}

/** What a save does with the catalog's expiry. */
export type ExpiryChange =
  | { readonly kind: 'keep' }
  | { readonly kind: 'clear' }
  | { readonly kind: 'at'; readonly at: Date }
  | { readonly kind: 'ttl'; readonly ms: number }

export interface ExpiryOptions {
  /** When the catalog expires (`null` clears an expiry); kept across re-saves when omitted. */
  readonly expiresAt?: DateTime | Date | null
  /** Expires this many milliseconds after the save, by the database's clock. */
  readonly ttlMs?: number
}

/** Checks the expiry options before any statement runs. */
export function expiryChange(options: ExpiryOptions, call: string): ExpiryChange {
  const { expiresAt, ttlMs } = options
  if (expiresAt !== undefined && ttlMs !== undefined) {
    throw new CheapValidationError(`${call}: give expiresAt or ttlMs, not both`, {
      reason: 'INVALID_ARGUMENT',
    })
  }
  if (ttlMs !== undefined) {
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > 1e15) {
      throw new CheapValidationError(
        `${call}: ttlMs must be a positive finite number of milliseconds, got ${String(ttlMs)}`,
        {
          reason: 'INVALID_ARGUMENT',
        },
      )
    }
    return { kind: 'ttl', ms: ttlMs }
  }
  if (expiresAt === undefined) return { kind: 'keep' }
  if (expiresAt === null) return { kind: 'clear' }
  const at = DateTime.isDateTime(expiresAt)
    ? expiresAt.isValid
      ? expiresAt.toJSDate()
      : null
    : expiresAt
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new CheapValidationError(
      `${call}: expiresAt must be a valid luxon DateTime, Date or null`,
      {
        reason: 'INVALID_ARGUMENT',
      },
    )
  }
  return { kind: 'at', at }
}

/** The SQL value of `expires_at` for a change other than `keep`. */
export function expiryValue(
  change: Exclude<ExpiryChange, { kind: 'keep' }>,
): RawBuilder<string | null> {
  switch (change.kind) {
    case 'clear':
      return sql<null>`null::timestamptz`
    case 'at':
      return sql<string>`${change.at.toISOString()}::timestamptz`
    case 'ttl':
      return sql<string>`now() + ${change.ms} * interval '1 millisecond'`
  }
}

/** `expires_at` as epoch milliseconds (float8), for a `Date` in summaries; null when none. */
export function expiresAtMillis(alias?: string): RawBuilder<number | null> {
  const col = sql.ref(alias === undefined ? 'expires_at' : `${alias}.expires_at`)
  return sql<number | null>`(extract(epoch from ${col}) * 1000)::float8`
}

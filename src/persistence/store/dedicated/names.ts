import { CheapValidationError } from '../../../errors.ts'
import { quoteIdentifier } from '../../schema/identifiers.ts'

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes. */
export const MAX_IDENTIFIER_BYTES = 63

/** The columns every dedicated table has besides the property columns. */
export const ID_COLUMNS = ['catalog_id', 'aspect_id', 'entity_id', 'aspect_def_id'] as const
/** Names of the absent properties of a row; NULL when none is absent. */
export const ABSENT_COLUMN = 'cheap_absent'

/** Column names PostgreSQL reserves for system columns, plus ours. */
const RESERVED = new Set<string>([
  ...ID_COLUMNS,
  ABSENT_COLUMN,
  'tableoid',
  'xmin',
  'cmin',
  'xmax',
  'cmax',
  'ctid',
  'oid',
  'created_at',
  'updated_at',
])

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/**
 * Checks a table or column name given by a caller: a letter or underscore, then letters, digits
 * and underscores, at most `maxBytes` bytes. Everything spliced into DDL passes here or comes from
 * the database catalog, and is double-quoted ({@link quoteIdentifier}) either way, so case is kept
 * exactly (`Person` and `person` are different tables).
 */
export function validateIdentifier(
  what: string,
  name: unknown,
  maxBytes = MAX_IDENTIFIER_BYTES,
): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || byteLength(name) > maxBytes) {
    throw new CheapValidationError(
      `invalid ${what} ${JSON.stringify(name)}: use letters, digits and underscores, not starting ` +
        `with a digit, at most ${maxBytes} characters`,
      { reason: 'INVALID_NAME' },
    )
  }
  return name
}

/** True when `name` may not be used for a property column (system and id columns). */
export function isReservedColumn(name: string): boolean {
  return RESERVED.has(name.toLowerCase())
}

/** `"name"`: double-quoted, so any name is safe in SQL. */
export function q(name: string): string {
  return quoteIdentifier(name)
}

/**
 * A SQL string literal that means `text` whatever `standard_conforming_strings` says: quotes are
 * doubled, and text with a backslash is written as an escape string (`E'…'`).
 */
export function sqlLiteral(text: string): string {
  if (text.includes('\0')) {
    throw new CheapValidationError('a name cannot contain the NUL character', {
      reason: 'INVALID_NAME',
    })
  }
  const quoted = text.replaceAll("'", "''")
  return text.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`
}

/** Room left for the `_scale` / `_zone` suffix of a BGF or DAT column. */
export const MAX_BASE_COLUMN_BYTES = MAX_IDENTIFIER_BYTES - '_scale'.length

/**
 * The default column for a property: lower case, runs of anything but `a-z0-9_` become one `_`
 * (accents are stripped first), `p_` in front of a leading digit or an empty result, cut to fit
 * the identifier limit with room for a `_scale`/`_zone` suffix.
 */
export function sanitizeColumnName(propertyName: string): string {
  let name = propertyName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
  if (name === '' || /^[0-9]/.test(name)) name = `p_${name}`
  if (isReservedColumn(name)) name = `p_${name}`
  return name.slice(0, MAX_BASE_COLUMN_BYTES - 4).replace(/_+$/, '') || 'p'
}

/** `base`, or `base_2`, `base_3`, … : the first that `taken` does not hold. */
export function uniqueName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base
  for (let i = 2; ; i++) {
    const candidate = `${base}_${i}`
    if (!taken(candidate)) return candidate
  }
}

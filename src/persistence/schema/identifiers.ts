import { CheapValidationError } from '../../errors.ts'

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * Checks a PostgreSQL schema name before it is spliced into SQL (`CREATE SCHEMA`, `search_path`):
 * a letter or underscore, then letters, digits and underscores, at most 63 bytes in all.
 */
export function validateSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new CheapValidationError(
      `invalid PostgreSQL schema name ${JSON.stringify(schema)}: use letters, digits and ` +
        'underscores, not starting with a digit, at most 63 characters',
      { reason: 'INVALID_NAME' },
    )
  }
  return schema
}

/** Double-quotes an identifier (`"My_Schema"`), so case is kept exactly. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

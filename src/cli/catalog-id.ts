import { CliError, EXIT } from './exit-codes.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A catalog id from the command line, checked before any database is opened. Upper case is
 * accepted (people paste ids from elsewhere) and lowered: stored ids are canonical lower case.
 */
export function checkCatalogId(text: string): string {
  if (!UUID.test(text)) {
    throw new CliError(
      EXIT.VALIDATION,
      `'${text}' is not a catalog id: expected a UUID such as 550e8400-e29b-41d4-a716-446655440000`,
      '`cheap list` shows the stored catalogs and their ids',
    )
  }
  return text.toLowerCase()
}

import { createHash } from 'node:crypto'

/**
 * The name of a prepared statement: its purpose and a hash of its text, so two versions of the
 * library (or two statements) never share a name on one connection.
 */
export function preparedName(purpose: string, text: string): string {
  return `${purpose}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`
}

// pg-cursor ships no type declarations; this is the part Kysely's PostgresDialect uses for
// `.stream()` (its PostgresCursorConstructor).
declare module 'pg-cursor' {
  export default class Cursor<T = unknown> {
    constructor(text: string, values?: unknown[])
    read(rowCount: number): Promise<T[]>
    close(): Promise<void>
  }
}

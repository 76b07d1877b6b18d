/**
 * The wide-row shape of the one-statement reads (catalog/load-small.ts, partial/aspects-small.ts):
 * a `UNION ALL` of one branch per table, each table's columns in columns of their own SQL type
 * (NULL in the others), so the driver's type parsers decode every value exactly as the
 * per-table queries do.
 */
import type { AnyCodec } from './codecs/index.ts'

/** What each row is: which table it comes from, hence which columns it uses. */
export const Kind = {
  catalog: 0,
  hierarchy: 1,
  aspect: 2,
  list: 3,
  entityList: 4,
  entitySet: 5,
  directory: 6,
  treeNode: 7,
  mapped: 8,
  firstValue: 10,
} as const

/** The value columns, one per SQL type of the value tables. */
const VALUE_COLUMNS = [
  'int8',
  'float8',
  'bool',
  'text',
  'numeric',
  'timestamptz',
  'uuid',
  'bytea',
] as const

type ValueColumn = `v_${(typeof VALUE_COLUMNS)[number]}`

/** One row: `k` says which table it comes from and which columns it uses. */
export type WideRow = {
  readonly k: number
  readonly a: bigint | null
  readonly o: bigint | null
  readonly c: number | null
  readonly d: number | null
  readonly t1: string | null
  readonly t2: string | null
  readonly t3: string | null
  readonly u1: string | null
  readonly u2: string | null
  readonly u3: string | null
  readonly l: boolean | null
  readonly xs: number | null
  readonly xz: string | null
} & { readonly [C in ValueColumn]: unknown }

const COLUMNS: readonly (readonly [string, string])[] = [
  ['k', 'int4'],
  ['a', 'int8'],
  ['o', 'int8'],
  ['c', 'int4'],
  ['d', 'int4'],
  ['t1', 'text'],
  ['t2', 'text'],
  ['t3', 'text'],
  ['u1', 'uuid'],
  ['u2', 'uuid'],
  ['u3', 'uuid'],
  ['l', 'bool'],
  ...VALUE_COLUMNS.map((t) => [`v_${t}`, t] as const),
  ['xs', 'int4'],
  ['xz', 'text'],
]

/** One branch of the union: the given columns, NULL (typed) for the others. */
export function branch(
  kind: number,
  columns: Readonly<Record<string, string>>,
  from: string,
): string {
  const list = COLUMNS.map(([name, type]) =>
    name === 'k' ? `${kind} as k` : `${columns[name] ?? 'null'}::${type} as ${name}`,
  )
  return `select ${list.join(', ')} ${from}`
}

/**
 * The branch of the value table of `VALUE_TYPES[index]` (the catalog load and the few-aspects
 * load read value rows alike): its value in the `v_<sql type>` column, the zone or scale of the
 * types that have one in `xz` / `xs`, rows chosen by `from`.
 */
export function valueBranch(
  index: number,
  codec: Pick<AnyCodec, 'sqlType' | 'extra' | 'table'>,
  from: (table: string) => string,
): string {
  const columns: Record<string, string> = {
    a: 't.aspect_id',
    c: 't.property_id',
    d: 't.value_index',
    [`v_${codec.sqlType}`]: 't.value',
  }
  if (codec.extra !== undefined)
    columns[codec.extra.column === 'zone' ? 'xz' : 'xs'] = `t.${codec.extra.column}`
  return branch(Kind.firstValue + index, columns, from(codec.table))
}

import type { PropertyTypeCode, PropertyValueTypes } from '../../../model/property-type.ts'
import type { CheapTableName } from '../../schema/tables.ts'

/** The scalar PostgreSQL types a CHEAP value is stored as (pg_catalog spelling). */
export type ScalarSqlType =
  'int8' | 'float8' | 'bool' | 'text' | 'numeric' | 'timestamptz' | 'uuid' | 'bytea'

/** The twelve generic value tables. */
export type ValueTableName = Extract<CheapTableName, `property_value_${string}`>

/** The `property_def` column that holds a default of a type (an array of the native type). */
export type DefaultColumn =
  | 'default_integer'
  | 'default_float'
  | 'default_boolean'
  | 'default_string'
  | 'default_text'
  | 'default_big_integer'
  | 'default_big_decimal'
  | 'default_big_decimal_scale'
  | 'default_date_time'
  | 'default_date_time_zone'
  | 'default_uri'
  | 'default_uuid'
  | 'default_clob'
  | 'default_blob'

/**
 * The second column of a type whose model value holds more than PostgreSQL's type keeps: a
 * DateTime's zone, a BigDecimal's Java scale (which may be negative, 1E+3 has scale -3).
 */
export interface ExtraColumn {
  /** Its name in the generic value table. */
  readonly column: 'zone' | 'value_scale'
  /** Its name in a dedicated table: the value column's name plus this. */
  readonly suffix: '_zone' | '_scale'
  readonly sqlType: 'text' | 'int4'
  readonly formatType: 'text' | 'integer'
  readonly defaultColumn: DefaultColumn
}

/**
 * Everything about how one CHEAP type lives in PostgreSQL, in one place: its value table, its
 * SQL type (for casts, `unnest` and dedicated columns, in both spellings), the property_def
 * column of its defaults, and the conversions between the model value and what the driver sends
 * and receives (with the adapters' parsers: int8 → bigint, numeric → string, timestamptz → text,
 * bytea → Uint8Array). COPY writes the encoded value (store/copy-text.ts).
 */
export interface PropertyCodec<T extends PropertyTypeCode> {
  readonly type: T
  readonly table: ValueTableName
  readonly sqlType: ScalarSqlType
  /** As `format_type()` prints it: dedicated columns are created and checked with it. */
  readonly formatType: string
  readonly defaultColumn: DefaultColumn
  readonly extra?: ExtraColumn
  /** Compared by code point (`COLLATE "C"`) and indexed by a bounded prefix. */
  readonly isText: boolean
  readonly encode: (value: PropertyValueTypes[T]) => unknown
  readonly encodeExtra?: (value: PropertyValueTypes[T]) => unknown
  readonly decode: (raw: unknown, extra?: unknown) => PropertyValueTypes[T]
}

/** A codec whose value goes to the driver as it is and comes back as the driver gives it. */
export function plainCodec<T extends 'BLN' | 'STR' | 'TXT' | 'URI' | 'UID' | 'CLB'>(
  spec: Omit<PropertyCodec<T>, 'encode' | 'decode' | 'encodeExtra' | 'extra'>,
): PropertyCodec<T> {
  return {
    ...spec,
    encode: (value) => value,
    decode: (raw) => raw as PropertyValueTypes[T],
  }
}

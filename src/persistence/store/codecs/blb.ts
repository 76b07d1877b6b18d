import type { PropertyCodec } from './codec.ts'

export function toUint8Array(raw: unknown): Uint8Array {
  if (raw instanceof Uint8Array) {
    return Buffer.isBuffer(raw) ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : raw
  }
  throw new Error(`unexpected bytea value from the database: ${typeof raw}`)
}

/** BLB: bytes, a `Uint8Array` (never a Buffer, whatever the driver hands back), as `bytea`. */
export const BLB_CODEC: PropertyCodec<'BLB'> = {
  type: 'BLB',
  table: 'property_value_blob',
  sqlType: 'bytea',
  formatType: 'bytea',
  defaultColumn: 'default_blob',
  isText: false,
  encode: (value) => value,
  decode: toUint8Array,
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** True for the canonical lower-case 8-4-4-4-12 form, the only form CHEAP stores. */
export function isCanonicalUuid(text: string): boolean {
  return text.length === 36 && CANONICAL_UUID.test(text)
}

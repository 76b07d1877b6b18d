/** The five hierarchy types; the 2-letter code is the wire spelling (TS, SQL, JSON). */
export const HIERARCHY_TYPES = {
  EL: { code: 'EL', name: 'entity list' },
  ES: { code: 'ES', name: 'entity set' },
  ED: { code: 'ED', name: 'entity directory' },
  ET: { code: 'ET', name: 'entity tree' },
  AM: { code: 'AM', name: 'aspect map' },
} as const

export type HierarchyTypeCode = keyof typeof HIERARCHY_TYPES

export const HIERARCHY_TYPE_CODES: readonly HierarchyTypeCode[] = Object.freeze(
  Object.keys(HIERARCHY_TYPES) as HierarchyTypeCode[],
)

export function isHierarchyTypeCode(text: string): text is HierarchyTypeCode {
  return Object.hasOwn(HIERARCHY_TYPES, text)
}

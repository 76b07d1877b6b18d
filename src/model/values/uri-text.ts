/*
 * RFC 3986 URI-reference syntax check (appendix A), without normalisation: the text is stored
 * verbatim, so `HTTP://Example.COM/a/../b` stays exactly that. WHATWG `URL` is not used because
 * it rewrites what it parses and rejects relative references.
 */
const UNRESERVED = 'A-Za-z0-9\\-._~'
const SUB_DELIMS = "!$&'()*+,;="
const PCT = '%[0-9A-Fa-f]{2}'
const PCHAR = `(?:[${UNRESERVED}${SUB_DELIMS}:@]|${PCT})`
const SCHEME = '[A-Za-z][A-Za-z0-9+\\-.]*'
const USERINFO = `(?:[${UNRESERVED}${SUB_DELIMS}:]|${PCT})*`
const DEC_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])'
const IPV4 = `${DEC_OCTET}\\.${DEC_OCTET}\\.${DEC_OCTET}\\.${DEC_OCTET}`
const H16 = '[0-9A-Fa-f]{1,4}'
const LS32 = `(?:${H16}:${H16}|${IPV4})`
const IPV6 = [
  `(?:${H16}:){6}${LS32}`,
  `::(?:${H16}:){5}${LS32}`,
  `(?:${H16})?::(?:${H16}:){4}${LS32}`,
  `(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3}${LS32}`,
  `(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}${LS32}`,
  `(?:(?:${H16}:){0,3}${H16})?::${H16}:${LS32}`,
  `(?:(?:${H16}:){0,4}${H16})?::${LS32}`,
  `(?:(?:${H16}:){0,5}${H16})?::${H16}`,
  `(?:(?:${H16}:){0,6}${H16})?::`,
]
  .map((alt) => `(?:${alt})`)
  .join('|')
const IPVFUTURE = `v[0-9A-Fa-f]+\\.[${UNRESERVED}${SUB_DELIMS}:]+`
const IP_LITERAL = `\\[(?:${IPV6}|${IPVFUTURE})\\]`
const REG_NAME = `(?:[${UNRESERVED}${SUB_DELIMS}]|${PCT})*`
const HOST = `(?:${IP_LITERAL}|${IPV4}|${REG_NAME})`
const AUTHORITY = `(?:${USERINFO}@)?${HOST}(?::[0-9]*)?`
const SEGMENT = `${PCHAR}*`
const SEGMENT_NZ = `${PCHAR}+`
const SEGMENT_NZ_NC = `(?:[${UNRESERVED}${SUB_DELIMS}@]|${PCT})+`
const PATH_ABEMPTY = `(?:/${SEGMENT})*`
const PATH_ABSOLUTE = `/(?:${SEGMENT_NZ}(?:/${SEGMENT})*)?`
const PATH_ROOTLESS = `${SEGMENT_NZ}(?:/${SEGMENT})*`
const PATH_NOSCHEME = `${SEGMENT_NZ_NC}(?:/${SEGMENT})*`
const QUERY = `(?:${PCHAR}|[/?])*`
const HIER_PART = `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_ROOTLESS}|)`
const RELATIVE_PART = `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_NOSCHEME}|)`
const URI = `${SCHEME}:${HIER_PART}(?:\\?${QUERY})?(?:#${QUERY})?`
const RELATIVE_REF = `${RELATIVE_PART}(?:\\?${QUERY})?(?:#${QUERY})?`
const URI_REFERENCE = new RegExp(`^(?:${URI}|${RELATIVE_REF})$`)

/** True when `text` is an RFC 3986 URI reference (absolute URI or relative reference). */
export function isUriReference(text: string): boolean {
  return URI_REFERENCE.test(text)
}

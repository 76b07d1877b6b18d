/**
 * RFC 3986 URI references built from the grammar (appendix A), so every one is valid by
 * construction and exercises what WHATWG `URL` would rewrite: odd scheme and host casing,
 * percent-encoding in either hex case, empty ports, dot segments, relative references.
 */
import fc from 'fast-check'

const hex = fc.constantFrom(...'0123456789abcdefABCDEF')
const pctEncoded = fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`)
const unreserved = fc.constantFrom(...'abcXYZ019-._~')
const subDelim = fc.constantFrom(...`!$&'()*+,;=`)

/** pchar = unreserved / pct-encoded / sub-delims / ":" / "@" */
const pchar = fc.oneof(
  { arbitrary: unreserved, weight: 6 },
  { arbitrary: pctEncoded, weight: 2 },
  { arbitrary: subDelim, weight: 1 },
  { arbitrary: fc.constantFrom(':', '@'), weight: 1 },
)
/** A first segment of a relative path cannot hold ':' (it would read as a scheme). */
const pcharNoColon = fc.oneof(
  { arbitrary: unreserved, weight: 6 },
  { arbitrary: pctEncoded, weight: 2 },
  { arbitrary: subDelim, weight: 1 },
  { arbitrary: fc.constant('@'), weight: 1 },
)

const segment = fc.oneof(
  { arbitrary: fc.string({ unit: pchar, maxLength: 8 }), weight: 6 },
  { arbitrary: fc.constantFrom('.', '..', '%C3%A9t%c3%a9', 'a%20b', 'Caf%C3%A9'), weight: 1 },
)
const pathAbEmpty = fc
  .array(segment, { maxLength: 4 })
  .map((parts) => parts.map((p) => `/${p}`).join(''))
const queryText = fc.string({ unit: fc.oneof(pchar, fc.constantFrom('/', '?')), maxLength: 16 })
const query = fc.option(
  queryText.map((q) => `?${q}`),
  { nil: '' },
)
const fragment = fc.option(
  queryText.map((f) => `#${f}`),
  { nil: '' },
)

const label = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?$/)
const regName = fc.oneof(
  {
    arbitrary: fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.')),
    weight: 6,
  },
  {
    arbitrary: fc.constantFrom(
      'Example.COM',
      'localhost',
      'ex%41mple.org',
      'xn--bcher-kva.example',
      '',
    ),
    weight: 1,
  },
)
const ipv4 = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((parts) => parts.join('.'))
const ipLiteral = fc.constantFrom(
  '[::1]',
  '[2001:DB8::7]',
  '[fe80::1:2:3:4]',
  '[::ffff:192.0.2.1]',
  '[v1.x:y]',
)
const host = fc.oneof(
  { arbitrary: regName, weight: 6 },
  { arbitrary: ipv4, weight: 1 },
  { arbitrary: ipLiteral, weight: 1 },
)
const port = fc.option(
  fc.oneof(
    fc.constant(':'),
    fc.nat(65535).map((p) => `:${p}`),
  ),
  { nil: '' },
)
const userinfo = fc.option(
  fc
    .string({ unit: fc.oneof(unreserved, pctEncoded, subDelim, fc.constant(':')), maxLength: 10 })
    .map((u) => `${u}@`),
  { nil: '' },
)
const authority = fc.tuple(userinfo, host, port).map((parts) => parts.join(''))

const httpScheme = fc.constantFrom('http', 'https', 'HTTP', 'Https', 'hTtP')

/** http(s) URLs with userinfo, ports, paths, queries, fragments, percent-encoding. */
const httpUrl = fc
  .tuple(httpScheme, authority, pathAbEmpty, query, fragment)
  .map(([scheme, auth, path, q, f]) => `${scheme}://${auth}${path}${q}${f}`)

const urn = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('urn', 'URN', 'Urn'),
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,8}$/),
      fc.string({ unit: fc.oneof(pchar, fc.constant('/')), minLength: 1, maxLength: 16 }),
    )
    .map(([scheme, nid, nss]) => `${scheme}:${nid}:${nss}`),
  fc.uuid().map((id) => `urn:uuid:${id}`),
)

const mailto = fc
  .tuple(
    fc.string({ unit: fc.oneof(unreserved, pctEncoded), minLength: 1, maxLength: 10 }),
    regName.filter((h) => h.length > 0),
    fc.option(
      queryText.map((q) => `?subject=${q}`),
      { nil: '' },
    ),
  )
  .map(([local, domain, q]) => `mailto:${local}@${domain}${q}`)

const relativeRef = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      '',
      '.',
      '..',
      '../a/b',
      './c',
      '#',
      '?',
      '#frag',
      '?q=1&r=2',
      '//host',
      '/',
    ),
    weight: 1,
  },
  {
    // path-absolute or path-noscheme, then query and fragment
    arbitrary: fc
      .tuple(
        fc.boolean(),
        fc.string({ unit: pcharNoColon, minLength: 1, maxLength: 8 }),
        pathAbEmpty,
        query,
        fragment,
      )
      .map(([absolute, first, rest, q, f]) => `${absolute ? '/' : ''}${first}${rest}${q}${f}`),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(authority, pathAbEmpty, query, fragment)
      .map((parts) => `//${parts.join('')}`),
    weight: 1,
  },
)

const otherSchemes = fc.constantFrom(
  'file:///tmp/x%20y.txt',
  'FILE:///C:/Windows',
  'ftp://ftp.example.org/pub/',
  'data:text/plain;base64,SGVsbG8=',
  'tag:example.com,2024:x',
  'x-custom+scheme.v1:opaque',
  'news:comp.lang.java',
  'tel:+1-816-555-1212',
  'ldap://[2001:db8::7]/c=GB?objectClass?one',
  'HTTP://Example.COM/a/../b/./c',
  'http://example.com:/',
)

/**
 * URI: valid RFC 3986 references, stored verbatim: http(s) URLs, `urn:` and `mailto:`, other
 * schemes, relative references (including the empty one) and odd casing.
 */
export const uriValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: httpUrl, weight: 5 },
  { arbitrary: urn, weight: 1 },
  { arbitrary: mailto, weight: 1 },
  { arbitrary: relativeRef, weight: 2 },
  { arbitrary: otherSchemes, weight: 1 },
)

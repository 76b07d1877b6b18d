/**
 * Typed aspects: value types are inferred from the PropertyDefs, so building and reading
 * aspects is checked by TypeScript, and every value is checked again at run time, for the
 * values that come from outside the compiler's view (JSON, `as`, plain JavaScript).
 *
 *   npx tsx examples/typed-aspects.ts
 */
import {
  CheapValidationError,
  type Aspect,
  createAspect,
  createAspectDef,
  createCatalog,
  createPropertyDef,
  newEntityId,
  type PropertyValue,
} from '../src/index.ts'

// Each definition keeps its name, type and flags as literal types.
const title = createPropertyDef({ name: 'title', type: 'STR', isNullable: false })
const pages = createPropertyDef({ name: 'pages', type: 'INT' })
const price = createPropertyDef({ name: 'price', type: 'BGF' })
const inPrint = createPropertyDef({ name: 'inPrint', type: 'BLN', defaultValue: true })
const authors = createPropertyDef({ name: 'authors', type: 'STR', isMultivalued: true })
const book = createAspectDef({
  name: 'com.example.book',
  properties: [title, pages, price, inPrint, authors],
})

const catalog = createCatalog()
const books = catalog.extend(book)
const dune = createAspect(book, newEntityId(), {
  title: 'Dune',
  pages: 412n,
  authors: ['Frank Herbert'],
})
books.add(dune)

// Reads are typed by property name:
const t: string | undefined = dune.get('title') // not nullable: never null
const p: bigint | null | undefined = dune.get('pages') // INT is a bigint
const a: readonly string[] | null | undefined = dune.get('authors') // multivalued: a list
const d: boolean | null | undefined = dune.get('inPrint') // absent: reads as the default
console.log(`${t} by ${a?.join(', ')}: ${p} pages, in print: ${d}`)

// And so are the initial values: the compiler rejects these (never called, only compiled).
const _rejectedByTypeScript = () => [
  // @ts-expect-error pages is an INT: a bigint, not a number
  createAspect(book, newEntityId(), { title: 'Emma', pages: 474 }),
  // @ts-expect-error there is no property 'isbn'
  createAspect(book, newEntityId(), { title: 'Emma', isbn: '978-0141439587' }),
]

// Absent, null and a value are three states, and all three are stored.
dune.set('price', '9.99')
dune.set('pages', null)
console.log(
  `price ${dune.get('price')}, pages ${dune.get('pages')}, inPrint stored: ${dune.has('inPrint')}`,
)

// Values from outside the type system are checked at run time, with reasons to branch on.
const untrusted: [string, unknown][] = [
  ['pages', 412], // a number: loses precision above 2^53, so it is refused
  ['title', null], // title is not nullable
  ['price', '9,99'], // not a decimal
]
for (const [name, value] of untrusted) {
  try {
    const untyped: Aspect = dune // an aspect of any def: names are plain strings
    untyped.set(name, value as PropertyValue)
  } catch (error) {
    if (!(error instanceof CheapValidationError)) throw error
    console.log(`${error.reason}: ${error.message}`)
  }
}

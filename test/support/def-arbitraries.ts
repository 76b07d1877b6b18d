/**
 * Arbitraries for PropertyDefs, AspectDefs and property values fitting a def.
 *
 * AspectDef names and ids are *fresh per generated value*: `aspectDefArb` draws the shape from
 * fast-check (so it shrinks and replays) but mixes a random UUID into the name and uses another
 * as the globalId. Database tests save many catalogs into one database, where AspectDef names
 * and ids are global: two different generated defs (including shrink candidates of one
 * counterexample) must never share a name. Replaying a seed reproduces everything but these ids.
 */
import fc from 'fast-check'
import { v4 as uuidV4 } from 'uuid'
import {
  PROPERTY_TYPE_CODES,
  createAspectDef,
  createPropertyDef,
  type AspectDef,
  type PropertyDef,
  type PropertyDefOptions,
  type PropertyTypeCode,
  type PropertyValue,
  type ScalarValue,
} from '../../src/model/index.ts'
import { storableText, valueOf } from './value-arbitraries.ts'

/** The parts of a PropertyDef a value must fit. */
export interface ValueShape {
  readonly type: PropertyTypeCode
  readonly isNullable: boolean
  readonly isMultivalued: boolean
}

/** Any property type code, uniformly. */
export const propertyTypeArb: fc.Arbitrary<PropertyTypeCode> = fc.constantFrom(
  ...PROPERTY_TYPE_CODES,
)

/**
 * A non-empty, storable name: identifiers, dotted names, names with spaces and unicode
 * (accents, CJK, emoji, combining marks).
 */
export const nameArb: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,11}$/), weight: 6 },
    {
      arbitrary: fc.constantFrom(
        'name',
        'age',
        'e-mail',
        'first name',
        '名前',
        'café',
        'e\u0301',
        'x😀',
        'a.b.c',
        'Δ',
      ),
      weight: 2,
    },
    { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), weight: 2 },
  )
  .map(storableText)
  .filter((name) => name.length > 0)

/**
 * A value for a property of `shape`: null sometimes when nullable; an array (empty, or with
 * duplicated elements) when multivalued; a scalar otherwise.
 */
export function propertyValueFor(shape: ValueShape): fc.Arbitrary<PropertyValue> {
  const element: fc.Arbitrary<ScalarValue> = valueOf(shape.type)
  const present: fc.Arbitrary<PropertyValue> = shape.isMultivalued
    ? fc
        .tuple(fc.array(element, { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 3 }))
        .map(([items, dups]): readonly ScalarValue[] =>
          items.length === 0
            ? items
            : [...items, ...dups.map((i) => items[i % items.length] as ScalarValue)],
        )
    : element
  return shape.isNullable
    ? fc.oneof({ arbitrary: fc.constant(null), weight: 1 }, { arbitrary: present, weight: 4 })
    : present
}

/** The options of a PropertyDef, before it is built: a printable, shrinkable plan. */
export interface PropertyDefPlan {
  readonly name: string
  readonly type: PropertyTypeCode
  readonly isNullable: boolean
  readonly isMultivalued: boolean
  readonly isReadable: boolean
  readonly isWritable: boolean
  /** Absent: the def has no default. Present (possibly null): the default. */
  readonly defaultValue?: PropertyValue
}

function propertyDefPlanArb(name: fc.Arbitrary<string>): fc.Arbitrary<PropertyDefPlan> {
  return fc
    .record({
      name,
      type: propertyTypeArb,
      isNullable: fc.boolean(),
      isMultivalued: fc.boolean(),
      isReadable: fc.oneof(
        { arbitrary: fc.constant(true), weight: 4 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      isWritable: fc.oneof(
        { arbitrary: fc.constant(true), weight: 4 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      hasDefault: fc.boolean(),
    })
    .chain(({ hasDefault, ...shape }) =>
      hasDefault
        ? propertyValueFor(shape).map((defaultValue): PropertyDefPlan => ({
            ...shape,
            defaultValue,
          }))
        : fc.constant<PropertyDefPlan>(shape),
    )
}

/** Builds the PropertyDef of a plan. */
export function buildPropertyDef(plan: PropertyDefPlan): PropertyDef {
  const options: PropertyDefOptions<string, PropertyTypeCode, boolean, boolean> = {
    name: plan.name,
    type: plan.type,
    isNullable: plan.isNullable,
    isMultivalued: plan.isMultivalued,
    isReadable: plan.isReadable,
    isWritable: plan.isWritable,
    ...(plan.defaultValue === undefined ? {} : { defaultValue: plan.defaultValue }),
  }
  return createPropertyDef(options)
}

/**
 * A PropertyDef of any of the 12 types, with random nullable / multivalued / readable /
 * writable flags, with or without a default (a null default only when nullable).
 */
export function propertyDefArb(
  options: { readonly name?: fc.Arbitrary<string> } = {},
): fc.Arbitrary<PropertyDef> {
  return propertyDefPlanArb(options.name ?? nameArb).map(buildPropertyDef)
}

/** The shape of an AspectDef, before it gets its fresh name and id. */
export interface AspectDefPlan {
  readonly namePrefix: string
  readonly nameSuffix: string
  readonly isReadable: boolean
  readonly isWritable: boolean
  readonly canAddProperties: boolean
  readonly canRemoveProperties: boolean
  readonly properties: readonly PropertyDef[]
}

export interface AspectDefArbOptions {
  /** Default 8. */
  readonly maxProperties?: number
}

/** AspectDef plans: unique (unicode) property names, all four flags, immutable ones non-empty. */
export function aspectDefPlanArb(options: AspectDefArbOptions = {}): fc.Arbitrary<AspectDefPlan> {
  const maxProperties = options.maxProperties ?? 8
  return fc
    .record({
      namePrefix: fc.constantFrom('', 'com.example.', 'org.cheap.test.'),
      nameSuffix: fc.constantFrom('', '.person', '.名前', '.😀x', ' with space'),
      isReadable: fc.oneof(
        { arbitrary: fc.constant(true), weight: 4 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      isWritable: fc.oneof(
        { arbitrary: fc.constant(true), weight: 3 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      canAddProperties: fc.boolean(),
      canRemoveProperties: fc.boolean(),
    })
    .chain((flags) => {
      const isMutable = flags.canAddProperties || flags.canRemoveProperties
      const names = fc.uniqueArray(nameArb, {
        minLength: isMutable ? 0 : 1,
        maxLength: maxProperties,
      })
      return names
        .chain((unique) => fc.tuple(...unique.map((name) => propertyDefPlanArb(fc.constant(name)))))
        .map((plans): AspectDefPlan => ({ ...flags, properties: plans.map(buildPropertyDef) }))
    })
}

/**
 * Builds an AspectDef from a plan with a fresh, globally unique name
 * (`<prefix>def_<8 random hex><suffix>`) and a fresh random globalId.
 */
export function buildAspectDef(plan: AspectDefPlan, id: string = uuidV4()): AspectDef {
  return createAspectDef({
    name: `${plan.namePrefix}def_${id.slice(0, 8)}${plan.nameSuffix}`,
    globalId: id,
    isReadable: plan.isReadable,
    isWritable: plan.isWritable,
    canAddProperties: plan.canAddProperties,
    canRemoveProperties: plan.canRemoveProperties,
    properties: plan.properties,
  })
}

/**
 * An AspectDef with 0..8 properties (unique names, unicode included), any combination of the
 * four flags (an immutable def always has at least one property), and a fresh unique name and
 * id (see the module comment).
 */
export function aspectDefArb(options: AspectDefArbOptions = {}): fc.Arbitrary<AspectDef> {
  return aspectDefPlanArb(options).map((plan) => buildAspectDef(plan))
}

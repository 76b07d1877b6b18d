import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { DateTime, FixedOffsetZone, IANAZone } from 'luxon'
import { CheapValidationError } from '../../src/errors.ts'
import {
  dateTimeFromInstantAndZone,
  formatJavaDateTime,
  parseJavaDateTime,
  zoneFromText,
  zoneToText,
} from '../../src/model/values/java-date-time.ts'
import { assertProperty } from '../support/fast-check.ts'

const reasonIs = (reason: string) => (error: unknown) =>
  error instanceof CheapValidationError && error.reason === reason
const REGIONS = [
  'UTC',
  'Etc/UTC',
  'GMT',
  'Europe/Paris',
  'America/New_York',
  'America/St_Johns',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Apia',
  'Africa/Monrovia',
] as const

describe('formatJavaDateTime (JDK 17 ZonedDateTime.toString vectors)', () => {
  const at = (iso: string, zone: FixedOffsetZone | IANAZone) =>
    DateTime.fromISO(iso, { setZone: true }).setZone(zone)

  it('omits zero seconds and prints a zero fixed offset as Z', () => {
    const dt = at('2025-01-15T10:30:00Z', FixedOffsetZone.utcInstance)
    assert.equal(formatJavaDateTime(dt), '2025-01-15T10:30Z')
  })

  it('prints seconds when only the millis are not zero, and millis as 3 digits', () => {
    const dt = at('2025-01-15T08:30:00.5Z', FixedOffsetZone.instance(120))
    assert.equal(formatJavaDateTime(dt), '2025-01-15T10:30:00.500+02:00')
    assert.equal(
      formatJavaDateTime(at('2025-01-15T08:30:15.5Z', FixedOffsetZone.instance(120))),
      '2025-01-15T10:30:15.500+02:00',
    )
  })

  it('adds the region of an IANA zone, distinguishing the IANA UTC from the offset Z', () => {
    assert.equal(
      formatJavaDateTime(at('2025-01-15T10:30Z', IANAZone.create('UTC'))),
      '2025-01-15T10:30Z[UTC]',
    )
    assert.equal(
      formatJavaDateTime(at('2025-01-15T10:30Z', IANAZone.create('Etc/UTC'))),
      '2025-01-15T10:30Z[Etc/UTC]',
    )
    assert.equal(
      formatJavaDateTime(at('2025-01-15T10:30Z', IANAZone.create('Europe/Paris'))),
      '2025-01-15T11:30+01:00[Europe/Paris]',
    )
    assert.equal(
      formatJavaDateTime(DateTime.fromISO('2025-01-15T10:30Z').toUTC()),
      '2025-01-15T10:30Z',
    )
  })

  // [ZonedDateTime.toString(), epoch millis] from JDK 17, including local mean time offsets
  // with seconds and years outside 0000–9999.
  const javaVectors: readonly [string, number][] = [
    ['1983-04-25T01:30:17Z[UTC]', 420082217000],
    ['2013-11-21T10:44-14:53', 1385084220000],
    ['2067-08-01T06:51:47.164-06:30', 3079430507164],
    ['2048-10-23T00:53:59.889-04:00[America/Caracas]', 2487041639889],
    ['2051-02-12T22:50:39.659+13:45[Pacific/Chatham]', 2559805539659],
    ['2083-04-19T12:40:26+01:00[Europe/London]', 3575360426000],
    ['1907-11-22T00:26-03:30:52[America/St_Johns]', -1960056188000],
    ['1880-12-24T14:20:22+03:25:44[Asia/Tehran]', -2809170322000],
    ['1900-01-01T00:09:21+00:09:21[Europe/Paris]', -2208988800000],
    ['-3369-04-15T12:12:52.275Z[Antarctica/Troll]', -168473562427725],
    ['-71412-08-29T01:24:42.468+00:30', -2315691414317532],
    ['+110810-03-07T22:48+07:53', 3434664351300000],
    ['+56134-12-15T12:19:24.609-05:00[EST5EDT]', 1709280897564609],
    ['-160891-10-28T08:57:39+02:30:17[Europe/Moscow]', -5139370834358000],
  ]
  for (const [text, epochMillis] of javaVectors) {
    it(`reads and prints ${text} as Java does`, () => {
      const dt = parseJavaDateTime(text)
      assert.equal(dt.toMillis(), epochMillis)
      assert.equal(formatJavaDateTime(dt), text)
      const stored = dateTimeFromInstantAndZone(epochMillis, zoneToText(dt))
      assert.equal(formatJavaDateTime(stored), text)
    })
  }

  it('refuses an invalid DateTime', () => {
    assert.throws(() => formatJavaDateTime(DateTime.invalid('test')), reasonIs('INVALID_DATETIME'))
  })
})

describe('parseJavaDateTime (what JDK 17 ZonedDateTime.parse accepts)', () => {
  // [input, ZonedDateTime.parse(input).toString() truncated to millis, epoch millis]
  const accepted: readonly [string, string, number][] = [
    ['2025-01-15t10:30z', '2025-01-15T10:30Z', 1736937000000],
    ['2025-01-15T10:30:00Z', '2025-01-15T10:30Z', 1736937000000],
    ['2025-01-15T10:30:15.000Z', '2025-01-15T10:30:15Z', 1736937015000],
    ['2025-01-15T10:30:15.+02:00', '2025-01-15T10:30:15+02:00', 1736929815000],
    ['2025-01-15T10:30:15.5+02:00', '2025-01-15T10:30:15.500+02:00', 1736929815500],
    // Java keeps nanoseconds (.123456789); luxon keeps milliseconds, truncated.
    ['2025-01-15T10:30:15.123456789+02:00', '2025-01-15T10:30:15.123+02:00', 1736929815123],
    ['2025-01-15T10:30+02', '2025-01-15T10:30+02:00', 1736929800000],
    ['2025-01-15T10:30+02:00:30', '2025-01-15T10:30+02:00:30', 1736929770000],
    ['2025-01-15T10:30-00:00', '2025-01-15T10:30Z', 1736937000000],
    ['2025-01-15T10:30+00:00:00', '2025-01-15T10:30Z', 1736937000000],
    ['2025-01-15T10:30+18:00', '2025-01-15T10:30+18:00', 1736872200000],
    // The offset fixes the instant, the zone how it is shown.
    ['2025-01-15T10:30+05:00[Europe/Paris]', '2025-01-15T06:30+01:00[Europe/Paris]', 1736919000000],
    ['2025-01-15T10:30+02[Europe/Paris]', '2025-01-15T09:30+01:00[Europe/Paris]', 1736929800000],
    ['2025-01-15T10:30+01:00[+02:00]', '2025-01-15T11:30+02:00', 1736933400000],
    ['2025-01-15T10:30+01:00[Z]', '2025-01-15T09:30Z', 1736933400000],
    ['2025-01-15T10:30Z[Z]', '2025-01-15T10:30Z', 1736937000000],
    ['2025-01-15T10:30Z[GMT]', '2025-01-15T10:30Z[GMT]', 1736937000000],
    ['2025-01-15T10:30Z[Asia/Calcutta]', '2025-01-15T16:00+05:30[Asia/Calcutta]', 1736937000000],
    ['2025-01-15T10:30Z[US/Eastern]', '2025-01-15T05:30-05:00[US/Eastern]', 1736937000000],
    ['2025-01-15T10:30Z[Etc/GMT+5]', '2025-01-15T05:30-05:00[Etc/GMT+5]', 1736937000000],
    // A local time in the spring gap, and both sides of the autumn overlap.
    ['2025-03-30T02:30+01:00[Europe/Paris]', '2025-03-30T03:30+02:00[Europe/Paris]', 1743298200000],
    ['2025-10-26T02:30+01:00[Europe/Paris]', '2025-10-26T02:30+01:00[Europe/Paris]', 1761442200000],
    ['2025-10-26T02:30+02:00[Europe/Paris]', '2025-10-26T02:30+02:00[Europe/Paris]', 1761438600000],
    ['2024-02-29T10:30Z', '2024-02-29T10:30Z', 1709202600000],
    ['+12345-01-15T10:30Z', '+12345-01-15T10:30Z', 327404629800000],
    ['+002025-01-15T10:30Z', '2025-01-15T10:30Z', 1736937000000],
    ['-002025-01-15T10:30Z', '-2025-01-15T10:30Z', -126068794200000],
    ['-0005-01-15T10:30Z', '-0005-01-15T10:30Z', -62323738200000],
    ['0000-01-01T00:00Z', '0000-01-01T00:00Z', -62167219200000],
  ]
  for (const [input, java, epochMillis] of accepted) {
    it(`reads ${input} as ${java}`, () => {
      const dt = parseJavaDateTime(input)
      assert.equal(dt.toMillis(), epochMillis)
      assert.equal(formatJavaDateTime(dt), java)
    })
  }

  it('reads the zone-less java.sql.Timestamp form as UTC', () => {
    assert.equal(
      formatJavaDateTime(parseJavaDateTime('2025-01-15 10:30:00.0')),
      '2025-01-15T10:30Z',
    )
    assert.equal(formatJavaDateTime(parseJavaDateTime('2025-01-15 10:30:00')), '2025-01-15T10:30Z')
    assert.equal(
      formatJavaDateTime(parseJavaDateTime('2025-01-15 10:30:15.123456789')),
      '2025-01-15T10:30:15.123Z',
    )
    assert.equal(zoneToText(parseJavaDateTime('2025-01-15 10:30:00.0')), 'Z')
  })

  const rejected = [
    '',
    ' 2025-01-15T10:30Z',
    '2025-01-15T10:30Z ',
    '2025-01-15T10:30',
    '2025-01-15T10Z',
    '2025-1-15T10:30Z',
    '2025-01-15T10:30:5Z',
    '2025-01-15T10.5Z',
    '2025-01-15T10:30:15.1234567891Z',
    '2025-01-15T10:30:60Z',
    '2025-01-15T24:00Z',
    '2025-02-29T10:30Z',
    '2025-04-31T10:30Z',
    '2025-13-01T10:30Z',
    '+2025-01-15T10:30Z',
    '-0000-01-15T10:30Z',
    '12345-01-15T10:30Z',
    '2025-01-15T10:30+0200',
    '2025-01-15T10:30+2:00',
    '2025-01-15T10:30+02:0',
    '2025-01-15T10:30+02:',
    '2025-01-15T10:30+18:01',
    '2025-01-15T10:30+02:60',
    '2025-01-15T10:30Z[]',
    '2025-01-15T10:30Z[Europe/Paris',
    '2025-01-15T10:30Z[europe/paris]',
    '2025-01-15T10:30Z[+01]',
    '2025-01-15T10:30Z[EST]',
    '2025-01-15T10:30Z[Nowhere/City]',
    '2025-01-15T10:30Z[Europe/Paris]x',
    '2025-02-30 10:30:00',
    '2025-01-15 10:30',
    // Accepted by Java, refused by us: no luxon zone prints back like these.
    '2025-01-15T10:30Z[UT]',
    '2025-01-15T10:30Z[UTC+01:00]',
    '2025-01-15T10:30Z[GMT+1]',
  ]
  for (const text of rejected) {
    it(`refuses ${JSON.stringify(text)} with INVALID_DATETIME naming the text`, () => {
      assert.throws(
        () => parseJavaDateTime(text),
        (error: unknown) =>
          reasonIs('INVALID_DATETIME')(error) && (error as Error).message.includes(`'${text}'`),
      )
    })
  }

  it('refuses years Java knows but a JavaScript Date cannot hold as OUT_OF_RANGE', () => {
    assert.throws(() => parseJavaDateTime('+999999999-01-01T00:00Z'), reasonIs('OUT_OF_RANGE'))
    assert.throws(() => parseJavaDateTime('-271821-03-01T00:00-05:30'), reasonIs('OUT_OF_RANGE'))
  })
})

describe('zone text and stored instants', () => {
  it('writes IANA zones as their name and fixed offsets as Java offset ids', () => {
    const instant = DateTime.fromMillis(0)
    assert.equal(zoneToText(instant.setZone(IANAZone.create('Europe/Paris'))), 'Europe/Paris')
    assert.equal(zoneToText(instant.setZone(IANAZone.create('UTC'))), 'UTC')
    assert.equal(zoneToText(instant.setZone(FixedOffsetZone.utcInstance)), 'Z')
    assert.equal(zoneToText(instant.setZone(FixedOffsetZone.instance(120))), '+02:00')
    assert.equal(zoneToText(instant.setZone(FixedOffsetZone.instance(-330))), '-05:30')
  })

  it('reads zone text back into the same kind of zone', () => {
    assert.equal(zoneFromText('UTC').type, 'iana')
    assert.equal(zoneFromText('Z').type, 'fixed')
    assert.equal(zoneFromText('Europe/Paris').name, 'Europe/Paris')
    assert.equal(zoneFromText('-05:30').offset(0), -330)
    for (const bad of ['', 'Mars/Olympus', 'europe/paris', '+2', '+19:00', 'UTC+01:00']) {
      assert.throws(() => zoneFromText(bad), reasonIs('INVALID_DATETIME'), bad)
    }
  })

  it('rebuilds a DateTime from epoch millis, ISO text or PostgreSQL text and the zone', () => {
    const expected = '2025-01-15T11:30:15.500+01:00[Europe/Paris]'
    const fromMillis = dateTimeFromInstantAndZone(1736937015500, 'Europe/Paris')
    assert.equal(formatJavaDateTime(fromMillis), expected)
    const fromIso = dateTimeFromInstantAndZone('2025-01-15T10:30:15.500Z', 'Europe/Paris')
    assert.equal(formatJavaDateTime(fromIso), expected)
    const fromPg = dateTimeFromInstantAndZone('2025-01-15 12:30:15.5+02', 'Europe/Paris')
    assert.equal(formatJavaDateTime(fromPg), expected)
    assert.throws(() => dateTimeFromInstantAndZone('yesterday', 'Z'), reasonIs('INVALID_DATETIME'))
    assert.throws(() => dateTimeFromInstantAndZone(1.5, 'Z'), reasonIs('OUT_OF_RANGE'))
  })
})

describe('Java date-time text properties', () => {
  const zone = fc.oneof(
    fc.constantFrom(...REGIONS).map((name) => IANAZone.create(name)),
    fc.integer({ min: -18 * 60, max: 18 * 60 }).map((minutes) => FixedOffsetZone.instance(minutes)),
    fc
      .integer({ min: -18 * 3600, max: 18 * 3600 })
      .map((seconds) => FixedOffsetZone.instance(seconds / 60)),
  )
  const epochMillis = fc.oneof(
    fc.integer({ min: -5e12, max: 5e12 }),
    fc.integer({ min: -5e12, max: 5e12 }).map((ms) => ms - (ms % 60000)),
    fc.integer({ min: -8.6e15, max: 8.6e15 }),
  )

  it('reads back the same instant and zone from the text of any DateTime', () => {
    assertProperty(
      fc.property(epochMillis, zone, (millis, dtZone) => {
        const dt = DateTime.fromMillis(millis, { zone: dtZone })
        const back = parseJavaDateTime(formatJavaDateTime(dt))
        assert.equal(back.toMillis(), millis)
        assert.equal(zoneToText(back), zoneToText(dt))
      }),
      { numRuns: 1000 },
    )
  })

  it('prints canonical text back unchanged after reading it (format ∘ parse is the identity)', () => {
    assertProperty(
      fc.property(epochMillis, zone, (millis, dtZone) => {
        const text = formatJavaDateTime(DateTime.fromMillis(millis, { zone: dtZone }))
        assert.equal(formatJavaDateTime(parseJavaDateTime(text)), text)
      }),
      { numRuns: 1000 },
    )
  })

  it('stores any DateTime as instant plus zone text without changing its Java text', () => {
    assertProperty(
      fc.property(epochMillis, zone, (millis, dtZone) => {
        const dt = DateTime.fromMillis(millis, { zone: dtZone })
        const stored = dateTimeFromInstantAndZone(dt.toMillis(), zoneToText(dt))
        assert.equal(formatJavaDateTime(stored), formatJavaDateTime(dt))
      }),
      { numRuns: 1000 },
    )
  })
})

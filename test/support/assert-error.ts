/**
 * Assertions on the CheapError family: the code, the validation reason, the def and property
 * the error names, and fragments its message must contain.
 */
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import {
  CheapError,
  CheapValidationError,
  type CheapErrorCode,
  type ValidationReason,
} from '../../src/errors.ts'

export interface ExpectedCheapError {
  readonly code: CheapErrorCode
  readonly reason?: ValidationReason
  readonly aspectDefName?: string
  readonly propertyName?: string
  /** Fragments the message must contain (strings literally, regexps by match). */
  readonly message?: readonly (string | RegExp)[]
}

/** Runs `action`, asserts it throws the expected CheapError, and returns that error. */
export function assertCheapError(action: () => unknown, expected: ExpectedCheapError): CheapError {
  let thrown: unknown
  try {
    action()
  } catch (error) {
    thrown = error
  }
  assert.ok(thrown !== undefined, `expected a CheapError ${expected.code}, but nothing was thrown`)
  assert.ok(thrown instanceof CheapError, `expected a CheapError, got ${inspect(thrown)}`)
  assert.equal(thrown.code, expected.code, thrown.message)
  if (
    expected.reason !== undefined ||
    expected.aspectDefName !== undefined ||
    expected.propertyName !== undefined
  ) {
    assert.ok(
      thrown instanceof CheapValidationError,
      `expected a CheapValidationError, got ${thrown.name}`,
    )
    if (expected.reason !== undefined) assert.equal(thrown.reason, expected.reason, thrown.message)
    if (expected.aspectDefName !== undefined)
      assert.equal(thrown.aspectDefName, expected.aspectDefName, thrown.message)
    if (expected.propertyName !== undefined)
      assert.equal(thrown.propertyName, expected.propertyName, thrown.message)
  }
  for (const fragment of expected.message ?? []) {
    if (typeof fragment === 'string') {
      assert.ok(
        thrown.message.includes(fragment),
        `message ${JSON.stringify(thrown.message)} lacks ${JSON.stringify(fragment)}`,
      )
    } else {
      assert.match(thrown.message, fragment)
    }
  }
  return thrown
}

/** A validation error that names `aspectDefName`, `propertyName` and the given fragments. */
export function assertRejected(
  action: () => unknown,
  reason: ValidationReason,
  names: { readonly aspectDefName?: string; readonly propertyName?: string } = {},
  message: readonly (string | RegExp)[] = [],
): CheapError {
  const fragments = [
    ...(names.aspectDefName === undefined ? [] : [names.aspectDefName]),
    ...(names.propertyName === undefined ? [] : [names.propertyName]),
    ...message,
  ]
  return assertCheapError(action, { code: 'VALIDATION', reason, ...names, message: fragments })
}

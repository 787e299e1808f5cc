import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VigilError } from '@vigil/core';
import { canonicalJson } from '../../src/batch/canonical-json.js';
import { vitalSignObservation } from '../../src/fhir/observation.js';
import { SAMPLE_READINGS } from '../fhir/fixtures.js';

/** The test's own oracle: RFC 8785 member order, written as plainly as possible. */
function oracle(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : oracle(v))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${oracle(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The same value rebuilt with every object's keys inserted in sorted order (the native path). */
function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) copy[key] = sortedCopy(record[key]);
    return copy;
  }
  return value;
}

// Keys that tempt a wrong answer: integer-like ones (listed first, numerically, by
// every engine), ones that differ only past the BMP, and __proto__ as an own key.
const key = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.constantFrom('0', '1', '10', '2', '-1', '01', 'a', 'B', '\u00e9', '\ud83d\ude00', '\uffff'),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -0, 1e21, 5e-324, 0.1),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('canonicalJson', () => {
  it('writes the RFC 8785 member order for any JSON value, whatever order its keys were inserted in', () => {
    fc.assert(
      fc.property(json, (value) => {
        const expected = oracle(value);
        assert.equal(canonicalJson(value), expected);
        assert.equal(canonicalJson(sortedCopy(value)), expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves out undefined members and writes undefined array items as null', () => {
    assert.equal(canonicalJson({ b: undefined, a: [undefined, 1] }), '{"a":[null,1]}');
    assert.equal(canonicalJson({ a: [undefined, 1], b: undefined }), '{"a":[null,1]}');
  });

  it('treats a Date or other class instance as the object of its own keys, not as JSON.stringify does', () => {
    assert.equal(canonicalJson({ at: new Date(0) }), '{"at":{}}');
  });

  it('refuses NaN, Infinity, functions and bigints with ERR_PROTECT_PARAMETERS_INVALID', () => {
    for (const bad of [Number.NaN, { a: Number.POSITIVE_INFINITY }, [() => 1], { n: 1n }]) {
      assert.throws(
        () => canonicalJson(bad),
        (error) => error instanceof VigilError && error.code === 'ERR_PROTECT_PARAMETERS_INVALID',
      );
    }
  });

  it('gives an Observation from vitalSignObservation as JSON.stringify does (the native path)', () => {
    for (const reading of Object.values(SAMPLE_READINGS)) {
      const observation = vitalSignObservation({ ...reading, id: 'r-1' });
      assert.equal(canonicalJson(observation), JSON.stringify(observation));
      assert.equal(canonicalJson(observation), oracle(observation));
    }
  });
});

// Property-based tests: whatever arrives, validateObservation answers with a
// VigilError carrying an ERR_FHIR_ code (or accepts), quickly, and never crashes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VigilError } from '@vigil/core';
import { vitalSignObservation } from '../../src/fhir/observation.js';
import { validateObservation } from '../../src/fhir/validate-observation.js';
import { VITAL_SIGN_KINDS } from '../../src/fhir/vital-signs.js';
import { SAMPLE_READINGS, officialSchemaValidator } from './fixtures.js';

const RUNS = 300;
// Generous: one validation takes well under a millisecond; this only catches hangs.
const MAX_MS = 2000;

type Path = (string | number)[];

function paths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const children = Object.entries(value).flatMap(([key, child]) =>
    paths(child, [...prefix, Array.isArray(value) ? Number(key) : key]),
  );
  return [prefix, ...children];
}

function mutate(root: unknown, path: Path, op: 'set' | 'delete', value: unknown): unknown {
  if (path.length === 0) return op === 'set' ? value : undefined;
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op === 'delete') delete parent[last];
  else parent[last] = value;
  return root;
}

const suspicious = fc.constantFrom<unknown>(
  'Jane Doe',
  'Patient/123',
  '',
  ' ',
  0,
  -1,
  1e308,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  null,
  true,
  [],
  {},
  { display: 'Jane Doe' },
  '2025-03-14',
  '9999-12-31T23:59:60Z',
  'http://loinc.org',
  '8867-4',
  'mm[Hg]',
);

function expectFhirRefusalOrAcceptance(value: unknown): void {
  const schemaValidator = officialSchemaValidator(); // compiled once, outside the timing
  const started = performance.now();
  try {
    validateObservation(value, { schemaValidator });
  } catch (error) {
    assert.ok(error instanceof VigilError, `not a VigilError: ${String(error)}`);
    assert.match(error.code, /^ERR_FHIR_/);
  }
  assert.ok(performance.now() - started < MAX_MS, 'validation took too long');
}

describe('when the input is any JSON value', () => {
  it('refuses it with an ERR_FHIR_ code and never crashes', () => {
    fc.assert(fc.property(fc.jsonValue(), expectFhirRefusalOrAcceptance), { numRuns: RUNS });
  });

  it('refuses any object claiming to be an Observation with an ERR_FHIR_ code', () => {
    const observationish = fc
      .dictionary(fc.string(), fc.jsonValue())
      .map((o) => ({ ...o, resourceType: 'Observation' }));
    fc.assert(fc.property(observationish, expectFhirRefusalOrAcceptance), { numRuns: RUNS });
  });
});

describe('when a valid Observation is mutated', () => {
  it('refuses or accepts it, never throwing anything but an ERR_FHIR_ VigilError', () => {
    const mutation = fc.record({
      index: fc.nat(),
      op: fc.constantFrom<'set' | 'delete'>('set', 'delete'),
      value: fc.oneof(suspicious, fc.jsonValue({ maxDepth: 3 })),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...VITAL_SIGN_KINDS),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (kind, mutations) => {
          let obs: unknown = structuredClone(vitalSignObservation(SAMPLE_READINGS[kind]));
          for (const { index, op, value } of mutations) {
            const all = paths(obs);
            obs = mutate(obs, all[index % all.length]!, op, value);
          }
          expectFhirRefusalOrAcceptance(obs);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses a deeply nested extension with ERR_FHIR_SCHEMA, without hanging', () => {
    let extension: Record<string, unknown> = { url: 'urn:x', valueString: 'x' };
    for (let i = 0; i < 20_000; i++) extension = { url: 'urn:x', extension: [extension] };
    const obs = structuredClone(vitalSignObservation(SAMPLE_READINGS['heart-rate']));
    const value = { ...obs, valueQuantity: { ...obs.valueQuantity, extension: [extension] } };
    assert.throws(
      () => validateObservation(value, { schemaValidator: officialSchemaValidator() }),
      (e) => e instanceof VigilError && e.code === 'ERR_FHIR_SCHEMA',
    );
  });
});

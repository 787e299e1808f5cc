import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VigilError } from '@vigil/core';
import { canonicalJson } from '../../src/batch/canonical-json.js';
import {
  vitalSignObservation,
  type VitalSignObservationInput,
} from '../../src/fhir/observation.js';
import { checkVitalSignRules } from '../../src/fhir/observation-rules.js';
import { derivePseudonymKey, pseudonymFor } from '../../src/pseudonym.js';
import { validateObservation } from '../../src/fhir/validate-observation.js';
import { LOINC_SYSTEM, UCUM_SYSTEM, VITAL_SIGN_KINDS } from '../../src/fhir/vital-signs.js';
import { DEVICE_ID, PSEUDONYM, SAMPLE_READINGS, officialSchemaValidator } from './fixtures.js';

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error) => error instanceof VigilError && error.code === code;
}

describe('when a gateway builds a vital-sign Observation', () => {
  for (const kind of VITAL_SIGN_KINDS) {
    it(`builds ${kind} that the official FHIR R4 schema and our rules accept`, () => {
      const obs = vitalSignObservation(SAMPLE_READINGS[kind]);
      assert.deepEqual(
        validateObservation(obs, { schemaValidator: officialSchemaValidator() }),
        obs,
      );
      assert.equal(obs.status, 'final');
      assert.deepEqual(obs.subject, {
        identifier: { system: 'urn:vigil:pseudonym', value: PSEUDONYM },
      });
      assert.deepEqual(obs.device, {
        identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${DEVICE_ID}` },
      });
      assert.equal(obs.effectiveDateTime, '2025-03-14T09:26:53.000Z');
    });
  }

  it('codes SpO2 as 2708-6 with 59408-5 next to it, in %', () => {
    const obs = vitalSignObservation(SAMPLE_READINGS['oxygen-saturation']);
    assert.deepEqual(
      obs.code.coding.map((c) => [c.system, c.code]),
      [
        [LOINC_SYSTEM, '2708-6'],
        [LOINC_SYSTEM, '59408-5'],
      ],
    );
    assert.deepEqual(obs.valueQuantity, { value: 97, unit: '%', system: UCUM_SYSTEM, code: '%' });
  });

  it('puts blood pressure in systolic and diastolic components in mm[Hg]', () => {
    const obs = vitalSignObservation(SAMPLE_READINGS['blood-pressure']);
    assert.equal(obs.valueQuantity, undefined);
    assert.deepEqual(
      obs.component?.map((c) => [
        c.code.coding[0]?.code,
        c.valueQuantity.value,
        c.valueQuantity.code,
      ]),
      [
        ['8480-6', 120, 'mm[Hg]'],
        ['8462-4', 80, 'mm[Hg]'],
      ],
    );
  });

  it('accepts a pseudonym made by pseudonymFor', async () => {
    const key = await derivePseudonymKey(new Uint8Array(32).fill(7), 'telemetry', 3);
    const pseudonym = await pseudonymFor(key, 3, 'MRN 0042');
    const obs = vitalSignObservation({ ...SAMPLE_READINGS['heart-rate'], pseudonym });
    assert.equal(obs.subject.identifier.value, pseudonym);
  });

  it('keeps an id that FHIR allows', () => {
    const obs = vitalSignObservation({ ...SAMPLE_READINGS['heart-rate'], id: 'reading-1.a' });
    assert.equal(obs.id, 'reading-1.a');
  });
});

describe('when the reading itself is wrong', () => {
  it('refuses an implausible heart rate with ERR_FHIR_VALUE_RANGE', () => {
    assert.throws(
      () => vitalSignObservation({ ...SAMPLE_READINGS['heart-rate'], value: 400 }),
      rejectsWith('ERR_FHIR_VALUE_RANGE'),
    );
  });

  it('refuses NaN with ERR_FHIR_VALUE_RANGE', () => {
    assert.throws(
      () => vitalSignObservation({ ...SAMPLE_READINGS['body-temperature'], value: Number.NaN }),
      rejectsWith('ERR_FHIR_VALUE_RANGE'),
    );
  });

  it('refuses a diastolic pressure above the systolic with ERR_FHIR_VALUE_RANGE', () => {
    assert.throws(
      () =>
        vitalSignObservation({
          ...SAMPLE_READINGS['blood-pressure'],
          kind: 'blood-pressure',
          value: { systolic: 80, diastolic: 120 },
        }),
      rejectsWith('ERR_FHIR_VALUE_RANGE'),
    );
  });

  it('refuses a name or MRN in place of the pseudonym with ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS', () => {
    for (const pseudonym of ['Jane Doe', '123456789', 'jane.doe@example.org', '']) {
      assert.throws(
        () => vitalSignObservation({ ...SAMPLE_READINGS['heart-rate'], pseudonym }),
        rejectsWith('ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS'),
      );
    }
  });

  it('refuses a device id that is not a UUID with ERR_FHIR_DEVICE', () => {
    assert.throws(
      () => vitalSignObservation({ ...SAMPLE_READINGS['heart-rate'], deviceId: 'gateway-7' }),
      rejectsWith('ERR_FHIR_DEVICE'),
    );
  });

  it('refuses an invalid date with ERR_FHIR_EFFECTIVE', () => {
    assert.throws(
      () => vitalSignObservation({ ...SAMPLE_READINGS['heart-rate'], effective: new Date('x') }),
      rejectsWith('ERR_FHIR_EFFECTIVE'),
    );
  });

  it('refuses an unknown kind with ERR_FHIR_CODE', () => {
    assert.throws(
      () =>
        vitalSignObservation({
          ...SAMPLE_READINGS['heart-rate'],
          kind: 'glucose' as 'heart-rate',
        }),
      rejectsWith('ERR_FHIR_CODE'),
    );
  });

  it('refuses a kind that names an Object.prototype member with ERR_FHIR_CODE, not a TypeError', () => {
    for (const kind of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      assert.throws(
        () =>
          vitalSignObservation({
            ...SAMPLE_READINGS['heart-rate'],
            kind: kind as 'heart-rate',
          }),
        rejectsWith('ERR_FHIR_CODE'),
      );
    }
  });
});

describe('whatever a gateway app passes in', () => {
  const number = fc.oneof(
    fc.double(),
    fc.integer({ min: 0, max: 320 }),
    fc.constantFrom(20, 300, 50, 100, 25, 45, 2, 80, 40, 200),
  );
  const input = fc.record({
    kind: fc.oneof(fc.constantFrom(...VITAL_SIGN_KINDS), fc.string({ maxLength: 12 })),
    value: fc.oneof(
      number,
      fc.record({ systolic: number, diastolic: number }),
      fc.constantFrom<unknown>(null, '72', undefined, {}),
    ),
    effective: fc.oneof(fc.date(), fc.date({ noInvalidDate: false })),
    pseudonym: fc.oneof(fc.constant(PSEUDONYM), fc.string({ maxLength: 40 })),
    deviceId: fc.oneof(
      fc.uuid(),
      fc.constant(DEVICE_ID.toUpperCase()),
      fc.string({ maxLength: 40 }),
    ),
    id: fc.option(fc.oneof(fc.constant('r-1.a'), fc.string({ maxLength: 70 })), { nil: undefined }),
  });

  it('gets either an Observation that our rules accept, in canonical key order, or an ERR_FHIR_ refusal', () => {
    fc.assert(
      fc.property(input, (raw) => {
        let observation;
        try {
          observation = vitalSignObservation(raw as unknown as VitalSignObservationInput);
        } catch (error) {
          assert.ok(error instanceof VigilError, String(error));
          assert.match(error.code, /^ERR_FHIR_/);
          return;
        }
        assert.deepEqual(checkVitalSignRules(structuredClone(observation)), observation);
        // protectBatch's native serialisation relies on it (canonical-json.ts).
        assert.equal(JSON.stringify(observation), canonicalJson(observation));
      }),
      { numRuns: 2000 },
    );
  });

  it('builds what the official FHIR R4 schema accepts whenever it builds at all', () => {
    const schemaValidator = officialSchemaValidator();
    fc.assert(
      fc.property(input, (raw) => {
        let observation;
        try {
          observation = vitalSignObservation(raw as unknown as VitalSignObservationInput);
        } catch {
          return;
        }
        validateObservation(observation, { schemaValidator });
      }),
      { numRuns: 300 },
    );
  });
});

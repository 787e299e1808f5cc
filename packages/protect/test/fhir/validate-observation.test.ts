import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VigilError } from '@vigil/core';
import { createFhirSchemaValidator } from '../../src/fhir/fhir-schema-validator.js';
import { vitalSignObservation } from '../../src/fhir/observation.js';
import { validateObservation } from '../../src/fhir/validate-observation.js';
import { SAMPLE_READINGS, officialSchemaValidator } from './fixtures.js';

type Json = Record<string, unknown>;

/** A valid reading as plain JSON, for the test to break by hand. */
function sample(kind: keyof typeof SAMPLE_READINGS = 'heart-rate'): Json {
  return JSON.parse(JSON.stringify(vitalSignObservation(SAMPLE_READINGS[kind]))) as Json;
}

function refusal(value: unknown): VigilError {
  try {
    validateObservation(value, { schemaValidator: officialSchemaValidator() });
  } catch (error) {
    assert.ok(error instanceof VigilError, 'throws a VigilError');
    return error;
  }
  assert.fail('the Observation was accepted');
}

describe('when the Observation breaks the official FHIR R4 schema', () => {
  it('refuses an unknown property with ERR_FHIR_SCHEMA', () => {
    const error = refusal({ ...sample(), patientName: 'Jane Doe' });
    assert.equal(error.code, 'ERR_FHIR_SCHEMA');
    assert.deepEqual(error.details, { path: '', keyword: 'additionalProperties' });
  });

  it('refuses a value of the wrong type with ERR_FHIR_SCHEMA and the path', () => {
    const obs = sample();
    (obs['valueQuantity'] as Json)['value'] = '72';
    const error = refusal(obs);
    assert.equal(error.code, 'ERR_FHIR_SCHEMA');
    assert.equal(error.details?.['path'], '/valueQuantity/value');
  });

  it('refuses a malformed effectiveDateTime with ERR_FHIR_SCHEMA', () => {
    assert.equal(refusal({ ...sample(), effectiveDateTime: '14/03/2025' }).code, 'ERR_FHIR_SCHEMA');
  });

  it('refuses another resource type with ERR_FHIR_SCHEMA', () => {
    assert.equal(refusal({ ...sample(), resourceType: 'Patient' }).code, 'ERR_FHIR_SCHEMA');
  });

  it('refuses a non-object with ERR_FHIR_SCHEMA', () => {
    for (const value of [null, 42, 'Observation', [], undefined]) {
      assert.equal(refusal(value).code, 'ERR_FHIR_SCHEMA');
    }
  });

  it('refuses a missing status with ERR_FHIR_SCHEMA (FHIR 1..1, not in the JSON schema)', () => {
    const { status: _status, ...obs } = sample();
    const error = refusal(obs);
    assert.equal(error.code, 'ERR_FHIR_SCHEMA');
    assert.equal(error.details?.['path'], '/status');
  });
});

describe('when the Observation is valid FHIR but not a vital sign we accept', () => {
  it('refuses a preliminary status with ERR_FHIR_STATUS', () => {
    assert.equal(refusal({ ...sample(), status: 'preliminary' }).code, 'ERR_FHIR_STATUS');
  });

  it('refuses a wrong unit with ERR_FHIR_UNIT', () => {
    const obs = sample('body-temperature');
    Object.assign(obs['valueQuantity'] as Json, { code: '[degF]', value: 98.6 });
    assert.equal(refusal(obs).code, 'ERR_FHIR_UNIT');
  });

  it('refuses a unit from another system with ERR_FHIR_UNIT', () => {
    const obs = sample();
    (obs['valueQuantity'] as Json)['system'] = 'http://example.org/units';
    assert.equal(refusal(obs).code, 'ERR_FHIR_UNIT');
  });

  it('refuses a wrong LOINC code with ERR_FHIR_CODE', () => {
    const obs = sample();
    obs['code'] = { coding: [{ system: 'http://loinc.org', code: '2339-0' }] };
    assert.equal(refusal(obs).code, 'ERR_FHIR_CODE');
  });

  it('refuses two vital-sign codes at once with ERR_FHIR_CODE', () => {
    const obs = sample();
    obs['code'] = {
      coding: [
        { system: 'http://loinc.org', code: '8867-4' },
        { system: 'http://loinc.org', code: '9279-1' },
      ],
    };
    assert.equal(refusal(obs).code, 'ERR_FHIR_CODE');
  });

  it('refuses the pulse-oximetry code on a heart rate with ERR_FHIR_CODE', () => {
    const obs = sample();
    (obs['code'] as { coding: Json[] }).coding.push({
      system: 'http://loinc.org',
      code: '59408-5',
    });
    assert.equal(refusal(obs).code, 'ERR_FHIR_CODE');
  });

  it('refuses a blood pressure without its diastolic component with ERR_FHIR_CODE', () => {
    const obs = sample('blood-pressure');
    (obs['component'] as Json[]).pop();
    assert.equal(refusal(obs).code, 'ERR_FHIR_CODE');
  });

  it('refuses an out-of-range value with ERR_FHIR_VALUE_RANGE', () => {
    const obs = sample('oxygen-saturation');
    (obs['valueQuantity'] as Json)['value'] = 101;
    const error = refusal(obs);
    assert.equal(error.code, 'ERR_FHIR_VALUE_RANGE');
    assert.equal(error.details?.['path'], '/valueQuantity/value');
  });

  it('refuses a missing value with ERR_FHIR_VALUE_RANGE', () => {
    const { valueQuantity: _v, ...obs } = sample();
    assert.equal(refusal(obs).code, 'ERR_FHIR_VALUE_RANGE');
  });

  it('refuses another category with ERR_FHIR_CATEGORY', () => {
    const obs = sample();
    obs['category'] = [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'laboratory',
          },
        ],
      },
    ];
    assert.equal(refusal(obs).code, 'ERR_FHIR_CATEGORY');
  });

  it('refuses a missing device with ERR_FHIR_DEVICE', () => {
    const { device: _d, ...obs } = sample();
    assert.equal(refusal(obs).code, 'ERR_FHIR_DEVICE');
  });

  it('refuses a date without time zone with ERR_FHIR_EFFECTIVE', () => {
    assert.equal(
      refusal({ ...sample(), effectiveDateTime: '2025-03-14' }).code,
      'ERR_FHIR_EFFECTIVE',
    );
  });
});

describe('when the Observation could identify the patient', () => {
  it('refuses subject.display "Jane Doe" with ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS', () => {
    const obs = sample();
    (obs['subject'] as Json)['display'] = 'Jane Doe';
    const error = refusal(obs);
    assert.equal(error.code, 'ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS');
    assert.equal(error.details?.['path'], '/subject/display');
  });

  it('refuses a subject.reference to a Patient with ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS', () => {
    assert.equal(
      refusal({ ...sample(), subject: { reference: 'Patient/123' } }).code,
      'ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS',
    );
  });

  it('refuses an MRN identifier with ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS', () => {
    const subject = { identifier: { system: 'urn:oid:2.16.840.1.113883.4.1', value: '123456789' } };
    assert.equal(refusal({ ...sample(), subject }).code, 'ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS');
  });

  it('refuses a name as the pseudonym value with ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS', () => {
    const subject = { identifier: { system: 'urn:vigil:pseudonym', value: 'Jane Doe' } };
    assert.equal(refusal({ ...sample(), subject }).code, 'ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS');
  });

  it('refuses a note, narrative or contained Patient with ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS', () => {
    const extras: Json[] = [
      { note: [{ text: 'Jane felt dizzy' }] },
      {
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Jane</div>' },
      },
      { contained: [{ resourceType: 'Patient', id: 'p', name: [{ family: 'Doe' }] }] },
      { performer: [{ display: 'Dr Who' }] },
    ];
    for (const extra of extras) {
      assert.equal(
        refusal({ ...sample(), ...extra }).code,
        'ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS',
        Object.keys(extra)[0],
      );
    }
  });
});

describe('when the schema given is not the FHIR schema', () => {
  it('refuses it with ERR_FHIR_SCHEMA_UNUSABLE', () => {
    for (const schema of [{}, { id: 'urn:x', definitions: {} }]) {
      assert.throws(
        () => createFhirSchemaValidator(schema),
        (e) => e instanceof VigilError && e.code === 'ERR_FHIR_SCHEMA_UNUSABLE',
      );
    }
  });

  it('compiles the official schema once and reuses it', () => {
    assert.equal(officialSchemaValidator(), officialSchemaValidator());
  });

  it('maps a validator that throws to ERR_FHIR_SCHEMA', () => {
    const schemaValidator = (): never => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    assert.throws(
      () => validateObservation(sample(), { schemaValidator }),
      (e) => e instanceof VigilError && e.code === 'ERR_FHIR_SCHEMA',
    );
  });
});

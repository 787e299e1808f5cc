import {
  LOINC_SYSTEM,
  PSEUDONYM_SYSTEM,
  VITAL_SIGNS,
  VITAL_SIGN_KINDS,
  type VitalSignKind,
} from '@vigil/protect';
import type { PulledReading } from './data-pull.js';

/** Where a re-identified export names the patient identifier (the gateway's normalised id). */
export const PATIENT_ID_SYSTEM = 'urn:vigil:patient-id';

export interface ExportOptions {
  /** Write patient identifiers next to pseudonyms (re-identification; GDPR Art. 4(5)). */
  readonly reidentify: boolean;
  /** Makes the `urn:uuid:` ids of the Bundle's entries (RFC 4122 v4). */
  readonly uuid: () => string;
  readonly now: Date;
}

interface BundleEntry {
  fullUrl: string;
  resource: Record<string, unknown>;
}

/**
 * A FHIR R4 Bundle of type `collection` (http://hl7.org/fhir/R4/bundle.html):
 * each Observation as validated, in `entry[].resource` with a `urn:uuid:`
 * `fullUrl`. Subjects stay pseudonyms; with `reidentify`, each patient gets a
 * Patient entry carrying the pseudonym and the patient identifier, and the
 * Observations reference it.
 */
export function toFhirBundle(
  readings: readonly PulledReading[],
  options: ExportOptions,
): Record<string, unknown> {
  const entries: BundleEntry[] = [];
  const patients = new Map<string, string>();
  if (options.reidentify) {
    for (const { pseudonym, patientId } of readings) {
      if (patients.has(pseudonym)) continue;
      const fullUrl = `urn:uuid:${options.uuid()}`;
      patients.set(pseudonym, fullUrl);
      const identifier = [
        { system: PSEUDONYM_SYSTEM, value: pseudonym },
        ...(patientId === undefined ? [] : [{ system: PATIENT_ID_SYSTEM, value: patientId }]),
      ];
      entries.push({ fullUrl, resource: { resourceType: 'Patient', identifier } });
    }
  }
  for (const { observation, pseudonym } of readings) {
    const reference = patients.get(pseudonym);
    const resource: Record<string, unknown> =
      reference === undefined
        ? { ...observation }
        : { ...observation, subject: { ...observation.subject, reference } };
    entries.push({ fullUrl: `urn:uuid:${options.uuid()}`, resource });
  }
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: options.now.toISOString(),
    entry: entries,
  };
}

const CSV_COLUMNS = ['pseudonym', 'label', 'kind', 'code', 'value', 'unit', 'effective', 'device'];

/**
 * CSV (RFC 4180, CRLF): one row per measured quantity — blood pressure gives a
 * systolic and a diastolic row. `patient_id` is added only with `reidentify`.
 */
export function toCsv(readings: readonly PulledReading[], options: ExportOptions): string {
  const header = options.reidentify ? [...CSV_COLUMNS, 'patient_id'] : CSV_COLUMNS;
  const rows: string[][] = [header];
  for (const reading of readings) {
    const { observation } = reading;
    const kind = kindOf(observation.code.coding.map((c) => c.code)) ?? '';
    const quantities = observation.valueQuantity
      ? [{ code: observation.code.coding[0]?.code ?? '', quantity: observation.valueQuantity }]
      : (observation.component ?? []).map((c) => ({
          code: c.code.coding.find((x) => x.system === LOINC_SYSTEM)?.code ?? '',
          quantity: c.valueQuantity,
        }));
    for (const { code, quantity } of quantities) {
      const row = [
        reading.pseudonym,
        reading.label ?? '',
        kind,
        code,
        String(quantity.value),
        quantity.code,
        observation.effectiveDateTime,
        reading.deviceId,
      ];
      if (options.reidentify) row.push(reading.patientId ?? '');
      rows.push(row);
    }
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function kindOf(codes: readonly string[]): VitalSignKind | undefined {
  return VITAL_SIGN_KINDS.find((kind) => codes.includes(VITAL_SIGNS[kind].code.code));
}

/**
 * RFC 4180 §2 quoting; and a field that a spreadsheet would run as a formula
 * (OWASP "CSV injection": = + - @ tab CR) is prefixed with a quote mark.
 * Numbers and times are left alone: a negative value is not a formula.
 */
function csvField(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

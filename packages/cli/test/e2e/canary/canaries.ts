import { randomBytes } from 'node:crypto';
import type { TelemetryReading } from '@vigil/agent';
import { normalisePatientId } from '@vigil/protect';
import { identifierNeedles, numberNeedles, type Needle } from './byte-search.js';

/**
 * The canaries of the acceptance criterion "readings for patients with known
 * canary identifiers and values go through the whole system; neither appears in
 * the server's data files, its logs or the bytes on the wire". Synthetic people
 * only: the names, record numbers and dates are invented, and distinctive
 * enough that finding one anywhere can only mean it leaked.
 */
export interface CanaryPatient {
  readonly givenName: string;
  readonly familyName: string;
  readonly mrn: string;
  readonly birthDate: string;
  /** Values in the catalogue's units (VITAL_SIGNS): /min, %, Cel, mm[Hg]. */
  readonly values: {
    readonly heartRate: number;
    readonly oxygenSaturation: number;
    readonly bodyTemperature: number;
    readonly systolic: number;
    readonly diastolic: number;
    readonly respiratoryRate: number;
  };
}

/**
 * Values inside the plausible ranges of `VITAL_SIGNS` (observation-rules.ts
 * refuses others) with five decimals: `vitalSignObservation` keeps a value as
 * given, and a whole number such as 86 or 173 would be found in any file by
 * chance, so it could not be searched for.
 */
export const CANARY_PATIENTS: readonly CanaryPatient[] = [
  {
    givenName: 'Zebulonimus',
    familyName: 'Canarywhistle',
    mrn: 'MRN-CANARY-7391542',
    birthDate: '1911-07-23',
    values: {
      heartRate: 173.41729,
      oxygenSaturation: 86.39157,
      bodyTemperature: 39.87631,
      systolic: 187.29571,
      diastolic: 113.86429,
      respiratoryRate: 27.61853,
    },
  },
  {
    // Not ASCII: UTF-8, UTF-16 and \u-escaped forms then differ from the bytes of a plain name.
    givenName: 'Ysoldabrina',
    familyName: 'Ødegård-Finchley',
    mrn: 'MRN-CANARY-8264913',
    birthDate: '1908-02-29',
    values: {
      heartRate: 41.93267,
      oxygenSaturation: 91.57283,
      bodyTemperature: 35.18437,
      systolic: 96.47315,
      diastolic: 58.21749,
      respiratoryRate: 13.73541,
    },
  },
];

/** What the gateway app hands to `telemetry.record`: record number, name and birth date. */
export function patientIdentifier(patient: CanaryPatient): string {
  return `${patient.mrn}^${patient.givenName} ${patient.familyName}^${patient.birthDate}`;
}

/** Two batches per patient, every kind of reading, a second apart. */
export function canaryBatches(patient: CanaryPatient, now: number): TelemetryReading[][] {
  const v = patient.values;
  const at = (secondsAgo: number) => new Date(now - secondsAgo * 1_000);
  return [
    [
      { kind: 'heart-rate', value: v.heartRate, effective: at(4) },
      { kind: 'oxygen-saturation', value: v.oxygenSaturation, effective: at(4) },
      { kind: 'respiratory-rate', value: v.respiratoryRate, effective: at(3) },
    ],
    [
      { kind: 'body-temperature', value: v.bodyTemperature, effective: at(2) },
      {
        kind: 'blood-pressure',
        value: { systolic: v.systolic, diastolic: v.diastolic },
        effective: at(1),
      },
    ],
  ];
}

/**
 * The shortest canary text: a caseless needle of n letters matches random
 * base64 (stored JWEs) with a chance of 32^-n per position, so 7 letters would
 * turn up by chance in a few megabytes; 10 keep that below 10^-8 per run.
 */
export const MIN_CANARY_TEXT = 10;

/** The identifier texts of a patient to look for, each on its own and as the gateway has them. */
export function identifierTexts(patient: CanaryPatient): string[] {
  const identifier = patientIdentifier(patient);
  return [
    identifier,
    normalisePatientId(identifier),
    `${patient.givenName} ${patient.familyName}`,
    patient.givenName,
    patient.familyName,
    patient.mrn,
    patient.birthDate,
  ];
}

export function valuesOf(patient: CanaryPatient): number[] {
  return Object.values(patient.values);
}

/**
 * Every form a canary could take in a file, a log line or a packet:
 * identifiers as text (any ASCII case, UTF-8, UTF-16LE, \u-escaped, hex) and
 * as base64/base64url at each alignment; values as decimal text, as the FHIR
 * JSON fragment `"value":39.87631` and as IEEE 754 doubles in either byte order.
 */
export function canaryNeedles(): Needle[] {
  return CANARY_PATIENTS.flatMap((patient) => [
    ...identifierTexts(patient).flatMap((text) => identifierNeedles(text)),
    ...valuesOf(patient).flatMap((value) => numberNeedles(value)),
  ]);
}

/**
 * Strings the server legitimately keeps or logs in clear, made unique per run so
 * that an earlier run cannot satisfy them. Each search place must find its
 * controls with the very search that must not find the canaries: a search that
 * cannot fail proves nothing.
 */
export interface Controls {
  /** The care organisation's name: stored by the server. */
  readonly organisationName: string;
  /** The enrolment token's site: stored by the server. */
  readonly site: string;
  /** The gateway's serial number: in its CSR (base64 on the wire) and stored with the device. */
  readonly serialNumber: string;
  /** Requested as a path on the main listener: fastify logs the URL of each request. */
  readonly logPath: string;
}

export function makeControls(): Controls {
  const run = randomBytes(5).toString('hex');
  return {
    organisationName: `Canary Control Ward ${run}`,
    site: `Canary Control Site ${run}`,
    serialNumber: `CANARYCTL-${run.toUpperCase()}`,
    logPath: `/api/v1/canary-log-control-${run}`,
  };
}

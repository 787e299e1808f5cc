import type { ManifestPins, NewDataKey, P256PublicJwk } from '@vigil/protect';
import { AgentError } from '../errors.js';

/**
 * What telemetry keeps between runs, as one JSON record in the agent's storage
 * (`AgentStorage.saveRecord('telemetry', …)`). Nothing in it is secret in clear:
 * the pins and the manifest are public, the data keys are wrapped to the care
 * team and the recovery key, and the pseudonym table is sealed under a key
 * derived from the pseudonym secret, which only the gateway app holds. Pure:
 * parse and serialise only.
 */

/** A General JSON JWE, as `newDataKey` and `sealTableForStaff` make them. */
export type GeneralJwe = NewDataKey['wrapped'];

/** The record's name in `AgentStorage`. */
export const TELEMETRY_RECORD = 'telemetry';

/** A data key this gateway made, wrapped; kept until the server has it, and a while after. */
export interface StoredDataKey {
  readonly kid: string;
  readonly epoch: number;
  readonly jwe: GeneralJwe;
  /** The server answered 201 or 200 to `PUT /device/v1/data-keys/:kid`. */
  readonly uploaded: boolean;
}

/** Which staff copy of the pseudonym table the server has. */
export interface StaffCopyState {
  /** Patients in the copy uploaded last. */
  readonly entries: number;
  /** The team and recovery key ids it was sealed to (`<team kid>.<recovery kid>`). */
  readonly recipients: string;
}

export interface TelemetryState {
  /** Null until the first manifest is accepted (trust on first use). */
  readonly pins: (ManifestPins & { readonly lastAcceptedVersion: number }) | null;
  /** The last manifest accepted, so that a restart without network can still encrypt. */
  readonly manifestJws: string | null;
  /** The gateway copy of the pseudonym table (compact JWE, `dir` + A256GCM). */
  readonly pseudonymTable: string | null;
  readonly staffCopy: StaffCopyState | null;
  readonly dataKeys: readonly StoredDataKey[];
}

export const EMPTY_STATE: TelemetryState = {
  pins: null,
  manifestJws: null,
  pseudonymTable: null,
  staffCopy: null,
  dataKeys: [],
};

const FORMAT = 1;
/** Uploaded data keys kept for a re-upload (`ERR_DATA_KEY_UNKNOWN`); pending ones are never dropped. */
export const UPLOADED_DATA_KEYS_KEPT = 16;

/** The record's text. */
export function serialiseState(state: TelemetryState): string {
  return `${JSON.stringify({ format: FORMAT, ...state })}\n`;
}

/**
 * Reads the record back, or refuses it with `ERR_AGENT_STORAGE_CORRUPT`. Shapes
 * only: the manifest is verified again against the pins by the caller.
 */
export function parseState(text: string): TelemetryState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw corrupt('it is not JSON', cause);
  }
  if (!isRecord(value) || value['format'] !== FORMAT) throw corrupt('unknown format');
  const { pins, manifestJws, pseudonymTable, staffCopy, dataKeys } = value;
  if (!Array.isArray(dataKeys)) throw corrupt('dataKeys is not a list');
  return {
    pins: pins === null ? null : parsePins(pins),
    manifestJws: nullableString(manifestJws, 'manifestJws'),
    pseudonymTable: nullableString(pseudonymTable, 'pseudonymTable'),
    staffCopy: staffCopy === null ? null : parseStaffCopy(staffCopy),
    dataKeys: dataKeys.map(parseDataKey),
  };
}

/**
 * Keeps every data key the server does not have yet and the newest
 * {@link UPLOADED_DATA_KEYS_KEPT} it has, so the record does not grow with
 * every restart.
 */
export function pruneDataKeys(keys: readonly StoredDataKey[]): StoredDataKey[] {
  const uploaded = keys.filter((k) => k.uploaded);
  const dropped = new Set(
    uploaded.slice(0, Math.max(0, uploaded.length - UPLOADED_DATA_KEYS_KEPT)),
  );
  return keys.filter((k) => !dropped.has(k));
}

function parsePins(value: unknown): TelemetryState['pins'] {
  if (!isRecord(value)) throw corrupt('pins is not an object');
  const { organisationId, signingPublicJwk, lastAcceptedVersion } = value;
  if (typeof organisationId !== 'string' || organisationId.length === 0) {
    throw corrupt('pins.organisationId is missing');
  }
  if (!isRecord(signingPublicJwk)) throw corrupt('pins.signingPublicJwk is missing');
  if (!isPositive(lastAcceptedVersion)) throw corrupt('pins.lastAcceptedVersion is not a version');
  // Checked as a key by verifyManifest when the stored manifest is verified again.
  return {
    organisationId,
    signingPublicJwk: signingPublicJwk as unknown as P256PublicJwk,
    lastAcceptedVersion,
  };
}

function parseStaffCopy(value: unknown): StaffCopyState {
  if (!isRecord(value)) throw corrupt('staffCopy is not an object');
  const { entries, recipients } = value;
  if (!Number.isSafeInteger(entries) || (entries as number) < 0 || typeof recipients !== 'string') {
    throw corrupt('staffCopy is malformed');
  }
  return { entries: entries as number, recipients };
}

function parseDataKey(value: unknown): StoredDataKey {
  if (!isRecord(value)) throw corrupt('a data key is not an object');
  const { kid, epoch, jwe, uploaded } = value;
  if (
    typeof kid !== 'string' ||
    !isPositive(epoch) ||
    !isRecord(jwe) ||
    typeof uploaded !== 'boolean'
  ) {
    throw corrupt('a data key is malformed');
  }
  return { kid, epoch, jwe: jwe as unknown as GeneralJwe, uploaded };
}

function nullableString(value: unknown, field: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value.length === 0) throw corrupt(`${field} is malformed`);
  return value;
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function corrupt(reason: string, cause?: unknown): AgentError {
  return new AgentError(
    'ERR_AGENT_STORAGE_CORRUPT',
    `The stored telemetry state is invalid: ${reason}.`,
    cause === undefined ? {} : { cause },
  );
}

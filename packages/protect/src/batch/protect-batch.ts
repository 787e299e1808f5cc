import { VigilError } from '@vigil/core/errors';
import { importJWK, type CryptoKey } from 'jose';
import type { VitalSignObservation } from '../fhir/observation.js';
import type { P256PrivateJwk } from '../manifest/signing-key.js';
import {
  BATCH_CONTENT_ENCRYPTION,
  BATCH_JWE_TYPE,
  BATCH_JWS_TYPE,
  BATCH_KEY_MANAGEMENT,
  isIdentifier,
  isPseudonym,
  isSequence,
  isTimestamp,
} from './batch-header.js';
import { canonicalJson } from './canonical-json.js';
import { encryptCompactDirA256Gcm, signCompactEs256 } from './compact-jose.js';
import type { DataKey } from './data-key.js';

const utf8 = new TextEncoder();

/** What the agent protects: one patient's readings from one device. */
export interface BatchInput {
  /** The epoch data key (see `newDataKey`). */
  readonly dataKey: DataKey;
  /** The device's ECDSA P-256 private key (CryptoKey for speed, or a JWK). */
  readonly signingKey: CryptoKey | P256PrivateJwk;
  readonly organisationId: string;
  readonly deviceId: string;
  /** Per device, strictly increasing from 1 (the server refuses replays). */
  readonly sequence: number;
  readonly createdAt: Date;
  readonly pseudonym: string;
  /** Built with `vitalSignObservation` for this pseudonym and device. */
  readonly observations: readonly VitalSignObservation[];
}

/**
 * Signs and encrypts a batch of readings. The payload is a compact JWS (ES256,
 * the device's key) over the canonical JSON of
 * `{ organisationId, deviceId, sequence, createdAt, pseudonym, observations }`;
 * it is encrypted as a compact JWE (`dir` + A256GCM under the epoch data key)
 * whose protected header — the AAD — repeats those fields with the epoch and
 * the data key's kid. Sign-then-encrypt: the device's signature is only visible
 * to key holders, and the server sees no more than the header.
 *
 * @throws VigilError ERR_PROTECT_PARAMETERS_INVALID
 * @example
 * const jwe = await protectBatch({ dataKey, signingKey: device.privateKey,
 *   organisationId: 'org-1', deviceId, sequence: 42, createdAt: clock.now(),
 *   pseudonym, observations });
 */
export async function protectBatch(input: BatchInput): Promise<string> {
  const { dataKey, organisationId, deviceId, sequence, createdAt, pseudonym } = input;
  if (!isIdentifier(organisationId) || !isIdentifier(deviceId)) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      'organisationId and deviceId are 1–128 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-".',
    );
  }
  if (dataKey.organisationId !== organisationId) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      "The data key is another organisation's.",
    );
  }
  if (!isSequence(sequence)) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'sequence must be an integer ≥ 1.');
  }
  if (!(createdAt instanceof Date) || Number.isNaN(createdAt.getTime())) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'createdAt must be a valid Date.');
  }
  if (!isPseudonym(pseudonym)) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'pseudonym is not a Vigil pseudonym.');
  }
  if (!Array.isArray(input.observations) || !observationsBelongTo(input.observations, input)) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      "Every observation must name the batch's pseudonym and device.",
    );
  }
  const binding = {
    organisationId,
    deviceId,
    sequence,
    createdAt: createdAt.toISOString(),
    pseudonym,
    ...timeRangeOf(input.observations, createdAt),
  };
  const signed = await signCompactEs256(
    { alg: 'ES256', typ: BATCH_JWS_TYPE },
    utf8.encode(canonicalJson({ ...binding, observations: input.observations })),
    await signingKeyOf(input.signingKey),
  );
  return encryptCompactDirA256Gcm(
    {
      alg: BATCH_KEY_MANAGEMENT,
      enc: BATCH_CONTENT_ENCRYPTION,
      typ: BATCH_JWE_TYPE,
      ...binding,
      epoch: dataKey.epoch,
      kid: dataKey.kid,
    },
    signed,
    dataKey.key,
  );
}

/**
 * The first and last reading time of a batch (ISO strings of equal format sort
 * chronologically), or the batch's creation time when it holds no reading.
 */
export function timeRangeOf(
  observations: readonly VitalSignObservation[],
  createdAt: Date,
): { from: string; to: string } {
  if (observations.length === 0) {
    const at = createdAt.toISOString();
    return { from: at, to: at };
  }
  let from = observations[0]?.effectiveDateTime ?? '';
  let to = from;
  for (const { effectiveDateTime } of observations) {
    if (!isTimestamp(effectiveDateTime)) {
      throw new VigilError(
        'ERR_PROTECT_PARAMETERS_INVALID',
        'Every effectiveDateTime must be UTC with milliseconds, as Date#toISOString writes it.',
      );
    }
    if (effectiveDateTime < from) from = effectiveDateTime;
    if (effectiveDateTime > to) to = effectiveDateTime;
  }
  return { from, to };
}

/**
 * Whether every observation's subject is the batch's pseudonym and its device the
 * batch's device (as `vitalSignObservation` writes it): a batch carries one patient.
 */
export function observationsBelongTo(
  observations: readonly unknown[],
  binding: { readonly deviceId: string; readonly pseudonym: string },
): boolean {
  const device = `urn:uuid:${binding.deviceId.toLowerCase()}`;
  return observations.every((item) => {
    const o = item as Partial<VitalSignObservation> | null;
    return (
      typeof o === 'object' &&
      o !== null &&
      o.subject?.identifier?.value === binding.pseudonym &&
      o.device?.identifier?.value === device
    );
  });
}

async function signingKeyOf(key: CryptoKey | P256PrivateJwk): Promise<CryptoKey> {
  if (isCryptoKey(key)) return key;
  try {
    const imported = await importJWK(key, 'ES256');
    if (isCryptoKey(imported)) return imported;
  } catch (cause) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'The signing key is not a P-256 JWK.', {
      cause,
    });
  }
  throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'The signing key is not a P-256 JWK.');
}

export function isCryptoKey(value: unknown): value is CryptoKey {
  // Duck-typed: CryptoKey is a global in browsers and Node.js ≥ 20, but not in every bundler's types.
  return (
    typeof value === 'object' &&
    value !== null &&
    'algorithm' in value &&
    'usages' in value &&
    'type' in value
  );
}

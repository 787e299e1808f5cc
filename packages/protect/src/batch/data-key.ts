import { VigilError } from '@vigil/core/errors';
import { base64url, type CryptoKey, type GeneralJWE } from 'jose';
import { decryptAsRecipient, encryptToRecipients } from '../jwe-envelope.js';
import type { PrivateEcJwk, PublicEcJwk } from '../keys.js';
import { bufferSource } from '../buffer-source.js';

/**
 * The epoch data key: one random AES-256-GCM key per team epoch (or per gateway
 * session) that encrypts every telemetry batch with `alg: dir`. It is wrapped
 * ONCE to the team-epoch key and the recovery key with the multi-recipient JWE
 * of `jwe-envelope.ts`, so the ~5 ms ECDH-ES cost is paid per epoch, not per
 * batch (ADR 0009).
 */

/** `typ` of a wrapped data key (RFC 7516 §4.1.11). */
export const DATA_KEY_JWE_TYPE = 'vigil-data-key+jwe';

const KEY_BYTES = 32;
const KID_BYTES = 16;
const KID = /^dk_[A-Za-z0-9_-]{22}$/;

/** Which data key a wrapped JWE carries: all three are in its protected header. */
export interface DataKeyContext {
  readonly organisationId: string;
  /** The team epoch the data key is wrapped to (1, 2, …). */
  readonly epoch: number;
}

/** A data key ready to encrypt batches (`key` is non-extractable). */
export interface DataKey extends DataKeyContext {
  /** `dk_` + 128 random bits, base64url: named in every batch header. */
  readonly kid: string;
  readonly key: CryptoKey;
}

/** A freshly made data key and its wrapped form, which the server stores and serves. */
export interface NewDataKey extends DataKey {
  readonly wrapped: GeneralJWE;
}

/**
 * Makes a data key for an epoch and wraps it to the team key and the recovery key.
 * The raw bytes exist only while wrapping; the returned CryptoKey cannot be exported.
 *
 * @example
 * const dataKey = await newDataKey({ organisationId: 'org-1', epoch: 3,
 *   teamPublicJwk: manifest.teamKey, recoveryPublicJwk: manifest.recoveryKey });
 * await upload(dataKey.kid, dataKey.wrapped); // then protectBatch({ dataKey, … })
 */
export async function newDataKey(options: {
  organisationId: string;
  epoch: number;
  teamPublicJwk: PublicEcJwk;
  recoveryPublicJwk: PublicEcJwk;
}): Promise<NewDataKey> {
  const context = checkContext(options);
  const raw = globalThis.crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const kid = `dk_${base64url.encode(globalThis.crypto.getRandomValues(new Uint8Array(KID_BYTES)))}`;
  try {
    // `dataKid`, not `kid`: the recipients' `kid`s name the wrapping keys (jose wants them disjoint).
    const header = { typ: DATA_KEY_JWE_TYPE, ...context, dataKid: kid };
    const wrapped = await encryptToRecipients(raw, header, [
      options.teamPublicJwk,
      options.recoveryPublicJwk,
    ]);
    return { ...context, kid, key: await importDataKey(raw), wrapped };
  } finally {
    raw.fill(0);
  }
}

/**
 * Unwraps a data key with the team-epoch private key (a member first unwraps the
 * team key with `unwrapTeamKey`) or with the recovery private key, and checks the
 * organisation, the epoch and, when given, the kid.
 *
 * @example
 * const team = await unwrapTeamKey(epochJwe, alice.privateJwk, { organisationId: 'org-1', epoch: 3 });
 * const dataKey = await unwrapDataKey(wrapped, team, { organisationId: 'org-1', epoch: 3 });
 */
export async function unwrapDataKey(
  wrapped: unknown,
  teamOrRecoveryPrivateJwk: PrivateEcJwk,
  expected: DataKeyContext & { readonly kid?: string },
): Promise<DataKey> {
  const context = checkContext(expected);
  const { plaintext, header } = await decryptAsRecipient(
    wrapped,
    teamOrRecoveryPrivateJwk,
    DATA_KEY_JWE_TYPE,
  );
  const kid = header['dataKid'];
  if (
    header['organisationId'] !== context.organisationId ||
    header['epoch'] !== context.epoch ||
    typeof kid !== 'string' ||
    !KID.test(kid) ||
    (expected.kid !== undefined && kid !== expected.kid)
  ) {
    throw new VigilError(
      'ERR_PROTECT_KEY_MISMATCH',
      `Expected a data key of ${context.organisationId} epoch ${context.epoch}.`,
      { details: { organisationId: header['organisationId'], epoch: header['epoch'], kid } },
    );
  }
  if (plaintext.byteLength !== KEY_BYTES) {
    throw new VigilError('ERR_PROTECT_DECRYPTION_FAILED', 'The wrapped data key is not 256 bits.');
  }
  try {
    return { ...context, kid, key: await importDataKey(plaintext) };
  } finally {
    plaintext.fill(0);
  }
}

async function importDataKey(raw: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey(
    'raw',
    bufferSource(raw),
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

function checkContext({ organisationId, epoch }: DataKeyContext): DataKeyContext {
  if (
    typeof organisationId !== 'string' ||
    organisationId.length === 0 ||
    organisationId.length > 128
  ) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      'organisationId must be 1–128 characters.',
    );
  }
  if (!Number.isSafeInteger(epoch) || epoch < 1) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'epoch must be an integer ≥ 1.');
  }
  return { organisationId, epoch };
}

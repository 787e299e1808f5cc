import { VigilError } from '@vigil/core/errors';
import type { GeneralJWE } from 'jose';
import { decryptAsRecipient, encryptToRecipients } from '../jwe-envelope.js';
import type { PrivateEcJwk, PublicEcJwk } from '../keys.js';

/**
 * The staff copy of the care organisation's pseudonym secret (ADR 0011 §4): the
 * secret goes to gateways in clear at installation; this copy is wrapped to a
 * team epoch and the recovery key (one General JSON JWE, ECDH-ES+A256KW +
 * A256GCM) so that authorised staff can derive a known patient's pseudonym,
 * and the server never holds it readable. Next to the keystore because it is,
 * like the keystore, key material the care team keeps.
 */

/** `typ` of the wrapped secret (RFC 7516 §4.1.11). */
export const PSEUDONYM_SECRET_JWE_TYPE = 'vigil-pseudonym-secret+jwe';

const MIN_SECRET_BYTES = 32;
const MAX_SECRET_BYTES = 1024;

/**
 * Wraps the pseudonym secret to a team epoch's public key and the recovery key;
 * the protected header binds `organisationId` and `epoch`.
 *
 * @throws VigilError ERR_PROTECT_PARAMETERS_INVALID
 * @example
 * const jwe = await sealPseudonymSecretForStaff(secret, { organisationId: 'org-1', epoch: 1,
 *   teamPublicJwk: epoch.teamKey.publicJwk, recoveryPublicJwk: recovery.publicJwk });
 */
export async function sealPseudonymSecretForStaff(
  secret: Uint8Array,
  to: {
    organisationId: string;
    epoch: number;
    teamPublicJwk: PublicEcJwk;
    recoveryPublicJwk: PublicEcJwk;
  },
): Promise<GeneralJWE> {
  checkSecret(secret);
  if (!Number.isSafeInteger(to.epoch) || to.epoch < 1) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'epoch must be an integer ≥ 1.');
  }
  const header = {
    typ: PSEUDONYM_SECRET_JWE_TYPE,
    organisationId: to.organisationId,
    epoch: to.epoch,
  };
  return encryptToRecipients(secret, header, [to.teamPublicJwk, to.recoveryPublicJwk]);
}

/**
 * Opens the staff copy with the team private key of the epoch it was wrapped to
 * (or the recovery key); pick the key by the recipients' `kid`s.
 *
 * @throws VigilError ERR_PROTECT_DECRYPTION_FAILED, ERR_PROTECT_NOT_A_RECIPIENT,
 *   ERR_PROTECT_KEY_MISMATCH, ERR_PROTECT_ALGORITHM_REFUSED
 * @example
 * const secret = await openPseudonymSecretForStaff(jwe, teamPrivate, { organisationId: 'org-1', epoch: 2 });
 */
export async function openPseudonymSecretForStaff(
  jwe: unknown,
  privateJwk: PrivateEcJwk,
  expected: { organisationId: string; epoch: number },
): Promise<Uint8Array> {
  const { plaintext, header } = await decryptAsRecipient(
    jwe,
    privateJwk,
    PSEUDONYM_SECRET_JWE_TYPE,
  );
  if (header['organisationId'] !== expected.organisationId || header['epoch'] !== expected.epoch) {
    throw new VigilError(
      'ERR_PROTECT_KEY_MISMATCH',
      `Expected the pseudonym secret of ${expected.organisationId} epoch ${expected.epoch}.`,
    );
  }
  if (plaintext.byteLength < MIN_SECRET_BYTES || plaintext.byteLength > MAX_SECRET_BYTES) {
    throw new VigilError('ERR_PROTECT_DECRYPTION_FAILED', 'The wrapped secret has a wrong length.');
  }
  return plaintext;
}

function checkSecret(secret: Uint8Array): void {
  if (
    !(secret instanceof Uint8Array) ||
    secret.byteLength < MIN_SECRET_BYTES ||
    secret.byteLength > MAX_SECRET_BYTES
  ) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      `The pseudonym secret must be ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes.`,
    );
  }
}

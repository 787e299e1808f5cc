import { VigilError } from '@vigil/core/errors';
import {
  decodeProtectedHeader,
  generalDecrypt,
  GeneralEncrypt,
  importJWK,
  type CryptoKey,
  type GeneralJWE,
  type JWEHeaderParameters,
} from 'jose';
import {
  isHeldPrivateKey,
  keyIdOf,
  toPrivateJwk,
  toPublicJwk,
  type HeldPrivateKey,
  type PrivateEcJwk,
  type PublicEcJwk,
} from './keys.js';

/**
 * The one multi-recipient envelope this package writes and reads: a JWE in
 * General JSON serialization (RFC 7516 §7.2.1), one recipient per key, each
 * named by its RFC 7638 `kid`. Internal: key-wrap and table sealing build on it.
 */

/** RFC 7518 §4.6: ephemeral-static ECDH, the derived key wraps the CEK with AES-256-KW. */
export const KEY_MANAGEMENT_ALGORITHM = 'ECDH-ES+A256KW';
/** RFC 7518 §5.3: AES-256-GCM content encryption. */
export const CONTENT_ENCRYPTION_ALGORITHM = 'A256GCM';

/** The protected header fields we set; `typ` says what the plaintext is. */
export type EnvelopeHeader = { readonly typ: string } & Readonly<Record<string, unknown>>;

/**
 * Encrypts `plaintext` once, to every recipient. The header is integrity-protected
 * (RFC 7516 §5.1 step 14: it is the AAD), so `typ` and context fields cannot be
 * swapped between envelopes without breaking decryption.
 */
export async function encryptToRecipients(
  plaintext: Uint8Array,
  header: EnvelopeHeader,
  recipients: readonly PublicEcJwk[],
): Promise<GeneralJWE> {
  if (recipients.length === 0) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'A JWE needs at least one recipient.');
  }
  const jwe = new GeneralEncrypt(plaintext).setProtectedHeader({
    ...header,
    alg: KEY_MANAGEMENT_ALGORITHM,
    enc: CONTENT_ENCRYPTION_ALGORITHM,
  });
  const seen = new Set<string>();
  for (const recipient of recipients) {
    const publicJwk = toPublicJwk(recipient);
    const kid = await keyIdOf(publicJwk);
    if (seen.has(kid)) {
      throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', `Recipient ${kid} is listed twice.`);
    }
    seen.add(kid);
    const key = await importEcKey(publicJwk);
    jwe.addRecipient(key).setUnprotectedHeader({ kid });
  }
  return jwe.encrypt();
}

/**
 * Opens an untrusted General JSON JWE with one private key. Every failure is a
 * VigilError: jose's own errors never escape (they become the `cause`).
 */
export async function decryptAsRecipient(
  jwe: unknown,
  ownKey: PrivateEcJwk | HeldPrivateKey,
  expectedTyp: string,
): Promise<{ plaintext: Uint8Array; header: JWEHeaderParameters }> {
  const general = asGeneralJwe(jwe);
  let header: JWEHeaderParameters;
  try {
    header = decodeProtectedHeader(general);
  } catch (cause) {
    throw new VigilError('ERR_PROTECT_DECRYPTION_FAILED', 'The JWE header is unreadable.', {
      cause,
    });
  }
  // Checked before jose runs so that a downgrade is reported as such, not as a
  // generic failure; jose gets the same allow-lists below as a second line.
  for (const recipient of general.recipients) {
    const alg = header.alg ?? general.unprotected?.alg ?? recipient.header?.alg;
    const enc = header.enc ?? general.unprotected?.enc ?? recipient.header?.enc;
    if (alg !== KEY_MANAGEMENT_ALGORITHM || enc !== CONTENT_ENCRYPTION_ALGORITHM) {
      throw new VigilError(
        'ERR_PROTECT_ALGORITHM_REFUSED',
        `Only ${KEY_MANAGEMENT_ALGORITHM} with ${CONTENT_ENCRYPTION_ALGORITHM} is accepted.`,
        { details: { alg: String(alg), enc: String(enc) } },
      );
    }
  }
  if (header.typ !== expectedTyp) {
    throw new VigilError('ERR_PROTECT_KEY_MISMATCH', `Expected a ${expectedTyp} JWE.`);
  }
  const held = isHeldPrivateKey(ownKey);
  const jwk = held ? undefined : toPrivateJwk(ownKey);
  const kid = jwk === undefined ? (ownKey as HeldPrivateKey).kid : await keyIdOf(jwk);
  if (!general.recipients.some((recipient) => recipient.header?.kid === kid)) {
    throw new VigilError('ERR_PROTECT_NOT_A_RECIPIENT', 'This JWE is not addressed to this key.', {
      details: { kid },
    });
  }
  const key = jwk === undefined ? (ownKey as HeldPrivateKey).privateKey : await importEcKey(jwk);
  try {
    const { plaintext } = await generalDecrypt(general, key, {
      keyManagementAlgorithms: [KEY_MANAGEMENT_ALGORITHM],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION_ALGORITHM],
    });
    return { plaintext, header };
  } catch (cause) {
    throw new VigilError(
      'ERR_PROTECT_DECRYPTION_FAILED',
      'The JWE cannot be decrypted with this key.',
      { cause },
    );
  }
}

async function importEcKey(jwk: PublicEcJwk): Promise<CryptoKey> {
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(jwk, KEY_MANAGEMENT_ALGORITHM);
  } catch (cause) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'The JWK is not a usable P-256 key.', {
      cause,
    });
  }
  // An EC JWK always imports as a CryptoKey; only `oct` JWKs become bytes.
  if (key instanceof Uint8Array) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'Expected an EC key.');
  }
  return key;
}

function asGeneralJwe(value: unknown): GeneralJWE {
  const jwe = value as Partial<GeneralJWE> | null;
  const isString = (v: unknown): boolean => typeof v === 'string';
  if (
    typeof jwe !== 'object' ||
    jwe === null ||
    !isString(jwe.protected) ||
    !isString(jwe.iv) ||
    !isString(jwe.ciphertext) ||
    !isString(jwe.tag) ||
    !Array.isArray(jwe.recipients) ||
    jwe.recipients.length === 0 ||
    !jwe.recipients.every((r) => typeof r === 'object' && r !== null)
  ) {
    throw new VigilError('ERR_PROTECT_DECRYPTION_FAILED', 'Not a General JSON JWE.');
  }
  return jwe as GeneralJWE;
}

import { type KeyObject, verify } from 'node:crypto';

/**
 * Checking the secure element's ECDSA signature over attestationMessage().
 *
 * Elements output the raw IEEE P1363 form r || s (ATECC608: 64 bytes for P-256);
 * firmware built on mbedTLS or OpenSSL hands over DER (RFC 3279 §2.2.3). Both are
 * accepted: they encode the same (r, s), so accepting either adds no forgery.
 * The hash follows the curve (RFC 5656 §6.2.1, NIST SP 800-57 strength match):
 * P-256 with SHA-256 — what the ATECC608 signs when the host hands it
 * SHA-256(message) — and P-384 with SHA-384.
 */

const CURVES: Readonly<Record<string, { hash: string; p1363Bytes: number }>> = {
  prime256v1: { hash: 'sha256', p1363Bytes: 64 },
  secp384r1: { hash: 'sha384', p1363Bytes: 96 },
};

/** Longest DER ECDSA-Sig-Value for P-384: SEQUENCE of two 49-byte INTEGERs, plus headers. */
export const MAX_SIGNATURE_BYTES = 104;

/** Why the leaf key cannot verify an attestation, or undefined when it can. */
export function nonceKeyProblem(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType !== 'ec') {
    return `the hardware key is ${key.asymmetricKeyType ?? 'unknown'}, not ECDSA`;
  }
  const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
  return CURVES[curve] === undefined
    ? `the hardware key is on ${curve}, not P-256 or P-384`
    : undefined;
}

/**
 * Whether `signature` (P1363 r || s, or DER) is the leaf key's ECDSA signature
 * over `message`. Never throws: an undecodable signature is simply not valid.
 *
 * @example
 * verifyNonceSignature(leaf.publicKey, attestationMessage(nonce, spki), signatureBytes);
 */
export function verifyNonceSignature(
  key: KeyObject,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (nonceKeyProblem(key) !== undefined) return false;
  const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (curve === undefined) return false;
  const encodings: ('ieee-p1363' | 'der')[] = [];
  if (signature.length === curve.p1363Bytes) encodings.push('ieee-p1363');
  // A DER signature starts with SEQUENCE; a P1363 one of that length can too, so try both.
  if (signature[0] === 0x30 && signature.length <= MAX_SIGNATURE_BYTES) encodings.push('der');
  return encodings.some((dsaEncoding) => {
    try {
      return verify(curve.hash, message, { key, dsaEncoding }, signature);
    } catch {
      return false; // OpenSSL refuses malformed DER with an exception
    }
  });
}

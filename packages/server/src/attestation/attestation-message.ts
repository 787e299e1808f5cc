import { createHash, randomBytes } from 'node:crypto';
import { VigilError } from '@vigil/core';

/**
 * The challenge half of genuine-hardware attestation: the server's nonce and the
 * exact bytes the secure element signs. Pure functions; the caller keeps the
 * nonce store (SHA-256 of each nonce, an expiry, consumed once).
 */

/** 256 bits: guessing or colliding with an outstanding nonce is out of reach. */
export const ATTESTATION_NONCE_BYTES = 32;

/**
 * Domain separation (a fixed prefix with a version) keeps a signature made for
 * attestation from being valid as any other message the element signs (TLS
 * handshakes, firmware tokens), and lets v2 change the layout without ambiguity.
 */
export const ATTESTATION_MESSAGE_PREFIX = 'vigil-attestation-v1\n';

const PREFIX_BYTES = Buffer.from(ATTESTATION_MESSAGE_PREFIX, 'utf8');

/**
 * A fresh 256-bit random nonce, base64url without padding (43 characters).
 * The caller stores its SHA-256 with an expiry and consumes it once; replayed or
 * stale nonces are refused there with ERR_ATTESTATION_NONCE.
 *
 * @example
 * const nonce = newAttestationNonce();
 * await nonces.put(sha256(nonce), { expiresAt: clock.now() + 120_000 });
 */
export function newAttestationNonce(): string {
  return randomBytes(ATTESTATION_NONCE_BYTES).toString('base64url');
}

/**
 * What the secure element signs:
 * `UTF-8 "vigil-attestation-v1\n" || nonce (32 bytes, base64url-decoded) || SHA-256(enrolment key SPKI DER)`
 * — 85 bytes, every part fixed-length, so no two inputs give the same message.
 * Binding the enrolment key means an attestation captured for one enrolment
 * cannot vouch for a key generated elsewhere (FDA premarket guidance App. 1:
 * authenticity of the device, not only of a chip somewhere).
 *
 * Throws ERR_ATTESTATION_MALFORMED when the nonce is not 32 bytes of canonical base64url.
 *
 * @example
 * const message = attestationMessage(nonce, enrolmentSpkiDer);
 * // agent: signature = secureElement.sign(SHA-256(message))  (ECDSA P-256)
 */
export function attestationMessage(nonce: string, enrolmentKeySpkiDer: Uint8Array): Uint8Array {
  const nonceBytes = decodeNonce(nonce);
  const keyDigest = createHash('sha256').update(enrolmentKeySpkiDer).digest();
  return new Uint8Array(Buffer.concat([PREFIX_BYTES, nonceBytes, keyDigest]));
}

/**
 * The nonce's 32 bytes; refuses anything newAttestationNonce() could not have
 * produced, padding included, so each nonce has one spelling in the caller's store.
 */
export function decodeNonce(nonce: unknown): Buffer {
  const bytes = typeof nonce === 'string' && !nonce.includes('=') ? decodeBase64Url(nonce) : null;
  if (bytes === null || bytes.length !== ATTESTATION_NONCE_BYTES) {
    throw new VigilError(
      'ERR_ATTESTATION_MALFORMED',
      `The attestation nonce must be ${ATTESTATION_NONCE_BYTES} bytes of base64url.`,
    );
  }
  return bytes;
}

/**
 * Strict base64url (RFC 4648 §5): the URL-safe alphabet, optional `=` padding
 * (firmware encoders differ), and canonical otherwise — unused trailing bits must
 * be zero. Null for anything else.
 */
export function decodeBase64Url(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return null;
  const unpadded = text.replace(/=+$/, '');
  if (text.length !== unpadded.length && text.length % 4 !== 0) return null;
  const bytes = Buffer.from(unpadded, 'base64url');
  return bytes.toString('base64url') === unpadded ? bytes : null;
}

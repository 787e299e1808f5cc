import { VigilError } from '@vigil/core/errors';
import type { CryptoKey } from 'jose';
import { base64urlLength, encodeBase64urlInto } from '../base64url.js';
import { bufferSource } from '../buffer-source.js';

/**
 * The two compact serializations a gateway writes for every batch, straight on
 * WebCrypto: a JWS with ES256 (RFC 7515 §7.1, RFC 7518 §3.4) and a JWE with
 * `dir` + A256GCM (RFC 7516 §7.1, RFC 7518 §4.5 and §5.3). Both are a few lines
 * of the RFCs; writing them here rather than through jose's builders halves the
 * protect path (ADR 0009), because jose copies and re-encodes the payload several
 * times. Reading stays with jose (`openBatch`): every batch written here is
 * opened by a JOSE implementation we did not write, in tests and in production.
 * Internal to the batch envelope.
 */

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();
const ascii = new TextDecoder();
const DOT = 0x2e;
/** RFC 7518 §3.4: an ES256 signature is R ‖ S, 32 bytes each. */
const SIGNATURE_BYTES = 64;
/** RFC 7518 §5.3: a 96-bit IV and a 128-bit tag. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Signs `payload` with ES256 and returns the compact JWS as ASCII bytes (what
 * the JWE then encrypts: no string of the JWS is ever made). WebCrypto's ECDSA
 * signature is r ‖ s, 64 bytes, which is what RFC 7518 §3.4 asks for.
 *
 * @throws VigilError ERR_PROTECT_PARAMETERS_INVALID for a key that is not a P-256 signing key.
 */
export async function signCompactEs256(
  protectedHeader: Readonly<Record<string, unknown>>,
  payload: Uint8Array,
  key: CryptoKey,
): Promise<Uint8Array> {
  const algorithm = key.algorithm as { name?: string; namedCurve?: string };
  if (
    key.type !== 'private' ||
    algorithm.name !== 'ECDSA' ||
    algorithm.namedCurve !== 'P-256' ||
    !key.usages.includes('sign')
  ) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      'The signing key must be an ECDSA P-256 private key usable for signing.',
    );
  }
  const header = encodeJson(protectedHeader);
  const signedLength = header.length + 1 + base64urlLength(payload.length);
  const jws = new Uint8Array(signedLength + 1 + base64urlLength(SIGNATURE_BYTES));
  jws.set(header, 0);
  jws[header.length] = DOT;
  encodeBase64urlInto(payload, jws, header.length + 1);
  const signature = await subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    jws.subarray(0, signedLength),
  );
  jws[signedLength] = DOT;
  encodeBase64urlInto(new Uint8Array(signature), jws, signedLength + 1);
  return jws;
}

/**
 * Encrypts `plaintext` under `key` with AES-256-GCM and returns the compact JWE
 * `header..iv.ciphertext.tag` (no encrypted key: `dir`). The AAD is the ASCII
 * of the encoded protected header (RFC 7516 §5.1 step 14), so the header cannot
 * change without decryption failing. A fresh random IV per batch; a data key
 * therefore encrypts far fewer than 2^32 batches (NIST SP 800-38D §8.3), which
 * the agent ensures by changing data key well before that (`batchesPerDataKey`).
 *
 * @throws VigilError ERR_PROTECT_PARAMETERS_INVALID for a key that is not an AES-256-GCM key.
 */
export async function encryptCompactDirA256Gcm(
  protectedHeader: Readonly<Record<string, unknown>>,
  plaintext: Uint8Array,
  key: CryptoKey,
): Promise<string> {
  const algorithm = key.algorithm as { name?: string; length?: number };
  if (
    key.type !== 'secret' ||
    algorithm.name !== 'AES-GCM' ||
    algorithm.length !== 256 ||
    !key.usages.includes('encrypt')
  ) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      'The data key must be an AES-256-GCM key usable for encryption.',
    );
  }
  const header = encodeJson(protectedHeader);
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(
    await subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: bufferSource(header), tagLength: TAG_BYTES * 8 },
      key,
      bufferSource(plaintext),
    ),
  );
  const ciphertext = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const jwe = new Uint8Array(
    header.length +
      2 +
      base64urlLength(IV_BYTES) +
      1 +
      base64urlLength(ciphertext.length) +
      1 +
      base64urlLength(TAG_BYTES),
  );
  jwe.set(header, 0);
  let at = header.length;
  jwe[at++] = DOT;
  jwe[at++] = DOT; // the empty JWE Encrypted Key of `dir`
  at = encodeBase64urlInto(iv, jwe, at);
  jwe[at++] = DOT;
  at = encodeBase64urlInto(ciphertext, jwe, at);
  jwe[at++] = DOT;
  encodeBase64urlInto(tag, jwe, at);
  return ascii.decode(jwe);
}

/** The base64url of a protected header's JSON, as ASCII bytes. */
function encodeJson(value: Readonly<Record<string, unknown>>): Uint8Array {
  const json = utf8.encode(JSON.stringify(value));
  const encoded = new Uint8Array(base64urlLength(json.length));
  encodeBase64urlInto(json, encoded, 0);
  return encoded;
}

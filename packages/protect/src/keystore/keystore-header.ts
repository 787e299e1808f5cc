import { VigilError } from '@vigil/core/errors';

/**
 * The clear part of a sealed keystore: which format it is and how its key was
 * derived. Every field is bound into the AES-GCM AAD (see {@link headerAad}), so
 * none can be changed without opening failing. Internal to `keystore/`.
 */

export const KEYSTORE_FORMAT = 'vigil-keystore';
export const KEYSTORE_VERSION = 1;
/** OWASP Password Storage Cheat Sheet (2023): PBKDF2-HMAC-SHA256, 600,000 iterations. */
export const KEYSTORE_MIN_ITERATIONS = 600_000;
/** An upper bound, so a doctored file cannot make opening take hours. */
export const KEYSTORE_MAX_ITERATIONS = 10_000_000;
/** The longest keystore text accepted (characters): a few keys fit in 4 KiB. */
export const KEYSTORE_MAX_LENGTH = 64 * 1024;

/** RFC 8018 §4.1: at least 64 bits of salt; 128 are written. */
export const SALT_BYTES = 16;
const MAX_SALT_BYTES = 64;
/** NIST SP 800-38D §8.2: a 96-bit IV for GCM. */
export const IV_BYTES = 12;
/** The GCM tag alone is 16 bytes; the smallest contents are longer. */
const MIN_CIPHERTEXT_BYTES = 17;

const HEADER_KEYS = ['format', 'version', 'kdf', 'enc', 'iv', 'ciphertext'];
const KDF_KEYS = ['name', 'hash', 'iterations', 'salt'];
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A keystore as it is stored (JSON). */
export interface SealedKeystore {
  readonly format: typeof KEYSTORE_FORMAT;
  readonly version: typeof KEYSTORE_VERSION;
  readonly kdf: {
    readonly name: 'PBKDF2';
    readonly hash: 'SHA-256';
    readonly iterations: number;
    /** base64url, unpadded. */
    readonly salt: string;
  };
  readonly enc: 'A256GCM';
  /** base64url, unpadded. */
  readonly iv: string;
  /** base64url of the AES-GCM ciphertext followed by its 16-byte tag. */
  readonly ciphertext: string;
}

export function malformed(message: string, cause?: unknown): never {
  throw new VigilError('ERR_KEYSTORE_MALFORMED', message, cause === undefined ? {} : { cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

/** Base64url of `min`…`max` decoded bytes: the length check without decoding. */
function isBase64url(value: unknown, min: number, max: number): value is string {
  if (typeof value !== 'string' || !BASE64URL.test(value) || value.length % 4 === 1) return false;
  const bytes = Math.floor((value.length * 3) / 4);
  return bytes >= min && bytes <= max;
}

/**
 * Parses untrusted keystore text into its header. Refuses anything but format
 * version 1 (ERR_KEYSTORE_MALFORMED) and any key derivation weaker or other than
 * PBKDF2-SHA256 with ≥ 600,000 iterations (ERR_KEYSTORE_KDF_REFUSED): the file
 * says how to derive its key, so without this check a doctored file could
 * downgrade the work an attacker has to do for the next passphrase sealed in it.
 */
export function parseSealedKeystore(text: unknown): SealedKeystore {
  if (typeof text !== 'string' || text.length > KEYSTORE_MAX_LENGTH) {
    malformed(`A keystore is JSON text of at most ${KEYSTORE_MAX_LENGTH} characters.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    malformed('The keystore is not JSON.', cause);
  }
  if (!isRecord(value) || value['format'] !== KEYSTORE_FORMAT) {
    malformed(`Not a ${KEYSTORE_FORMAT} file.`);
  }
  if (value['version'] !== KEYSTORE_VERSION) {
    malformed(`Only ${KEYSTORE_FORMAT} version ${KEYSTORE_VERSION} is understood.`);
  }
  if (!hasExactly(value, HEADER_KEYS)) {
    malformed(`A keystore has exactly: ${HEADER_KEYS.join(', ')}.`);
  }
  const { kdf, enc, iv, ciphertext } = value;
  if (!isRecord(kdf) || !hasExactly(kdf, KDF_KEYS)) {
    malformed(`kdf has exactly: ${KDF_KEYS.join(', ')}.`);
  }
  const { name, hash, iterations, salt } = kdf;
  if (
    name !== 'PBKDF2' ||
    hash !== 'SHA-256' ||
    typeof iterations !== 'number' ||
    !Number.isSafeInteger(iterations) ||
    iterations < KEYSTORE_MIN_ITERATIONS ||
    iterations > KEYSTORE_MAX_ITERATIONS
  ) {
    throw new VigilError(
      'ERR_KEYSTORE_KDF_REFUSED',
      `Only PBKDF2 with SHA-256 and ${KEYSTORE_MIN_ITERATIONS}–${KEYSTORE_MAX_ITERATIONS} iterations is accepted.`,
      { details: { name: String(name), hash: String(hash), iterations: String(iterations) } },
    );
  }
  if (!isBase64url(salt, SALT_BYTES, MAX_SALT_BYTES)) {
    malformed(`kdf.salt must be ${SALT_BYTES}–${MAX_SALT_BYTES} bytes of base64url.`);
  }
  if (enc !== 'A256GCM') malformed('enc must be A256GCM.');
  if (!isBase64url(iv, IV_BYTES, IV_BYTES)) malformed(`iv must be ${IV_BYTES} bytes of base64url.`);
  if (!isBase64url(ciphertext, MIN_CIPHERTEXT_BYTES, KEYSTORE_MAX_LENGTH)) {
    malformed('ciphertext must be base64url.');
  }
  return {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    kdf: { name, hash, iterations, salt },
    enc,
    iv,
    ciphertext,
  };
}

/**
 * The additional authenticated data: every header field but the ciphertext, as
 * the UTF-8 of a JSON array in a fixed order. A changed salt or iteration count
 * already derives another key; binding the rest (format, version, names, iv)
 * means no header field is ever trusted unauthenticated.
 */
export function headerAad(header: Omit<SealedKeystore, 'ciphertext'>): Uint8Array {
  const { format, version, kdf, enc, iv } = header;
  return new TextEncoder().encode(
    JSON.stringify([format, version, kdf.name, kdf.hash, kdf.iterations, kdf.salt, enc, iv]),
  );
}

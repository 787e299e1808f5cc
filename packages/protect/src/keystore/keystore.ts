import { VigilError } from '@vigil/core/errors';
import { base64url, type CryptoKey } from 'jose';
import { parseKeystoreContents, type KeystoreContents } from './keystore-contents.js';
import {
  IV_BYTES,
  KEYSTORE_FORMAT,
  KEYSTORE_MAX_ITERATIONS,
  KEYSTORE_MIN_ITERATIONS,
  KEYSTORE_VERSION,
  SALT_BYTES,
  headerAad,
  malformed,
  parseSealedKeystore,
  type SealedKeystore,
} from './keystore-header.js';
import { bufferSource } from '../buffer-source.js';

/**
 * A member's keystore (ADR 0011 §1): their private keys sealed under a
 * passphrase with PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) and AES-256-GCM, the
 * header as AAD. WebCrypto only, so the CLI writes the file and a browser page
 * imports the same file.
 */

/** The shortest passphrase accepted when sealing, in code points after NFC. */
export const KEYSTORE_MIN_PASSPHRASE_LENGTH = 15;

export interface SealKeystoreOptions {
  /** PBKDF2 iterations (default and minimum 600,000; at most 10,000,000). */
  readonly iterations?: number;
}

/**
 * Seals keystore contents under a passphrase and returns the keystore text
 * (JSON; write it to a file readable by its owner only).
 *
 * @throws VigilError ERR_KEYSTORE_PASSPHRASE_WEAK, ERR_KEYSTORE_KDF_REFUSED,
 *   ERR_KEYSTORE_MALFORMED (contents that would not open again).
 * @example
 * const member = await generateKeyPair();
 * const text = await sealKeystore(passphrase, {
 *   memberKey: member.privateJwk, organisationId: 'org-1', createdAt: new Date().toISOString(),
 * });
 */
export async function sealKeystore(
  passphrase: string,
  contents: KeystoreContents,
  options: SealKeystoreOptions = {},
): Promise<string> {
  const normalised = normalisePassphrase(passphrase);
  if ([...normalised].length < KEYSTORE_MIN_PASSPHRASE_LENGTH) {
    throw new VigilError(
      'ERR_KEYSTORE_PASSPHRASE_WEAK',
      `A keystore passphrase must be at least ${KEYSTORE_MIN_PASSPHRASE_LENGTH} characters.`,
    );
  }
  const iterations = options.iterations ?? KEYSTORE_MIN_ITERATIONS;
  if (
    !Number.isSafeInteger(iterations) ||
    iterations < KEYSTORE_MIN_ITERATIONS ||
    iterations > KEYSTORE_MAX_ITERATIONS
  ) {
    throw new VigilError(
      'ERR_KEYSTORE_KDF_REFUSED',
      `PBKDF2 iterations must be ${KEYSTORE_MIN_ITERATIONS}–${KEYSTORE_MAX_ITERATIONS}.`,
    );
  }
  const plaintext = new TextEncoder().encode(JSON.stringify(parseKeystoreContents(contents)));
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const header: Omit<SealedKeystore, 'ciphertext'> = {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: base64url.encode(salt) },
    enc: 'A256GCM',
    iv: base64url.encode(iv),
  };
  const key = await deriveKey(normalised, salt, iterations);
  try {
    const ciphertext = await globalThis.crypto.subtle.encrypt(
      {
        name: 'AES-GCM',
        iv: bufferSource(iv),
        additionalData: bufferSource(headerAad(header)),
        tagLength: 128,
      },
      key,
      plaintext,
    );
    const sealed: SealedKeystore = {
      ...header,
      ciphertext: base64url.encode(new Uint8Array(ciphertext)),
    };
    return `${JSON.stringify(sealed, null, 2)}\n`;
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Opens keystore text with its passphrase. Everything it throws is a VigilError.
 *
 * @throws VigilError ERR_KEYSTORE_MALFORMED, ERR_KEYSTORE_KDF_REFUSED (fewer than
 *   600,000 iterations: a downgraded file), ERR_KEYSTORE_PASSPHRASE (wrong
 *   passphrase, or any header field or ciphertext altered).
 * @example
 * const { memberKey } = await openKeystore(await readFile(path, 'utf8'), passphrase);
 */
export async function openKeystore(text: string, passphrase: string): Promise<KeystoreContents> {
  const sealed = parseSealedKeystore(text);
  if (typeof passphrase !== 'string') {
    throw new VigilError('ERR_KEYSTORE_PASSPHRASE', 'The passphrase must be text.');
  }
  let salt: Uint8Array;
  let iv: Uint8Array;
  let ciphertext: Uint8Array;
  try {
    salt = base64url.decode(sealed.kdf.salt);
    iv = base64url.decode(sealed.iv);
    ciphertext = base64url.decode(sealed.ciphertext);
  } catch (cause) {
    return malformed('A keystore field is not base64url.', cause);
  }
  const key = await deriveKey(normalisePassphrase(passphrase), salt, sealed.kdf.iterations);
  let plaintext: Uint8Array;
  try {
    plaintext = new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: bufferSource(iv),
          additionalData: bufferSource(headerAad(sealed)),
          tagLength: 128,
        },
        key,
        bufferSource(ciphertext),
      ),
    );
  } catch (cause) {
    // GCM cannot tell a wrong key from altered data, and neither should we.
    throw new VigilError(
      'ERR_KEYSTORE_PASSPHRASE',
      'The passphrase is wrong, or the keystore was altered.',
      { cause },
    );
  }
  try {
    return parseKeystoreContents(
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)),
    );
  } catch (cause) {
    if (cause instanceof VigilError) throw cause;
    return malformed('The keystore contents are not JSON.', cause);
  } finally {
    plaintext.fill(0);
  }
}

/** RFC 8265 §4.2-style: the same passphrase typed on another system gives the same bytes. */
function normalisePassphrase(passphrase: string): string {
  if (typeof passphrase !== 'string') {
    throw new VigilError('ERR_KEYSTORE_PASSPHRASE', 'The passphrase must be text.');
  }
  return passphrase.normalize('NFC');
}

async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  iterations: number,
): Promise<CryptoKey> {
  const subtle = globalThis.crypto.subtle;
  const bytes = new TextEncoder().encode(passphrase);
  try {
    const base = await subtle.importKey('raw', bytes, 'PBKDF2', false, ['deriveKey']);
    return await subtle.deriveKey(
      { name: 'PBKDF2', hash: 'SHA-256', salt: bufferSource(salt), iterations },
      base,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
  } finally {
    bytes.fill(0);
  }
}

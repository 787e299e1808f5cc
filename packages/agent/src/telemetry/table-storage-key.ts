import type { DataKey } from '@vigil/protect';

/** A WebCrypto key, as @vigil/protect types it. */
export type WebCryptoKey = DataKey['key'];

/** RFC 5869 §3.1: a fixed, application-specific salt, apart from the pseudonyms' own. */
const SALT = new TextEncoder().encode('vigil/pseudonym-table');
const INFO = new TextEncoder().encode('vigil/pseudonym-table/gateway/v1');

/**
 * The key that seals the gateway's copy of the pseudonym table, derived with
 * HKDF-SHA256 from the pseudonym secret (its own salt and info, so it is
 * unrelated to the pseudonym keys: RFC 5869 §3.2 domain separation), as a
 * non-extractable AES-256-GCM key.
 *
 * Why derived, not generated (`generateTableStorageKey`): a non-extractable key
 * cannot be stored, and storing raw key bytes next to the sealed table would
 * protect nothing. The pseudonym secret is already the one secret the gateway
 * app must keep in its platform keystore; a copy of the agent's directory
 * without it holds only ciphertext (GDPR Art. 4(5): the re-identification data
 * "kept separately"). Whoever has the secret could recompute any candidate
 * patient's pseudonym anyway, so deriving from it loses nothing.
 *
 * @example
 * const key = await deriveTableStorageKey(secret);
 * const sealed = await sealTableForGateway(table, key, organisationId);
 */
export async function deriveTableStorageKey(pseudonymSecret: Uint8Array): Promise<WebCryptoKey> {
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey('raw', pseudonymSecret, 'HKDF', false, ['deriveKey']);
  return subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: INFO },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

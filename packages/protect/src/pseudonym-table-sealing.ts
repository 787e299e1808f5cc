import { VigilError } from '@vigil/core/errors';
import {
  CompactEncrypt,
  compactDecrypt,
  decodeProtectedHeader,
  type CryptoKey,
  type GeneralJWE,
  type JWEHeaderParameters,
} from 'jose';
import {
  CONTENT_ENCRYPTION_ALGORITHM,
  decryptAsRecipient,
  encryptToRecipients,
} from './jwe-envelope.js';
import type { PrivateEcJwk, PublicEcJwk } from './keys.js';
import { PseudonymTable } from './pseudonym-table.js';

/**
 * Sealing the pseudonym ↔ patient table. GDPR Art. 4(5) asks that the
 * re-identification information be "kept separately" under "technical and
 * organisational measures": the gateway keeps it encrypted under its own storage
 * key, and an authorised-staff copy is encrypted to the team and recovery keys,
 * so the table survives the loss of the gateway without ever reaching the server
 * in clear.
 */

/** `typ` of both sealed forms (RFC 7516 §4.1.11). */
export const PSEUDONYM_TABLE_JWE_TYPE = 'vigil-pseudonym-table+jwe';

/**
 * A non-extractable AES-256-GCM key for the gateway's own copy of the table.
 * Keep it in the platform key store (Keychain, Android Keystore, IndexedDB as a CryptoKey).
 *
 * @example
 * const storageKey = await generateTableStorageKey();
 */
export async function generateTableStorageKey(): Promise<CryptoKey> {
  return globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
}

/**
 * Encrypts the table for the gateway's own storage: a compact JWE with `alg: dir`
 * and A256GCM (RFC 7516 §7.1; RFC 7518 §4.5), its header naming the organisation.
 *
 * @example
 * await storage.write('pseudonyms.jwe', await sealTableForGateway(table, storageKey, 'org-1'));
 */
export async function sealTableForGateway(
  table: PseudonymTable,
  storageKey: CryptoKey,
  organisationId: string,
): Promise<string> {
  return new CompactEncrypt(encode(table))
    .setProtectedHeader({
      alg: 'dir',
      enc: CONTENT_ENCRYPTION_ALGORITHM,
      typ: PSEUDONYM_TABLE_JWE_TYPE,
      organisationId,
    })
    .encrypt(storageKey);
}

/**
 * Opens the gateway's copy. Refuses other algorithms, another organisation's
 * table and any tampering, with coded errors.
 *
 * @example
 * const table = await openTableForGateway(await storage.read('pseudonyms.jwe'), storageKey, 'org-1');
 */
export async function openTableForGateway(
  jwe: string,
  storageKey: CryptoKey,
  organisationId: string,
): Promise<PseudonymTable> {
  let header: JWEHeaderParameters;
  try {
    header = decodeProtectedHeader(jwe);
  } catch (cause) {
    throw new VigilError('ERR_PROTECT_DECRYPTION_FAILED', 'The JWE header is unreadable.', {
      cause,
    });
  }
  if (header.alg !== 'dir' || header.enc !== CONTENT_ENCRYPTION_ALGORITHM) {
    throw new VigilError('ERR_PROTECT_ALGORITHM_REFUSED', 'Only dir with A256GCM is accepted.');
  }
  checkHeader(header, organisationId);
  try {
    const { plaintext } = await compactDecrypt(jwe, storageKey, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION_ALGORITHM],
    });
    return decode(plaintext);
  } catch (cause) {
    if (cause instanceof VigilError) throw cause;
    throw new VigilError('ERR_PROTECT_DECRYPTION_FAILED', 'The table cannot be decrypted.', {
      cause,
    });
  }
}

/**
 * Encrypts the authorised-staff copy to the current team key and the recovery key
 * (one General JSON JWE, ECDH-ES+A256KW + A256GCM).
 *
 * @example
 * const copy = await sealTableForStaff(table, { organisationId: 'org-1',
 *   teamPublicJwk: epoch.teamKey.publicJwk, recoveryPublicJwk: recovery.publicJwk });
 */
export async function sealTableForStaff(
  table: PseudonymTable,
  to: { organisationId: string; teamPublicJwk: PublicEcJwk; recoveryPublicJwk: PublicEcJwk },
): Promise<GeneralJWE> {
  const header = { typ: PSEUDONYM_TABLE_JWE_TYPE, organisationId: to.organisationId };
  return encryptToRecipients(encode(table), header, [to.teamPublicJwk, to.recoveryPublicJwk]);
}

/**
 * Opens the staff copy with the team private key (or the recovery key).
 *
 * @example
 * const table = await openTableForStaff(copy, teamPrivate, 'org-1');
 */
export async function openTableForStaff(
  jwe: unknown,
  privateJwk: PrivateEcJwk,
  organisationId: string,
): Promise<PseudonymTable> {
  const { plaintext, header } = await decryptAsRecipient(jwe, privateJwk, PSEUDONYM_TABLE_JWE_TYPE);
  checkHeader(header, organisationId);
  return decode(plaintext);
}

function checkHeader(header: JWEHeaderParameters, organisationId: string): void {
  if (header.typ !== PSEUDONYM_TABLE_JWE_TYPE || header['organisationId'] !== organisationId) {
    throw new VigilError(
      'ERR_PROTECT_KEY_MISMATCH',
      `Expected the pseudonym table of ${organisationId}.`,
    );
  }
}

function encode(table: PseudonymTable): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(table));
}

function decode(plaintext: Uint8Array): PseudonymTable {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(plaintext));
  } catch (cause) {
    throw new VigilError('ERR_PSEUDONYM_TABLE_INVALID', 'The sealed table is not JSON.', { cause });
  }
  return PseudonymTable.fromJSON(json);
}

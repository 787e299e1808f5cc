import { VigilError } from '@vigil/core/errors';
import { holdPrivateKey, openKeystore, type HeldPrivateKey } from '@vigil/protect';
import { memberKeyHeld, type MemberKey } from './member-key.js';

/**
 * Opens the keystore file a clinician made with `vigil keys init` (ADR 0011 §1:
 * PBKDF2-SHA256 + AES-256-GCM, the format of @vigil/protect) and returns their
 * member key for `organisationId`, imported as a non-extractable CryptoKey. Only the
 * member key is taken; a signing key in the same file is left alone, and the
 * passphrase is not kept.
 *
 * @throws VigilError ERR_KEYSTORE_MALFORMED, ERR_KEYSTORE_KDF_REFUSED,
 *   ERR_KEYSTORE_PASSPHRASE, ERR_KEYSTORE_ORGANISATION (made for another
 *   organisation), ERR_KEYSTORE_KEY_MISSING (no member key in it).
 * @example
 * const key = await importKeystore(await file.text(), passphrase, orgId);
 */
export async function importKeystore(
  text: string,
  passphrase: string,
  organisationId: string,
): Promise<MemberKey> {
  return memberKeyHeld(organisationId, await openMemberKey(text, passphrase, organisationId));
}

/**
 * The member key of a keystore file as a non-extractable CryptoKey: the JWK exists
 * only inside this function, and what is returned can be stored in IndexedDB.
 */
export async function openMemberKey(
  text: string,
  passphrase: string,
  organisationId: string,
): Promise<HeldPrivateKey> {
  const contents = await openKeystore(text, passphrase);
  if (contents.organisationId !== organisationId) {
    throw new VigilError(
      'ERR_KEYSTORE_ORGANISATION',
      'This keystore was made for another organisation than the one shown.',
      { details: { organisationId: contents.organisationId } },
    );
  }
  if (contents.memberKey === undefined) {
    throw new VigilError(
      'ERR_KEYSTORE_KEY_MISSING',
      'This keystore holds no member key (it may hold only a signing key).',
    );
  }
  return holdPrivateKey(contents.memberKey);
}

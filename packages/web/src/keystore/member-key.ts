import { unwrapTeamKey } from '@vigil/protect';
import type { HeldPrivateKey, PrivateEcJwk, TeamKeyContext } from '@vigil/protect';

/**
 * A clinician's member key (ECDH P-256, docs/telemetry.md "Parties and keys"), as the
 * rest of the page uses it: it only ever unwraps team epochs. Pages hold this object,
 * never the private key itself.
 */
export interface MemberKey {
  /** The care organisation the keystore was made for. */
  readonly organisationId: string;
  /** RFC 7638 thumbprint of the public key, as `GET member-keys` lists it. */
  readonly kid: string;
  /**
   * Where the private key lives: a WebCrypto key that script can use but never read
   * out, kept in this browser's IndexedDB until "Forget key" or sign-out (ADR 0011 §1).
   */
  readonly custody: 'non-extractable';
  /** `unwrapTeamKey` of @vigil/protect with this member's private key. */
  unwrapTeamKey(jwe: unknown, context: TeamKeyContext): Promise<PrivateEcJwk>;
}

/**
 * A member key held as a non-extractable CryptoKey (see `holdPrivateKey` of
 * @vigil/protect): what the dashboard keeps, and what survives a reload via IndexedDB.
 *
 * @example
 * const key = memberKeyHeld(organisationId, await holdPrivateKey(contents.memberKey));
 */
export function memberKeyHeld(organisationId: string, held: HeldPrivateKey): MemberKey {
  return {
    organisationId,
    kid: held.kid,
    custody: 'non-extractable',
    unwrapTeamKey: (jwe, context) => unwrapTeamKey(jwe, held, context),
  };
}

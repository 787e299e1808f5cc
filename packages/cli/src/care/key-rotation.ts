import { VigilError } from '@vigil/core';
import {
  KEY_MANIFEST_TYP,
  newEpoch,
  openPseudonymSecretForStaff,
  sealPseudonymSecretForStaff,
  signManifest,
  type P256PrivateJwk,
  type PrivateEcJwk,
} from '@vigil/protect';
import type { CareApi, MemberKeyRecord } from './care-api.js';
import { manifestMembers, publicKeysOf, registeredMembers, requireMember } from './member-keys.js';
import { trustedManifest, unlockTeamKeys } from './team-keyring.js';

export interface RotationInput {
  readonly api: CareApi;
  /** The admin's manifest-signing key, from their keystore. */
  readonly signingKey: P256PrivateJwk;
  /** The admin's member key, if they hold one: needed to carry the pseudonym secret over. */
  readonly memberKey?: PrivateEcJwk;
  /** User ids or emails of members who must not receive the new epoch. */
  readonly remove: readonly string[];
  readonly now: Date;
}

export interface RotationResult {
  readonly epoch: number;
  readonly manifestVersion: number;
  readonly recipients: readonly MemberKeyRecord[];
  readonly removed: readonly MemberKeyRecord[];
  /**
   * `rewrapped`: the staff copy of the pseudonym secret now follows the new epoch;
   * `unreadable`: the admin's member key could not open it, so it stays on its old
   * epoch (members of that epoch can still read it); `absent`: there is none.
   */
  readonly pseudonymSecret: 'rewrapped' | 'unreadable' | 'absent';
}

/**
 * Starts the next team epoch (ADR 0008 "Keys"): a fresh team key wrapped to the
 * registered members minus the removed ones and to the recovery key, and a new
 * manifest version announcing it. A removed member is simply not a recipient, so
 * data under the gateways' next data keys is closed to them. The current
 * manifest is verified under the admin's own signing key first, so the recovery
 * key carried over is the organisation's, not one a server slipped in.
 *
 * @throws VigilError ERR_NOT_FOUND (no manifest; a `--remove` that matches nobody),
 *   ERR_MANIFEST_* (the published manifest does not verify under the admin's key).
 */
export async function rotateTeamKey(input: RotationInput): Promise<RotationResult> {
  const { api, now } = input;
  const organisationId = api.organisationId;
  const { d: _d, ...signingPublicJwk } = input.signingKey;
  const current = await trustedManifest(api, now, signingPublicJwk);
  const members = await registeredMembers(api);
  const removed = input.remove.map((who) => requireMember(members, who));
  const removedKids = new Set(removed.map((m) => m.kid));
  const recipients = members.filter((m) => !removedKids.has(m.kid));
  if (recipients.length === 0) {
    throw new VigilError('ERR_CONFLICT', 'The new epoch would have no member at all.');
  }
  const next = await newEpoch({
    organisationId,
    previousEpoch: current.payload.epoch,
    memberPublicJwks: publicKeysOf(recipients),
    recoveryPublicJwk: current.payload.recoveryPublicJwk,
  });

  let secretJwe: unknown;
  let pseudonymSecret: RotationResult['pseudonymSecret'] = 'absent';
  const wrappedSecret = await api.getPseudonymSecret();
  if (wrappedSecret !== null) {
    pseudonymSecret = 'unreadable';
    if (input.memberKey !== undefined) {
      const keyring = await unlockTeamKeys(
        organisationId,
        await api.listTeamKeys(),
        input.memberKey,
      );
      const team = keyring.forRecipientOf(wrappedSecret);
      if (team !== undefined) {
        const secret = await openPseudonymSecretForStaff(wrappedSecret, team.key, {
          organisationId,
          epoch: team.epoch,
        });
        secretJwe = await sealPseudonymSecretForStaff(secret, {
          organisationId,
          epoch: next.epoch,
          teamPublicJwk: next.teamKey.publicJwk,
          recoveryPublicJwk: current.payload.recoveryPublicJwk,
        });
        secret.fill(0);
        pseudonymSecret = 'rewrapped';
      }
    }
  }

  const manifestVersion = current.payload.version + 1;
  const jws = await signManifest(
    {
      typ: KEY_MANIFEST_TYP,
      organisationId,
      version: manifestVersion,
      issuedAt: now.toISOString(),
      epoch: next.epoch,
      teamPublicJwk: next.teamKey.publicJwk,
      recoveryPublicJwk: current.payload.recoveryPublicJwk,
      members: manifestMembers(recipients),
    },
    input.signingKey,
  );
  // The manifest last: gateways move to the new epoch only once its key is stored.
  await api.putTeamKey(next.epoch, next.wrapped);
  if (secretJwe !== undefined) await api.putPseudonymSecret(secretJwe);
  await api.putKeyManifest(jws, signingPublicJwk);
  return { epoch: next.epoch, manifestVersion, recipients, removed, pseudonymSecret };
}

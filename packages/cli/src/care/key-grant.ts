import { VigilError } from '@vigil/core';
import {
  keyIdOf,
  wrapTeamKey,
  type P256PublicJwk,
  type PrivateEcJwk,
  type PublicEcJwk,
} from '@vigil/protect';
import type { CareApi, MemberKeyRecord } from './care-api.js';
import { registeredMembers, requireMember } from './member-keys.js';
import { recipientKids, trustedManifest, unlockTeamKeys } from './team-keyring.js';

export interface GrantInput {
  readonly api: CareApi;
  /** The admin's member key: it must be a recipient of every epoch granted. */
  readonly memberKey: PrivateEcJwk;
  /** The admin's signing key (public half), to verify the manifest; else the server's. */
  readonly signingPublicJwk?: P256PublicJwk;
  /** User id or email of the newcomer. */
  readonly user: string;
  /** Which epochs: every stored one, or these. */
  readonly epochs: 'all' | readonly number[];
  readonly now: Date;
}

export interface GrantResult {
  readonly member: MemberKeyRecord;
  readonly granted: readonly number[];
  /** Epochs the member could open already. */
  readonly unchanged: readonly number[];
}

/**
 * Gives a newcomer earlier epochs (ADR 0008 "an old epoch can be granted to a
 * newcomer"). The server keeps ONE wrapped key per epoch (`PUT team-keys/:epoch`
 * replaces it), and a General JSON JWE cannot gain a recipient without its
 * content key, so `grantOldEpoch`'s newcomer-only JWE would lock everyone else
 * out. Instead each epoch is re-wrapped to its current recipients that are still
 * registered, the newcomer and the recovery key: nobody gains an epoch but the
 * newcomer, and removed members stay removed.
 *
 * @throws VigilError ERR_NOT_FOUND (no such member or epoch),
 *   ERR_PROTECT_NOT_A_RECIPIENT (the admin cannot open an epoch asked for).
 */
export async function grantEpochs(input: GrantInput): Promise<GrantResult> {
  const { api } = input;
  const organisationId = api.organisationId;
  const manifest = await trustedManifest(api, input.now, input.signingPublicJwk);
  const recoveryPublicJwk = manifest.payload.recoveryPublicJwk;
  const members = await registeredMembers(api);
  const member = requireMember(members, input.user);
  const teamKeys = await api.listTeamKeys();
  const stored = new Map(teamKeys.map((t) => [t.epoch, t.jwe]));
  const epochs = input.epochs === 'all' ? [...stored.keys()] : [...new Set(input.epochs)];
  for (const epoch of epochs) {
    if (!stored.has(epoch)) {
      throw new VigilError('ERR_NOT_FOUND', `The organisation has no team epoch ${epoch}.`);
    }
  }
  const keyring = await unlockTeamKeys(organisationId, teamKeys, input.memberKey);
  const byKid = new Map(members.map((m) => [m.kid, m.publicJwk]));
  const recoveryKid = await keyIdOf(recoveryPublicJwk);

  const rewrapped: Array<[number, unknown]> = [];
  const unchanged: number[] = [];
  for (const epoch of epochs.sort((a, b) => a - b)) {
    const kids = recipientKids(stored.get(epoch));
    if (kids.includes(member.kid)) {
      unchanged.push(epoch);
      continue;
    }
    const teamKey = keyring.require(epoch);
    const recipients: PublicEcJwk[] = kids.flatMap((kid) => {
      const publicJwk = kid === recoveryKid ? undefined : byKid.get(kid);
      return publicJwk === undefined ? [] : [publicJwk];
    });
    recipients.push(member.publicJwk, recoveryPublicJwk);
    rewrapped.push([epoch, await wrapTeamKey(teamKey, { organisationId, epoch }, recipients)]);
  }
  // Uploaded only once every epoch asked for could be re-wrapped.
  for (const [epoch, jwe] of rewrapped) await api.putTeamKey(epoch, jwe);
  return { member, granted: rewrapped.map(([epoch]) => epoch), unchanged };
}

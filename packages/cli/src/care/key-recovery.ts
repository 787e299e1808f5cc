import { VigilError } from '@vigil/core';
import {
  rebuildRecoveryKey,
  toPublicJwk,
  unwrapTeamKey,
  wrapTeamKey,
  type P256PublicJwk,
} from '@vigil/protect';
import type { CareApi, MemberKeyRecord } from './care-api.js';
import { publicKeysOf, registeredMembers } from './member-keys.js';
import { recipientKids, trustedManifest } from './team-keyring.js';

export interface RecoveryInput {
  readonly api: CareApi;
  /** The custodians' `vigil-share:v1:…` texts, at least the threshold of them. */
  readonly shares: readonly string[];
  /** The organisation's signing key if the caller holds it; else the server's is used. */
  readonly signingPublicJwk?: P256PublicJwk;
  readonly now: Date;
}

export interface RecoveryResult {
  readonly epochs: readonly number[];
  readonly recipients: readonly MemberKeyRecord[];
}

/**
 * k-of-n recovery (ADR 0008 "Recovery", ADR 0011 §5): rebuilds the recovery key
 * from the shares and proves it is the one in the signed manifest
 * (`rebuildRecoveryKey` refuses k-1, tampered, duplicated and mixed shares),
 * unwraps every epoch's team key with it, and re-wraps each to the CURRENT
 * registered member keys and the recovery key. A member whose key was lost and
 * who registered a new one can then read all earlier data. Registered keys that
 * some epoch was already wrapped to keep just their epochs (a removed member stays
 * removed). Nothing is uploaded unless every epoch was re-wrapped.
 *
 * @throws VigilError ERR_RECOVERY_* (shares), ERR_NOT_FOUND (no manifest, no
 *   member key), ERR_PROTECT_* (a stored team key the recovery key cannot open).
 */
export async function recoverTeamKeys(input: RecoveryInput): Promise<RecoveryResult> {
  const { api } = input;
  const organisationId = api.organisationId;
  const manifest = await trustedManifest(api, input.now, input.signingPublicJwk);
  const recoveryPublicJwk = manifest.payload.recoveryPublicJwk;
  const recoveryPrivateJwk = await rebuildRecoveryKey(input.shares, recoveryPublicJwk);
  const recipients = await registeredMembers(api);
  if (recipients.length === 0) {
    throw new VigilError('ERR_NOT_FOUND', 'No member has registered a key to recover to.');
  }
  const teamKeys = [...(await api.listTeamKeys())].sort((a, b) => a.epoch - b.epoch);
  const kidsOf = new Map(teamKeys.map(({ epoch, jwe }) => [epoch, new Set(recipientKids(jwe))]));
  // A key no epoch is wrapped to is a replacement (or a newcomer): it gets every epoch.
  // A key that some epoch is wrapped to keeps exactly the epochs it had, so a member
  // removed by an earlier rotation is not brought back by a recovery.
  const isNew = (kid: string) => [...kidsOf.values()].every((kids) => !kids.has(kid));
  const rewrapped: Array<[number, unknown]> = [];
  const included = new Set<string>();
  for (const { epoch, jwe } of teamKeys) {
    const teamKey = await unwrapTeamKey(jwe, recoveryPrivateJwk, { organisationId, epoch });
    const members = recipients.filter((m) => isNew(m.kid) || kidsOf.get(epoch)?.has(m.kid));
    members.forEach((m) => included.add(m.kid));
    rewrapped.push([
      epoch,
      await wrapTeamKey(teamKey, { organisationId, epoch }, [
        ...publicKeysOf(members),
        toPublicJwk(recoveryPublicJwk),
      ]),
    ]);
  }
  for (const [epoch, jwe] of rewrapped) await api.putTeamKey(epoch, jwe);
  return {
    epochs: rewrapped.map(([epoch]) => epoch),
    recipients: recipients.filter((m) => included.has(m.kid)),
  };
}

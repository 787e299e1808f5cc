import { VigilError } from '@vigil/core';
import {
  KEY_MANIFEST_TYP,
  generateKeyPair,
  generateSigningKeyPair,
  keyIdOf,
  newEpoch,
  sealPseudonymSecretForStaff,
  signManifest,
  splitRecoveryKey,
  type PublicEcJwk,
  type SigningKeyPair,
} from '@vigil/protect';
import type { CareApi, MemberKeyRecord } from './care-api.js';
import { manifestMembers, publicKeysOf, registeredMembers } from './member-keys.js';

/** ADR 0011 §4: the pseudonym secret is 32 random bytes (HMAC-SHA256 key material). */
export const PSEUDONYM_SECRET_BYTES = 32;

export interface KeySetupInput {
  readonly api: CareApi;
  /** How many custodians get a share of the recovery key (n). */
  readonly custodians: number;
  /** How many of them together can recover (k, 2 ≤ k ≤ n). */
  readonly threshold: number;
  readonly now: Date;
}

/**
 * Everything the ceremony makes, before anything is uploaded: the caller stores
 * the signing key, the shares and the pseudonym secret first, and only then
 * calls {@link publishKeySetup}, so a failed write never leaves the server
 * pinned to a key nobody holds.
 */
export interface KeySetupPlan {
  readonly organisationId: string;
  /** Keep in the admin's keystore; publish `signingKey.kid` out of band. */
  readonly signingKey: SigningKeyPair;
  readonly recoveryPublicJwk: PublicEcJwk;
  readonly recoveryKid: string;
  /** One `vigil-share:v1:…` text per custodian. */
  readonly shares: readonly string[];
  /** For gateway provisioning; the server only ever sees the wrapped copy. */
  readonly pseudonymSecret: Uint8Array;
  readonly epoch: number;
  readonly teamKid: string;
  readonly members: readonly MemberKeyRecord[];
  readonly teamKeyJwe: unknown;
  readonly pseudonymSecretJwe: unknown;
  readonly manifestJws: string;
  readonly manifestVersion: number;
}

/**
 * The care organisation admin's key ceremony (ADR 0011): a manifest-signing key,
 * a recovery key split k-of-n (its private half exists only inside this
 * function), the pseudonym secret, team epoch 1 wrapped to every registered
 * member and the recovery key, and manifest version 1 signed.
 *
 * @throws VigilError ERR_CONFLICT when the organisation has a manifest already
 *   (use rotation), ERR_NOT_FOUND when no member has registered a key.
 */
export async function prepareKeySetup(input: KeySetupInput): Promise<KeySetupPlan> {
  const { api, now } = input;
  const organisationId = api.organisationId;
  if ((await api.getKeyManifest()) !== null) {
    throw new VigilError(
      'ERR_CONFLICT',
      'The organisation is set up already; use `vigil keys rotate` for a new epoch.',
    );
  }
  const members = await registeredMembers(api);
  if (members.length === 0) {
    throw new VigilError(
      'ERR_NOT_FOUND',
      'No member has registered a key yet: each member runs `vigil keys init` first.',
    );
  }
  const signingKey = await generateSigningKeyPair();
  const recovery = await generateKeyPair();
  const shares = await splitRecoveryKey(recovery.privateJwk, {
    threshold: input.threshold,
    shares: input.custodians,
  });
  const epoch = await newEpoch({
    organisationId,
    previousEpoch: 0,
    memberPublicJwks: publicKeysOf(members),
    recoveryPublicJwk: recovery.publicJwk,
  });
  const pseudonymSecret = globalThis.crypto.getRandomValues(new Uint8Array(PSEUDONYM_SECRET_BYTES));
  const pseudonymSecretJwe = await sealPseudonymSecretForStaff(pseudonymSecret, {
    organisationId,
    epoch: epoch.epoch,
    teamPublicJwk: epoch.teamKey.publicJwk,
    recoveryPublicJwk: recovery.publicJwk,
  });
  const manifestVersion = 1;
  const manifestJws = await signManifest(
    {
      typ: KEY_MANIFEST_TYP,
      organisationId,
      version: manifestVersion,
      issuedAt: now.toISOString(),
      epoch: epoch.epoch,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
      members: manifestMembers(members),
    },
    signingKey.privateJwk,
  );
  return {
    organisationId,
    signingKey,
    recoveryPublicJwk: recovery.publicJwk,
    recoveryKid: await keyIdOf(recovery.publicJwk),
    shares,
    pseudonymSecret,
    epoch: epoch.epoch,
    teamKid: epoch.teamKey.kid,
    members,
    teamKeyJwe: epoch.wrapped,
    pseudonymSecretJwe,
    manifestJws,
    manifestVersion,
  };
}

/**
 * Uploads what {@link prepareKeySetup} made. The manifest goes last: it is what
 * gateways act on, so they never see an epoch whose wrapped key is not stored.
 */
export async function publishKeySetup(api: CareApi, plan: KeySetupPlan): Promise<void> {
  await api.putTeamKey(plan.epoch, plan.teamKeyJwe);
  await api.putPseudonymSecret(plan.pseudonymSecretJwe);
  await api.putKeyManifest(plan.manifestJws, plan.signingKey.publicJwk);
}

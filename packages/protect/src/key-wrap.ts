import { VigilError } from '@vigil/core/errors';
import type { GeneralJWE } from 'jose';
import { decryptAsRecipient, encryptToRecipients } from './jwe-envelope.js';
import {
  generateKeyPair,
  keyIdOf,
  toPrivateJwk,
  type EcKeyPair,
  type HeldPrivateKey,
  type PrivateEcJwk,
  type PublicEcJwk,
} from './keys.js';

/** `typ` of a wrapped team key (RFC 7516 §4.1.11). */
export const TEAM_KEY_JWE_TYPE = 'vigil-team-key+jwe';

/** Which team key a JWE carries: both values are in its protected header. */
export interface TeamKeyContext {
  readonly organisationId: string;
  /** 1 for the first epoch, +1 on each rotation. */
  readonly epoch: number;
}

/** A team epoch just created by {@link newEpoch}. */
export interface TeamEpoch {
  readonly organisationId: string;
  readonly epoch: number;
  /** Encrypt to `teamKey.publicJwk`; drop `teamKey.privateJwk` once `wrapped` is stored. */
  readonly teamKey: EcKeyPair;
  /** The private half, wrapped to every member and the recovery key. */
  readonly wrapped: GeneralJWE;
}

/**
 * Wraps a team epoch's private key to several recipients as ONE JWE (General JSON
 * serialization, RFC 7516 §7.2.1; ECDH-ES+A256KW + A256GCM). The protected header
 * carries `{ typ, organisationId, epoch, teamKid }`, so a wrapped key cannot be
 * passed off as another organisation's or another epoch's.
 *
 * @example
 * const jwe = await wrapTeamKey(team.privateJwk, { organisationId: 'org-1', epoch: 3 },
 *   [alice.publicJwk, bob.publicJwk, recovery.publicJwk]);
 */
export async function wrapTeamKey(
  teamPrivateJwk: PrivateEcJwk,
  context: TeamKeyContext,
  recipients: readonly PublicEcJwk[],
): Promise<GeneralJWE> {
  checkContext(context);
  const teamKey = toPrivateJwk(teamPrivateJwk);
  const header = {
    typ: TEAM_KEY_JWE_TYPE,
    organisationId: context.organisationId,
    epoch: context.epoch,
    teamKid: await keyIdOf(teamKey),
  };
  return encryptToRecipients(new TextEncoder().encode(JSON.stringify(teamKey)), header, recipients);
}

/**
 * Unwraps a team key with one private key (a member's or the recovery key; a JWK, or
 * a non-extractable key from {@link holdPrivateKey}) and checks that the JWE is the
 * expected organisation's expected epoch.
 *
 * @example
 * const teamPrivate = await unwrapTeamKey(stored, alice.privateJwk, { organisationId: 'org-1', epoch: 3 });
 */
export async function unwrapTeamKey(
  jwe: unknown,
  memberKey: PrivateEcJwk | HeldPrivateKey,
  expected: TeamKeyContext,
): Promise<PrivateEcJwk> {
  checkContext(expected);
  const { plaintext, header } = await decryptAsRecipient(jwe, memberKey, TEAM_KEY_JWE_TYPE);
  if (header['organisationId'] !== expected.organisationId || header['epoch'] !== expected.epoch) {
    throw new VigilError(
      'ERR_PROTECT_KEY_MISMATCH',
      `Expected the team key of ${expected.organisationId} epoch ${expected.epoch}.`,
      { details: { organisationId: header['organisationId'], epoch: header['epoch'] } },
    );
  }
  let teamKey: PrivateEcJwk;
  try {
    teamKey = toPrivateJwk(JSON.parse(new TextDecoder().decode(plaintext)));
  } catch (cause) {
    throw new VigilError('ERR_PROTECT_DECRYPTION_FAILED', 'The wrapped team key is unreadable.', {
      cause,
    });
  }
  if ((await keyIdOf(teamKey)) !== header['teamKid']) {
    throw new VigilError('ERR_PROTECT_KEY_MISMATCH', 'The wrapped key is not the named team key.');
  }
  return teamKey;
}

/**
 * Starts a new epoch: a fresh team key wrapped to the current members and the
 * recovery key. Rotate when a member leaves (they are simply not a recipient,
 * so they cannot read data of this epoch or later) or on schedule.
 *
 * @example
 * const next = await newEpoch({ organisationId: 'org-1', previousEpoch: 2,
 *   memberPublicJwks: [alice.publicJwk], recoveryPublicJwk: recovery.publicJwk });
 * // next.epoch === 3; store next.wrapped and publish next.teamKey.publicJwk
 */
export async function newEpoch(options: {
  organisationId: string;
  /** The current epoch number, 0 when the organisation has none yet. */
  previousEpoch: number;
  memberPublicJwks: readonly PublicEcJwk[];
  recoveryPublicJwk: PublicEcJwk;
}): Promise<TeamEpoch> {
  const { organisationId, previousEpoch } = options;
  if (!Number.isSafeInteger(previousEpoch) || previousEpoch < 0) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'previousEpoch must be an integer ≥ 0.');
  }
  const epoch = previousEpoch + 1;
  const teamKey = await generateKeyPair();
  // The recovery key is always a recipient: a lost member key never loses an epoch.
  const recipients = [...options.memberPublicJwks, options.recoveryPublicJwk];
  const wrapped = await wrapTeamKey(teamKey.privateJwk, { organisationId, epoch }, recipients);
  return { organisationId, epoch, teamKey, wrapped };
}

/**
 * Gives a newcomer an old epoch: re-wraps that epoch's team key (unwrapped by an
 * existing member or by recovery) to the newcomer only, as a separate grant JWE.
 *
 * @example
 * const old = await unwrapTeamKey(epoch1, alice.privateJwk, { organisationId: 'org-1', epoch: 1 });
 * const grant = await grantOldEpoch(old, carol.publicJwk, { organisationId: 'org-1', epoch: 1 });
 */
export async function grantOldEpoch(
  oldTeamPrivateJwk: PrivateEcJwk,
  newMemberPublicJwk: PublicEcJwk,
  context: TeamKeyContext,
): Promise<GeneralJWE> {
  return wrapTeamKey(oldTeamPrivateJwk, context, [newMemberPublicJwk]);
}

function checkContext({ organisationId, epoch }: TeamKeyContext): void {
  if (
    typeof organisationId !== 'string' ||
    organisationId.length === 0 ||
    organisationId.length > 128
  ) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      'organisationId must be 1–128 characters.',
    );
  }
  if (!Number.isSafeInteger(epoch) || epoch < 1) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'epoch must be an integer ≥ 1.');
  }
}

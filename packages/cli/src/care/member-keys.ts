import { VigilError } from '@vigil/core';
import { keyIdOf, type KeyManifestMember, type PublicEcJwk } from '@vigil/protect';
import type { CareApi, MemberKeyRecord } from './care-api.js';

/**
 * The registered member keys, each kid recomputed from its key (RFC 7638) rather
 * than taken from the server, and one key per kid.
 */
export async function registeredMembers(api: CareApi): Promise<MemberKeyRecord[]> {
  const seen = new Set<string>();
  const members: MemberKeyRecord[] = [];
  for (const member of await api.listMemberKeys()) {
    const kid = await keyIdOf(member.publicJwk);
    if (seen.has(kid)) continue;
    seen.add(kid);
    members.push({ ...member, kid });
  }
  return members;
}

/** The member a `--user` / `--remove` value names: a user id or an email (any case). */
export function findMember(
  members: readonly MemberKeyRecord[],
  who: string,
): MemberKeyRecord | undefined {
  const email = who.trim().toLowerCase();
  return members.find((m) => m.userId === who || m.email.toLowerCase() === email);
}

/** Like {@link findMember}, but a name that matches nobody is refused (a typo must not pass). */
export function requireMember(members: readonly MemberKeyRecord[], who: string): MemberKeyRecord {
  const member = findMember(members, who);
  if (member === undefined) {
    throw new VigilError(
      'ERR_NOT_FOUND',
      `${who} has no registered member key; they run \`vigil keys init\` first.`,
    );
  }
  return member;
}

export function publicKeysOf(members: readonly MemberKeyRecord[]): PublicEcJwk[] {
  return members.map((m) => m.publicJwk);
}

/** The manifest's `members`: kid and public key of each recipient of the epoch. */
export function manifestMembers(members: readonly MemberKeyRecord[]): KeyManifestMember[] {
  return members.map(({ kid, publicJwk }) => ({ kid, publicJwk }));
}

/** What a result reports about a member: never their key, only who and which kid. */
export function describeMember(member: MemberKeyRecord) {
  return { userId: member.userId, email: member.email, role: member.role, kid: member.kid };
}

import { VigilError, hashSecretToken, type Clock, type PasswordPolicy } from '@vigil/core';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { Store, User } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import { requiresMfa } from './auth-service.js';
import type { RequestContext } from './request-context.js';

export interface PasswordServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  readonly audit: AuditLog;
}

/** Setting and changing passwords, always through the NIST SP 800-63B policy. */
export class PasswordService {
  constructor(private readonly deps: PasswordServiceDeps) {}

  /** Checks a candidate password for a person, with the length rule that fits their factors. */
  async assertAcceptable(
    password: string,
    user: Pick<User, 'id' | 'email' | 'name' | 'totpSecretSealed'>,
    store: Store = this.deps.store,
  ): Promise<void> {
    const memberships = await store.listMembershipsOfUser(user.id);
    const mfa = user.totpSecretSealed !== null || requiresMfa(memberships);
    this.assertPolicy(password, user, mfa);
  }

  /** The policy check alone, for a person not yet stored (first-run setup). */
  assertPolicy(password: string, user: Pick<User, 'email' | 'name'>, mfa: boolean): void {
    this.deps.policy.check(password, { mfa, personal: personalWords(user) });
  }

  async change(
    user: User,
    currentPassword: string,
    newPassword: string,
    keepSessionHash: string,
    context: RequestContext,
  ): Promise<void> {
    const { store, hasher, audit, clock } = this.deps;
    if (user.passwordHash === null || !(await hasher.verify(user.passwordHash, currentPassword))) {
      throw new VigilError('ERR_AUTH_INVALID_CREDENTIALS', 'The current password is wrong.');
    }
    await this.assertAcceptable(newPassword, user);
    await store.updateUser(user.id, {
      passwordHash: await hasher.hash(newPassword),
      passwordChangedAt: clock.now(),
    });
    // Other sessions may belong to whoever knew the old password: end them, keep this one.
    const kept = await store.getSessionByHash(keepSessionHash);
    await store.deleteSessionsOfUser(user.id);
    if (kept) await store.createSession(kept);
    await audit.recordForPerson(
      user.id,
      { type: 'auth.password.changed', actor: { kind: 'user', userId: user.id } },
      context,
    );
  }

  /** Sets a password with a one-time activation or reset token (shown once to an administrator). */
  async activate(token: string, password: string, context: RequestContext): Promise<void> {
    const { store, hasher, audit, clock } = this.deps;
    const now = clock.now();
    const tokenHash = hashSecretToken(token);
    // Validate the password before consuming the token, so a rejected password does not burn it.
    const pending = await store.transaction(async (tx) => {
      const row = await tx.consumeOneTimeToken(tokenHash, now);
      if (!row) return undefined;
      const user = await tx.getUser(row.userId);
      if (!user) return undefined;
      await this.assertAcceptable(password, user, tx);
      return { row, user };
    });
    if (!pending) {
      throw new VigilError(
        'ERR_AUTH_ONE_TIME_TOKEN_INVALID',
        'This link is unknown, used or expired; ask an administrator for a new one.',
      );
    }
    await store.updateUser(pending.user.id, {
      passwordHash: await hasher.hash(password),
      passwordChangedAt: now,
    });
    await store.deleteSessionsOfUser(pending.user.id);
    await audit.recordForPerson(
      pending.user.id,
      {
        type: 'auth.password.reset-completed',
        actor: { kind: 'user', userId: pending.user.id },
        details: { purpose: pending.row.purpose },
      },
      context,
    );
  }
}

export function personalWords(user: Pick<User, 'email' | 'name'>): string[] {
  const local = user.email.split('@')[0] ?? '';
  return [local, ...user.name.split(/\s+/)].filter((w) => w.length >= 4);
}

import {
  ACCOUNT_LOCKOUT,
  ADDRESS_LOCKOUT,
  MFA_REQUIRED_ROLES,
  VigilError,
  afterFailure,
  afterSuccess,
  hashSecretToken,
  isLocked,
  remainingLockMs,
  secretTokensEqual,
  sessionVerdict,
  type Clock,
  type LockoutOptions,
  type PasswordPolicy,
  type SessionPolicy,
} from '@vigil/core';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { MembershipRow, SessionRow, SessionState, Store, User } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import type { RequestContext } from './request-context.js';
import { csrfTokenFor, newSessionSecret } from './session-tokens.js';

export interface AuthServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly audit: AuditLog;
  readonly passwordPolicy: PasswordPolicy;
  readonly sessionPolicy: SessionPolicy;
}

export interface IssuedSession {
  readonly sessionToken: string;
  readonly csrfToken: string;
  readonly state: SessionState;
  readonly userId: string;
}

export interface ResolvedSession {
  readonly session: SessionRow;
  readonly user: User;
  readonly memberships: readonly MembershipRow[];
  readonly csrfToken: string;
}

/** Whether any of a person's roles requires a second factor. */
export function requiresMfa(memberships: readonly MembershipRow[]): boolean {
  return memberships.some((m) => MFA_REQUIRED_ROLES.has(m.role));
}

/**
 * Sign-in, sessions and their lifetime. Lockout with exponential back-off is
 * kept per account and per source address (NIST SP 800-63B §3.2.2); a failure
 * for an unknown email costs the same argon2 work as a wrong password so
 * timing does not reveal which accounts exist.
 */
export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  async signIn(email: string, password: string, context: RequestContext): Promise<IssuedSession> {
    const { store, clock, hasher, audit } = this.deps;
    const now = clock.now();
    const addressKey = `address:${context.sourceIp}`;
    const addressState = await store.getThrottle(addressKey);
    if (isLocked(addressState, now)) {
      await audit.record(
        {
          type: 'auth.sign-in.failed',
          outcome: 'failure',
          actor: { kind: 'anonymous', claimedEmail: email },
          details: { reason: 'address-locked' },
        },
        context,
      );
      throw lockedError(remainingLockMs(addressState, now));
    }

    const user = await store.getUserByEmail(normaliseEmail(email));
    if (!user || user.passwordHash === null) {
      await hasher.verifyDummy(password);
      await audit.record(
        {
          type: 'auth.sign-in.failed',
          outcome: 'failure',
          actor: { kind: 'anonymous', claimedEmail: email },
          details: { reason: 'unknown-account' },
        },
        context,
      );
      await this.#countFailure(addressKey, ADDRESS_LOCKOUT, context, null);
      throw invalidCredentials();
    }

    const accountKey = `account:${user.id}`;
    const accountState = await store.getThrottle(accountKey);
    if (isLocked(accountState, now)) {
      await audit.recordForPerson(
        user.id,
        {
          type: 'auth.sign-in.failed',
          outcome: 'failure',
          actor: { kind: 'user', userId: user.id },
          details: { reason: 'account-locked' },
        },
        context,
      );
      throw lockedError(remainingLockMs(accountState, now));
    }

    if (!(await hasher.verify(user.passwordHash, password))) {
      await audit.recordForPerson(
        user.id,
        {
          type: 'auth.sign-in.failed',
          outcome: 'failure',
          actor: { kind: 'user', userId: user.id },
          details: { reason: 'wrong-password' },
        },
        context,
      );
      await this.#countFailure(addressKey, ADDRESS_LOCKOUT, context, null);
      await this.#countFailure(accountKey, ACCOUNT_LOCKOUT, context, user.id);
      throw invalidCredentials();
    }
    if (user.disabled) {
      throw new VigilError('ERR_AUTH_ACCOUNT_DISABLED', 'This account is disabled.');
    }

    await store.putThrottle(accountKey, afterSuccess());
    const memberships = await store.listMembershipsOfUser(user.id);
    const state: SessionState =
      user.totpSecretSealed !== null
        ? 'mfa-pending'
        : requiresMfa(memberships)
          ? 'mfa-enrolment'
          : 'active';
    const issued = await this.#createSession(user.id, state, context);
    // With MFA the sign-in succeeds only once the code is checked (MfaService).
    if (state !== 'mfa-pending') {
      await audit.recordForPerson(
        user.id,
        {
          type: 'auth.sign-in.succeeded',
          actor: { kind: 'user', userId: user.id },
          details: { factors: 'password', sessionState: state },
        },
        context,
      );
    }
    return issued;
  }

  /** Counts a failure against a throttle key and records a lockout event when a lock begins. */
  async #countFailure(
    key: string,
    options: LockoutOptions,
    context: RequestContext,
    userId: string | null,
  ): Promise<void> {
    const { store, clock, audit } = this.deps;
    const now = clock.now();
    const before = await store.getThrottle(key);
    const after = afterFailure(before, now, options);
    await store.putThrottle(key, after);
    if (!isLocked(after, now) || isLocked(before, now)) return;
    const details = {
      scope: userId ? 'account' : 'address',
      failures: after.failures,
      lockedForSeconds: Math.ceil((after.lockedUntil - now) / 1000),
    };
    if (userId) {
      await audit.recordForPerson(
        userId,
        { type: 'auth.lockout', outcome: 'failure', actor: { kind: 'user', userId }, details },
        context,
      );
    } else {
      await audit.record(
        { type: 'auth.lockout', outcome: 'failure', actor: { kind: 'anonymous' }, details },
        context,
      );
    }
  }

  async #createSession(
    userId: string,
    state: SessionState,
    context: RequestContext,
  ): Promise<IssuedSession> {
    const now = this.deps.clock.now();
    const secret = newSessionSecret();
    await this.deps.store.createSession({
      id: crypto.randomUUID(),
      idHash: secret.idHash,
      userId,
      state,
      csrfHash: hashSecretToken(secret.csrfToken),
      createdAt: now,
      lastSeenAt: now,
      sourceIp: context.sourceIp,
      userAgent: context.userAgent ?? null,
    });
    return { sessionToken: secret.token, csrfToken: secret.csrfToken, state, userId };
  }

  /**
   * Moves a session to a higher state by replacing it with a fresh one, so a
   * session id seen before the second factor is worthless after it (OWASP
   * session management: renew the id on privilege change).
   */
  async promote(
    session: SessionRow,
    state: SessionState,
    context: RequestContext,
  ): Promise<IssuedSession> {
    await this.deps.store.deleteSession(session.idHash);
    return this.#createSession(session.userId, state, context);
  }

  /**
   * Finds the live session for a cookie value, enforcing the idle timeout
   * (automatic log-off, MDS2 ALOF) and the absolute lifetime, and refreshing
   * its last-seen time.
   */
  async resolveSession(sessionToken: string, context: RequestContext): Promise<ResolvedSession> {
    const { store, clock, audit, sessionPolicy } = this.deps;
    const idHash = hashSecretToken(sessionToken);
    const session = await store.getSessionByHash(idHash);
    if (!session) throw new VigilError('ERR_AUTH_REQUIRED', 'Sign in to continue.');
    const now = clock.now();
    const verdict = sessionVerdict(session, sessionPolicy, now);
    if (verdict !== 'valid') {
      await store.deleteSession(idHash);
      await audit.recordForPerson(
        session.userId,
        {
          type: 'auth.session-expired',
          actor: { kind: 'system' },
          target: { kind: 'user', id: session.userId },
          details: { reason: verdict },
        },
        context,
      );
      throw new VigilError('ERR_AUTH_SESSION_EXPIRED', 'Your session has expired; sign in again.', {
        details: { reason: verdict },
      });
    }
    const user = await store.getUser(session.userId);
    if (!user || user.disabled) {
      await store.deleteSession(idHash);
      throw new VigilError('ERR_AUTH_REQUIRED', 'Sign in to continue.');
    }
    const memberships = await store.listMembershipsOfUser(user.id);
    let current = session;
    // A role that now requires MFA takes effect on the next request, not the next sign-in.
    if (session.state === 'active' && user.totpSecretSealed === null && requiresMfa(memberships)) {
      await store.setSessionState(idHash, 'mfa-enrolment');
      current = { ...session, state: 'mfa-enrolment' };
    }
    // Writing last-seen on every request costs a durable write (an fsync on SQLite) per
    // request; a coarser record is enough for an idle timeout of minutes.
    if (now - session.lastSeenAt >= touchIntervalMs(sessionPolicy.idleMs)) {
      await store.touchSession(idHash, now);
    }
    return {
      session: { ...current, lastSeenAt: now },
      user,
      memberships,
      csrfToken: csrfTokenFor(sessionToken),
    };
  }

  checkCsrf(sessionToken: string, presented: string | undefined): boolean {
    return presented !== undefined && secretTokensEqual(csrfTokenFor(sessionToken), presented);
  }

  async signOut(session: SessionRow, context: RequestContext): Promise<void> {
    await this.deps.store.deleteSession(session.idHash);
    await this.deps.audit.recordForPerson(
      session.userId,
      { type: 'auth.sign-out', actor: { kind: 'user', userId: session.userId } },
      context,
    );
  }

  async signOutEverywhere(userId: string, context: RequestContext): Promise<number> {
    const ended = await this.deps.store.deleteSessionsOfUser(userId);
    await this.deps.audit.recordForPerson(
      userId,
      {
        type: 'auth.sign-out-everywhere',
        actor: { kind: 'user', userId },
        details: { sessionsEnded: ended },
      },
      context,
    );
    return ended;
  }
}

/**
 * How stale the stored last-seen time may get: a tenth of the idle timeout,
 * at most a minute. A session therefore ends between 90 % and 100 % of the
 * configured idle time after the last request, never later.
 */
export function touchIntervalMs(idleMs: number): number {
  return Math.min(60_000, Math.floor(idleMs / 10));
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function invalidCredentials(): VigilError {
  return new VigilError('ERR_AUTH_INVALID_CREDENTIALS', 'The email or password is wrong.');
}

function lockedError(remainingMs: number): VigilError {
  const retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
  return new VigilError(
    'ERR_AUTH_LOCKED',
    `Too many failed attempts; try again in ${retryAfterSeconds} s.`,
    {
      details: { retryAfterSeconds },
    },
  );
}

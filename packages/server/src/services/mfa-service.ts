import {
  VigilError,
  generateTotpSecret,
  totpUri,
  verifyTotp,
  type Clock,
  type PasswordPolicy,
} from '@vigil/core';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { SessionRow, Store, User } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import { requiresMfa, type AuthService, type IssuedSession } from './auth-service.js';
import type { RequestContext } from './request-context.js';

export interface MfaServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly secretBox: SecretBox;
  readonly audit: AuditLog;
  readonly auth: AuthService;
  readonly hasher: PasswordHasher;
  readonly passwordPolicy: PasswordPolicy;
  /** Shown as the issuer in authenticator apps. */
  readonly issuer: string;
}

/**
 * TOTP second factor (RFC 6238): enrolment with confirmation, verification
 * with replay protection (a step once used is refused, enforced atomically
 * in the store), and removal where no role requires MFA.
 */
export class MfaService {
  constructor(private readonly deps: MfaServiceDeps) {}

  async beginTotpEnrolment(user: User): Promise<{ secret: string; uri: string }> {
    const secret = generateTotpSecret();
    await this.deps.store.updateUser(user.id, {
      totpPendingSealed: this.deps.secretBox.seal(secret, sealContext(user.id, 'pending')),
    });
    return { secret, uri: totpUri(secret, this.deps.issuer, user.email) };
  }

  async confirmTotpEnrolment(
    session: SessionRow,
    user: User,
    code: string,
    context: RequestContext,
  ): Promise<IssuedSession> {
    const { store, secretBox, audit } = this.deps;
    if (user.totpPendingSealed === null) {
      throw new VigilError('ERR_AUTH_MFA_NOT_PENDING', 'Start the enrolment first.');
    }
    const secret = secretBox.open(user.totpPendingSealed, sealContext(user.id, 'pending'));
    const step = verifyTotp(secret, code, this.deps.clock.now(), null);
    if (step === null) {
      await audit.recordForPerson(
        user.id,
        {
          type: 'auth.mfa.failed',
          outcome: 'failure',
          actor: { kind: 'user', userId: user.id },
          details: { during: 'enrolment' },
        },
        context,
      );
      throw new VigilError('ERR_AUTH_MFA_INVALID', 'The code is wrong or has expired.');
    }
    await store.updateUser(user.id, {
      totpSecretSealed: secretBox.seal(secret, sealContext(user.id, 'active')),
      totpPendingSealed: null,
      totpLastStep: step,
    });
    await audit.recordForPerson(
      user.id,
      {
        type: 'auth.mfa.enrolled',
        actor: { kind: 'user', userId: user.id },
        details: { method: 'totp' },
      },
      context,
    );
    if (session.state === 'mfa-enrolment') {
      await audit.recordForPerson(
        user.id,
        {
          type: 'auth.sign-in.succeeded',
          actor: { kind: 'user', userId: user.id },
          details: { factors: 'password+totp', sessionState: 'active' },
        },
        context,
      );
    }
    return this.deps.auth.promote(session, 'active', context);
  }

  /** The second step of sign-in for a person with an authenticator. */
  async verifySignIn(
    session: SessionRow,
    user: User,
    code: string,
    context: RequestContext,
  ): Promise<IssuedSession> {
    const { audit } = this.deps;
    if (session.state !== 'mfa-pending' || user.totpSecretSealed === null) {
      throw new VigilError(
        'ERR_AUTH_MFA_NOT_PENDING',
        'No second factor is awaited for this session.',
      );
    }
    if (!(await this.#checkCode(user, code))) {
      await audit.recordForPerson(
        user.id,
        {
          type: 'auth.mfa.failed',
          outcome: 'failure',
          actor: { kind: 'user', userId: user.id },
          details: { during: 'sign-in' },
        },
        context,
      );
      throw new VigilError('ERR_AUTH_MFA_INVALID', 'The code is wrong, expired or already used.');
    }
    await audit.recordForPerson(
      user.id,
      {
        type: 'auth.sign-in.succeeded',
        actor: { kind: 'user', userId: user.id },
        details: { factors: 'password+totp', sessionState: 'active' },
      },
      context,
    );
    return this.deps.auth.promote(session, 'active', context);
  }

  async removeTotp(user: User, password: string, context: RequestContext): Promise<void> {
    const { store, hasher, passwordPolicy, audit } = this.deps;
    if (requiresMfa(await store.listMembershipsOfUser(user.id))) {
      throw new VigilError(
        'ERR_AUTH_MFA_MANDATORY',
        'Your role requires MFA; it cannot be removed.',
      );
    }
    if (user.passwordHash === null || !(await hasher.verify(user.passwordHash, password))) {
      throw new VigilError('ERR_AUTH_INVALID_CREDENTIALS', 'The password is wrong.');
    }
    // NIST SP 800-63B: a password that becomes the only factor must meet the single-factor length.
    passwordPolicy.check(password, { mfa: false });
    await store.updateUser(user.id, {
      totpSecretSealed: null,
      totpPendingSealed: null,
      totpLastStep: null,
    });
    await audit.recordForPerson(
      user.id,
      {
        type: 'auth.mfa.removed',
        actor: { kind: 'user', userId: user.id },
        details: { method: 'totp' },
      },
      context,
    );
  }

  async #checkCode(user: User, code: string): Promise<boolean> {
    const secret = this.deps.secretBox.open(
      user.totpSecretSealed ?? '',
      sealContext(user.id, 'active'),
    );
    const step = verifyTotp(secret, code, this.deps.clock.now(), user.totpLastStep);
    // The store refuses a step not newer than the last one, so two racing requests cannot both use a code.
    return step !== null && (await this.deps.store.advanceTotpStep(user.id, step));
  }
}

function sealContext(userId: string, kind: 'pending' | 'active'): string {
  return `totp/${kind}/${userId}`;
}

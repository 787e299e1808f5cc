import {
  TOKEN_PREFIX,
  VigilError,
  generateSecretToken,
  hashSecretToken,
  type Clock,
} from '@vigil/core';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { Store } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import { normaliseEmail } from './auth-service.js';
import type { PasswordService } from './password-service.js';
import type { RequestContext } from './request-context.js';

/** A setup token is valid for one hour (the issue's requirement; long enough to walk to a browser). */
export const SETUP_TOKEN_TTL_MS = 3_600_000;

export interface SetupServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly passwords: PasswordService;
  readonly audit: AuditLog;
}

export interface SetupInput {
  readonly token: string;
  readonly organisationName: string;
  readonly name: string;
  readonly email: string;
  readonly password: string;
}

/**
 * First run without a default account (FDA premarket guidance App. 1; ETSI
 * EN 303 645 §5.1-1): the server prints a random one-time token; whoever
 * holds it creates the manufacturer organisation and its first
 * administrator. Until then no credential exists that could sign in.
 */
export class SetupService {
  constructor(private readonly deps: SetupServiceDeps) {}

  async isRequired(): Promise<boolean> {
    return (await this.deps.store.countUsers()) === 0;
  }

  /** Issues a new setup token (replacing any earlier one); returns it in clear, once. */
  async issueToken(context: RequestContext): Promise<{ token: string; expiresAt: number }> {
    if (!(await this.isRequired())) {
      throw new VigilError('ERR_SETUP_DONE', 'Setup has already been completed.');
    }
    const now = this.deps.clock.now();
    const token = generateSecretToken(TOKEN_PREFIX.setup);
    const expiresAt = now + SETUP_TOKEN_TTL_MS;
    await this.deps.store.putSetupToken({
      tokenHash: hashSecretToken(token),
      createdAt: now,
      expiresAt,
    });
    await this.deps.audit.record(
      { type: 'setup.token-issued', actor: { kind: 'system' }, details: { expiresAt } },
      context,
    );
    return { token, expiresAt };
  }

  async complete(
    input: SetupInput,
    context: RequestContext,
  ): Promise<{ userId: string; organisationId: string }> {
    const { store, clock, hasher, passwords, audit } = this.deps;
    const email = normaliseEmail(input.email);
    // Admins must enrol MFA before anything else, so the with-MFA length applies.
    passwords.assertPolicy(input.password, { email, name: input.name }, true);
    const passwordHash = await hasher.hash(input.password);
    const now = clock.now();
    const result = await store.transaction(async (tx) => {
      if ((await tx.countUsers()) > 0) return 'done' as const;
      if (!(await tx.consumeSetupToken(hashSecretToken(input.token), now)))
        return 'bad-token' as const;
      const organisation = await tx.createOrganisation({
        kind: 'manufacturer',
        name: input.organisationName,
        manufacturerId: null,
        now,
      });
      const user = await tx.createUser({ email, name: input.name, passwordHash, now });
      await tx.addMembership({
        userId: user.id,
        organisationId: organisation.id,
        role: 'admin',
        now,
      });
      await audit.record(
        {
          type: 'organisation.created',
          organisationId: organisation.id,
          actor: { kind: 'user', userId: user.id },
          target: { kind: 'organisation', id: organisation.id },
          details: { kind: 'manufacturer' },
        },
        context,
        tx,
      );
      await audit.record(
        {
          type: 'setup.completed',
          organisationId: organisation.id,
          actor: { kind: 'user', userId: user.id },
          target: { kind: 'user', id: user.id },
        },
        context,
        tx,
      );
      return { userId: user.id, organisationId: organisation.id };
    });
    if (result === 'done')
      throw new VigilError('ERR_SETUP_DONE', 'Setup has already been completed.');
    if (result === 'bad-token') {
      await audit.record(
        {
          type: 'setup.failed',
          outcome: 'failure',
          actor: { kind: 'anonymous', claimedEmail: email },
        },
        context,
      );
      throw new VigilError(
        'ERR_SETUP_TOKEN_INVALID',
        'The setup token is wrong, used or expired; run `vigil setup` for a new one.',
      );
    }
    return result;
  }
}

import {
  TOKEN_PREFIX,
  VigilError,
  actorOf,
  authorise,
  generateSecretToken,
  hashSecretToken,
  type Clock,
  type Organisation,
  type Principal,
  type Role,
} from '@vigil/core';
import type { MembershipRow, Store, User } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import { normaliseEmail } from './auth-service.js';
import type { RequestContext } from './request-context.js';

/** Activation and reset links stay valid for 72 hours. */
export const ONE_TIME_TOKEN_TTL_MS = 72 * 3_600_000;

export interface PersonView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly mfaEnabled: boolean;
  readonly activated: boolean;
}

export interface PeopleServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditLog;
}

/**
 * Organisations and their people. Every method takes the caller's principal
 * and authorises against the organisation named in the request: the one
 * place tenant isolation is decided (see @vigil/core `authorise`).
 */
export class PeopleService {
  constructor(private readonly deps: PeopleServiceDeps) {}

  async listOrganisations(principal: Principal): Promise<Array<Organisation & { role: Role }>> {
    const out: Array<Organisation & { role: Role }> = [];
    for (const m of principal.memberships) {
      const organisation = await this.deps.store.getOrganisation(m.organisationId);
      if (organisation) out.push({ ...organisation, role: m.role });
    }
    return out;
  }

  async listServed(principal: Principal, organisationId: string): Promise<Organisation[]> {
    authorise(principal, organisationId, 'org:read');
    return this.deps.store.listOrganisationsServedBy(organisationId);
  }

  /** A manufacturer's admin creates a care organisation it serves, with that organisation's first admin. */
  async createServed(
    principal: Principal,
    manufacturerId: string,
    input: { name: string; adminEmail: string; adminName: string },
    context: RequestContext,
  ): Promise<{
    organisation: Organisation;
    admin: { userId: string; activationToken: string | null };
  }> {
    authorise(principal, manufacturerId, 'org:manage');
    const manufacturer = await this.deps.store.getOrganisation(manufacturerId);
    if (manufacturer?.kind !== 'manufacturer') {
      throw new VigilError(
        'ERR_CONFLICT',
        'Only a manufacturer organisation serves care organisations.',
      );
    }
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const organisation = await tx.createOrganisation({
        kind: 'care',
        name: input.name,
        manufacturerId,
        now,
      });
      const actor = actorOf(principal);
      for (const orgId of [manufacturerId, organisation.id]) {
        await this.deps.audit.record(
          {
            type: 'organisation.created',
            organisationId: orgId,
            actor,
            target: { kind: 'organisation', id: organisation.id },
            details: { kind: 'care', name: input.name },
          },
          context,
          tx,
        );
      }
      const added = await this.#addPerson(
        tx,
        principal,
        organisation.id,
        { email: input.adminEmail, name: input.adminName, role: 'admin' },
        context,
      );
      return {
        organisation,
        admin: { userId: added.user.id, activationToken: added.activationToken },
      };
    });
  }

  async listPeople(principal: Principal, organisationId: string): Promise<PersonView[]> {
    authorise(principal, organisationId, 'users:read');
    const members = await this.deps.store.listMembersOfOrganisation(organisationId);
    return members.map((m) => toView(m.user, m));
  }

  async addPerson(
    principal: Principal,
    organisationId: string,
    input: { email: string; name: string; role: Role },
    context: RequestContext,
  ): Promise<{ user: PersonView; activationToken: string | null }> {
    authorise(principal, organisationId, 'users:manage');
    return this.deps.store.transaction((tx) =>
      this.#addPerson(tx, principal, organisationId, input, context),
    );
  }

  async #addPerson(
    tx: Store,
    principal: Principal,
    organisationId: string,
    input: { email: string; name: string; role: Role },
    context: RequestContext,
  ): Promise<{ user: PersonView; activationToken: string | null }> {
    const now = this.deps.clock.now();
    const email = normaliseEmail(input.email);
    let user = await tx.getUserByEmail(email);
    let activationToken: string | null = null;
    if (user) {
      if (
        (await tx.listMembershipsOfUser(user.id)).some((m) => m.organisationId === organisationId)
      ) {
        throw new VigilError('ERR_USER_EXISTS', 'This person is already a member.');
      }
    } else {
      // No password is ever chosen for someone else: they set it themselves with a one-time link.
      user = await tx.createUser({ email, name: input.name, passwordHash: null, now });
      activationToken = await this.#issueOneTimeToken(tx, user.id, 'activation');
    }
    await tx.addMembership({ userId: user.id, organisationId, role: input.role, now });
    await this.deps.audit.record(
      {
        type: 'user.created',
        organisationId,
        actor: actorOf(principal),
        target: { kind: 'user', id: user.id },
        details: { role: input.role, newAccount: activationToken !== null },
      },
      context,
      tx,
    );
    return { user: toView(user, { role: input.role }), activationToken };
  }

  async changeRole(
    principal: Principal,
    organisationId: string,
    userId: string,
    role: Role,
    context: RequestContext,
  ): Promise<PersonView> {
    authorise(principal, organisationId, 'users:manage');
    return this.deps.store.transaction(async (tx) => {
      const member = await this.#member(tx, organisationId, userId);
      if (member.role === 'admin' && role !== 'admin') await this.#keepAnAdmin(tx, organisationId);
      await tx.setMembershipRole(userId, organisationId, role);
      await this.deps.audit.record(
        {
          type: 'user.role-changed',
          organisationId,
          actor: actorOf(principal),
          target: { kind: 'user', id: userId },
          details: { from: member.role, to: role },
        },
        context,
        tx,
      );
      return toView(member.user, { role });
    });
  }

  async removePerson(
    principal: Principal,
    organisationId: string,
    userId: string,
    context: RequestContext,
  ): Promise<void> {
    authorise(principal, organisationId, 'users:manage');
    await this.deps.store.transaction(async (tx) => {
      const member = await this.#member(tx, organisationId, userId);
      if (member.role === 'admin') await this.#keepAnAdmin(tx, organisationId);
      await tx.removeMembership(userId, organisationId);
      await tx.deleteSessionsOfUser(userId);
      await this.deps.audit.record(
        {
          type: 'user.removed',
          organisationId,
          actor: actorOf(principal),
          target: { kind: 'user', id: userId },
          details: { role: member.role },
        },
        context,
        tx,
      );
    });
  }

  /** Admin-initiated reset: the old password stops working at once and a one-time link sets a new one. */
  async issueReset(
    principal: Principal,
    organisationId: string,
    userId: string,
    context: RequestContext,
  ): Promise<{ resetToken: string }> {
    authorise(principal, organisationId, 'users:manage');
    return this.deps.store.transaction(async (tx) => {
      await this.#member(tx, organisationId, userId);
      await tx.updateUser(userId, { passwordHash: null });
      await tx.deleteSessionsOfUser(userId);
      const resetToken = await this.#issueOneTimeToken(tx, userId, 'reset');
      await this.deps.audit.record(
        {
          type: 'auth.password.reset-issued',
          organisationId,
          actor: actorOf(principal),
          target: { kind: 'user', id: userId },
        },
        context,
        tx,
      );
      return { resetToken };
    });
  }

  /**
   * Removes a person's authenticator after they lost it (their sessions end;
   * a role that requires MFA makes them enrol again at the next sign-in).
   */
  async resetMfa(
    principal: Principal,
    organisationId: string,
    userId: string,
    context: RequestContext,
  ): Promise<void> {
    authorise(principal, organisationId, 'users:manage');
    await this.deps.store.transaction(async (tx) => {
      await this.#member(tx, organisationId, userId);
      await tx.updateUser(userId, {
        totpSecretSealed: null,
        totpPendingSealed: null,
        totpLastStep: null,
      });
      await tx.deleteSessionsOfUser(userId);
      await this.deps.audit.record(
        {
          type: 'auth.mfa.removed',
          organisationId,
          actor: actorOf(principal),
          target: { kind: 'user', id: userId },
          details: { method: 'totp', by: 'administrator' },
        },
        context,
        tx,
      );
    });
  }

  async #issueOneTimeToken(
    tx: Store,
    userId: string,
    purpose: 'activation' | 'reset',
  ): Promise<string> {
    const now = this.deps.clock.now();
    await tx.expireOneTimeTokensOfUser(userId, now);
    const token = generateSecretToken(TOKEN_PREFIX.oneTime);
    await tx.createOneTimeToken({
      userId,
      purpose,
      tokenHash: hashSecretToken(token),
      createdAt: now,
      expiresAt: now + ONE_TIME_TOKEN_TTL_MS,
    });
    return token;
  }

  async #member(
    tx: Store,
    organisationId: string,
    userId: string,
  ): Promise<MembershipRow & { user: User }> {
    const members = await tx.listMembersOfOrganisation(organisationId);
    const member = members.find((m) => m.userId === userId);
    if (!member) throw new VigilError('ERR_NOT_FOUND', 'No such person in this organisation.');
    return member;
  }

  async #keepAnAdmin(tx: Store, organisationId: string): Promise<void> {
    if ((await tx.countMembersWithRole(organisationId, 'admin')) <= 1) {
      throw new VigilError('ERR_ROLE_LAST_ADMIN', 'An organisation must keep at least one admin.');
    }
  }
}

function toView(user: User, membership: { role: Role }): PersonView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: membership.role,
    mfaEnabled: user.totpSecretSealed !== null,
    activated: user.passwordHash !== null,
  };
}

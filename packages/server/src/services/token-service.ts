import {
  TOKEN_PREFIX,
  VigilError,
  actorOf,
  generateSecretToken,
  hashSecretToken,
  roleAllows,
  type Clock,
  type Permission,
  type Principal,
} from '@vigil/core';
import type { ApiTokenRow, Store } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import type { RequestContext } from './request-context.js';

/** The longest lifetime an API token may be given. Tokens never live forever. */
export const MAX_TOKEN_DAYS = 365;
const DAY_MS = 86_400_000;
const LAST_USED_RESOLUTION_MS = 60_000;

export type ApiTokenView = Omit<ApiTokenRow, 'tokenHash' | 'userId'>;

export interface TokenServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditLog;
}

/**
 * API tokens for automation: bound to one person and one organisation,
 * limited to a scope set no wider than that person's role there, expiring,
 * shown once and stored as a SHA-256 digest. A token's rights are the
 * intersection of its scopes and its owner's *current* role, so demoting or
 * removing the person also narrows or kills their tokens.
 */
export class TokenService {
  constructor(private readonly deps: TokenServiceDeps) {}

  async create(
    principal: Principal,
    input: {
      name: string;
      organisationId: string;
      scopes: Permission[];
      expiresInDays: number;
      ownerUserId?: string;
    },
    context: RequestContext,
  ): Promise<{ token: string; view: ApiTokenView }> {
    // People create their own tokens; the local operator (CLI) names the owner.
    const ownerUserId = principal.kind === 'operator' ? input.ownerUserId : principal.userId;
    if (!ownerUserId)
      throw new VigilError('ERR_REQUEST_INVALID', 'Name the person who will own the token.');
    const memberships =
      principal.kind === 'operator'
        ? await this.deps.store.listMembershipsOfUser(ownerUserId)
        : principal.memberships;
    const membership = memberships.find((m) => m.organisationId === input.organisationId);
    if (!membership) throw new VigilError('ERR_NOT_FOUND', 'No such organisation.');
    const beyondRole = input.scopes.filter((s) => !roleAllows(membership.role, s));
    if (beyondRole.length > 0) {
      throw new VigilError(
        'ERR_AUTH_FORBIDDEN',
        `Your role does not grant ${beyondRole.join(', ')}.`,
        {
          details: { scopes: beyondRole.join(',') },
        },
      );
    }
    const now = this.deps.clock.now();
    const token = generateSecretToken(TOKEN_PREFIX.apiToken);
    const row = await this.deps.store.createApiToken({
      userId: ownerUserId,
      organisationId: input.organisationId,
      name: input.name,
      tokenHash: hashSecretToken(token),
      scopes: [...new Set(input.scopes)],
      createdAt: now,
      expiresAt: now + Math.min(input.expiresInDays, MAX_TOKEN_DAYS) * DAY_MS,
    });
    await this.deps.audit.record(
      {
        type: 'token.created',
        organisationId: input.organisationId,
        actor: actorOf(principal),
        target: { kind: 'api-token', id: row.id },
        details: { name: input.name, scopes: row.scopes.join(','), expiresAt: row.expiresAt },
      },
      context,
    );
    return { token, view: toView(row) };
  }

  /** A person's own tokens; the operator may list anyone's. */
  async list(principal: Principal, ownerUserId?: string): Promise<ApiTokenView[]> {
    const owner = principal.kind === 'operator' ? ownerUserId : principal.userId;
    if (!owner)
      throw new VigilError('ERR_REQUEST_INVALID', 'Name the person whose tokens to list.');
    return (await this.deps.store.listApiTokensOfUser(owner)).map(toView);
  }

  async revoke(principal: Principal, tokenId: string, context: RequestContext): Promise<void> {
    const row = await this.deps.store.getApiToken(tokenId);
    if (!row || (principal.kind !== 'operator' && row.userId !== principal.userId)) {
      throw new VigilError('ERR_NOT_FOUND', 'No such API token.');
    }
    if (row.revokedAt !== null) return;
    await this.deps.store.revokeApiToken(tokenId, this.deps.clock.now());
    await this.deps.audit.record(
      {
        type: 'token.revoked',
        organisationId: row.organisationId,
        actor: actorOf(principal),
        target: { kind: 'api-token', id: tokenId },
      },
      context,
    );
  }

  /** Authenticates a bearer token; throws ERR_AUTH_TOKEN_INVALID for anything but a live token of a current member. */
  async authenticate(bearer: string, context: RequestContext): Promise<Principal> {
    const { store, clock, audit } = this.deps;
    const now = clock.now();
    const row = bearer.startsWith(TOKEN_PREFIX.apiToken)
      ? await store.getApiTokenByHash(hashSecretToken(bearer))
      : undefined;
    const reason = !row
      ? 'unknown'
      : row.revokedAt !== null
        ? 'revoked'
        : row.expiresAt <= now
          ? 'expired'
          : null;
    const user = row && reason === null ? await store.getUser(row.userId) : undefined;
    const membership =
      row && user && !user.disabled
        ? (await store.listMembershipsOfUser(user.id)).find(
            (m) => m.organisationId === row.organisationId,
          )
        : undefined;
    if (!row || !membership) {
      await audit.record(
        {
          type: 'token.rejected',
          outcome: 'failure',
          organisationId: row?.organisationId ?? null,
          actor: { kind: 'anonymous' },
          ...(row ? { target: { kind: 'api-token', id: row.id } } : {}),
          details: { reason: reason ?? 'owner-not-member' },
        },
        context,
      );
      throw new VigilError(
        'ERR_AUTH_TOKEN_INVALID',
        'The API token is unknown, revoked or expired.',
      );
    }
    // "Last used" is for people reviewing tokens; minute resolution spares a write per request.
    if (row.lastUsedAt === null || now - row.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      await store.markApiTokenUsed(row.id, now);
    }
    return {
      kind: 'token',
      userId: row.userId,
      tokenId: row.id,
      memberships: [{ organisationId: membership.organisationId, role: membership.role }],
      scopes: row.scopes,
    };
  }
}

function toView(row: ApiTokenRow): ApiTokenView {
  const { tokenHash: _hash, userId: _user, ...view } = row;
  return view;
}

import { VigilError } from '../errors/index.js';
import type { AuditActor } from '../audit/audit-event.js';
import { roleAllows, type Permission, type Role } from './roles.js';

/** A membership as the access check sees it. */
export interface Membership {
  readonly organisationId: string;
  readonly role: Role;
}

/**
 * The authenticated caller of one request: a person signed in with a session,
 * or an API token acting for a person within one organisation and scope set.
 */
export type Principal =
  | {
      readonly kind: 'session';
      readonly userId: string;
      readonly sessionId: string;
      readonly memberships: readonly Membership[];
    }
  | {
      readonly kind: 'token';
      readonly userId: string;
      readonly tokenId: string;
      /** A token is bound to the one organisation it was created in. */
      readonly memberships: readonly Membership[];
      readonly scopes: readonly Permission[];
    }
  | {
      /**
       * The local operator: someone running the `vigil` CLI on the server
       * with access to its data directory, and so already able to read and
       * change everything. Acts in every organisation; audited as `system`.
       */
      readonly kind: 'operator';
      readonly userId: null;
      readonly memberships: readonly Membership[];
    };

/**
 * The single authorisation decision: does this caller hold `permission` in
 * `organisationId`? An organisation the caller is not a member of is reported
 * as not found, so its existence is not disclosed.
 */
export function authorise(
  principal: Principal,
  organisationId: string,
  permission: Permission,
): void {
  if (principal.kind === 'operator') return;
  const membership = principal.memberships.find((m) => m.organisationId === organisationId);
  if (!membership) {
    throw new VigilError('ERR_NOT_FOUND', 'No such organisation.');
  }
  if (principal.kind === 'token' && !principal.scopes.includes(permission)) {
    throw new VigilError('ERR_AUTH_TOKEN_SCOPE', `The API token lacks the ${permission} scope.`, {
      details: { requiredScope: permission },
    });
  }
  if (!roleAllows(membership.role, permission)) {
    throw new VigilError('ERR_AUTH_FORBIDDEN', `Your role does not grant ${permission}.`, {
      details: { requiredPermission: permission },
    });
  }
}

/**
 * Like `authorise`, for routes that several permissions open (e.g. wrapped keys, which both
 * `keys:manage` and `data:read` need): the caller must hold at least one of `permissions`,
 * and an API token must carry a scope for one its owner's role grants.
 */
export function authoriseAny(
  principal: Principal,
  organisationId: string,
  permissions: readonly [Permission, ...Permission[]],
): void {
  if (principal.kind === 'operator') return;
  const membership = principal.memberships.find((m) => m.organisationId === organisationId);
  if (!membership) {
    throw new VigilError('ERR_NOT_FOUND', 'No such organisation.');
  }
  const required = permissions.join(' or ');
  if (principal.kind === 'token' && !permissions.some((p) => principal.scopes.includes(p))) {
    throw new VigilError('ERR_AUTH_TOKEN_SCOPE', `The API token lacks the ${required} scope.`, {
      details: { requiredScope: required },
    });
  }
  const usable = principal.kind === 'token' ? principal.scopes : permissions;
  if (!permissions.some((p) => usable.includes(p) && roleAllows(membership.role, p))) {
    throw new VigilError('ERR_AUTH_FORBIDDEN', `Your role does not grant ${required}.`, {
      details: { requiredPermission: required },
    });
  }
}

/** The audit actor for acts done by a principal. */
export function actorOf(principal: Principal): AuditActor {
  switch (principal.kind) {
    case 'operator':
      return { kind: 'system' };
    case 'token':
      return { kind: 'user', userId: principal.userId, tokenId: principal.tokenId };
    default:
      return { kind: 'user', userId: principal.userId };
  }
}

import type { Selectable } from 'kysely';
import type { AuditActor, AuditEvent, AuditValue, Organisation, Permission } from '@vigil/core';
import type {
  ApiTokensTable,
  AuditEventsTable,
  MembershipsTable,
  OneTimeTokensTable,
  OrganisationsTable,
  SessionsTable,
  SetupTokensTable,
  UsersTable,
} from './database.js';
import type {
  ApiTokenRow,
  MembershipRow,
  OneTimeTokenRow,
  SessionRow,
  SetupTokenRow,
  User,
} from './store.js';

/**
 * Rows (snake_case, engine-typed) to the store's domain objects. The JSON
 * columns hold only what the store itself wrote, so they are trusted here.
 */

export function toOrganisation(row: Selectable<OrganisationsTable>): Organisation {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    manufacturerId: row.manufacturer_id,
    createdAt: row.created_at,
  };
}

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    totpSecretSealed: row.totp_secret_sealed,
    totpPendingSealed: row.totp_pending_sealed,
    totpLastStep: row.totp_last_step,
    // SQLite returns 0/1, PostgreSQL true/false.
    disabled: row.disabled === true || row.disabled === 1,
    createdAt: row.created_at,
    passwordChangedAt: row.password_changed_at,
  };
}

export function toMembership(row: Selectable<MembershipsTable>): MembershipRow {
  return {
    userId: row.user_id,
    organisationId: row.organisation_id,
    role: row.role,
    createdAt: row.created_at,
  };
}

export function toSession(row: Selectable<SessionsTable>): SessionRow {
  return {
    idHash: row.id_hash,
    id: row.id,
    userId: row.user_id,
    state: row.state,
    csrfHash: row.csrf_hash,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
  };
}

export function toApiToken(row: Selectable<ApiTokensTable>): ApiTokenRow {
  return {
    id: row.id,
    userId: row.user_id,
    organisationId: row.organisation_id,
    name: row.name,
    tokenHash: row.token_hash,
    scopes: JSON.parse(row.scopes) as Permission[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export function toOneTimeToken(row: Selectable<OneTimeTokensTable>): OneTimeTokenRow {
  return {
    id: row.id,
    userId: row.user_id,
    purpose: row.purpose,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

export function toSetupToken(row: Selectable<SetupTokensTable>): SetupTokenRow {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

/** Optional fields that were not recorded are left out, as in the `AuditEventInput` they came from. */
export function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    id: row.id,
    sequence: row.sequence,
    occurredAt: row.occurred_at,
    type: row.type,
    outcome: row.outcome,
    organisationId: row.organisation_id,
    actor: JSON.parse(row.actor) as AuditActor,
    ...(row.target === null ? {} : { target: JSON.parse(row.target) as AuditEvent['target'] }),
    ...(row.source_ip === null ? {} : { sourceIp: row.source_ip }),
    ...(row.user_agent === null ? {} : { userAgent: row.user_agent }),
    ...(row.request_id === null ? {} : { requestId: row.request_id }),
    ...(row.details === null
      ? {}
      : { details: JSON.parse(row.details) as Record<string, AuditValue> }),
  };
}

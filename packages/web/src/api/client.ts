import { rememberCsrfToken, request } from './http.js';
import type {
  AddedUser,
  ApiToken,
  CreatedApiToken,
  Me,
  NewApiToken,
  NewUser,
  Organisation,
  OrgUser,
  Role,
  SessionAnswer,
  SetupRequest,
  SetupResult,
  SetupStatus,
  TotpEnrolment,
} from './types.js';

/**
 * One typed function per route of docs/api.md (paths relative to /api/v1).
 * Failures throw ApiError; see http.ts for CSRF and auth-event handling.
 *
 * @example
 * const me = await getMe();
 * const { users } = await listUsers(me.memberships[0].organisation.id);
 */

const id = encodeURIComponent;

// First run

export function getSetupStatus(): Promise<SetupStatus> {
  return request('GET', '/setup');
}

export function completeSetup(body: SetupRequest): Promise<SetupResult> {
  return request('POST', '/setup', { body });
}

// Sessions

export async function signIn(email: string, password: string): Promise<SessionAnswer> {
  const answer = await request<SessionAnswer>('POST', '/session', {
    body: { email, password },
  });
  rememberCsrfToken(answer.csrfToken);
  return answer;
}

export async function submitMfaCode(code: string): Promise<SessionAnswer> {
  const answer = await request<SessionAnswer>('POST', '/session/mfa', { body: { code } });
  rememberCsrfToken(answer.csrfToken);
  return answer;
}

/** Ends this session. Never fails because the session had already ended. */
export async function signOut(): Promise<void> {
  try {
    await request<void>('DELETE', '/session', { quiet: true });
  } finally {
    rememberCsrfToken(null);
  }
}

// The signed-in person

/**
 * Who is signed in. `quiet`: a 401 is an expected answer (the caller is
 * finding out whether anyone is signed in), not an event to react to.
 */
export async function getMe(options: { quiet?: boolean } = {}): Promise<Me> {
  const me = await request<Me>('GET', '/me', { quiet: options.quiet ?? false });
  rememberCsrfToken(me.session.csrfToken);
  return me;
}

export async function signOutEverywhere(): Promise<void> {
  try {
    await request<void>('DELETE', '/me/sessions');
  } finally {
    rememberCsrfToken(null);
  }
}

export function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  return request('POST', '/me/password', { body: { currentPassword, newPassword } });
}

export function beginTotpEnrolment(): Promise<TotpEnrolment> {
  // An empty JSON object rather than no body: schema-validated POST routes expect an object.
  return request('POST', '/me/mfa/totp', { body: {} });
}

export async function confirmTotpEnrolment(code: string): Promise<SessionAnswer> {
  const answer = await request<SessionAnswer>('POST', '/me/mfa/totp/confirm', {
    body: { code },
  });
  rememberCsrfToken(answer.csrfToken);
  return answer;
}

export function removeTotp(password: string): Promise<void> {
  return request('DELETE', '/me/mfa/totp', { body: { password } });
}

/** Sets the password of an account from an activation or reset token. */
export function activate(token: string, password: string): Promise<void> {
  return request('POST', '/activate', { body: { token, password } });
}

// Organisations and people

export interface OrganisationWithRole extends Organisation {
  manufacturerId: string | null;
  role: Role;
}

export function listOrganisations(): Promise<{ organisations: OrganisationWithRole[] }> {
  return request('GET', '/organisations');
}

export function listUsers(orgId: string): Promise<{ users: OrgUser[] }> {
  return request('GET', `/organisations/${id(orgId)}/users`);
}

export function addUser(orgId: string, body: NewUser): Promise<AddedUser> {
  return request('POST', `/organisations/${id(orgId)}/users`, { body });
}

export function changeRole(orgId: string, userId: string, role: Role): Promise<OrgUser> {
  return request('PATCH', `/organisations/${id(orgId)}/users/${id(userId)}`, {
    body: { role },
  });
}

export function removeUser(orgId: string, userId: string): Promise<void> {
  return request('DELETE', `/organisations/${id(orgId)}/users/${id(userId)}`);
}

export function resetPassword(orgId: string, userId: string): Promise<{ resetToken: string }> {
  return request('POST', `/organisations/${id(orgId)}/users/${id(userId)}/reset`, { body: {} });
}

// API tokens

export function listTokens(): Promise<{ tokens: ApiToken[] }> {
  return request('GET', '/tokens');
}

export function createToken(body: NewApiToken): Promise<CreatedApiToken> {
  return request('POST', '/tokens', { body });
}

export function revokeToken(tokenId: string): Promise<void> {
  return request('DELETE', `/tokens/${id(tokenId)}`);
}

/** The link a person opens to set their password: the token stays in the fragment. */
export function activationLink(token: string): string {
  return `${location.origin}/activate#token=${encodeURIComponent(token)}`;
}

import { rememberCsrfToken, request } from './http.js';
import type {
  AddedUser,
  ApiToken,
  BatchPage,
  BatchQuery,
  CreatedApiToken,
  CreatedEnrolmentToken,
  Device,
  DeviceAction,
  DeviceCa,
  DeviceModel,
  EnrolmentToken,
  Me,
  NewApiToken,
  NewEnrolmentToken,
  NewUser,
  Organisation,
  OrgUser,
  PatientSummary,
  Role,
  SealedPseudonymTable,
  SessionAnswer,
  SetupRequest,
  SetupResult,
  SetupStatus,
  TotpEnrolment,
  WrappedDataKey,
  WrappedTeamKey,
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

// Devices (docs/devices.md)

export function getDeviceCa(orgId: string): Promise<DeviceCa> {
  return request('GET', `/organisations/${id(orgId)}/device-ca`);
}

export function listDeviceModels(orgId: string): Promise<{ models: DeviceModel[] }> {
  return request('GET', `/organisations/${id(orgId)}/device-models`);
}

export function listEnrolmentTokens(orgId: string): Promise<{ tokens: EnrolmentToken[] }> {
  return request('GET', `/organisations/${id(orgId)}/enrolment-tokens`);
}

export function createEnrolmentToken(
  orgId: string,
  body: NewEnrolmentToken,
): Promise<CreatedEnrolmentToken> {
  return request('POST', `/organisations/${id(orgId)}/enrolment-tokens`, { body });
}

export function revokeEnrolmentToken(orgId: string, tokenId: string): Promise<void> {
  return request('DELETE', `/organisations/${id(orgId)}/enrolment-tokens/${id(tokenId)}`);
}

export function listDevices(orgId: string): Promise<{ devices: Device[] }> {
  return request('GET', `/organisations/${id(orgId)}/devices`);
}

export function getDevice(orgId: string, deviceId: string): Promise<Device> {
  return request('GET', `/organisations/${id(orgId)}/devices/${id(deviceId)}`);
}

/**
 * Quarantines, releases or revokes a device; answers with the device as it now is.
 * The routes take no body, so none is sent (Fastify refuses an empty body labelled JSON).
 */
export function setDeviceStatus(
  orgId: string,
  deviceId: string,
  action: DeviceAction,
): Promise<Device> {
  return request('POST', `/organisations/${id(orgId)}/devices/${id(deviceId)}/${action}`);
}

// Protected telemetry of a care organisation (docs/telemetry.md "Operator API"): ciphertext
// and wrapped keys only; the browser decrypts with the clinician's own key.

/** One page of the pseudonyms with readings, in pseudonym order. */
export function listPseudonyms(
  orgId: string,
  after?: string,
): Promise<{ pseudonyms: PatientSummary[]; next: string | null }> {
  const query = after === undefined ? '' : `?${new URLSearchParams({ after }).toString()}`;
  return request('GET', `/organisations/${id(orgId)}/pseudonyms${query}`);
}

export function listPseudonymTables(
  orgId: string,
): Promise<{ pseudonymTables: SealedPseudonymTable[] }> {
  return request('GET', `/organisations/${id(orgId)}/pseudonym-tables`);
}

export function listTeamKeys(orgId: string): Promise<{ teamKeys: WrappedTeamKey[] }> {
  return request('GET', `/organisations/${id(orgId)}/team-keys`);
}

/** The wrapped data key `kid` names (the route takes one kid at a time). */
export function getDataKey(orgId: string, kid: string): Promise<{ dataKeys: WrappedDataKey[] }> {
  const query = new URLSearchParams({ kid });
  return request('GET', `/organisations/${id(orgId)}/data-keys?${query.toString()}`);
}

/** One page of a patient's batches whose readings overlap [from, to], oldest first. */
export function listBatches(orgId: string, query: BatchQuery): Promise<BatchPage> {
  const search = new URLSearchParams({ pseudonym: query.pseudonym });
  // The route takes ISO 8601 date-times; it answers with epoch milliseconds.
  if (query.from !== undefined) search.set('from', new Date(query.from).toISOString());
  if (query.to !== undefined) search.set('to', new Date(query.to).toISOString());
  if (query.after !== undefined) search.set('after', query.after);
  if (query.limit !== undefined) search.set('limit', String(query.limit));
  return request('GET', `/organisations/${id(orgId)}/batches?${search.toString()}`);
}

/** Where gateways enrol (EST, RFC 7030): this server's origin, as the browser reached it. */
export function estBaseUrl(): string {
  return `${location.origin}/.well-known/est`;
}

/** The link a person opens to set their password: the token stays in the fragment. */
export function activationLink(token: string): string {
  return `${location.origin}/activate#token=${encodeURIComponent(token)}`;
}

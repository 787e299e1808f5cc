/**
 * The shapes docs/api.md promises. The server validates its answers against
 * its route schemas, so the client trusts them and does not re-validate.
 * Times are epoch milliseconds.
 */

import { PERMISSIONS, ROLES, type Permission, type Role } from '@vigil/core/access';

/** Roles, in the order people are offered them, and API token scopes: the server's own lists. */
export { ROLES, type Role };
export const SCOPES = PERMISSIONS;
export type Scope = Permission;

export type SessionState = 'mfa-enrolment' | 'mfa-pending' | 'active';

export interface SetupStatus {
  required: boolean;
}

export interface SetupRequest {
  token: string;
  organisationName: string;
  name: string;
  email: string;
  password: string;
}

export interface SetupResult {
  userId: string;
  organisationId: string;
}

export interface SessionAnswer {
  state: SessionState;
  csrfToken: string;
}

export interface Organisation {
  id: string;
  name: string;
  /** `manufacturer` or `care` (a hospital or clinic a manufacturer serves). */
  kind: string;
}

export interface Membership {
  organisation: Organisation;
  role: Role;
}

export interface Me {
  user: { id: string; email: string; name: string; mfaEnabled: boolean };
  session: { state: SessionState; csrfToken: string; idleTimeoutSeconds: number };
  memberships: Membership[];
}

export interface TotpEnrolment {
  /** Base32 secret, for people who type it into their authenticator. */
  secret: string;
  /** `otpauth://totp/…` Key URI, what a QR code would carry. */
  uri: string;
}

export interface OrgUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  mfaEnabled: boolean;
  activated: boolean;
}

export interface NewUser {
  email: string;
  name: string;
  role: Role;
}

export interface AddedUser {
  user: OrgUser;
  /** Null when the person already has a Vigil account (they only gain a membership). */
  activationToken: string | null;
}

export interface ApiToken {
  id: string;
  name: string;
  organisationId: string;
  scopes: Scope[];
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface NewApiToken {
  name: string;
  organisationId: string;
  scopes: Scope[];
  /** 1 to 365. */
  expiresInDays: number;
}

export interface CreatedApiToken extends ApiToken {
  /** The secret `vgl_pat_…`; shown once, never retrievable again. */
  token: string;
}

/** docs/devices.md: active; quarantined (may only check in and fetch updates); revoked (refused, in the CRL). */
export type DeviceStatus = 'active' | 'quarantined' | 'revoked';

/** What an operator may do to a device: `POST /devices/:deviceId/<action>`. */
export type DeviceAction = 'quarantine' | 'release' | 'revoke';

export interface Device {
  id: string;
  organisationId: string;
  model: string;
  hardwareRevision: string | null;
  /** The `serialNumber` attribute of the enrolment CSR's subject, when the gateway set one. */
  serialNumber: string | null;
  site: string | null;
  status: DeviceStatus;
  /** Serial number of the current device certificate (hex). */
  certSerial: string;
  certNotAfter: number;
  hardwareAttested: boolean;
  /** Reported at check-in; null until the first one. */
  softwareVersion: string | null;
  lastSeenAt: number | null;
  enrolledAt: number;
}

/** An organisation's device CA, for people who pin its certificates. */
export interface DeviceCa {
  issuingCertificatePem: string;
  rootCertificatePem: string;
  /** Lower-case hex SHA-256 of the DER certificate. */
  issuingFingerprintSha256: string;
  rootFingerprintSha256: string;
  issuingNotAfter: number;
}

export interface DeviceModel {
  id: string;
  name: string;
  attestationRequired: boolean;
  vendorRootsPem: string[];
  createdAt: number;
}

export interface EnrolmentToken {
  id: string;
  organisationId: string;
  name: string;
  model: string;
  site: string | null;
  usesTotal: number;
  usesRemaining: number;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface NewEnrolmentToken {
  name: string;
  model: string;
  site?: string;
  /** Devices it may enrol: 1 to 10 000. */
  count: number;
  /** 1 to 720 (30 days). */
  expiresInHours: number;
}

export interface CreatedEnrolmentToken extends EnrolmentToken {
  /** The secret `vgl_enrol_…`; shown once, never retrievable again. */
  token: string;
}

// Protected telemetry (docs/telemetry.md "Operator API"). Every `jwe` is opaque here: only
// @vigil/protect reads it, and it checks everything it reads.

/** A patient (a pseudonym) with readings, and when they were taken. */
export interface PatientSummary {
  /** `p<version>_…`, the HMAC pseudonym the gateways computed. */
  pseudonym: string;
  /** How many batches the server holds for it. */
  batches: number;
  /** The earliest and latest reading time (from the batches' headers). */
  first: number;
  last: number;
}

/** A device's latest staff copy of its pseudonym table, sealed to a team epoch. */
export interface SealedPseudonymTable {
  deviceId: string;
  version: number;
  /** General JSON JWE, `typ` `vigil-pseudonym-table+jwe`. */
  jwe: unknown;
}

/** A team epoch's private key, wrapped to its members and the recovery key. */
export interface WrappedTeamKey {
  epoch: number;
  /** General JSON JWE, `typ` `vigil-team-key+jwe`. */
  jwe: unknown;
}

/** A gateway's data key, wrapped to a team epoch and the recovery key. */
export interface WrappedDataKey {
  kid: string;
  epoch: number;
  deviceId: string;
  /** General JSON JWE, `typ` `vigil-data-key+jwe`. */
  jwe: unknown;
}

/** A public ECDSA P-256 JWK (a device's batch-signing key). */
export interface DevicePublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** One stored batch: its header's metadata (claims until opened) and the ciphertext. */
export interface StoredBatch {
  id: string;
  deviceId: string;
  sequence: number;
  pseudonym: string;
  epoch: number;
  kid: string;
  /** The first and last reading time the header claims. */
  from: number;
  to: number;
  /** The compact JWE, `typ` `vigil-batch+jwe`. */
  jwe: string;
  /**
   * The enrolled device's signing key, to verify the batch's JWS. Absent or null
   * when the server does not know it: the batch is then refused (ERR_BATCH_SIGNATURE).
   */
  devicePublicJwk?: DevicePublicJwk | null;
}

export interface BatchPage {
  batches: StoredBatch[];
  /** Pass as `after` for the next page; null on the last one. */
  next: string | null;
}

export interface BatchQuery {
  pseudonym: string;
  /** Epoch milliseconds (sent as ISO 8601): batches whose readings overlap [from, to]. */
  from?: number;
  to?: number;
  after?: string;
  limit?: number;
}

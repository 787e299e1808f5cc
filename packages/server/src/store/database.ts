import type { ColumnType, Generated } from 'kysely';
import type { AuditEventType, OrganisationKind, Role } from '@vigil/core';
import type { DeviceStatus } from './device-store.js';
import type { OneTimePurpose, SessionState, Store } from './store.js';

export type StoreEngine = Store['engine'];

/**
 * The tables as Kysely sees them (snake_case, one interface per table). The
 * DDL that creates them lives in `migrations/`; this file must describe the
 * schema after the newest migration.
 *
 * Times are epoch milliseconds in BIGINT (PostgreSQL) / INTEGER (SQLite)
 * columns; the PostgreSQL pool parses int8 into `number` (see
 * `postgres/postgres-dialect.ts`), which is exact below 2^53.
 */
type Millis = number;

/**
 * A boolean column: SQLite has no boolean type and stores 0/1, PostgreSQL
 * returns true/false. Both accept 0/1 on write, so writes always use numbers.
 */
type Flag = ColumnType<boolean | number, number, number>;

/** JSON stored as text, identical on both engines. */
type Json = string;

export interface OrganisationsTable {
  id: string;
  kind: OrganisationKind;
  name: string;
  manufacturer_id: string | null;
  created_at: Millis;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  totp_secret_sealed: string | null;
  totp_pending_sealed: string | null;
  totp_last_step: number | null;
  disabled: Flag;
  created_at: Millis;
  password_changed_at: Millis | null;
}

export interface MembershipsTable {
  user_id: string;
  organisation_id: string;
  role: Role;
  created_at: Millis;
}

export interface SessionsTable {
  id_hash: string;
  id: string;
  user_id: string;
  state: SessionState;
  csrf_hash: string;
  created_at: Millis;
  last_seen_at: Millis;
  source_ip: string | null;
  user_agent: string | null;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  organisation_id: string;
  name: string;
  token_hash: string;
  scopes: Json;
  created_at: Millis;
  expires_at: Millis;
  revoked_at: Millis | null;
  last_used_at: Millis | null;
}

export interface OneTimeTokensTable {
  id: string;
  user_id: string;
  purpose: OneTimePurpose;
  token_hash: string;
  created_at: Millis;
  expires_at: Millis;
  used_at: Millis | null;
}

export interface SetupTokensTable {
  id: string;
  token_hash: string;
  created_at: Millis;
  expires_at: Millis;
  used_at: Millis | null;
}

export interface ThrottlesTable {
  key: string;
  failures: number;
  locked_until: Millis;
  last_failure_at: Millis;
}

export interface AuditEventsTable {
  /** AUTOINCREMENT (SQLite) / BIGSERIAL (PostgreSQL): strictly increasing, never reused. */
  sequence: Generated<number>;
  id: string;
  organisation_id: string | null;
  type: AuditEventType;
  outcome: 'success' | 'failure';
  actor: Json;
  target: Json | null;
  source_ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Json | null;
  occurred_at: Millis;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  organisations: OrganisationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  one_time_tokens: OneTimeTokensTable;
  setup_tokens: SetupTokensTable;
  throttles: ThrottlesTable;
  audit_events: AuditEventsTable;
  meta: MetaTable;
  device_cas: DeviceCasTable;
  device_models: DeviceModelsTable;
  device_allowed_serials: DeviceAllowedSerialsTable;
  enrolment_tokens: EnrolmentTokensTable;
  devices: DevicesTable;
  device_certificates: DeviceCertificatesTable;
  attestation_nonces: AttestationNoncesTable;
  member_keys: MemberKeysTable;
  manifest_signing_keys: ManifestSigningKeysTable;
  key_manifests: KeyManifestsTable;
  team_keys: TeamKeysTable;
  pseudonym_secrets: PseudonymSecretsTable;
  data_keys: DataKeysTable;
  pseudonym_tables: PseudonymTablesTable;
  batches: BatchesTable;
  retention_policies: RetentionPoliciesTable;
}

export interface DeviceCasTable {
  id: string;
  organisation_id: string;
  root_cert_pem: string;
  issuing_cert_pem: string;
  issuing_key_sealed: string;
  active: Flag;
  crl_number: ColumnType<number, number | undefined, number>;
  created_at: Millis;
}

export interface DeviceModelsTable {
  id: string;
  organisation_id: string;
  name: string;
  attestation_required: Flag;
  vendor_roots_pem: Json;
  created_at: Millis;
}

export interface DeviceAllowedSerialsTable {
  model_id: string;
  serial: string;
  batch: string;
}

export interface EnrolmentTokensTable {
  id: string;
  organisation_id: string;
  token_hash: string;
  name: string;
  model: string;
  site: string | null;
  uses_total: number;
  uses_remaining: number;
  created_at: Millis;
  expires_at: Millis;
  revoked_at: Millis | null;
  created_by: string | null;
  care_organisation_id: string | null;
}

export interface DevicesTable {
  id: string;
  organisation_id: string;
  model: string;
  hardware_revision: string | null;
  serial_number: string | null;
  site: string | null;
  status: DeviceStatus;
  cert_serial: string;
  cert_not_after: Millis;
  previous_cert_serial: string | null;
  hardware_attested: Flag;
  software_version: string | null;
  last_seen_at: Millis | null;
  enrolled_at: Millis;
  enrolment_token_id: string | null;
  care_organisation_id: string | null;
}

export interface DeviceCertificatesTable {
  serial: string;
  device_id: string;
  ca_id: string;
  issued_at: Millis;
  not_after: Millis;
  revoked_at: Millis | null;
  revocation_reason: string | null;
}

export interface AttestationNoncesTable {
  nonce_hash: string;
  organisation_id: string;
  expires_at: Millis;
  used_at: Millis | null;
}

// Protected telemetry (migration 0003). Keys are public JWKs or JWEs, stored as text.

export interface MemberKeysTable {
  organisation_id: string;
  user_id: string;
  kid: string;
  public_jwk: Json;
  registered_at: Millis;
}

export interface ManifestSigningKeysTable {
  organisation_id: string;
  public_jwk: Json;
  fingerprint: string;
  pinned_at: Millis;
}

export interface KeyManifestsTable {
  organisation_id: string;
  version: number;
  epoch: number;
  jws: string;
  signing_public_jwk: Json;
  signing_key_fingerprint: string;
  created_at: Millis;
}

export interface TeamKeysTable {
  organisation_id: string;
  epoch: number;
  jwe: Json;
  updated_at: Millis;
}

export interface PseudonymSecretsTable {
  organisation_id: string;
  epoch: number;
  jwe: Json;
  updated_at: Millis;
}

export interface DataKeysTable {
  kid: string;
  organisation_id: string;
  epoch: number;
  device_id: string;
  jwe: Json;
  sha256: string;
  created_at: Millis;
}

export interface PseudonymTablesTable {
  device_id: string;
  organisation_id: string;
  version: number;
  jwe: Json;
  updated_at: Millis;
}

export interface BatchesTable {
  id: string;
  organisation_id: string;
  device_id: string;
  sequence: number;
  pseudonym: string;
  epoch: number;
  kid: string;
  /** The readings' time range from the batch header. */
  from_at: Millis;
  to_at: Millis;
  /** When the gateway made the batch (header `createdAt`). */
  created_at: Millis;
  received_at: Millis;
  size: number;
  sha256: string;
  /** The compact JWE as received. */
  jwe: string;
  /** The P-256 key of the certificate the batch came with (JWK), or null. */
  device_public_jwk: Json | null;
}

export interface RetentionPoliciesTable {
  organisation_id: string;
  days: number;
  updated_at: Millis;
}

/** Every Vigil table, parents before children (the order backups count and check them in). */
export const STORE_TABLES = [
  'organisations',
  'users',
  'memberships',
  'sessions',
  'api_tokens',
  'one_time_tokens',
  'setup_tokens',
  'throttles',
  'audit_events',
  'meta',
  'device_cas',
  'device_models',
  'device_allowed_serials',
  'enrolment_tokens',
  'devices',
  'device_certificates',
  'attestation_nonces',
  'member_keys',
  'manifest_signing_keys',
  'key_manifests',
  'team_keys',
  'pseudonym_secrets',
  'data_keys',
  'pseudonym_tables',
  'batches',
  'retention_policies',
] as const satisfies ReadonlyArray<keyof Database>;

export type StoreTable = (typeof STORE_TABLES)[number];

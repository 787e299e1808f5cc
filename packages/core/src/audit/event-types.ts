/**
 * Every security-relevant act Vigil records. The catalogue is closed: an event
 * type not listed here cannot be written, so the security manual and the SIEM
 * mappings (CEF, LEEF, ECS, FHIR AuditEvent, IHE ATNA) can enumerate them all.
 *
 * Category follows ECS `event.category`; severity is RFC 5424 (0 emergency … 7 debug).
 */
export const AUDIT_EVENT_TYPES = {
  'setup.token-issued': {
    category: 'configuration',
    severity: 5,
    summary: 'A first-run setup token was issued',
  },
  'setup.completed': {
    category: 'configuration',
    severity: 5,
    summary: 'First-run setup created the first administrator',
  },
  'setup.failed': {
    category: 'authentication',
    severity: 4,
    summary: 'A setup attempt used a wrong, used or expired token',
  },

  'auth.sign-in.succeeded': {
    category: 'authentication',
    severity: 6,
    summary: 'A person signed in',
  },
  'auth.sign-in.failed': {
    category: 'authentication',
    severity: 4,
    summary: 'A sign-in attempt failed',
  },
  'auth.lockout': {
    category: 'authentication',
    severity: 3,
    summary: 'An account or address was locked out after repeated failures',
  },
  'auth.sign-out': { category: 'authentication', severity: 6, summary: 'A person signed out' },
  'auth.sign-out-everywhere': {
    category: 'authentication',
    severity: 5,
    summary: 'All sessions of a person were ended',
  },
  'auth.session-expired': {
    category: 'session',
    severity: 6,
    summary: 'A session ended by idle timeout or absolute lifetime',
  },
  'auth.csrf-rejected': {
    category: 'intrusion_detection',
    severity: 4,
    summary: 'A state-changing request without a valid CSRF token was refused',
  },
  'auth.mfa.enrolled': {
    category: 'iam',
    severity: 5,
    summary: 'An authenticator was enrolled for MFA',
  },
  'auth.mfa.removed': { category: 'iam', severity: 4, summary: 'An authenticator was removed' },
  'auth.mfa.failed': {
    category: 'authentication',
    severity: 4,
    summary: 'A one-time code was wrong or replayed',
  },
  'auth.password.changed': {
    category: 'iam',
    severity: 5,
    summary: 'A person changed their password',
  },
  'auth.password.reset-issued': {
    category: 'iam',
    severity: 5,
    summary: 'An administrator issued a password reset',
  },
  'auth.password.reset-completed': {
    category: 'iam',
    severity: 5,
    summary: 'A password was set with an activation or reset token',
  },

  'user.created': {
    category: 'iam',
    severity: 5,
    summary: 'A person was added to an organisation',
  },
  'user.role-changed': { category: 'iam', severity: 5, summary: 'A role was changed' },
  'user.removed': {
    category: 'iam',
    severity: 5,
    summary: 'A person was removed from an organisation',
  },

  'organisation.created': {
    category: 'configuration',
    severity: 5,
    summary: 'An organisation was created',
  },

  'token.created': { category: 'iam', severity: 5, summary: 'An API token was created' },
  'token.revoked': { category: 'iam', severity: 5, summary: 'An API token was revoked' },
  'token.rejected': {
    category: 'authentication',
    severity: 4,
    summary: 'A request presented an unknown, revoked or expired API token',
  },

  'device.ca-created': {
    category: 'configuration',
    severity: 5,
    summary: 'A device CA (offline root and issuing CA) was created',
  },
  'device.model-configured': {
    category: 'configuration',
    severity: 5,
    summary: 'A device model, its attestation roots or a batch manifest was set',
  },
  'device.enrolment-token-created': {
    category: 'iam',
    severity: 5,
    summary: 'An enrolment token for one device or a batch was created',
  },
  'device.enrolment-token-revoked': {
    category: 'iam',
    severity: 5,
    summary: 'An enrolment token was revoked',
  },
  'device.enrolled': {
    category: 'iam',
    severity: 5,
    summary: 'A device enrolled and got its certificate',
  },
  'device.enrolment-refused': {
    category: 'authentication',
    severity: 4,
    summary: 'An enrolment was refused (token, CSR or proof of possession)',
  },
  'device.attestation-failed': {
    category: 'intrusion_detection',
    severity: 3,
    summary: 'Genuine-hardware attestation failed: possibly counterfeit hardware',
  },
  'device.renewed': { category: 'iam', severity: 6, summary: 'A device renewed its certificate' },
  'device.revoked': { category: 'iam', severity: 4, summary: 'A device was revoked' },
  'device.quarantined': { category: 'iam', severity: 4, summary: 'A device was quarantined' },
  'device.released': {
    category: 'iam',
    severity: 5,
    summary: 'A device was released from quarantine',
  },
  'device.certificate-rejected': {
    category: 'intrusion_detection',
    severity: 4,
    summary: 'A client certificate was rejected by the device listener or API',
  },
  'device.queue.alarm': {
    category: 'host',
    severity: 4,
    summary: "A gateway's outbox of unsent readings passed its warning or critical level",
  },

  'telemetry.batch.conflict': {
    category: 'intrusion_detection',
    severity: 3,
    summary: 'A device sent different bytes under a batch sequence number already stored',
  },
  'telemetry.batch.refused': {
    category: 'intrusion_detection',
    severity: 4,
    summary: "A batch's header named another device or organisation than the sender's",
  },
  'telemetry.data-key.stored': {
    category: 'iam',
    severity: 6,
    summary: 'A gateway uploaded a data key wrapped to the team and recovery keys',
  },
  'telemetry.member-key.registered': {
    category: 'iam',
    severity: 5,
    summary: 'A person registered (or replaced) their member public key',
  },
  'telemetry.manifest.published': {
    category: 'configuration',
    severity: 5,
    summary: 'A signed key manifest was published (the first one pins its signing key)',
  },
  'telemetry.manifest.refused': {
    category: 'intrusion_detection',
    severity: 4,
    summary: 'A key manifest was refused (signature, pinned key, organisation or version)',
  },
  'telemetry.team-key.stored': {
    category: 'iam',
    severity: 5,
    summary: 'A wrapped team key of an epoch was stored or replaced',
  },
  'telemetry.pseudonym-secret.stored': {
    category: 'iam',
    severity: 5,
    summary: 'The staff copy of the pseudonym secret was stored or replaced',
  },
  'telemetry.retention.changed': {
    category: 'configuration',
    severity: 5,
    summary: 'The retention period of protected telemetry was changed',
  },
  'telemetry.retention.applied': {
    category: 'configuration',
    severity: 6,
    summary: 'Batches older than the retention period were deleted',
  },

  'config.changed': {
    category: 'configuration',
    severity: 5,
    summary: 'The server started with a changed configuration',
  },
  'backup.created': { category: 'configuration', severity: 5, summary: 'A backup was written' },
  'backup.restored': {
    category: 'configuration',
    severity: 4,
    summary: 'The store was restored from a backup',
  },
} as const satisfies Record<string, { category: AuditCategory; severity: number; summary: string }>;

export type AuditCategory =
  'authentication' | 'configuration' | 'host' | 'iam' | 'intrusion_detection' | 'session';

export type AuditEventType = keyof typeof AUDIT_EVENT_TYPES;

export function isAuditEventType(value: string): value is AuditEventType {
  return Object.hasOwn(AUDIT_EVENT_TYPES, value);
}

import { MFA_REQUIRED_ROLES, roleAllows } from '@vigil/core/access';
import type { Role, Scope } from './types.js';

/**
 * Which controls to offer whom, from the same grants the server enforces
 * (@vigil/core/access). Hiding a button is a courtesy; the server checks
 * every request.
 */
export function can(role: Role, permission: Scope): boolean {
  return roleAllows(role, permission);
}

export function roleRequiresMfa(role: Role): boolean {
  return MFA_REQUIRED_ROLES.has(role);
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  'security-engineer': 'Security engineer',
  'release-manager': 'Release manager',
  clinician: 'Clinician',
  auditor: 'Auditor',
};

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'org:read': 'Read the organisation and the organisations it serves',
  'org:manage': 'Add care organisations',
  'users:read': 'List people and their roles',
  'users:manage': 'Add, change and remove people',
  'audit:read': 'Read the audit trail and metrics',
  'devices:read': 'List devices, enrolment tokens and the device CA',
  'devices:manage': 'Create enrolment tokens; quarantine, release and revoke devices',
  'data:read': "Read a care organisation's protected telemetry (decrypted in your browser)",
  'keys:manage': 'Publish the key manifest; store wrapped team keys and the pseudonym secret',
};

import type { Role, Scope } from './types.js';

/**
 * Which controls to offer whom. This mirrors the grants in @vigil/core
 * (access/roles.ts) for display only — hiding a button is a courtesy, the
 * server checks every request. The web bundle cannot import @vigil/core,
 * whose other modules use node:crypto.
 */
const GRANTS: Record<Role, readonly Scope[]> = {
  admin: ['org:read', 'org:manage', 'users:read', 'users:manage', 'audit:read'],
  'security-engineer': ['org:read', 'users:read', 'audit:read'],
  'release-manager': ['org:read'],
  clinician: ['org:read'],
  auditor: ['org:read', 'users:read', 'audit:read'],
};

/** Roles whose members must use MFA (FDA premarket guidance App. 1: MFA for privileged users). */
const MFA_REQUIRED: ReadonlySet<Role> = new Set(['admin', 'security-engineer']);

export function can(role: Role, permission: Scope): boolean {
  return GRANTS[role].includes(permission);
}

export function roleRequiresMfa(role: Role): boolean {
  return MFA_REQUIRED.has(role);
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
};

/**
 * Who may do what. Roles are granted per organisation (a membership); every
 * permission check names the organisation it applies to, so a role in one
 * organisation never leaks into another.
 */
export const ROLES = [
  'admin',
  'security-engineer',
  'release-manager',
  'clinician',
  'auditor',
] as const;
export type Role = (typeof ROLES)[number];

/** Roles whose members must use MFA (FDA premarket guidance App. 1: MFA for privileged users). */
export const MFA_REQUIRED_ROLES: ReadonlySet<Role> = new Set(['admin', 'security-engineer']);

export const PERMISSIONS = [
  'org:read',
  'org:manage',
  'users:read',
  'users:manage',
  'audit:read',
  'devices:read',
  'devices:manage',
  /** Read a care organisation's protected telemetry (ciphertext, wrapped keys, pseudonyms). */
  'data:read',
  /** Publish the key manifest and store wrapped team keys and the pseudonym secret. */
  'keys:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  // Explicit, not "every permission": managing keys is not reading data (ADR 0010). The
  // admin distributes wrapped keys but is not granted the ciphertext they would open.
  admin: [
    'org:read',
    'org:manage',
    'users:read',
    'users:manage',
    'audit:read',
    'devices:read',
    'devices:manage',
    'keys:manage',
  ],
  // Quarantine and revocation are security responses, so the security engineer may do them.
  'security-engineer': ['org:read', 'users:read', 'audit:read', 'devices:read', 'devices:manage'],
  'release-manager': ['org:read', 'devices:read'],
  // data:read is the clinician's alone: no manufacturer role, and no admin, reads readings.
  clinician: ['org:read', 'data:read'],
  // Read-only by definition: MDS2 AUDT asks for an audit reviewer who cannot change what they review.
  auditor: ['org:read', 'users:read', 'audit:read', 'devices:read'],
};

export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role];
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

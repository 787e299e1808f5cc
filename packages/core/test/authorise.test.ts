import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PERMISSIONS, ROLES, authorise, roleAllows, type Principal } from '@vigil/core';

describe('authorise', () => {
  const org = 'org-a';
  it('reports an organisation the caller is not in as not found', () => {
    const p: Principal = {
      kind: 'session',
      userId: 'u',
      sessionId: 's',
      memberships: [{ organisationId: org, role: 'admin' }],
    };
    assert.throws(() => authorise(p, 'org-b', 'org:read'), { code: 'ERR_NOT_FOUND' });
  });

  it('follows the role grants for every role and permission', () => {
    for (const role of ROLES) {
      for (const permission of PERMISSIONS) {
        const p: Principal = {
          kind: 'session',
          userId: 'u',
          sessionId: 's',
          memberships: [{ organisationId: org, role }],
        };
        if (roleAllows(role, permission)) assert.doesNotThrow(() => authorise(p, org, permission));
        else assert.throws(() => authorise(p, org, permission), { code: 'ERR_AUTH_FORBIDDEN' });
      }
    }
  });

  it('keeps the auditor read-only', () => {
    assert.equal(roleAllows('auditor', 'users:manage'), false);
    assert.equal(roleAllows('auditor', 'org:manage'), false);
  });

  it('limits a token to its scopes even where the role allows more', () => {
    const p: Principal = {
      kind: 'token',
      userId: 'u',
      tokenId: 't',
      memberships: [{ organisationId: org, role: 'admin' }],
      scopes: ['org:read'],
    };
    assert.doesNotThrow(() => authorise(p, org, 'org:read'));
    assert.throws(() => authorise(p, org, 'users:read'), { code: 'ERR_AUTH_TOKEN_SCOPE' });
  });
});

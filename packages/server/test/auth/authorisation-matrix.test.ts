import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PERMISSIONS, ROLES, roleAllows, type Permission, type Role } from '@vigil/core';
import { TestApp, TestAgent, type TestPerson } from '@vigil/testkit';
import { careKeys, wrappedPseudonymSecret, type CareKeys } from '../telemetry/telemetry-kit.js';

/**
 * Every route × every role × own/other organisation, generated from one
 * table. A route missing from the table (or a table entry without a route)
 * fails the drift test, so new routes cannot skip authorisation review.
 */
type Rule =
  | { kind: 'public' }
  | { kind: 'self' }
  | { kind: 'any-principal' }
  | { kind: 'org'; permission: Permission }
  /** Any one of the permissions opens the route (`authoriseAny`). */
  | { kind: 'org-any'; permissions: readonly [Permission, ...Permission[]] };

const KEYS_OR_DATA = { kind: 'org-any', permissions: ['keys:manage', 'data:read'] } as const;

const RULES: Record<string, Rule> = {
  'GET /api/v1/setup': { kind: 'public' },
  'POST /api/v1/setup': { kind: 'public' },
  'POST /api/v1/session': { kind: 'public' },
  'POST /api/v1/activate': { kind: 'public' },
  'POST /api/v1/session/mfa': { kind: 'self' },
  'DELETE /api/v1/session': { kind: 'self' },
  'GET /api/v1/me': { kind: 'self' },
  'DELETE /api/v1/me/sessions': { kind: 'self' },
  'POST /api/v1/me/password': { kind: 'self' },
  'POST /api/v1/me/mfa/totp': { kind: 'self' },
  'POST /api/v1/me/mfa/totp/confirm': { kind: 'self' },
  'DELETE /api/v1/me/mfa/totp': { kind: 'self' },
  'GET /api/v1/tokens': { kind: 'self' },
  'POST /api/v1/tokens': { kind: 'self' },
  'DELETE /api/v1/tokens/{tokenId}': { kind: 'self' },
  'GET /api/v1/organisations': { kind: 'any-principal' },
  'GET /api/v1/organisations/{orgId}/served': { kind: 'org', permission: 'org:read' },
  'POST /api/v1/organisations/{orgId}/served': { kind: 'org', permission: 'org:manage' },
  'GET /api/v1/organisations/{orgId}/users': { kind: 'org', permission: 'users:read' },
  'POST /api/v1/organisations/{orgId}/users': { kind: 'org', permission: 'users:manage' },
  'PATCH /api/v1/organisations/{orgId}/users/{userId}': { kind: 'org', permission: 'users:manage' },
  'DELETE /api/v1/organisations/{orgId}/users/{userId}': {
    kind: 'org',
    permission: 'users:manage',
  },
  'POST /api/v1/organisations/{orgId}/users/{userId}/reset': {
    kind: 'org',
    permission: 'users:manage',
  },
  'POST /api/v1/organisations/{orgId}/users/{userId}/mfa-reset': {
    kind: 'org',
    permission: 'users:manage',
  },
  'GET /api/v1/organisations/{orgId}/audit-events': { kind: 'org', permission: 'audit:read' },
  'GET /api/v1/organisations/{orgId}/device-ca': { kind: 'org', permission: 'devices:read' },
  'GET /api/v1/organisations/{orgId}/device-models': { kind: 'org', permission: 'devices:read' },
  'PUT /api/v1/organisations/{orgId}/device-models/{model}': {
    kind: 'org',
    permission: 'devices:manage',
  },
  'POST /api/v1/organisations/{orgId}/device-models/{model}/batches': {
    kind: 'org',
    permission: 'devices:manage',
  },
  'GET /api/v1/organisations/{orgId}/enrolment-tokens': { kind: 'org', permission: 'devices:read' },
  'POST /api/v1/organisations/{orgId}/enrolment-tokens': {
    kind: 'org',
    permission: 'devices:manage',
  },
  'DELETE /api/v1/organisations/{orgId}/enrolment-tokens/{tokenId}': {
    kind: 'org',
    permission: 'devices:manage',
  },
  'GET /api/v1/organisations/{orgId}/devices': { kind: 'org', permission: 'devices:read' },
  'GET /api/v1/organisations/{orgId}/devices/{deviceId}': {
    kind: 'org',
    permission: 'devices:read',
  },
  'POST /api/v1/organisations/{orgId}/devices/{deviceId}/quarantine': {
    kind: 'org',
    permission: 'devices:manage',
  },
  'POST /api/v1/organisations/{orgId}/devices/{deviceId}/release': {
    kind: 'org',
    permission: 'devices:manage',
  },
  'POST /api/v1/organisations/{orgId}/devices/{deviceId}/revoke': {
    kind: 'org',
    permission: 'devices:manage',
  },
  'PUT /api/v1/organisations/{orgId}/member-keys/me': { kind: 'org', permission: 'org:read' },
  'GET /api/v1/organisations/{orgId}/member-keys': KEYS_OR_DATA,
  'PUT /api/v1/organisations/{orgId}/key-manifest': { kind: 'org', permission: 'keys:manage' },
  'GET /api/v1/organisations/{orgId}/key-manifest': { kind: 'org', permission: 'org:read' },
  'PUT /api/v1/organisations/{orgId}/team-keys/{epoch}': {
    kind: 'org',
    permission: 'keys:manage',
  },
  'GET /api/v1/organisations/{orgId}/team-keys': KEYS_OR_DATA,
  'PUT /api/v1/organisations/{orgId}/pseudonym-secret': { kind: 'org', permission: 'keys:manage' },
  'GET /api/v1/organisations/{orgId}/pseudonym-secret': KEYS_OR_DATA,
  'GET /api/v1/organisations/{orgId}/data-keys': KEYS_OR_DATA,
  'GET /api/v1/organisations/{orgId}/pseudonym-tables': { kind: 'org', permission: 'data:read' },
  'GET /api/v1/organisations/{orgId}/pseudonyms': { kind: 'org', permission: 'data:read' },
  'GET /api/v1/organisations/{orgId}/batches': { kind: 'org', permission: 'data:read' },
  'GET /api/v1/organisations/{orgId}/retention': { kind: 'org', permission: 'org:read' },
  'PUT /api/v1/organisations/{orgId}/retention': { kind: 'org', permission: 'org:manage' },
};

/** Whether a role may use a route of an organisation. */
function allows(role: Role, rule: Rule): boolean {
  if (rule.kind === 'org') return roleAllows(role, rule.permission);
  if (rule.kind === 'org-any') return rule.permissions.some((p) => roleAllows(role, p));
  return true;
}

/** Key material of the organisations the matrix acts in, made as their admins would. */
const careKeysOf = new Map<string, CareKeys>();

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;
const CONTEXT = { requestId: 't', sourceIp: '127.0.0.1' };

let counter = 0;
/** A valid request for an org-scoped route, with a fresh target person where the route changes one. */
async function orgRequest(t: TestApp, route: string, orgId: string, targetOrgId: string) {
  const [method, template] = route.split(' ') as [
    'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
    string,
  ];
  let userId: string = crypto.randomUUID();
  if (template.includes('{userId}')) {
    userId = (await t.addPerson(targetOrgId, 'clinician', `target${++counter}@example.org`)).id;
  }
  let deviceId: string = crypto.randomUUID();
  if (template.includes('{deviceId}')) {
    // A fresh device per request: a revoked one cannot be quarantined again.
    deviceId = (
      await t.store.createDevice({
        id: crypto.randomUUID(),
        organisationId: targetOrgId,
        model: 'gateway',
        hardwareRevision: null,
        serialNumber: `SN-${++counter}`,
        site: null,
        status: route.endsWith('/release') ? 'quarantined' : 'active',
        certSerial: `00${counter}`,
        certNotAfter: t.clock.now() + 86_400_000,
        hardwareAttested: false,
        enrolledAt: t.clock.now(),
        enrolmentTokenId: null,
      })
    ).id;
  }
  let tokenId: string = crypto.randomUUID();
  if (template.includes('{tokenId}') && (await t.store.getActiveDeviceCa(targetOrgId))) {
    tokenId = (
      await t.services.enrolment.createToken(
        OPERATOR,
        targetOrgId,
        { name: 'm', model: 'gateway', count: 1, expiresInHours: 1 },
        CONTEXT,
      )
    ).view.id;
  }
  const url = template
    .replace('{orgId}', orgId)
    .replace('{userId}', userId)
    .replace('{deviceId}', deviceId)
    .replace('{tokenId}', tokenId)
    .replace('{model}', 'gateway')
    .replace('{epoch}', '1');
  const keys = careKeysOf.get(orgId) ?? (await careKeys(orgId));
  const bodies: Record<string, unknown> = {
    'POST /api/v1/organisations/{orgId}/served': {
      name: `Care ${++counter}`,
      adminEmail: `care${counter}@example.org`,
      adminName: 'Care Admin',
    },
    'POST /api/v1/organisations/{orgId}/users': {
      email: `new${++counter}@example.org`,
      name: 'New Person',
      role: 'clinician',
    },
    'PATCH /api/v1/organisations/{orgId}/users/{userId}': { role: 'auditor' },
    'PUT /api/v1/organisations/{orgId}/device-models/{model}': {
      attestationRequired: false,
      vendorRootsPem: [],
    },
    'POST /api/v1/organisations/{orgId}/device-models/{model}/batches': {
      batch: 'B1',
      serials: [`S${++counter}`],
    },
    'POST /api/v1/organisations/{orgId}/enrolment-tokens': {
      name: 'line',
      model: 'gateway',
      count: 1,
      expiresInHours: 1,
    },
    'PUT /api/v1/organisations/{orgId}/member-keys/me': { publicJwk: keys.member.publicJwk },
    'PUT /api/v1/organisations/{orgId}/key-manifest':
      route === 'PUT /api/v1/organisations/{orgId}/key-manifest'
        ? {
            // A fresh version each time: only a higher one is accepted.
            jws: await keys.manifest(new Date(t.clock.now())),
            signingPublicJwk: keys.signing.publicJwk,
          }
        : undefined,
    'PUT /api/v1/organisations/{orgId}/team-keys/{epoch}': { jwe: keys.epoch.wrapped },
    'PUT /api/v1/organisations/{orgId}/pseudonym-secret': {
      jwe: await wrappedPseudonymSecret(keys),
    },
    'PUT /api/v1/organisations/{orgId}/retention': { days: 30 },
  };
  return { method, url, body: bodies[route] };
}

describe('authorisation matrix (role × route × organisation)', () => {
  let t: TestApp;
  let orgA: string;
  let orgB: string;
  const people = new Map<Role, TestPerson>();
  const agents = new Map<Role, TestAgent>();

  before(async () => {
    t = await TestApp.create();
    const { organisationId, admin } = await t.setup();
    orgA = organisationId;
    people.set('admin', admin);
    for (const role of ROLES) {
      if (role !== 'admin')
        people.set(role, await t.addPerson(orgA, role, `${role}@maker.example`));
    }
    for (const role of ROLES) agents.set(role, await t.signIn(people.get(role)!));
    const operator = { kind: 'operator', userId: null, memberships: [] } as const;
    orgB = (
      await t.services.people.createServed(
        operator,
        orgA,
        { name: 'St Elsewhere', adminEmail: 'b-admin@elsewhere.example', adminName: 'B Admin' },
        { requestId: 't', sourceIp: '127.0.0.1' },
      )
    ).organisation.id;
    await t.services.deviceCas.initialise(OPERATOR, orgA, 'a long root passphrase here', CONTEXT);
    await t.services.enrolment.putModel(
      OPERATOR,
      orgA,
      'gateway',
      { attestationRequired: false, vendorRootsPem: [] },
      CONTEXT,
    );
    // What the telemetry routes read must exist, so an allowed read answers 200, not 404.
    const keysA = await careKeys(orgA);
    careKeysOf.set(orgA, keysA);
    await t.services.keys.publishManifest(
      OPERATOR,
      orgA,
      {
        jws: await keysA.manifest(new Date(t.clock.now())),
        signingPublicJwk: keysA.signing.publicJwk,
      },
      CONTEXT,
    );
    await t.services.keys.putPseudonymSecret(
      OPERATOR,
      orgA,
      await wrappedPseudonymSecret(keysA),
      CONTEXT,
    );
  });
  after(() => t.close());

  it('covers every API route, and only existing ones', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const routes = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.deepEqual(
      routes.filter((r) => r.includes('/api/v1/')).sort(),
      Object.keys(RULES).sort(),
    );
  });

  it('refuses every non-public route to an anonymous caller with ERR_AUTH_REQUIRED', async () => {
    for (const [route, rule] of Object.entries(RULES)) {
      if (rule.kind === 'public') continue;
      const [method, template] = route.split(' ') as [
        'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
        string,
      ];
      const url = template
        .replace('{orgId}', orgA)
        .replace('{userId}', crypto.randomUUID())
        .replace('{tokenId}', crypto.randomUUID());
      const answer = await t.agent().request(method, url, method === 'GET' ? undefined : {});
      assert.equal(answer.code, 'ERR_AUTH_REQUIRED', route);
    }
  });

  for (const [route, rule] of Object.entries(RULES)) {
    if (rule.kind !== 'org' && rule.kind !== 'org-any') continue;
    describe(route, () => {
      for (const role of ROLES) {
        const allowed = allows(role, rule);
        it(`${role} in its own organisation: ${allowed ? 'allowed' : 'ERR_AUTH_FORBIDDEN'}`, async () => {
          const { method, url, body } = await orgRequest(t, route, orgA, orgA);
          const answer = await agents.get(role)!.request(method, url, body);
          if (allowed)
            assert.ok(
              answer.status >= 200 && answer.status < 300,
              `${answer.status} ${answer.code ?? ''}`,
            );
          else assert.equal(answer.code, 'ERR_AUTH_FORBIDDEN');
        });
        it(`${role} in another organisation: ERR_NOT_FOUND`, async () => {
          const { method, url, body } = await orgRequest(t, route, orgB, orgB);
          const answer = await agents.get(role)!.request(method, url, body);
          assert.equal(answer.status, 404);
          assert.equal(answer.code, 'ERR_NOT_FOUND');
        });
      }
      it('an API token with every scope its role allows behaves like its owner', async () => {
        for (const role of ROLES) {
          const scopes = PERMISSIONS.filter((p) => roleAllows(role, p));
          const created = await agents.get(role)!.post('/api/v1/tokens', {
            name: 'matrix',
            organisationId: orgA,
            scopes,
            expiresInDays: 1,
          });
          const bot = TestAgent.withToken(t.app, created.json<{ token: string }>().token);
          const own = await orgRequest(t, route, orgA, orgA);
          const answer = await bot.request(own.method, own.url, own.body);
          if (allows(role, rule))
            assert.ok(answer.status < 300, `${role}: ${answer.status} ${answer.code ?? ''}`);
          else assert.equal(answer.code, 'ERR_AUTH_TOKEN_SCOPE', role);
          const other = await orgRequest(t, route, orgB, orgB);
          assert.equal(
            (await bot.request(other.method, other.url, other.body)).code,
            'ERR_NOT_FOUND',
            role,
          );
        }
      });
    });
  }

  it('lists only the caller’s own organisations', async () => {
    for (const role of ROLES) {
      const answer = await agents.get(role)!.get('/api/v1/organisations');
      const ids = answer
        .json<{ organisations: Array<{ id: string }> }>()
        .organisations.map((o) => o.id);
      assert.deepEqual(ids, [orgA], role);
    }
  });

  it('keeps a care organisation’s admin out of its manufacturer', async () => {
    const bAdmin = (await t.store.getUserByEmail('b-admin@elsewhere.example'))!;
    const token = await t.services.people.issueReset(
      { kind: 'operator', userId: null, memberships: [] },
      orgB,
      bAdmin.id,
      { requestId: 't', sourceIp: '127.0.0.1' },
    );
    await t.services.passwords.activate(token.resetToken, 'careful long passphrase 9', {
      requestId: 't',
      sourceIp: '127.0.0.1',
    });
    const agent = await t.signIn({
      id: bAdmin.id,
      email: bAdmin.email,
      password: 'careful long passphrase 9',
    });
    for (const [route, rule] of Object.entries(RULES)) {
      if (rule.kind !== 'org' && rule.kind !== 'org-any') continue;
      const { method, url, body } = await orgRequest(t, route, orgA, orgA);
      assert.equal((await agent.request(method, url, body)).code, 'ERR_NOT_FOUND', route);
    }
    assert.equal((await agent.get(`/api/v1/organisations/${orgB}/users`)).status, 200);
  });

  it('refuses every self-service route to an API token', async () => {
    const created = await agents.get('admin')!.post('/api/v1/tokens', {
      name: 'self',
      organisationId: orgA,
      scopes: ['org:read'],
      expiresInDays: 1,
    });
    const bot = TestAgent.withToken(t.app, created.json<{ token: string }>().token);
    for (const [route, rule] of Object.entries(RULES)) {
      if (rule.kind !== 'self') continue;
      const [method, template] = route.split(' ') as ['GET' | 'POST' | 'PATCH' | 'DELETE', string];
      const answer = await bot.request(
        method,
        template.replace('{tokenId}', crypto.randomUUID()),
        method === 'GET' ? undefined : {},
      );
      assert.equal(answer.code, 'ERR_AUTH_TOKEN_SCOPE', route);
    }
  });
});

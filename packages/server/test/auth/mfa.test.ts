import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { totpAt } from '@vigil/core';
import { TestApp, type TestPerson } from '@vigil/testkit';

describe('TOTP multi-factor authentication', () => {
  let t: TestApp;
  let admin: TestPerson;
  before(async () => {
    t = await TestApp.create();
    ({ admin } = await t.setup());
  });
  after(() => t.close());

  describe('when an admin without an authenticator signs in', () => {
    it('gets a session that can do nothing but enrol', async () => {
      const agent = t.agent();
      const answer = await agent.post('/api/v1/session', {
        email: admin.email,
        password: admin.password,
      });
      assert.equal(answer.json().state, 'mfa-enrolment');
      const orgs = await agent.get('/api/v1/organisations');
      assert.equal(orgs.code, 'ERR_AUTH_MFA_ENROLMENT_REQUIRED');
      const me = await agent.get('/api/v1/me');
      assert.equal(me.status, 200, '/me works in any state');
    });

    it('refuses a wrong confirmation code and then accepts the right one', async () => {
      const agent = t.agent();
      t.clock.advance(30_000);
      await agent.post('/api/v1/session', { email: admin.email, password: admin.password });
      const { secret, uri } = (await agent.post('/api/v1/me/mfa/totp')).json<{
        secret: string;
        uri: string;
      }>();
      assert.match(uri, /^otpauth:\/\/totp\/Vigil%3Aada%40maker\.example\?secret=/);
      const wrong = await agent.post('/api/v1/me/mfa/totp/confirm', {
        code: totpAt(secret, t.clock.now() - 120_000),
      });
      assert.equal(wrong.code, 'ERR_AUTH_MFA_INVALID');
      const right = await agent.post('/api/v1/me/mfa/totp/confirm', {
        code: totpAt(secret, t.clock.now()),
      });
      assert.equal(right.status, 200);
      assert.equal(right.json().state, 'active');
      admin.totpSecret = secret;
      assert.equal((await agent.get('/api/v1/organisations')).status, 200);
    });

    it('keeps the TOTP secret encrypted at rest', async () => {
      const user = await t.store.getUser(admin.id);
      assert.ok(user?.totpSecretSealed);
      assert.ok(!user.totpSecretSealed.includes(admin.totpSecret ?? '-'));
    });
  });

  describe('when a person with an authenticator signs in', () => {
    it('needs the code after the password, and the password alone opens nothing', async () => {
      const agent = t.agent();
      t.clock.advance(30_000);
      const first = await agent.post('/api/v1/session', {
        email: admin.email,
        password: admin.password,
      });
      assert.equal(first.json().state, 'mfa-pending');
      assert.equal((await agent.get('/api/v1/organisations')).code, 'ERR_AUTH_MFA_REQUIRED');
    });

    it('refuses a replayed code', async () => {
      const agent = t.agent();
      t.clock.advance(30_000);
      await agent.post('/api/v1/session', { email: admin.email, password: admin.password });
      const code = totpAt(admin.totpSecret ?? '', t.clock.now());
      const ok = await agent.post('/api/v1/session/mfa', { code });
      assert.equal(ok.status, 200);

      const attacker = t.agent('10.9.9.9');
      await attacker.post('/api/v1/session', { email: admin.email, password: admin.password });
      const replay = await attacker.post('/api/v1/session/mfa', { code });
      assert.equal(replay.code, 'ERR_AUTH_MFA_INVALID');
    });

    it('rotates the session id when the second factor succeeds', async () => {
      const agent = t.agent();
      t.clock.advance(30_000);
      await agent.post('/api/v1/session', { email: admin.email, password: admin.password });
      const before = agent.cookie;
      await agent.post('/api/v1/session/mfa', {
        code: totpAt(admin.totpSecret ?? '', t.clock.now()),
      });
      assert.notEqual(agent.cookie, before);
      const stale = t.agent();
      stale.cookie = before;
      assert.equal((await stale.get('/api/v1/me')).code, 'ERR_AUTH_REQUIRED');
    });

    it('does not let an admin remove MFA', async () => {
      const agent = await t.signIn(admin);
      const answer = await agent.delete('/api/v1/me/mfa/totp', { password: admin.password });
      assert.equal(answer.code, 'ERR_AUTH_MFA_MANDATORY');
    });

    it('records enrolment and failures as audit events', async () => {
      const types = (await t.store.listAllAuditEvents(0, 500)).map((e) => e.type);
      assert.ok(types.includes('auth.mfa.enrolled'));
      assert.ok(types.includes('auth.mfa.failed'));
    });
  });

  describe('when a clinician (MFA optional) enrols and later removes MFA', () => {
    it('allows removal only with the password and a single-factor-length password', async () => {
      const clinician = await t.addPerson(
        (await t.store.listMembershipsOfUser(admin.id))[0]!.organisationId,
        'clinician',
        'cleo@hospital.example',
      );
      const agent = await t.signIn(clinician);
      const { secret } = (await agent.post('/api/v1/me/mfa/totp')).json<{ secret: string }>();
      assert.equal(
        (await agent.post('/api/v1/me/mfa/totp/confirm', { code: totpAt(secret, t.clock.now()) }))
          .status,
        200,
      );
      const wrong = await agent.delete('/api/v1/me/mfa/totp', {
        password: 'not my password at all',
      });
      assert.equal(wrong.code, 'ERR_AUTH_INVALID_CREDENTIALS');
      const removed = await agent.delete('/api/v1/me/mfa/totp', { password: clinician.password });
      assert.equal(removed.status, 204);
      const types = (await t.store.listAllAuditEvents(0, 500)).map((e) => e.type);
      assert.ok(types.includes('auth.mfa.removed'));
    });
  });
});

describe('when a person loses their authenticator', () => {
  it('an admin removes it; their sessions end and their role makes them enrol again', async () => {
    const t = await TestApp.create();
    try {
      const { organisationId, admin } = await t.setup();
      const engineer = await t.addPerson(organisationId, 'security-engineer', 'sec@maker.example');
      const engineerSession = await t.signIn(engineer);
      assert.ok(engineer.totpSecret, 'enrolled at first sign-in');
      const adminAgent = await t.signIn(admin);
      const reset = await adminAgent.post(
        `/api/v1/organisations/${organisationId}/users/${engineer.id}/mfa-reset`,
      );
      assert.equal(reset.status, 204);
      assert.equal((await engineerSession.get('/api/v1/me')).code, 'ERR_AUTH_REQUIRED');
      const again = await t
        .agent()
        .post('/api/v1/session', { email: engineer.email, password: engineer.password });
      assert.equal(again.json().state, 'mfa-enrolment');
      const events = await t.store.listAllAuditEvents(0, 500);
      assert.ok(
        events.some(
          (e) =>
            e.type === 'auth.mfa.removed' &&
            e.target?.id === engineer.id &&
            e.actor.kind === 'user',
        ),
      );
    } finally {
      await t.close();
    }
  });
});

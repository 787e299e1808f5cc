import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashSecretToken } from '@vigil/core';
import { TestApp, type TestPerson } from '@vigil/testkit';

describe('sessions', () => {
  let t: TestApp;
  let organisationId: string;
  let clinician: TestPerson;
  before(async () => {
    t = await TestApp.create({
      config: { 'session-idle-minutes': '15', 'session-absolute-hours': '12' },
    });
    ({ organisationId } = await t.setup());
    clinician = await t.addPerson(organisationId, 'clinician', 'cleo@hospital.example');
  });
  after(() => t.close());

  describe('the session cookie', () => {
    it('is __Host-, HttpOnly, Secure and SameSite=Strict, and holds an opaque random token', async () => {
      const agent = t.agent();
      const answer = await agent.post('/api/v1/session', {
        email: clinician.email,
        password: clinician.password,
      });
      const header = String(answer.headers['set-cookie']);
      assert.match(header, /^__Host-vigil_session=vgl_sess_[A-Za-z0-9_-]{43};/);
      assert.match(header, /HttpOnly/);
      assert.match(header, /Secure/);
      assert.match(header, /SameSite=Strict/);
      assert.match(header, /Path=\//);
      assert.doesNotMatch(header, /Domain=/);
    });

    it('is stored only as a digest', async () => {
      const agent = await t.signIn(clinician);
      assert.equal(await t.store.getSessionByHash(agent.cookie ?? ''), undefined);
    });
  });

  describe('automatic log-off', () => {
    it('ends a session idle for the configured time', async () => {
      const agent = await t.signIn(clinician);
      t.clock.advance(14 * 60_000);
      assert.equal((await agent.get('/api/v1/me')).status, 200, 'activity keeps it alive');
      t.clock.advance(15 * 60_000);
      const expired = await agent.get('/api/v1/me');
      assert.equal(expired.code, 'ERR_AUTH_SESSION_EXPIRED');
      assert.equal((await agent.get('/api/v1/me')).code, 'ERR_AUTH_REQUIRED', 'and it is gone');
    });

    it('records activity at most once a minute, and still logs off within the idle time', async () => {
      const agent = await t.signIn(clinician);
      const stored = async () =>
        (await t.store.getSessionByHash(hashSecretToken(agent.cookie ?? '')))?.lastSeenAt;
      const signedInAt = await stored();
      t.clock.advance(30_000);
      await agent.get('/api/v1/me');
      assert.equal(await stored(), signedInAt, 'no write within the minute');
      t.clock.advance(31_000);
      await agent.get('/api/v1/me');
      assert.equal(await stored(), t.clock.now(), 'written after a minute');
      t.clock.advance(50_000);
      await agent.get('/api/v1/me'); // the last request; not recorded (50 s after the last write)
      t.clock.advance(15 * 60_000);
      assert.equal(
        (await agent.get('/api/v1/me')).code,
        'ERR_AUTH_SESSION_EXPIRED',
        'no later than 15 min after it',
      );
    });

    it('ends a busy session at its absolute lifetime', async () => {
      const agent = await t.signIn(clinician);
      for (let minutes = 0; minutes < 12 * 60 - 10; minutes += 10) {
        t.clock.advance(10 * 60_000);
        assert.equal((await agent.get('/api/v1/me')).status, 200);
      }
      t.clock.advance(10 * 60_000);
      const expired = await agent.get('/api/v1/me');
      assert.equal(expired.code, 'ERR_AUTH_SESSION_EXPIRED');
      assert.equal(expired.json().reason, 'absolute-expired');
    });
  });

  describe('CSRF protection', () => {
    it('refuses a state-changing request without the token', async () => {
      const agent = await t.signIn(clinician);
      agent.sendCsrf = false;
      const answer = await agent.post('/api/v1/me/password', {
        currentPassword: clinician.password,
        newPassword: 'another long passphrase 99',
      });
      assert.equal(answer.status, 403);
      assert.equal(answer.code, 'ERR_AUTH_CSRF');
    });

    it('refuses a token from another session', async () => {
      const mine = await t.signIn(clinician);
      const other = await t.signIn(clinician);
      mine.csrfToken = other.csrfToken;
      assert.equal((await mine.delete('/api/v1/session')).code, 'ERR_AUTH_CSRF');
    });

    it('accepts safe requests without it and unsafe ones with it', async () => {
      const agent = await t.signIn(clinician);
      assert.equal((await agent.get('/api/v1/me')).status, 200);
      assert.equal((await agent.delete('/api/v1/session')).status, 204);
      assert.equal((await agent.get('/api/v1/me')).code, 'ERR_AUTH_REQUIRED');
    });

    it('records refusals as audit events', async () => {
      const types = (await t.store.listAllAuditEvents(0, 1000)).map((e) => e.type);
      assert.ok(types.includes('auth.csrf-rejected'));
    });
  });

  describe('sign out everywhere and password change', () => {
    it('ends every session of the person', async () => {
      const a = await t.signIn(clinician);
      const b = await t.signIn(clinician);
      assert.equal((await a.delete('/api/v1/me/sessions')).status, 204);
      assert.equal((await b.get('/api/v1/me')).code, 'ERR_AUTH_REQUIRED');
      assert.equal((await a.get('/api/v1/me')).code, 'ERR_AUTH_REQUIRED');
    });

    it('changing the password ends the other sessions but keeps this one', async () => {
      const a = await t.signIn(clinician);
      const b = await t.signIn(clinician);
      const changed = await a.post('/api/v1/me/password', {
        currentPassword: clinician.password,
        newPassword: 'a brand new long passphrase',
      });
      assert.equal(changed.status, 204);
      assert.equal((await a.get('/api/v1/me')).status, 200);
      assert.equal((await b.get('/api/v1/me')).code, 'ERR_AUTH_REQUIRED');
      const old = await t
        .agent()
        .post('/api/v1/session', { email: clinician.email, password: clinician.password });
      assert.equal(old.code, 'ERR_AUTH_INVALID_CREDENTIALS');
      clinician = { ...clinician, password: 'a brand new long passphrase' };
    });
  });

  describe('admin-initiated reset', () => {
    it('kills the old password and sessions and gives a one-time link', async () => {
      const admin = (await t.store.getUserByEmail('ada@maker.example'))!;
      const adminPerson = {
        id: admin.id,
        email: admin.email,
        password: 'a long admin passphrase 42',
      };
      const adminAgent = await t.signIn(adminPerson);
      const victimSession = await t.signIn(clinician);
      const reset = await adminAgent.post(
        `/api/v1/organisations/${organisationId}/users/${clinician.id}/reset`,
      );
      assert.equal(reset.status, 200);
      const { resetToken } = reset.json<{ resetToken: string }>();
      assert.match(resetToken, /^vgl_otp_/);
      assert.equal((await victimSession.get('/api/v1/me')).code, 'ERR_AUTH_REQUIRED');
      assert.equal(
        (
          await t
            .agent()
            .post('/api/v1/session', { email: clinician.email, password: clinician.password })
        ).status,
        401,
      );
      const short = await t
        .agent()
        .post('/api/v1/activate', { token: resetToken, password: 'too short' });
      assert.equal(
        short.code,
        'ERR_PASSWORD_TOO_SHORT',
        'a clinician without MFA needs 15 characters',
      );
      assert.equal(
        (
          await t
            .agent()
            .post('/api/v1/activate', { token: resetToken, password: 'reset to a long passphrase' })
        ).status,
        204,
      );
      assert.equal(
        (
          await t
            .agent()
            .post('/api/v1/activate', { token: resetToken, password: 'reset to a long passphrase' })
        ).code,
        'ERR_AUTH_ONE_TIME_TOKEN_INVALID',
      );
    });
  });
});

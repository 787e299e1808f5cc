import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContext } from '@vigil/server';
import { TestApp } from '@vigil/testkit';

const SETUP = {
  organisationName: 'Example Medical Devices',
  name: 'Ada Lovelace',
  email: 'ada@maker.example',
  password: 'a long admin passphrase 42',
};

describe('first-run setup (no default credentials)', () => {
  let t: TestApp;
  before(async () => {
    t = await TestApp.create();
  });
  after(() => t.close());

  describe('right after a fresh start', () => {
    it('reports that setup is required', async () => {
      const answer = await t.agent().get('/api/v1/setup');
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { required: true });
    });

    it('lets no credential sign in, not even a classic default', async () => {
      for (const [email, password] of [
        ['admin', 'admin'],
        ['admin@localhost', 'password'],
        ['root', 'root'],
        [SETUP.email, SETUP.password],
      ] as const) {
        const answer = await t.agent().post('/api/v1/session', { email, password });
        assert.equal(answer.status, 401);
        assert.equal(answer.code, 'ERR_AUTH_INVALID_CREDENTIALS');
      }
      assert.equal(await t.store.countUsers(), 0);
    });

    it('stores the setup token only as a digest', async () => {
      const { token } = await t.services.setup.issueToken(systemContext());
      assert.match(token, /^vgl_setup_[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
      assert.equal(
        await t.store.consumeSetupToken(token, t.clock.now()),
        undefined,
        'the clear token is not a key',
      );
    });
  });

  describe('when the setup token is used', () => {
    it('refuses a wrong token with ERR_SETUP_TOKEN_INVALID', async () => {
      await t.services.setup.issueToken(systemContext());
      const answer = await t
        .agent()
        .post('/api/v1/setup', { ...SETUP, token: 'vgl_setup_' + 'A'.repeat(43) });
      assert.equal(answer.code, 'ERR_SETUP_TOKEN_INVALID');
    });

    it('refuses an expired token (older than one hour)', async () => {
      const { token } = await t.services.setup.issueToken(systemContext());
      t.clock.advance(3_600_000);
      const answer = await t.agent().post('/api/v1/setup', { ...SETUP, token });
      assert.equal(answer.code, 'ERR_SETUP_TOKEN_INVALID');
    });

    it('refuses a token replaced by a newer one', async () => {
      const first = await t.services.setup.issueToken(systemContext());
      await t.services.setup.issueToken(systemContext());
      const answer = await t.agent().post('/api/v1/setup', { ...SETUP, token: first.token });
      assert.equal(answer.code, 'ERR_SETUP_TOKEN_INVALID');
    });

    it('refuses a weak password without consuming the token', async () => {
      const { token } = await t.services.setup.issueToken(systemContext());
      const weak = await t.agent().post('/api/v1/setup', { ...SETUP, token, password: 'password' });
      assert.equal(weak.code, 'ERR_PASSWORD_COMMON');
      const ok = await t.agent().post('/api/v1/setup', { ...SETUP, token });
      assert.equal(ok.status, 201);
    });

    it('works exactly once', async () => {
      const again = await t
        .agent()
        .post('/api/v1/setup', { ...SETUP, token: 'vgl_setup_' + 'B'.repeat(43) });
      assert.equal(again.code, 'ERR_SETUP_DONE');
      assert.deepEqual((await t.agent().get('/api/v1/setup')).body, { required: false });
      await assert.rejects(t.services.setup.issueToken(systemContext()), {
        code: 'ERR_SETUP_DONE',
      });
    });

    it('creates the first administrator, who can then sign in', async () => {
      const answer = await t
        .agent()
        .post('/api/v1/session', { email: SETUP.email, password: SETUP.password });
      assert.equal(answer.status, 200);
      assert.equal(answer.json().state, 'mfa-enrolment', 'an admin must enrol MFA first');
    });

    it('records setup and failures as audit events', async () => {
      const events = await t.store.listAllAuditEvents(0, 100);
      const types = events.map((e) => e.type);
      assert.ok(types.includes('setup.token-issued'));
      assert.ok(types.includes('setup.failed'));
      assert.ok(types.includes('setup.completed'));
      assert.ok(!JSON.stringify(events).includes(SETUP.password), 'no password in events');
    });
  });
});

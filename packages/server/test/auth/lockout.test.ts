import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApp, type TestPerson } from '@vigil/testkit';

describe('lockout with exponential back-off', () => {
  let t: TestApp;
  let clinician: TestPerson;
  before(async () => {
    t = await TestApp.create();
    const { organisationId } = await t.setup();
    clinician = await t.addPerson(organisationId, 'clinician', 'cleo@hospital.example');
  });
  after(() => t.close());

  const attempt = (password: string, ip = '192.0.2.10') =>
    t.agent(ip).post('/api/v1/session', { email: clinician.email, password });

  describe('per account', () => {
    it('locks after five wrong passwords, even against the right one', async () => {
      for (let i = 0; i < 5; i++) {
        assert.equal(
          (await attempt('wrong password number ' + i)).code,
          'ERR_AUTH_INVALID_CREDENTIALS',
        );
      }
      const locked = await attempt(clinician.password);
      assert.equal(locked.status, 429);
      assert.equal(locked.code, 'ERR_AUTH_LOCKED');
      assert.equal(locked.json().retryAfterSeconds, 60);
      assert.equal(locked.headers['retry-after'], '60');
    });

    it('locks from every address, not just the attacking one', async () => {
      assert.equal((await attempt(clinician.password, '198.51.100.7')).code, 'ERR_AUTH_LOCKED');
    });

    it('opens after the lock expires, and doubles the lock on the next failure', async () => {
      t.clock.advance(60_000);
      assert.equal((await attempt('still wrong password')).code, 'ERR_AUTH_INVALID_CREDENTIALS');
      const locked = await attempt(clinician.password);
      assert.equal(locked.json().retryAfterSeconds, 120);
      t.clock.advance(120_000);
      assert.equal((await attempt(clinician.password)).status, 200);
    });

    it('resets the count after a success', async () => {
      for (let i = 0; i < 4; i++) await attempt('wrong again ' + i);
      assert.equal((await attempt(clinician.password)).status, 200);
      assert.equal((await attempt('one more wrong')).code, 'ERR_AUTH_INVALID_CREDENTIALS');
    });

    it('records lockouts as audit events', async () => {
      const events = await t.store.listAllAuditEvents(0, 500);
      const lockouts = events.filter((e) => e.type === 'auth.lockout');
      assert.ok(lockouts.some((e) => e.details?.['scope'] === 'account'));
    });
  });

  describe('per source address', () => {
    it('locks an address that guesses across many accounts (password spraying)', async () => {
      const ip = '203.0.113.99';
      for (let i = 0; i < 20; i++) {
        const answer = await t
          .agent(ip)
          .post('/api/v1/session', { email: `nobody${i}@example.org`, password: 'Summer2026!' });
        assert.equal(answer.code, 'ERR_AUTH_INVALID_CREDENTIALS');
      }
      assert.equal((await attempt(clinician.password, ip)).code, 'ERR_AUTH_LOCKED');
      assert.equal(
        (await attempt(clinician.password, '203.0.113.100')).status,
        200,
        'other addresses unaffected',
      );
      const events = await t.store.listAllAuditEvents(0, 1000);
      assert.ok(
        events.some((e) => e.type === 'auth.lockout' && e.details?.['scope'] === 'address'),
      );
    });

    it('forgets occasional failures after a quiet hour', async () => {
      const ip = '203.0.113.50';
      for (let i = 0; i < 19; i++)
        await t.agent(ip).post('/api/v1/session', { email: 'x@example.org', password: 'typo' + i });
      t.clock.advance(3_600_000);
      await t.agent(ip).post('/api/v1/session', { email: 'x@example.org', password: 'typo again' });
      assert.equal((await attempt(clinician.password, ip)).status, 200);
    });
  });
});

describe('the sign-in rate limit per address', () => {
  it('is configurable, and refuses the attempt past it with ERR_REQUEST_RATE_LIMITED', async () => {
    const t = await TestApp.create({ config: { 'sign-in-rate-limit-per-minute': '3' } });
    try {
      const attempt = (ip: string) =>
        t.agent(ip).post('/api/v1/session', {
          email: 'someone@example.org',
          password: 'not a real password',
        });
      for (let i = 0; i < 3; i++)
        assert.equal((await attempt('192.0.2.200')).code, 'ERR_AUTH_INVALID_CREDENTIALS');
      const limited = await attempt('192.0.2.200');
      assert.equal(limited.status, 429);
      assert.equal(limited.code, 'ERR_REQUEST_RATE_LIMITED');
      assert.equal(
        (await attempt('192.0.2.201')).code,
        'ERR_AUTH_INVALID_CREDENTIALS',
        'other addresses unaffected',
      );
    } finally {
      await t.close();
    }
  });
});

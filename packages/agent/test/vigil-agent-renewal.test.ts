import assert from 'node:assert/strict';
import { webcrypto, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { VigilAgent, renewAfter } from '@vigil/agent';
import { code, setUp } from './fakes/agent-fixture.js';

const DAY_MS = 86_400_000;

describe('VigilAgent renewal and device API against the in-process fake server', () => {
  describe('renewIfDue', () => {
    it('does nothing before two thirds of the lifetime', async () => {
      const { server, enrolOptions } = await setUp();
      const agent = await VigilAgent.enrol(enrolOptions);
      const before = server.requests.length;
      const outcome = await agent.renewIfDue();
      assert.equal(outcome.status, 'not-due');
      assert.equal(server.requests.length, before);
    });

    it('renews with a new key and the same subject once due, saves once, and checks in with it', async () => {
      const { clock, storage, enrolOptions } = await setUp();
      const agent = await VigilAgent.enrol(enrolOptions);
      const old = await storage.load();
      assert.ok(old !== null);
      const expiresBefore = agent.certificateExpiresAt.getTime();
      clock.set(renewAfter({ notBefore: Date.UTC(2026, 0, 1), notAfter: expiresBefore }) + 1);
      const outcome = await agent.renewIfDue();
      assert.equal(outcome.status, 'renewed');
      const renewed = await storage.load();
      assert.ok(renewed !== null);
      assert.equal(storage.saveCount, 2);
      assert.notEqual(renewed.keyPkcs8Pem, old.keyPkcs8Pem);
      assert.notEqual(renewed.certificatePem, old.certificatePem);
      assert.equal(
        new X509Certificate(renewed.certificatePem).subject,
        new X509Certificate(old.certificatePem).subject,
      );
      assert.ok(agent.certificateExpiresAt.getTime() > expiresBefore);
      assert.equal((await agent.checkIn('1.0.1')).deviceId, agent.deviceId);
    });

    it('keeps the old identity when renewal fails, then backs off', async () => {
      const { clock, server, storage, enrolOptions } = await setUp();
      const agent = await VigilAgent.enrol(enrolOptions);
      const old = await storage.load();
      clock.advance(61 * DAY_MS);
      server.failNext = 1;
      const failed = await agent.renewIfDue();
      assert.equal(failed.status, 'failed');
      assert.ok(failed.status === 'failed' && failed.error.code === 'ERR_UNAVAILABLE');
      assert.equal(failed.retryAt, clock.now() + 60_000);
      assert.deepEqual(await storage.load(), old);
      assert.equal((await agent.checkIn('1.0.0')).status, 'active');
      assert.equal((await agent.renewIfDue()).status, 'backing-off');
      clock.advance(60_000);
      assert.equal((await agent.renewIfDue()).status, 'renewed');
    });

    it('refuses a certificate issued for another key with ERR_AGENT_CERTIFICATE_MISMATCH', async () => {
      const { clock, server, storage, enrolOptions } = await setUp();
      const agent = await VigilAgent.enrol(enrolOptions);
      const old = await storage.load();
      server.substituteKey = (
        await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
          'sign',
          'verify',
        ])
      ).publicKey;
      clock.advance(61 * DAY_MS);
      const outcome = await agent.renewIfDue();
      assert.ok(
        outcome.status === 'failed' && outcome.error.code === 'ERR_AGENT_CERTIFICATE_MISMATCH',
      );
      assert.deepEqual(await storage.load(), old);
    });

    it('reports an expired certificate as needing a new enrolment, without a request', async () => {
      const { clock, server, enrolOptions } = await setUp();
      const agent = await VigilAgent.enrol(enrolOptions);
      clock.set(agent.certificateExpiresAt.getTime() + 1);
      const before = server.requests.length;
      const outcome = await agent.renewIfDue();
      assert.ok(
        outcome.status === 'failed' && outcome.error.code === 'ERR_AGENT_CERTIFICATE_EXPIRED',
      );
      assert.equal(outcome.retryAt, null);
      assert.equal(server.requests.length, before);
    });
  });

  describe('the device API', () => {
    it("passes the server's ERR_DEVICE_REVOKED through on check-in", async () => {
      const { server, enrolOptions } = await setUp();
      const agent = await VigilAgent.enrol(enrolOptions);
      const device = server.devices.get(agent.deviceId);
      assert.ok(device !== undefined);
      device.status = 'revoked';
      await assert.rejects(agent.checkIn('1.0.0'), code('ERR_DEVICE_REVOKED'));
    });

    it('sends requests with the client certificate to the device listener only', async () => {
      const { server, enrolOptions } = await setUp();
      const agent = await VigilAgent.enrol(enrolOptions);
      await agent.request('/device/v1/anything');
      const last = server.requests.at(-1);
      assert.equal(last?.url, 'https://vigil.test:8444/device/v1/anything');
      assert.equal(last?.clientCert?.certPem, agent.certificatePem);
      await assert.rejects(agent.request('//evil.example/x'), code('ERR_AGENT_INVALID_OPTIONS'));
      await assert.rejects(
        agent.request('https://evil.example/x'),
        code('ERR_AGENT_INVALID_OPTIONS'),
      );
    });
  });
});

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '@vigil/core';
import {
  EstClient,
  FileStorage,
  HttpsTransport,
  MemoryStorage,
  VigilAgent,
  isAgentError,
  renewAfter,
  type AgentErrorCode,
  type AgentStorage,
  type ServerErrorCode,
} from '@vigil/agent';
import { startTestServer, type StartedTestServer } from '@vigil/testkit';
import { tempDir } from './fakes/temp-dir.js';

/**
 * The agent against the real server (docs/devices.md end to end): EST over the
 * main listener, mutual TLS on the device listener, the real device CA. The
 * agent's clock is injected for renewal decisions; the server judges
 * certificate validity by real time, so the clock only ever moves forward
 * within the certificate's lifetime.
 */
const code = (expected: AgentErrorCode | ServerErrorCode) => (error: unknown) =>
  isAgentError(error) && error.code === expected;

describe('the agent against the real Vigil server', () => {
  let server: StartedTestServer;
  const agents: VigilAgent[] = [];

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const agent of agents) agent.close();
    await server.close();
  });

  async function enrol(
    storage: AgentStorage,
    options: { token?: string; clock?: ManualClock } = {},
  ) {
    const agent = await VigilAgent.enrol({
      enrolUrl: server.url,
      deviceUrl: server.deviceUrl,
      token: options.token ?? (await server.createEnrolmentToken()),
      serverTrustPem: server.caCertPem,
      serialNumber: `SN-${agents.length + 1}`,
      hardwareRevision: 'rev-B',
      storage,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    agents.push(agent);
    return agent;
  }

  it('enrols, stores a certificate carrying the device id, and checks in', async () => {
    const storage = new MemoryStorage();
    const agent = await enrol(storage);
    const stored = await storage.load();
    assert.ok(stored !== null);
    const san = new X509Certificate(stored.certificatePem).subjectAltName ?? '';
    assert.match(san, new RegExp(`URI:urn:uuid:${agent.deviceId}`, 'i'));
    const result = await agent.checkIn('1.0.0');
    assert.equal(result.deviceId, agent.deviceId);
    assert.equal(result.status, 'active');
    assert.equal(result.certificateExpiresAt, agent.certificateExpiresAt.getTime());
  });

  it('gives two gateways enrolled with one batch token different keys and certificates', async () => {
    const token = await server.createEnrolmentToken({ count: 2 });
    const [a, b] = [new MemoryStorage(), new MemoryStorage()];
    const first = await enrol(a, { token });
    const second = await enrol(b, { token });
    assert.notEqual(first.deviceId, second.deviceId);
    const [ida, idb] = [await a.load(), await b.load()];
    assert.notEqual(ida?.keyPkcs8Pem, idb?.keyPkcs8Pem);
    assert.notEqual(ida?.certificatePem, idb?.certificatePem);
  });

  it('refuses a used single-use token with the server code', async () => {
    const token = await server.createEnrolmentToken();
    await enrol(new MemoryStorage(), { token });
    await assert.rejects(
      enrol(new MemoryStorage(), { token }),
      code('ERR_ENROLMENT_TOKEN_INVALID'),
    );
  });

  it('renews once due: a new key and certificate, and check-in still works', async () => {
    const clock = new ManualClock(Date.now());
    const storage = new MemoryStorage();
    const agent = await enrol(storage, { clock });
    const old = await storage.load();
    assert.ok(old !== null);
    const oldCert = new X509Certificate(old.certificatePem);
    clock.set(
      renewAfter({
        notBefore: Date.parse(oldCert.validFrom),
        notAfter: Date.parse(oldCert.validTo),
      }) + 1,
    );
    const outcome = await agent.renewIfDue();
    assert.equal(outcome.status, 'renewed', JSON.stringify(outcome));
    const renewed = await storage.load();
    assert.ok(renewed !== null);
    assert.notEqual(renewed.keyPkcs8Pem, old.keyPkcs8Pem);
    assert.notEqual(renewed.certificatePem, old.certificatePem);
    assert.equal(new X509Certificate(renewed.certificatePem).subject, oldCert.subject);
    assert.equal((await agent.checkIn('1.0.1')).deviceId, agent.deviceId);
    // Once the new certificate has been used, the old one is superseded (docs/devices.md).
    const stale = await VigilAgent.load({ storage: new MemoryStorage(old) });
    agents.push(stale);
    await assert.rejects(stale.checkIn('1.0.1'), code('ERR_DEVICE_CERT_SUPERSEDED'));
  });

  it('reports a quarantined device as such on check-in', async () => {
    const agent = await enrol(new MemoryStorage());
    await server.quarantineDevice(agent.deviceId);
    assert.equal((await agent.checkIn('1.0.0')).status, 'quarantined');
  });

  it("fails a revoked device's check-in with ERR_DEVICE_REVOKED", async () => {
    const agent = await enrol(new MemoryStorage());
    await agent.checkIn('1.0.0');
    await server.revokeDevice(agent.deviceId);
    await assert.rejects(agent.checkIn('1.0.0'), code('ERR_DEVICE_REVOKED'));
  });

  it('fetches a 32-byte attestation nonce with the enrolment token', async () => {
    const transport = new HttpsTransport({ trustPem: server.caCertPem });
    try {
      const nonce = await new EstClient(transport, server.url).attestationNonce(
        await server.createEnrolmentToken(),
      );
      assert.equal(Buffer.from(nonce, 'base64url').length, 32);
    } finally {
      transport.close();
    }
  });

  it('checks in after a restart, from file storage', async (t) => {
    const directory = await tempDir(t);
    const enrolled = await enrol(new FileStorage({ directory }));
    enrolled.close();
    const restarted = await VigilAgent.load({ storage: new FileStorage({ directory }) });
    agents.push(restarted);
    assert.equal(restarted.deviceId, enrolled.deviceId);
    assert.equal((await restarted.checkIn('1.0.0')).deviceId, enrolled.deviceId);
  });
});

import assert from 'node:assert/strict';
import { webcrypto, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryStorage, VigilAgent, isAgentError } from '@vigil/agent';
import { code, setUp } from './fakes/agent-fixture.js';
import { x509 } from '../src/x509-provider.js';

describe('VigilAgent enrolment against the in-process fake server', () => {
  describe('enrol', () => {
    it('stores a certificate naming the device, for the key made here', async () => {
      const { server, storage, enrolOptions } = await setUp();
      const agent = await VigilAgent.enrol(enrolOptions);
      const stored = await storage.load();
      assert.ok(stored !== null);
      assert.equal(stored.deviceId, agent.deviceId);
      assert.match(
        new X509Certificate(stored.certificatePem).subjectAltName ?? '',
        new RegExp(`URI:urn:uuid:${agent.deviceId}`),
      );
      assert.ok(server.devices.has(agent.deviceId));
      assert.equal(stored.caChainPem, server.ca.certPem);
    });

    it('sends a base64 PKCS#10 with the token as Basic password, and never the key', async () => {
      const { server, enrolOptions } = await setUp();
      await VigilAgent.enrol(enrolOptions);
      const enrol = server.requests.find((r) => r.url.endsWith('/.well-known/est/simpleenroll'));
      assert.ok(enrol !== undefined);
      assert.equal(enrol.headers['content-type'], 'application/pkcs10');
      const credentials = Buffer.from(
        (enrol.headers['authorization'] ?? '').replace(/^Basic /, ''),
        'base64',
      );
      assert.match(credentials.toString(), new RegExp(`:${enrolOptions.token}$`));
      const body = String(enrol.body);
      assert.match(body, /^[A-Za-z0-9+/=\r\n]+$/);
      const csr = new x509.Pkcs10CertificateRequest(Buffer.from(body, 'base64'));
      assert.equal(csr.subject, '2.5.4.5=SN-0001, CN=bedside-hub');
      for (const request of server.requests) {
        assert.doesNotMatch(String(request.body ?? ''), /PRIVATE KEY/);
      }
    });

    it('refuses a used single-use token with the server code ERR_ENROLMENT_TOKEN_INVALID', async () => {
      const { enrolOptions } = await setUp();
      await VigilAgent.enrol(enrolOptions);
      const other = new MemoryStorage();
      await assert.rejects(VigilAgent.enrol({ ...enrolOptions, storage: other }), (error) => {
        assert.ok(isAgentError(error));
        assert.equal(error.code, 'ERR_ENROLMENT_TOKEN_INVALID');
        assert.equal(error.status, 401);
        return true;
      });
      assert.equal(await other.load(), null);
    });

    it('refuses to replace a stored identity unless asked to', async () => {
      const { server, enrolOptions } = await setUp();
      await VigilAgent.enrol(enrolOptions);
      const again = { ...enrolOptions, token: server.createToken() };
      await assert.rejects(VigilAgent.enrol(again), code('ERR_AGENT_ALREADY_ENROLLED'));
      const replaced = await VigilAgent.enrol({ ...again, replaceExisting: true });
      assert.equal((await enrolOptions.storage.load())?.deviceId, replaced.deviceId);
    });

    it('refuses plain http URLs', async () => {
      const { enrolOptions } = await setUp();
      await assert.rejects(
        VigilAgent.enrol({ ...enrolOptions, enrolUrl: 'http://vigil.test:8080' }),
        code('ERR_AGENT_INVALID_OPTIONS'),
      );
    });

    it('sends attestation evidence signed over nonce and enrolment key', async () => {
      const { server, enrolOptions } = await setUp();
      const element = await webcrypto.subtle.generateKey(
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['sign', 'verify'],
      );
      server.attestationKey = element.publicKey;
      const attestation = {
        chainPem: server.ca.certPem,
        sign: async (message: Uint8Array) =>
          new Uint8Array(
            await webcrypto.subtle.sign(
              { name: 'ECDSA', hash: 'SHA-256' },
              element.privateKey,
              message,
            ),
          ),
      };
      const agent = await VigilAgent.enrol({ ...enrolOptions, attestation });
      assert.ok(server.devices.has(agent.deviceId));
    });

    it('surfaces a refused attestation with the server code', async () => {
      const { server, storage, enrolOptions } = await setUp();
      const newKey = () =>
        webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
          'sign',
          'verify',
        ]);
      const expected = await newKey();
      const other = await newKey();
      server.attestationKey = expected.publicKey;
      const attestation = {
        chainPem: server.ca.certPem,
        sign: async (message: Uint8Array) =>
          new Uint8Array(
            await webcrypto.subtle.sign(
              { name: 'ECDSA', hash: 'SHA-256' },
              other.privateKey,
              message,
            ),
          ),
      };
      await assert.rejects(
        VigilAgent.enrol({ ...enrolOptions, attestation }),
        code('ERR_ATTESTATION_SIGNATURE'),
      );
      assert.equal(await storage.load(), null);
    });
  });

  describe('load', () => {
    it('throws ERR_AGENT_NOT_ENROLLED when storage is empty', async () => {
      await assert.rejects(
        VigilAgent.load({ storage: new MemoryStorage() }),
        code('ERR_AGENT_NOT_ENROLLED'),
      );
    });

    it('gives an agent that checks in as the same device', async () => {
      const { server, enrolOptions } = await setUp();
      const first = await VigilAgent.enrol(enrolOptions);
      const again = await VigilAgent.load({ storage: enrolOptions.storage, transport: server });
      const result = await again.checkIn('1.0.0');
      assert.equal(result.deviceId, first.deviceId);
      assert.equal(result.status, 'active');
    });
  });
});

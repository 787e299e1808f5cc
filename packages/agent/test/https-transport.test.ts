import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HttpsTransport, isAgentError, type AgentErrorCode } from '@vigil/agent';
import {
  createTestCa,
  issueCertificate,
  issueServerCertificate,
  type TestCa,
} from './fakes/test-pki.js';
import { x509 } from '../src/x509-provider.js';

const now = Date.now();
const code = (expected: AgentErrorCode) => (error: unknown) =>
  isAgentError(error) && error.code === expected;

/** A TLS server that asks for (but does not require) a client certificate and echoes its CN. */
async function listen(ca: TestCa, big: Buffer): Promise<Server> {
  const { certPem, keyPem } = await issueServerCertificate(ca, now);
  const server = createServer(
    { cert: certPem, key: keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      if (req.url === '/big') return void res.end(big);
      if (req.url === '/silent') return; // never answers
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-repeated', ['a', 'b']);
      res.end(JSON.stringify({ method: req.method, clientCn: peer.subject?.CN ?? null }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('HttpsTransport against a local TLS server', () => {
  let ca: TestCa;
  let server: Server;
  let origin: string;
  let transport: HttpsTransport;
  const clientCert = { certPem: '', keyPem: '' };

  before(async () => {
    ca = await createTestCa('Transport test CA', now);
    server = await listen(ca, Buffer.alloc(64 * 1024, 0x61));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    transport = new HttpsTransport({
      trustPem: ca.certPem,
      timeoutMs: 500,
      maxResponseBytes: 16 * 1024,
    });
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    clientCert.certPem = await issueCertificate(ca, {
      subject: 'CN=gateway-under-test',
      publicKey: keys.publicKey,
      notBefore: now - 60_000,
      notAfter: now + 86_400_000,
      usage: 'clientAuth',
    });
    clientCert.keyPem = `${x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY')}\n`;
  });

  after(async () => {
    transport.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers status, lower-case headers (repeats joined) and body', async () => {
    const response = await transport.request({
      url: `${origin}/x`,
      method: 'POST',
      headers: {},
      body: '{}',
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.equal(response.headers['x-repeated'], 'a, b');
    assert.deepEqual(JSON.parse(Buffer.from(response.body).toString()), {
      method: 'POST',
      clientCn: null,
    });
  });

  it('presents the client certificate for mutual TLS', async () => {
    const response = await transport.request({
      url: `${origin}/x`,
      method: 'GET',
      headers: {},
      clientCert,
    });
    const echoed = JSON.parse(Buffer.from(response.body).toString()) as { clientCn: unknown };
    assert.equal(echoed.clientCn, 'gateway-under-test');
  });

  it('refuses a server whose certificate is not from the pinned CA', async () => {
    const stranger = new HttpsTransport({
      trustPem: (await createTestCa('Other CA', now)).certPem,
    });
    await assert.rejects(
      stranger.request({ url: `${origin}/x`, method: 'GET', headers: {} }),
      code('ERR_AGENT_SERVER_UNTRUSTED'),
    );
    stranger.close();
  });

  it('stops reading an answer larger than maxResponseBytes', async () => {
    await assert.rejects(
      transport.request({ url: `${origin}/big`, method: 'GET', headers: {} }),
      code('ERR_AGENT_RESPONSE_TOO_LARGE'),
    );
  });

  it('gives up on a silent server after timeoutMs', async () => {
    await assert.rejects(
      transport.request({ url: `${origin}/silent`, method: 'GET', headers: {} }),
      code('ERR_AGENT_TIMEOUT'),
    );
  });

  it('refuses plain http', async () => {
    await assert.rejects(
      transport.request({ url: 'http://127.0.0.1:1/x', method: 'GET', headers: {} }),
      code('ERR_AGENT_INVALID_OPTIONS'),
    );
  });

  it('reports a closed port as ERR_AGENT_NETWORK', async () => {
    await assert.rejects(
      transport.request({ url: 'https://127.0.0.1:1/x', method: 'GET', headers: {} }),
      code('ERR_AGENT_NETWORK'),
    );
  });
});

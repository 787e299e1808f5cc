import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureDevCa } from '../../src/tls/dev-ca.js';
import { TLS12_CIPHERS, hardenedTlsOptions } from '../../src/tls/tls-options.js';
import {
  type RunningServer,
  handshake,
  httpsGet,
  selfSignedRsa,
  startServer,
  temporaryDir,
} from './tls-probe.js';

// A deliberately permissive server with the same certificate: it proves that the
// client really offers the legacy protocol or suite, so a refusal by the hardened
// server is the server's doing and not the client's.
const LEGACY = { minVersion: 'TLSv1', ciphers: 'ALL:eNULL:@SECLEVEL=0' } as const;

// OpenSSL's reason strings for the alert the *server* sent (RFC 8446 §6.2):
// protocol_version (70) and handshake_failure (40).
const PROTOCOL_VERSION_ALERT = 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION';
const HANDSHAKE_FAILURE_ALERT = 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE';

describe('the hardened TLS options', () => {
  const dir = temporaryDir();
  let caCertPem = '';
  let ecdsa: RunningServer;
  let ecdsaLegacy: RunningServer;
  let rsa: RunningServer;
  let rsaLegacy: RunningServer;

  before(async () => {
    const dev = await ensureDevCa(dir.path);
    caCertPem = dev.caCertPem;
    const rsaPair = await selfSignedRsa();
    ecdsa = await startServer(hardenedTlsOptions(dev));
    ecdsaLegacy = await startServer({ cert: dev.certPem, key: dev.keyPem, ...LEGACY });
    rsa = await startServer(hardenedTlsOptions(rsaPair));
    rsaLegacy = await startServer({ cert: rsaPair.certPem, key: rsaPair.keyPem, ...LEGACY });
  });

  after(async () => {
    await Promise.all([ecdsa, ecdsaLegacy, rsa, rsaLegacy].map((server) => server?.close()));
    dir.remove();
  });

  it('lists only ECDHE key exchange with AEAD ciphers for TLS 1.2', () => {
    for (const suite of TLS12_CIPHERS) {
      assert.match(suite, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
    }
  });

  describe('when a TLS 1.3 client connects to localhost trusting the development CA', () => {
    it('answers 200 over TLS 1.3 with an X25519 key exchange', async () => {
      const answer = await httpsGet(ecdsa.port, { servername: 'localhost', ca: caCertPem });
      assert.equal(answer.status, 200);
      assert.equal(answer.protocol, 'TLSv1.3');
      assert.equal(answer.ephemeralKey, 'X25519');
    });
  });

  describe('when a TLS 1.2 client offers ECDHE-ECDSA-AES128-GCM-SHA256', () => {
    it('answers 200 over TLS 1.2 with that suite, verified against the development CA', async () => {
      const answer = await httpsGet(ecdsa.port, {
        servername: 'localhost',
        ca: caCertPem,
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.protocol, 'TLSv1.2');
      assert.equal(answer.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
    });
  });

  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    describe(`when a client offers only ${version}`, () => {
      const client = { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' };

      it('could negotiate it with a permissive server', async () => {
        const legacy = await handshake(ecdsaLegacy.port, client);
        assert.ok(legacy.ok, `control handshake failed: ${legacy.ok ? '' : legacy.message}`);
        assert.equal(legacy.protocol, version);
      });

      it('is refused with a protocol_version alert', async () => {
        const result = await handshake(ecdsa.port, client);
        assert.equal(result.ok, false);
        assert.equal(result.ok ? null : result.code, PROTOCOL_VERSION_ALERT);
      });
    });
  }

  const weakSuites = [
    { suite: 'AES128-SHA', why: 'RSA key transport, CBC, SHA-1', key: 'rsa' },
    { suite: 'ECDHE-RSA-AES128-SHA', why: 'CBC, SHA-1', key: 'rsa' },
    { suite: 'ECDHE-ECDSA-AES128-SHA', why: 'CBC, SHA-1', key: 'ecdsa' },
    { suite: 'ECDHE-ECDSA-NULL-SHA', why: 'no encryption', key: 'ecdsa' },
  ] as const;

  for (const { suite, why, key } of weakSuites) {
    describe(`when a TLS 1.2 client offers only ${suite} (${why})`, () => {
      const client = { maxVersion: 'TLSv1.2', ciphers: `${suite}:@SECLEVEL=0` } as const;

      // 3DES is not here: neither Node's nor Debian's OpenSSL 3 can offer it any more, so no
      // client could; the static check above keeps it (and every non-AEAD suite) out of our list.
      it('is refused with a handshake_failure alert', async () => {
        // Suites with RSA authentication need a server with an RSA certificate.
        const [hardened, legacy] = key === 'rsa' ? [rsa, rsaLegacy] : [ecdsa, ecdsaLegacy];
        const control = await handshake(legacy.port, client);
        assert.ok(control.ok, `control handshake failed: ${control.ok ? '' : control.message}`);
        assert.equal(control.cipher, suite);

        const result = await handshake(hardened.port, client);
        assert.equal(result.ok ? null : result.code, HANDSHAKE_FAILURE_ALERT);
      });
    });
  }
});

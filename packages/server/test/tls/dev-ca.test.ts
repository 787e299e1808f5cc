import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isVigilError } from '@vigil/core';
import { DEV_TLS_FILES, ensureDevCa } from '../../src/tls/dev-ca.js';
import { DEV_SERVER_VALIDITY_DAYS } from '../../src/tls/dev-certificates.js';
import { temporaryDir } from './tls-probe.js';

const DAY_MS = 86_400_000;
const NOW = new Date();
const HOST = 'vigil-test-host.example';

describe('the development CA', () => {
  const dir = temporaryDir();
  const tlsDir = join(dir.path, 'tls');
  after(() => dir.remove());

  describe('when the data directory has no TLS material', () => {
    it('creates a CA and server certificate, readable by the owner only', async () => {
      const first = await ensureDevCa(dir.path, NOW, HOST);
      assert.equal(first.caCreated, true);
      assert.equal(first.serverCertIssued, true);
      assert.equal(statSync(tlsDir).mode & 0o777, 0o700);
      for (const file of Object.values(DEV_TLS_FILES)) {
        assert.equal(statSync(join(tlsDir, file)).mode & 0o777, 0o600, file);
      }
    });

    it('makes a P-256 CA limited to issuing end-entity certificates', () => {
      const ca = new X509Certificate(readTls(DEV_TLS_FILES.caCert));
      assert.equal(ca.ca, true);
      assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      const text = openssl('x509', '-in', join(tlsDir, DEV_TLS_FILES.caCert), '-noout', '-text');
      assert.match(text, /CA:TRUE, pathlen:0/);
      assert.match(text, /Certificate Sign, CRL Sign/);
    });

    it('issues a server certificate for localhost, the host name and loopback, within 397 days', () => {
      const cert = new X509Certificate(readTls(DEV_TLS_FILES.serverCert));
      assert.equal(cert.checkHost('localhost'), 'localhost');
      assert.equal(cert.checkHost(HOST), HOST);
      assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
      assert.equal(cert.checkIP('::1'), '::1');
      const lifetime = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
      assert.ok(lifetime <= DEV_SERVER_VALIDITY_DAYS * DAY_MS);
      const caFile = join(tlsDir, DEV_TLS_FILES.caCert);
      const serverFile = join(tlsDir, DEV_TLS_FILES.serverCert);
      assert.match(
        openssl('verify', '-CAfile', caFile, '-purpose', 'sslserver', serverFile),
        /: OK/,
      );
    });

    it('reports the fingerprint openssl prints for the CA file', async () => {
      const { caFingerprintSha256 } = await ensureDevCa(dir.path, NOW, HOST);
      const line = openssl(
        'x509',
        '-noout',
        '-fingerprint',
        '-sha256',
        '-in',
        join(tlsDir, DEV_TLS_FILES.caCert),
      );
      assert.equal(caFingerprintSha256, line.trim().split('=')[1]);
      assert.match(caFingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    });
  });

  describe('when the server starts again', () => {
    it('reuses the CA and the server certificate', async () => {
      const before = readTls(DEV_TLS_FILES.serverCert);
      const fingerprint = new X509Certificate(readTls(DEV_TLS_FILES.caCert)).fingerprint256;
      const again = await ensureDevCa(dir.path, new Date(NOW.getTime() + DAY_MS), HOST);
      assert.equal(again.caCreated, false);
      assert.equal(again.serverCertIssued, false);
      assert.equal(again.caFingerprintSha256, fingerprint);
      assert.equal(again.certPem, before);
    });
  });

  describe('when the server certificate expires within 30 days', () => {
    it('reissues it under the same CA', async () => {
      const before = await ensureDevCa(dir.path, NOW, HOST);
      const later = new Date(NOW.getTime() + (DEV_SERVER_VALIDITY_DAYS - 20) * DAY_MS);
      const renewed = await ensureDevCa(dir.path, later, HOST);
      assert.equal(renewed.caCreated, false);
      assert.equal(renewed.serverCertIssued, true);
      assert.equal(renewed.caFingerprintSha256, before.caFingerprintSha256);
      assert.ok(
        Date.parse(new X509Certificate(renewed.certPem).validTo) > later.getTime() + 300 * DAY_MS,
      );
    });
  });

  describe('when the host name changes', () => {
    it('reissues the server certificate to cover the new name', async () => {
      const renamed = await ensureDevCa(dir.path, NOW, 'renamed-host');
      assert.equal(renamed.serverCertIssued, true);
      assert.equal(new X509Certificate(renamed.certPem).checkHost('renamed-host'), 'renamed-host');
    });
  });

  describe('when the CA file is damaged', () => {
    it('refuses with ERR_TLS_CONFIG rather than replacing a CA people may trust', async () => {
      const damaged = temporaryDir();
      try {
        await ensureDevCa(damaged.path, NOW, HOST);
        writeFileSync(join(damaged.path, 'tls', DEV_TLS_FILES.caCert), 'not a certificate');
        await assert.rejects(ensureDevCa(damaged.path, NOW, HOST), (error) => {
          return isVigilError(error) && error.code === 'ERR_TLS_CONFIG';
        });
      } finally {
        damaged.remove();
      }
    });
  });

  function readTls(file: string): string {
    return readFileSync(join(tlsDir, file), 'utf8');
  }
});

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', timeout: 10_000 });
}

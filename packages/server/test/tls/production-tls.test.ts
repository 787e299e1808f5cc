import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isVigilError } from '@vigil/core';
import {
  type PemKeyPair,
  issueDevCa,
  issueDevServerCertificate,
} from '../../src/tls/dev-certificates.js';
import { loadServerTls } from '../../src/tls/index.js';
import { type ProductionTlsProblem, loadProductionTls } from '../../src/tls/production-tls.js';
import { temporaryDir } from './tls-probe.js';

// Certificates are made here, in a temporary directory, for each run: no private
// key is ever committed. The development issuer is a convenient real CA.
const DAY_MS = 86_400_000;
const NOW = new Date();

/** An assert.throws predicate: ERR_TLS_CONFIG, for the given reason when one is named. */
function tlsConfigError(reason?: ProductionTlsProblem) {
  return (error: unknown): boolean =>
    isVigilError(error) &&
    error.code === 'ERR_TLS_CONFIG' &&
    (reason === undefined || error.details?.['reason'] === reason);
}

describe('loading a production certificate', () => {
  const dir = temporaryDir();
  let ca: PemKeyPair;
  let server: PemKeyPair;
  let other: PemKeyPair;
  let expired: PemKeyPair;

  /** Writes the given PEM texts and returns their paths. */
  function files(name: string, certPem: string, keyPem: string) {
    const tlsCertPath = join(dir.path, `${name}.pem`);
    const tlsKeyPath = join(dir.path, `${name}-key.pem`);
    writeFileSync(tlsCertPath, certPem);
    writeFileSync(tlsKeyPath, keyPem, { mode: 0o600 });
    return { tlsCertPath, tlsKeyPath };
  }

  before(async () => {
    ca = await issueDevCa(NOW, 'ca.example');
    server = await issueDevServerCertificate(ca, NOW, 'vigil.example');
    other = await issueDevServerCertificate(ca, NOW, 'vigil.example');
    expired = await issueDevServerCertificate(
      ca,
      new Date(NOW.getTime() - 400 * DAY_MS),
      'vigil.example',
    );
  });
  after(() => dir.remove());

  describe('when the certificate chain and key match and are current', () => {
    it('returns them with the expiry date', () => {
      const paths = files('good', server.certPem + ca.certPem, server.keyPem);
      const loaded = loadProductionTls(paths, NOW);
      assert.equal(loaded.keyPem, server.keyPem);
      assert.equal(loaded.certPem, server.certPem + ca.certPem);
      assert.ok(loaded.notAfter > NOW);
    });

    it('is what loadServerTls serves, with no development CA fingerprint', async () => {
      const paths = files('chosen', server.certPem, server.keyPem);
      const tls = await loadServerTls({ dataDir: dir.path, ...paths }, NOW);
      assert.equal(tls.source, 'production');
      assert.equal(tls.caFingerprintSha256, null);
      assert.equal(tls.options.cert, server.certPem);
      assert.equal(tls.options.minVersion, 'TLSv1.2');
    });
  });

  describe('when the key belongs to another certificate', () => {
    it('refuses with ERR_TLS_CONFIG', () => {
      const paths = files('mismatch', server.certPem, other.keyPem);
      assert.throws(() => loadProductionTls(paths, NOW), tlsConfigError('key-mismatch'));
    });
  });

  describe('when the certificate has expired', () => {
    it('refuses with ERR_TLS_CONFIG', () => {
      const paths = files('expired', expired.certPem, expired.keyPem);
      assert.throws(() => loadProductionTls(paths, NOW), tlsConfigError('expired'));
    });
  });

  describe('when the certificate is not yet valid', () => {
    it('refuses with ERR_TLS_CONFIG', () => {
      const paths = files('future', server.certPem, server.keyPem);
      const past = new Date(NOW.getTime() - 2 * DAY_MS);
      assert.throws(() => loadProductionTls(paths, past), tlsConfigError('not-yet-valid'));
    });
  });

  describe('when the files are missing, not PEM, or the key is encrypted', () => {
    it('refuses each with ERR_TLS_CONFIG', () => {
      const encryptedKey = createPrivateKey(server.keyPem).export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-256-cbc',
        passphrase: 'not-used-by-vigil',
      });
      const absent = join(dir.path, 'absent.pem');
      const cases: Array<[ProductionTlsProblem, { tlsCertPath: string; tlsKeyPath: string }]> = [
        ['unreadable', { tlsCertPath: absent, tlsKeyPath: absent }],
        ['not-pem', files('garbage', 'hello', server.keyPem)],
        ['not-pem', files('garbage-key', server.certPem, 'hello')],
        ['encrypted-key', files('encrypted', server.certPem, encryptedKey.toString())],
      ];
      for (const [reason, paths] of cases) {
        assert.throws(() => loadProductionTls(paths, NOW), tlsConfigError(reason), reason);
      }
    });
  });

  describe('when the chain is out of order', () => {
    it('refuses with ERR_TLS_CONFIG', async () => {
      const strangerCa = await issueDevCa(NOW, 'stranger.example');
      const paths = files('disordered', server.certPem + strangerCa.certPem, server.keyPem);
      assert.throws(() => loadProductionTls(paths, NOW), tlsConfigError('chain-order'));
    });
  });

  describe('when only one of the certificate and key is configured', () => {
    it('refuses with ERR_TLS_CONFIG instead of falling back to the development CA', async () => {
      const { tlsCertPath } = files('half', server.certPem, server.keyPem);
      await assert.rejects(
        loadServerTls({ dataDir: dir.path, tlsCertPath, tlsKeyPath: null }, NOW),
        tlsConfigError(),
      );
    });
  });

  describe('when neither is configured', () => {
    it('serves the development CA and reports its fingerprint', async () => {
      const tls = await loadServerTls(
        { dataDir: dir.path, tlsCertPath: null, tlsKeyPath: null },
        NOW,
      );
      assert.equal(tls.source, 'development');
      assert.equal(tls.caCreated, true);
      assert.match(tls.caFingerprintSha256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    });
  });
});

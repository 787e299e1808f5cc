import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { x509 } from '../../src/tls/x509-provider.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemContext } from '@vigil/server';
import {
  createTempDir,
  startTestServer,
  type StartedTestServer,
  type TempDir,
} from '@vigil/testkit';
import {
  createIssuingCa,
  createRootCa,
  issueDeviceCertificate,
  parseCsr,
} from '../../src/pki/index.js';
import {
  httpsCall,
  opensslCsr,
  opensslPrintCerts,
  opensslText,
  type ClientIdentity,
} from './wire.js';

/**
 * Device identity end to end over real TLS, with tools we did not write:
 * openssl makes the CSR and reads the PKCS#7 answer, curl enrols and calls
 * the mutual-TLS device API.
 */
describe('device identity', () => {
  let s: StartedTestServer;
  let dir: TempDir;
  let caPath: string;
  let organisationId: string;
  let serial = 0;

  before(async () => {
    s = await startTestServer();
    dir = await createTempDir('vigil-devices-');
    caPath = join(dir.path, 'server-ca.pem');
    writeFileSync(caPath, s.caCertPem);
    organisationId = await s.manufacturer();
  });
  after(async () => {
    await s.close();
    await dir.remove();
  });

  /** Enrols through Node's https (EST simpleenroll); returns the identity and device id. */
  async function enrol(token?: string): Promise<ClientIdentity & { deviceId: string }> {
    const csr = opensslCsr(dir.path, `dev${++serial}`, `/serialNumber=SN-${serial}/CN=gateway`);
    const answer = await httpsCall(s.url, s.caCertPem, {
      method: 'POST',
      path: '/.well-known/est/simpleenroll',
      headers: {
        'content-type': 'application/pkcs10',
        authorization: `Bearer ${token ?? (await s.createEnrolmentToken())}`,
      },
      body: csr.csrBase64,
    });
    assert.equal(answer.status, 200, answer.body.toString());
    return {
      certPem: opensslPrintCerts(answer.body.toString()),
      keyPem: csr.keyPem,
      deviceId: String(answer.headers['x-vigil-device-id']),
    };
  }

  const checkIn = (identity: ClientIdentity, softwareVersion = '1.0.0') =>
    httpsCall(s.deviceUrl, s.caCertPem, {
      method: 'POST',
      path: '/device/v1/check-in',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ softwareVersion }),
      identity,
    });

  describe('with openssl and curl (RFC 7030 as standard tools speak it)', () => {
    it('enrols with a token, reads the PKCS#7 answer, and reaches the device API with the certificate', async () => {
      const token = await s.createEnrolmentToken();
      const csr = opensslCsr(dir.path, 'curl-device', '/serialNumber=SN-CURL-1/CN=gateway');
      const csrPath = join(dir.path, 'curl-device.csr.b64');
      writeFileSync(csrPath, csr.csrBase64);
      const p7 = await curl([
        '-sS',
        '--fail-with-body',
        '--cacert',
        caPath,
        '-u',
        `device:${token}`,
        '-H',
        'Content-Type: application/pkcs10',
        '--data-binary',
        `@${csrPath}`,
        `${s.url}/.well-known/est/simpleenroll`,
      ]);
      const certPem = opensslPrintCerts(p7);
      const san = opensslText(certPem, '-ext', 'subjectAltName,extendedKeyUsage');
      const deviceId = /URI:urn:uuid:([0-9a-f-]{36})/.exec(san)?.[1];
      assert.ok(deviceId, san);
      assert.match(san, /TLS Web Client Authentication/);
      const certPath = join(dir.path, 'curl-device.pem');
      writeFileSync(certPath, certPem);
      const keyPath = join(dir.path, 'curl-device.key');
      const answer = await curl([
        '-sS',
        '--fail-with-body',
        '--cacert',
        caPath,
        '--cert',
        certPath,
        '--key',
        keyPath,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"softwareVersion":"2.1.0"}',
        `${s.deviceUrl}/device/v1/check-in`,
      ]);
      assert.equal((JSON.parse(answer) as { deviceId: string }).deviceId, deviceId);
      const device = await s.server.store.getDevice(deviceId);
      assert.equal(device?.serialNumber, 'SN-CURL-1');
      assert.equal(device?.softwareVersion, '2.1.0');
    });

    it('serves the CA certificates as certs-only PKCS#7 (cacerts)', async () => {
      const p7 = await curl([
        '-sS',
        '--fail-with-body',
        '--cacert',
        caPath,
        `${s.url}/.well-known/est/cacerts`,
      ]);
      assert.equal(
        (opensslPrintCerts(p7).match(/BEGIN CERTIFICATE/g) ?? []).length,
        2,
        'issuing and root',
      );
    });
  });

  describe('enrolment tokens', () => {
    it('are single-use', async () => {
      const token = await s.createEnrolmentToken();
      await enrol(token);
      const csr = opensslCsr(dir.path, 'again', '/serialNumber=SN-AGAIN/CN=gateway');
      const again = await httpsCall(s.url, s.caCertPem, {
        method: 'POST',
        path: '/.well-known/est/simpleenroll',
        headers: { 'content-type': 'application/pkcs10', authorization: `Bearer ${token}` },
        body: csr.csrBase64,
      });
      assert.equal(again.status, 401);
      assert.equal(again.json<{ code: string }>().code, 'ERR_ENROLMENT_TOKEN_INVALID');
    });

    it('of a batch enrol that many devices, which share no credential', async () => {
      const token = await s.createEnrolmentToken({ count: 2 });
      const a = await enrol(token);
      const b = await enrol(token);
      assert.notEqual(a.deviceId, b.deviceId);
      assert.notEqual(a.keyPem, b.keyPem);
      assert.notEqual(opensslText(a.certPem, '-serial'), opensslText(b.certPem, '-serial'));
      assert.notEqual(opensslText(a.certPem, '-pubkey'), opensslText(b.certPem, '-pubkey'));
    });

    it('are bound to their organisation', async () => {
      const other = await s.server.store.createOrganisation({
        kind: 'manufacturer',
        name: 'Other Maker',
        manufacturerId: null,
        now: Date.now(),
      });
      await s.server.services.deviceCas.initialise(
        { kind: 'operator', userId: null, memberships: [] },
        other.id,
        'another long root passphrase',
        systemContext('test'),
      );
      const token = await s.createEnrolmentToken();
      const csr = opensslCsr(dir.path, 'wrong-org', '/serialNumber=SN-X/CN=gateway');
      const answer = await httpsCall(s.url, s.caCertPem, {
        method: 'POST',
        path: `/.well-known/est/${other.id}/simpleenroll`,
        headers: { 'content-type': 'application/pkcs10', authorization: `Bearer ${token}` },
        body: csr.csrBase64,
      });
      assert.equal(answer.json<{ code: string }>().code, 'ERR_ENROLMENT_TOKEN_INVALID');
      const ok = await httpsCall(s.url, s.caCertPem, {
        method: 'POST',
        path: `/.well-known/est/${organisationId}/simpleenroll`,
        headers: { 'content-type': 'application/pkcs10', authorization: `Bearer ${token}` },
        body: csr.csrBase64,
      });
      assert.equal(ok.status, 200, 'the same token still works in its own organisation');
    });

    it('refuse a CSR without proof of possession (its signature does not verify)', async () => {
      const token = await s.createEnrolmentToken();
      const csr = opensslCsr(dir.path, 'forged', '/serialNumber=SN-F/CN=gateway');
      const forged = Buffer.from(csr.csrDer);
      forged[forged.length - 3] = forged[forged.length - 3]! ^ 0x01;
      const answer = await httpsCall(s.url, s.caCertPem, {
        method: 'POST',
        path: '/.well-known/est/simpleenroll',
        headers: { 'content-type': 'application/pkcs10', authorization: `Bearer ${token}` },
        body: forged.toString('base64'),
      });
      assert.equal(answer.status, 400);
      assert.match(answer.json<{ code: string }>().code, /^ERR_EST_CSR_(SIGNATURE|INVALID)$/);
      assert.equal(
        (
          await httpsCall(s.url, s.caCertPem, {
            method: 'POST',
            path: '/.well-known/est/simpleenroll',
            headers: { 'content-type': 'application/pkcs10', authorization: `Bearer ${token}` },
            body: csr.csrBase64,
          })
        ).status,
        200,
        'a refused CSR does not use up the token',
      );
    });
  });

  describe('the device listener (mutual TLS)', () => {
    it('refuses a client without a certificate at the TLS layer', async () => {
      await assert.rejects(
        httpsCall(s.deviceUrl, s.caCertPem, {
          method: 'POST',
          path: '/device/v1/check-in',
          body: '{}',
        }),
      );
    });

    it('refuses at the TLS layer a certificate from a rogue CA with an identical subject', async () => {
      const real = await enrol();
      const now = new Date();
      const naming = { organisationName: 'Example Medical Devices', organisationId, now };
      const rogueRoot = await createRootCa(naming);
      const rogueIssuing = await createIssuingCa(rogueRoot, naming);
      const csr = opensslCsr(dir.path, 'rogue', '/serialNumber=SN-1/CN=gateway');
      const forged = await issueDeviceCertificate(rogueIssuing, await parseCsr(csr.csrDer), {
        deviceId: real.deviceId,
        organisationId,
        validityDays: 30,
        now,
      });
      assert.equal(
        opensslText(forged.certPem, '-issuer'),
        opensslText(real.certPem, '-issuer'),
        'same issuer name',
      );
      await assert.rejects(
        checkIn({ certPem: forged.certPem + rogueIssuing.certPem, keyPem: csr.keyPem }),
      );
      assert.equal(
        (await checkIn(real)).status,
        200,
        'the genuine certificate of that device works',
      );
    });

    it('refuses an expired certificate at the TLS layer', async () => {
      const real = await enrol();
      // Our issuing code will not backdate past its CA's start, so sign an expired copy directly.
      const { material } = await s.server.services.deviceCas.issuing(organisationId);
      const expired = await expiredCopy(real.certPem, material);
      await assert.rejects(checkIn({ certPem: expired, keyPem: real.keyPem }));
      assert.equal(
        (await checkIn(real)).status,
        200,
        'the current certificate of the same key works',
      );
    });

    it('lets a device act only as itself', async () => {
      const a = await enrol();
      const b = await enrol();
      assert.equal((await checkIn(a, '3.0.0')).json<{ deviceId: string }>().deviceId, a.deviceId);
      assert.equal((await s.server.store.getDevice(a.deviceId))?.softwareVersion, '3.0.0');
      assert.equal((await s.server.store.getDevice(b.deviceId))?.softwareVersion, null);
    });

    it('lets a quarantined device check in but not re-enrol, until released', async () => {
      const d = await enrol();
      await s.quarantineDevice(d.deviceId);
      const checked = await checkIn(d);
      assert.equal(checked.status, 200);
      assert.equal(checked.json<{ status: string }>().status, 'quarantined');
      const csr = opensslCsr(dir.path, 'q-renew', opensslSubject(d.certPem));
      const renew = await httpsCall(s.deviceUrl, s.caCertPem, {
        method: 'POST',
        path: '/.well-known/est/simplereenroll',
        headers: { 'content-type': 'application/pkcs10' },
        body: csr.csrBase64,
        identity: d,
      });
      assert.equal(renew.json<{ code: string }>().code, 'ERR_DEVICE_QUARANTINED');
      await s.releaseDevice(d.deviceId);
      assert.equal((await checkIn(d)).json<{ status: string }>().status, 'active');
    });

    it('refuses a revoked device on its very next request and lists it in the CRL', async () => {
      const d = await enrol();
      assert.equal((await checkIn(d)).status, 200);
      await s.revokeDevice(d.deviceId);
      const refused = await checkIn(d);
      assert.equal(refused.status, 403);
      assert.equal(refused.json<{ code: string }>().code, 'ERR_DEVICE_REVOKED');
      const crl = await httpsCall(s.url, s.caCertPem, {
        method: 'GET',
        path: `/.well-known/est/${organisationId}/crl`,
      });
      assert.equal(crl.status, 200);
      const crlPath = join(dir.path, 'device.crl');
      writeFileSync(crlPath, crl.body);
      const listed = execFileSync('openssl', [
        'crl',
        '-inform',
        'DER',
        '-in',
        crlPath,
        '-noout',
        '-text',
      ]).toString();
      const certSerial = opensslText(d.certPem, '-serial').trim().split('=')[1] ?? '';
      assert.match(
        listed.toUpperCase().replace(/[\s:]/g, ''),
        new RegExp(certSerial.toUpperCase().replace(/^0+/, '')),
      );
    });

    it('re-enrols with the current certificate; the old one works until the new one is used', async () => {
      const d = await enrol();
      const csr = opensslCsr(dir.path, 'renew', opensslSubject(d.certPem));
      const renewed = await httpsCall(s.deviceUrl, s.caCertPem, {
        method: 'POST',
        path: '/.well-known/est/simplereenroll',
        headers: { 'content-type': 'application/pkcs10' },
        body: csr.csrBase64,
        identity: d,
      });
      assert.equal(renewed.status, 200, renewed.body.toString());
      const next = { certPem: opensslPrintCerts(renewed.body.toString()), keyPem: csr.keyPem };
      assert.match(opensslText(next.certPem, '-ext', 'subjectAltName'), new RegExp(d.deviceId));
      assert.equal((await checkIn(d)).status, 200, 'old certificate still accepted');
      assert.equal((await checkIn(next)).status, 200, 'new certificate accepted');
      const stale = await checkIn(d);
      assert.equal(stale.json<{ code: string }>().code, 'ERR_DEVICE_CERT_SUPERSEDED');
    });

    it('refuses a re-enrolment CSR with another subject (RFC 7030 §4.2.2)', async () => {
      const d = await enrol();
      const csr = opensslCsr(dir.path, 'other-subject', '/serialNumber=SOMEONE-ELSE/CN=gateway');
      const answer = await httpsCall(s.deviceUrl, s.caCertPem, {
        method: 'POST',
        path: '/.well-known/est/simplereenroll',
        headers: { 'content-type': 'application/pkcs10' },
        body: csr.csrBase64,
        identity: d,
      });
      assert.equal(answer.json<{ code: string }>().code, 'ERR_EST_SUBJECT_MISMATCH');
    });
  });

  it('records enrolment, renewal, quarantine, revocation and rejected certificates as audit events', async () => {
    const types = new Set<string>(
      (await s.server.store.listAllAuditEvents(0, 5000)).map((e) => e.type),
    );
    for (const type of [
      'device.ca-created',
      'device.enrolment-token-created',
      'device.enrolled',
      'device.enrolment-refused',
      'device.renewed',
      'device.quarantined',
      'device.released',
      'device.revoked',
      'device.certificate-rejected',
    ]) {
      assert.ok(types.has(type), type);
    }
  });
});

/** The same certificate (subject, SAN, key) re-signed by the issuing CA with a validity that ended yesterday. */
async function expiredCopy(
  certPem: string,
  issuing: { certPem: string; keyPem: string },
): Promise<string> {
  const cert = new x509.X509Certificate(certPem);
  const issuer = new x509.X509Certificate(issuing.certPem);
  const key = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(issuing.keyPem).export({ type: 'pkcs8', format: 'der' }),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const expired = await x509.X509CertificateGenerator.create({
    serialNumber: '7e' + cert.serialNumber.slice(2),
    subject: cert.subject,
    issuer: issuer.subject,
    notBefore: new Date(Date.now() - 10 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000),
    publicKey: cert.publicKey,
    signingKey: key,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: cert.extensions,
  });
  return expired.toString('pem');
}

/** curl as a child process, asynchronously: the server under test runs in this very process. */
async function curl(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('curl', ['--max-time', '20', ...args]);
  return stdout;
}

/** The subject of a certificate in openssl's -subj syntax (`/serialNumber=…/CN=…`). */
function opensslSubject(certPem: string): string {
  const line = opensslText(certPem, '-subject', '-nameopt', 'compat')
    .replace(/^subject=/, '')
    .trim();
  return line.startsWith('/') ? line : '/' + line.split(/,\s*/).join('/');
}

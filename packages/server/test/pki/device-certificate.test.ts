import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type ParsedCsr,
  certificateFacts,
  createIssuingCa,
  deviceIdOf,
  issueDeviceCertificate,
  parseCsr,
} from '../../src/pki/index.js';
import {
  DAY_MS,
  type DeviceCa,
  ORGANISATION,
  SKEW_MS,
  type WorkDir,
  deviceCa,
  openssl,
  opensslCsr,
  withCode,
  workDir,
} from './pki-kit.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const DEVICE_ID = '6f1c0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const ENROL = {
  deviceId: DEVICE_ID,
  organisationId: ORGANISATION.organisationId,
  validityDays: 90,
  now: NOW,
};

let dir: WorkDir;
let ca: DeviceCa;
before(async () => {
  dir = await workDir();
  ca = await deviceCa(NOW);
});
after(() => dir.remove());

describe('when a device enrols with a verified CSR', () => {
  let csr: ParsedCsr;
  before(async () => {
    const request = opensslCsr(dir, { key: 'P-256', subject: '/serialNumber=SN-0001/CN=gw' });
    csr = await parseCsr(request.base64);
  });

  it('issues a client certificate that chains root → issuing → device for openssl', async () => {
    const cert = await issueDeviceCertificate(ca.issuing, csr, {
      ...ENROL,
      deviceId: DEVICE_ID.toUpperCase(),
    });
    const verified = openssl([
      'verify',
      '-x509_strict',
      '-purpose',
      'sslclient',
      '-attime',
      String(NOW.getTime() / 1000),
      '-CAfile',
      dir.file('root.pem', ca.root.certPem),
      '-untrusted',
      dir.file('issuing.pem', ca.issuing.certPem),
      dir.file('device.pem', cert.certPem),
    ]);
    assert.match(verified, /device\.pem: OK/);
  });

  it('carries the device id as a urn:uuid SAN, clientAuth only, digitalSignature only, CA:FALSE', async () => {
    const cert = await issueDeviceCertificate(ca.issuing, csr, ENROL);
    const text = openssl(['x509', '-in', dir.file('device.pem', cert.certPem), '-noout', '-text']);
    assert.match(
      text,
      /Subject Alternative Name: *\n\s+URI:urn:uuid:6f1c0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b\n/,
    );
    assert.match(text, /Extended Key Usage: *\n\s+TLS Web Client Authentication\n/);
    assert.match(text, /Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Subject Key Identifier/);
    assert.match(text, /Authority Key Identifier/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    const subject = openssl([
      'x509',
      '-in',
      dir.file('device.pem', cert.certPem),
      '-noout',
      '-subject',
      '-nameopt',
      'RFC2253',
    ]);
    assert.equal(subject.trim(), `subject=CN=${DEVICE_ID},serialNumber=SN-0001`);
  });

  it('starts 5 minutes early for clock skew and lasts the requested days', async () => {
    const cert = await issueDeviceCertificate(ca.issuing, csr, ENROL);
    assert.deepEqual(cert.notBefore, new Date(NOW.getTime() - SKEW_MS));
    assert.deepEqual(cert.notAfter, new Date(NOW.getTime() + 90 * DAY_MS));
  });

  it('reports serial and fingerprint in the hex openssl prints, lower-cased', async () => {
    const cert = await issueDeviceCertificate(ca.issuing, csr, ENROL);
    const file = dir.file('device.pem', cert.certPem);
    assert.match(cert.serialNumber, /^[89a-f][0-9a-f]{31}$/); // 128 bits, top bit set
    assert.equal(
      `serial=${cert.serialNumber.toUpperCase()}`,
      openssl(['x509', '-in', file, '-noout', '-serial']).trim(),
    );
    const fingerprint = openssl(['x509', '-in', file, '-noout', '-fingerprint', '-sha256']);
    assert.equal(
      cert.fingerprintSha256,
      fingerprint.trim().split('=')[1]?.replace(/:/g, '').toLowerCase(),
    );
    assert.equal(cert.fingerprintSha256, createHash('sha256').update(cert.certDer).digest('hex'));
  });

  it('can be read back: deviceIdOf and certificateFacts agree with what was issued', async () => {
    const cert = await issueDeviceCertificate(ca.issuing, csr, ENROL);
    assert.equal(deviceIdOf(cert.certPem), DEVICE_ID);
    assert.equal(deviceIdOf(cert.certDer), DEVICE_ID);
    const facts = certificateFacts(cert.certDer);
    assert.equal(facts.serialNumber, cert.serialNumber);
    assert.deepEqual([facts.notBefore, facts.notAfter], [cert.notBefore, cert.notAfter]);
    assert.equal(facts.fingerprintSha256, cert.fingerprintSha256);
    assert.equal(facts.subject, `CN=${DEVICE_ID},serialNumber=SN-0001`);
    assert.equal(facts.issuer, certificateFacts(ca.issuing.certPem).subject);
  });
});

describe('when two devices enrol, or one enrols twice', () => {
  it('never gives two certificates the same serial or key', async () => {
    const first = await parseCsr(opensslCsr(dir, {}).der);
    const second = await parseCsr(opensslCsr(dir, {}).der);
    const a = await issueDeviceCertificate(ca.issuing, first, ENROL);
    const b = await issueDeviceCertificate(ca.issuing, second, ENROL);
    assert.notEqual(a.serialNumber, b.serialNumber);
    assert.notEqual(first.publicKeyFingerprintSha256, second.publicKeyFingerprintSha256);
    const keyOf = (pem: string): string =>
      openssl(['x509', '-in', dir.file('k.pem', pem), '-noout', '-pubkey']);
    assert.notEqual(keyOf(a.certPem), keyOf(b.certPem));

    const again = await Promise.all(
      Array.from({ length: 50 }, () => issueDeviceCertificate(ca.issuing, first, ENROL)),
    );
    const serials = new Set([a, b, ...again].map((c) => c.serialNumber));
    assert.equal(serials.size, 52);
  });
});

describe('when the CSR has no serialNumber, or an Ed25519 or RSA key', () => {
  for (const key of ['ed25519', 'rsa:2048'] as const) {
    it(`issues a ${key} certificate with the subject CN=<device id> that openssl verifies`, async () => {
      const csr = await parseCsr(opensslCsr(dir, { key, subject: '/CN=gw' }).der);
      const cert = await issueDeviceCertificate(ca.issuing, csr, ENROL);
      assert.equal(certificateFacts(cert.certPem).subject, `CN=${DEVICE_ID}`);
      const verified = openssl([
        'verify',
        '-x509_strict',
        '-attime',
        String(NOW.getTime() / 1000),
        '-CAfile',
        dir.file('root.pem', ca.root.certPem),
        '-untrusted',
        dir.file('issuing.pem', ca.issuing.certPem),
        dir.file('device.pem', cert.certPem),
      ]);
      assert.match(verified, /: OK/);
    });
  }
});

describe('when the validity would outlast the issuing CA', () => {
  it('ends the device certificate with the issuing CA', async () => {
    const shortLived = await createIssuingCa(ca.root, {
      ...ORGANISATION,
      now: NOW,
      validityYears: 1,
    });
    const csr = await parseCsr(opensslCsr(dir, {}).der);
    const cert = await issueDeviceCertificate(shortLived, csr, { ...ENROL, validityDays: 825 });
    assert.deepEqual(cert.notAfter, certificateFacts(shortLived.certPem).notAfter);
  });
});

describe('when the request cannot be honoured', () => {
  let csr: ParsedCsr;
  before(async () => {
    csr = await parseCsr(opensslCsr(dir, {}).der);
  });

  for (const [label, change] of [
    ['a device id that is not a UUID', { deviceId: 'gw-1' }],
    ['0 days', { validityDays: 0 }],
    ['826 days', { validityDays: 826 }],
    ['a fraction of a day', { validityDays: 1.5 }],
    ['an invalid date', { now: new Date(Number.NaN) }],
  ] as const) {
    it(`refuses ${label} with ERR_CA_PARAMETERS_INVALID`, async () => {
      await assert.rejects(
        issueDeviceCertificate(ca.issuing, csr, { ...ENROL, ...change }),
        withCode('ERR_CA_PARAMETERS_INVALID'),
      );
    });
  }

  it('refuses another organisation’s issuing CA with ERR_CA_INVALID', async () => {
    await assert.rejects(
      issueDeviceCertificate(ca.issuing, csr, { ...ENROL, organisationId: 'another-org' }),
      withCode('ERR_CA_INVALID'),
    );
  });

  it('refuses an expired issuing CA with ERR_CA_INVALID', async () => {
    const later = new Date(certificateFacts(ca.issuing.certPem).notAfter.getTime() + 1000);
    await assert.rejects(
      issueDeviceCertificate(ca.issuing, csr, { ...ENROL, now: later }),
      withCode('ERR_CA_INVALID'),
    );
  });

  it('refuses the root in place of the issuing CA with ERR_CA_INVALID (the root stays offline)', async () => {
    await assert.rejects(issueDeviceCertificate(ca.root, csr, ENROL), withCode('ERR_CA_INVALID'));
  });

  it('refuses to certify the issuing CA’s own key for a device with ERR_EST_KEY_UNSUPPORTED', async () => {
    const caKeyFile = dir.file('issuing-key.pem', ca.issuing.keyPem);
    const stolen = await parseCsr(opensslCsr(dir, { keyFile: caKeyFile, subject: '/CN=x' }).der);
    await assert.rejects(
      issueDeviceCertificate(ca.issuing, stolen, ENROL),
      withCode('ERR_EST_KEY_UNSUPPORTED'),
    );
  });

  it('re-checks a ParsedCsr built by hand: an RSA-1024 key is ERR_EST_KEY_UNSUPPORTED', async () => {
    const weak = await parseCsr(opensslCsr(dir, { key: 'rsa:2048' }).der);
    const rsa1024 = openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']);
    const spki = openssl(['pkey', '-pubout', '-outform', 'PEM'], rsa1024);
    const der = Buffer.from(spki.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    await assert.rejects(
      issueDeviceCertificate(ca.issuing, { ...weak, publicKeySpkiDer: der }, ENROL),
      withCode('ERR_EST_KEY_UNSUPPORTED'),
    );
  });
});

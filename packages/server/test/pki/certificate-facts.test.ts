import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as pki from '../../src/pki/index.js';
import { certificateFacts, deviceIdOf } from '../../src/pki/index.js';
import { type WorkDir, deviceCa, openssl, withCode, workDir } from './pki-kit.js';

let dir: WorkDir;
before(async () => {
  dir = await workDir();
});
after(() => dir.remove());

/** A self-signed certificate made by openssl alone, with `-addext` lines. */
function opensslCertificate(options: { serial?: string; addext?: string[] } = {}): string {
  return openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${dir.path}/self.key`,
    '-subj',
    '/O=Other Vendor/CN=device',
    '-days',
    '30',
    ...(options.serial === undefined ? [] : ['-set_serial', options.serial]),
    ...(options.addext ?? []).flatMap((line) => ['-addext', line]),
  ]);
}

describe('when certificateFacts reads a certificate Vigil did not make', () => {
  it('agrees with openssl on serial, validity, fingerprint and names', () => {
    const pem = opensslCertificate();
    const file = dir.file('other.pem', pem);
    const facts = certificateFacts(pem);
    const printed = (option: string): string =>
      openssl(['x509', '-in', file, '-noout', option, '-nameopt', 'RFC2253'])
        .trim()
        .replace(/^[^=]+=/, '');
    assert.equal(facts.serialNumber, printed('-serial').toLowerCase());
    assert.equal(facts.subject, printed('-subject'));
    assert.equal(facts.issuer, printed('-issuer'));
    assert.deepEqual(facts.notBefore, new Date(printed('-startdate')));
    assert.deepEqual(facts.notAfter, new Date(printed('-enddate')));
    const sha256 = openssl(['x509', '-in', file, '-noout', '-fingerprint', '-sha256'])
      .trim()
      .split('=')[1];
    assert.equal(facts.fingerprintSha256, sha256?.replace(/:/g, '').toLowerCase());
  });

  it('writes small serials as whole octets without the sign octet: 1 → "01", 255 → "ff"', () => {
    assert.equal(certificateFacts(opensslCertificate({ serial: '1' })).serialNumber, '01');
    assert.equal(certificateFacts(opensslCertificate({ serial: '255' })).serialNumber, 'ff');
  });

  it('refuses what is not a certificate with ERR_CA_CERTIFICATE_INVALID', () => {
    for (const input of [
      '',
      'hello',
      new Uint8Array([0x30, 0x03, 1, 2, 3]),
      new Uint8Array(70_000),
    ]) {
      assert.throws(() => certificateFacts(input), withCode('ERR_CA_CERTIFICATE_INVALID'));
    }
  });
});

describe('when deviceIdOf looks for a device id', () => {
  it('reads one urn:uuid SAN in lower case', () => {
    const pem = opensslCertificate({
      addext: ['subjectAltName=URI:urn:uuid:6F1C0E2A-3B4D-4E5F-8A9B-0C1D2E3F4A5B,DNS:gw.example'],
    });
    assert.equal(deviceIdOf(pem), '6f1c0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b');
  });

  it('answers null for two different ids, a malformed id, no SAN, a CA, or garbage', async () => {
    const two = opensslCertificate({
      addext: [
        'subjectAltName=URI:urn:uuid:6f1c0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b,URI:urn:uuid:11111111-2222-4333-8444-555555555555',
      ],
    });
    const malformed = opensslCertificate({ addext: ['subjectAltName=URI:urn:uuid:not-a-uuid'] });
    const { root } = await deviceCa(new Date());
    for (const input of [
      two,
      malformed,
      opensslCertificate(),
      root.certPem,
      'garbage',
      new Uint8Array(3),
    ]) {
      assert.equal(deviceIdOf(input), null);
    }
  });
});

describe('the public surface of the device PKI', () => {
  it('exports exactly the documented functions and constants', () => {
    assert.deepEqual(Object.keys(pki).sort(), [
      'MAX_CSR_BYTES',
      'MIN_CA_PASSPHRASE_LENGTH',
      'certificateFacts',
      'certsOnlyPkcs7',
      'createCrl',
      'createIssuingCa',
      'createRootCa',
      'decryptPrivateKeyPem',
      'deviceIdOf',
      'encryptPrivateKeyPem',
      'issueDeviceCertificate',
      'parseCsr',
      'toEstBase64',
    ]);
  });
});

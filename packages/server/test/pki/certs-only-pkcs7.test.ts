import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ContentInfo, SignedData, id_data, id_signedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  type IssuedCertificate,
  certificateFacts,
  certsOnlyPkcs7,
  issueDeviceCertificate,
  parseCsr,
  toEstBase64,
} from '../../src/pki/index.js';
import {
  type DeviceCa,
  ORGANISATION,
  type WorkDir,
  deviceCa,
  openssl,
  opensslCsr,
  withCode,
  workDir,
} from './pki-kit.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function derOf(pem: string): Uint8Array {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
}

describe('when the server answers /cacerts or /simpleenroll (RFC 7030 §4.1.3, §4.2.3)', () => {
  let dir: WorkDir;
  let ca: DeviceCa;
  let device: IssuedCertificate;
  let message: Uint8Array;
  before(async () => {
    dir = await workDir();
    ca = await deviceCa(NOW);
    const csr = await parseCsr(opensslCsr(dir, {}).der);
    device = await issueDeviceCertificate(ca.issuing, csr, {
      deviceId: '6f1c0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
      organisationId: ORGANISATION.organisationId,
      validityDays: 90,
      now: NOW,
    });
    message = certsOnlyPkcs7([device.certDer, derOf(ca.issuing.certPem), derOf(ca.root.certPem)]);
  });
  after(() => dir.remove());

  it('is read by `openssl pkcs7 -print_certs`, which lists every certificate', () => {
    const printed = openssl([
      'pkcs7',
      '-inform',
      'DER',
      '-in',
      dir.file('p7.der', message),
      '-print_certs',
    ]);
    assert.equal(printed.match(/^subject=/gm)?.length, 3);
    const base64 = (pem: string): string => pem.replace(/-----[^-]+-----|\s/g, '');
    const printedCerts = (
      printed.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []
    ).map(base64);
    for (const pem of [device.certPem, ca.issuing.certPem, ca.root.certPem]) {
      assert.ok(printedCerts.includes(base64(pem)), `missing ${certificateFacts(pem).subject}`);
    }
  });

  it('is a degenerate SignedData: version 1, no digest algorithms, no eContent, no signers', () => {
    const contentInfo = AsnConvert.parse(message, ContentInfo);
    assert.equal(contentInfo.contentType, id_signedData);
    const signedData = AsnConvert.parse(contentInfo.content, SignedData);
    assert.equal(signedData.version, 1);
    assert.equal(signedData.digestAlgorithms.length, 0);
    assert.equal(signedData.encapContentInfo.eContentType, id_data);
    assert.equal(signedData.encapContentInfo.eContent, undefined);
    assert.equal(signedData.signerInfos.length, 0);
    assert.equal(signedData.certificates?.length, 3);
  });

  it('embeds each certificate byte for byte, in DER SET OF order', () => {
    const contentInfo = AsnConvert.parse(message, ContentInfo);
    const signedData = AsnConvert.parse(contentInfo.content, SignedData);
    const embedded = Array.from(signedData.certificates ?? [], (choice) =>
      Buffer.from(AsnConvert.serialize(choice.certificate)),
    );
    const given = [device.certDer, derOf(ca.issuing.certPem), derOf(ca.root.certPem)].map((d) =>
      Buffer.from(d),
    );
    assert.deepEqual(
      [...embedded].sort((a, b) => Buffer.compare(a, b)),
      [...given].sort((a, b) => Buffer.compare(a, b)),
    );
    assert.deepEqual(
      embedded,
      [...embedded].sort((a, b) => Buffer.compare(a, b)),
    );
  });

  it('travels as base64 with CRLF every 76 characters, which openssl decodes back', () => {
    const body = toEstBase64(message);
    const lines = body.split('\r\n');
    assert.ok(lines.length > 1);
    assert.ok(lines.slice(0, -1).every((line) => line.length === 76));
    assert.ok((lines.at(-1)?.length ?? 0) <= 76 && !body.endsWith('\r\n'));
    assert.ok(!/[^A-Za-z0-9+/=\r\n]/.test(body));
    const decoded = openssl([
      'base64',
      '-d',
      '-in',
      dir.file('p7.b64', body),
      '-out',
      dir.file('p7.bin', ''),
    ]);
    assert.equal(decoded, '');
    const printed = openssl([
      'pkcs7',
      '-inform',
      'DER',
      '-in',
      `${dir.path}/p7.bin`,
      '-print_certs',
      '-noout',
    ]);
    assert.equal(printed.match(/^subject=/gm)?.length, 3);
  });
});

describe('when certsOnlyPkcs7 is given something other than certificates', () => {
  it('refuses a CSR or garbage with ERR_CA_CERTIFICATE_INVALID', async () => {
    const dir = await workDir();
    try {
      const csr = opensslCsr(dir, {}).der;
      assert.throws(() => certsOnlyPkcs7([csr]), withCode('ERR_CA_CERTIFICATE_INVALID'));
      assert.throws(
        () => certsOnlyPkcs7([new Uint8Array([0x30, 0])]),
        withCode('ERR_CA_CERTIFICATE_INVALID'),
      );
    } finally {
      await dir.remove();
    }
  });

  it('refuses an empty list with ERR_CA_PARAMETERS_INVALID', () => {
    assert.throws(() => certsOnlyPkcs7([]), withCode('ERR_CA_PARAMETERS_INVALID'));
  });
});

describe('when toEstBase64 is given little or nothing', () => {
  it('writes one line, or nothing', () => {
    assert.equal(toEstBase64(new Uint8Array(57)), 'A'.repeat(76));
    assert.equal(toEstBase64(new Uint8Array(58)), `${'A'.repeat(76)}\r\nAA==`);
    assert.equal(toEstBase64(new Uint8Array(0)), '');
  });
});

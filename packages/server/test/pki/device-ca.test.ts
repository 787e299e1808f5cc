import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { certificateFacts, createIssuingCa, createRootCa } from '../../src/pki/index.js';
import {
  type DeviceCa,
  ORGANISATION,
  SKEW_MS,
  type WorkDir,
  deviceCa,
  openssl,
  toSeconds,
  withCode,
  workDir,
} from './pki-kit.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('when an organisation creates its device CA', () => {
  let dir: WorkDir;
  let ca: DeviceCa;
  before(async () => {
    dir = await workDir();
    ca = await deviceCa(NOW);
  });
  after(() => dir.remove());

  it('makes a self-signed P-384 root that may certify one level of CA below it', () => {
    const rootFile = dir.file('root.pem', ca.root.certPem);
    const text = openssl(['x509', '-in', rootFile, '-noout', '-text']);
    assert.match(text, /Basic Constraints: critical\s+CA:TRUE, pathlen:1/);
    assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    assert.match(text, /ASN1 OID: secp384r1/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/);
    assert.match(text, /Subject Key Identifier/);
    const subject = openssl(['x509', '-in', rootFile, '-noout', '-subject', '-nameopt', 'RFC2253']);
    assert.equal(
      subject.trim(),
      `subject=CN=Acme Medical Vigil Device Root CA,OU=${ORGANISATION.organisationId},O=Acme Medical`,
    );
    assert.match(openssl(['verify', '-x509_strict', '-CAfile', rootFile, rootFile]), /: OK/);
  });

  it('signs a P-256 issuing CA with SHA-384 that may certify devices only (pathlen:0)', () => {
    const rootFile = dir.file('root.pem', ca.root.certPem);
    const issuingFile = dir.file('issuing.pem', ca.issuing.certPem);
    const text = openssl(['x509', '-in', issuingFile, '-noout', '-text']);
    assert.match(text, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/);
    const rootText = openssl(['x509', '-in', rootFile, '-noout', '-text']);
    const rootSki = /Subject Key Identifier: *\n\s+([0-9A-F:]+)/.exec(rootText)?.[1];
    assert.ok(rootSki);
    assert.match(text, new RegExp(`Authority Key Identifier: *\\n\\s+(keyid:)?${rootSki}`));
    assert.match(
      openssl(['verify', '-x509_strict', '-CAfile', rootFile, issuingFile]),
      /issuing\.pem: OK/,
    );
  });

  it('gives the root 20 years and the issuing CA 5, both starting 5 minutes early for slow clocks', () => {
    const root = certificateFacts(ca.root.certPem);
    const issuing = certificateFacts(ca.issuing.certPem);
    assert.deepEqual(root.notBefore, new Date(NOW.getTime() - SKEW_MS));
    assert.deepEqual(root.notAfter, new Date('2046-03-01T12:00:00.000Z'));
    assert.deepEqual(issuing.notBefore, new Date(NOW.getTime() - SKEW_MS));
    assert.deepEqual(issuing.notAfter, new Date('2031-03-01T12:00:00.000Z'));
    assert.equal(issuing.issuer, root.subject);
  });

  it('returns each key as unencrypted PKCS#8 matching its certificate', () => {
    for (const { certPem, keyPem } of [ca.root, ca.issuing]) {
      assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.ok(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem)));
    }
  });
});

describe('when the issuing CA would outlive the root', () => {
  it('ends it when the root ends', async () => {
    const root = await createRootCa({ ...ORGANISATION, now: NOW, validityYears: 3 });
    const issuing = await createIssuingCa(root, { ...ORGANISATION, now: NOW, validityYears: 5 });
    assert.deepEqual(
      certificateFacts(issuing.certPem).notAfter,
      certificateFacts(root.certPem).notAfter,
    );
  });
});

describe('when the organisation name is longer than a common name may be', () => {
  it('keeps the full name in O and shortens it in the CN to 64 characters', async () => {
    const organisationName = `Acme ${'Medical '.repeat(6)}Devices`; // 60 characters
    const root = await createRootCa({ ...ORGANISATION, organisationName, now: NOW });
    const subject = certificateFacts(root.certPem).subject;
    const cn = /^CN=([^,]+),/.exec(subject)?.[1] ?? '';
    assert.equal(cn.length <= 64, true);
    assert.match(cn, / Vigil Device Root CA$/);
    assert.ok(subject.endsWith(`,O=${organisationName}`));
  });

  it('writes characters RFC 4514 escapes, and a leading #, as text', async () => {
    const organisationName = '#1 Medical, "Devices" + Co';
    const root = await createRootCa({ ...ORGANISATION, organisationName, now: NOW });
    assert.ok(
      certificateFacts(root.certPem).subject.endsWith(',O=\\#1 Medical\\, \\"Devices\\" \\+ Co'),
    );
  });
});

describe('when the root cannot sign this issuing CA', () => {
  let ca: DeviceCa;
  before(async () => {
    ca = await deviceCa(NOW);
  });

  it('refuses a root of another organisation with ERR_CA_INVALID', async () => {
    await assert.rejects(
      createIssuingCa(ca.root, { ...ORGANISATION, organisationId: 'another-org', now: NOW }),
      withCode('ERR_CA_INVALID'),
    );
  });

  it('refuses an expired root with ERR_CA_INVALID', async () => {
    const later = new Date('2046-03-02T00:00:00.000Z');
    await assert.rejects(
      createIssuingCa(ca.root, { ...ORGANISATION, now: later }),
      withCode('ERR_CA_INVALID'),
    );
  });

  it('refuses an issuing CA in the root role (pathlen:0) with ERR_CA_INVALID', async () => {
    await assert.rejects(
      createIssuingCa(ca.issuing, { ...ORGANISATION, now: NOW }),
      withCode('ERR_CA_INVALID'),
    );
  });

  it('refuses a key that is not the certificate’s with ERR_CA_INVALID', async () => {
    const mismatched = { certPem: ca.root.certPem, keyPem: ca.issuing.keyPem };
    await assert.rejects(
      createIssuingCa(mismatched, { ...ORGANISATION, now: NOW }),
      withCode('ERR_CA_INVALID'),
    );
  });

  it('refuses text that is not a certificate with ERR_CA_INVALID', async () => {
    const broken = { certPem: 'not a certificate', keyPem: ca.root.keyPem };
    await assert.rejects(
      createIssuingCa(broken, { ...ORGANISATION, now: NOW }),
      withCode('ERR_CA_INVALID'),
    );
  });
});

describe('when the inputs are out of range', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['an empty organisation name', { organisationName: '  ' }],
    ['an organisation name over 64 characters', { organisationName: 'x'.repeat(65) }],
    ['a control character in the name', { organisationName: 'Acme\nMedical' }],
    ['an organisation id with a space', { organisationId: 'acme medical' }],
    ['an empty organisation id', { organisationId: '' }],
    ['zero years', { validityYears: 0 }],
    ['31 years', { validityYears: 31 }],
    ['a fraction of a year', { validityYears: 2.5 }],
    ['an invalid date', { now: new Date(Number.NaN) }],
  ];
  for (const [label, change] of cases) {
    it(`refuses ${label} with ERR_CA_PARAMETERS_INVALID`, async () => {
      const input = { ...ORGANISATION, now: NOW, ...change } as Parameters<typeof createRootCa>[0];
      await assert.rejects(createRootCa(input), withCode('ERR_CA_PARAMETERS_INVALID'));
    });
  }
});

describe('when the root is created', () => {
  it('reports whole seconds, as the certificate stores them', async () => {
    const now = new Date('2026-03-01T12:00:00.789Z');
    const root = await createRootCa({ ...ORGANISATION, now });
    assert.deepEqual(
      certificateFacts(root.certPem).notBefore,
      toSeconds(new Date(now.getTime() - SKEW_MS)),
    );
  });
});

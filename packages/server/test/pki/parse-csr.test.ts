import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MAX_CSR_BYTES, parseCsr } from '../../src/pki/index.js';
import { x509 } from '../../src/tls/x509-provider.js';
import {
  type OpensslCsr,
  type WorkDir,
  openssl,
  opensslCsr,
  opensslCsrSpki,
  withCode,
  workDir,
} from './pki-kit.js';

let dir: WorkDir;
before(async () => {
  dir = await workDir();
});
after(() => dir.remove());

describe('when a gateway sends a P-256 CSR as `openssl req … -outform DER | base64`', () => {
  let csr: OpensslCsr;
  before(() => {
    csr = opensslCsr(dir, { key: 'P-256', subject: '/serialNumber=SN-0001/CN=gw' });
  });

  it('reads the subject, the hardware serial and the key', async () => {
    assert.match(csr.base64, /\n/); // the base64 tool wraps lines: this is the EST body as sent
    const parsed = await parseCsr(csr.base64);
    assert.equal(parsed.subject, 'CN=gw,serialNumber=SN-0001');
    assert.equal(parsed.subjectSerialNumber, 'SN-0001');
    assert.equal(parsed.commonName, 'gw');
    assert.equal(parsed.keyAlgorithm, 'ECDSA-P256');
    assert.deepEqual(Buffer.from(parsed.der), csr.der);
  });

  it('reports the subject as `openssl -nameopt RFC2253` does', async () => {
    const parsed = await parseCsr(csr.base64);
    const subject = openssl(
      ['req', '-inform', 'DER', '-noout', '-subject', '-nameopt', 'RFC2253'],
      csr.der,
    );
    assert.equal(`subject=${parsed.subject}`, subject.trim());
  });

  it('fingerprints the public key OpenSSL finds in the CSR', async () => {
    const parsed = await parseCsr(csr.base64);
    const spki = opensslCsrSpki(csr.der);
    assert.deepEqual(Buffer.from(parsed.publicKeySpkiDer), spki);
    assert.equal(
      parsed.publicKeyFingerprintSha256,
      createHash('sha256').update(spki).digest('hex'),
    );
  });

  it('reads the same request as PEM, as DER bytes, as a body buffer and with CRLF and spaces', async () => {
    const withCrlf = csr.base64.replace(/\n/g, '\r\n  ');
    for (const input of [csr.pem, csr.der, Buffer.from(csr.base64), withCrlf]) {
      const parsed = await parseCsr(input);
      assert.deepEqual(Buffer.from(parsed.der), csr.der);
    }
  });
});

describe('when the key is of another accepted type', () => {
  const accepted = [
    ['P-384', 'ECDSA-P384'],
    ['ed25519', 'Ed25519'],
    ['rsa:2048', 'RSA-2048'],
  ] as const;
  for (const [key, algorithm] of accepted) {
    it(`accepts ${key} as ${algorithm}`, async () => {
      const csr = opensslCsr(dir, { key });
      assert.equal((await parseCsr(csr.base64)).keyAlgorithm, algorithm);
    });
  }
});

describe('when the key or signature algorithm is not accepted', () => {
  it('refuses RSA-1024 with ERR_EST_KEY_UNSUPPORTED', async () => {
    const csr = opensslCsr(dir, { key: 'rsa:1024', extra: ['-sha256'] });
    await assert.rejects(parseCsr(csr.base64), withCode('ERR_EST_KEY_UNSUPPORTED'));
  });

  it('refuses a curve other than P-256/P-384 (secp256k1) with ERR_EST_KEY_UNSUPPORTED', async () => {
    const csr = opensslCsr(dir, { key: 'secp256k1' });
    await assert.rejects(parseCsr(csr.der), withCode('ERR_EST_KEY_UNSUPPORTED'));
  });

  it('refuses an RSA key with public exponent 3 with ERR_EST_KEY_UNSUPPORTED', async () => {
    const csr = opensslCsr(dir, { key: 'rsa:2048', extra: ['-pkeyopt', 'rsa_keygen_pubexp:3'] });
    await assert.rejects(parseCsr(csr.der), withCode('ERR_EST_KEY_UNSUPPORTED'));
  });

  it('refuses a CSR signed with SHA-1 with ERR_EST_KEY_UNSUPPORTED', async () => {
    const csr = opensslCsr(dir, { key: 'P-256', extra: ['-sha1'] });
    await assert.rejects(parseCsr(csr.der), withCode('ERR_EST_KEY_UNSUPPORTED'));
  });
});

describe('when the signature does not prove possession of the key', () => {
  it('refuses a CSR with a flipped bit in its signature with ERR_EST_CSR_SIGNATURE', async () => {
    const der = Buffer.from(opensslCsr(dir, { key: 'P-256' }).der);
    der[der.length - 5]! ^= 0x01; // inside the ECDSA s value
    await assert.rejects(parseCsr(der), withCode('ERR_EST_CSR_SIGNATURE'));
  });

  it('refuses a CSR carrying another key than the one that signed it with ERR_EST_CSR_SIGNATURE', async () => {
    const signer = opensslCsr(dir, { key: 'P-256' });
    const other = opensslCsr(dir, { key: 'P-256' });
    const signerKey = opensslCsrSpki(signer.der);
    const otherKey = opensslCsrSpki(other.der);
    const at = signer.der.indexOf(signerKey);
    assert.ok(at > 0 && signerKey.length === otherKey.length);
    const spliced = Buffer.concat([
      signer.der.subarray(0, at),
      otherKey,
      signer.der.subarray(at + signerKey.length),
    ]);
    await assert.rejects(parseCsr(spliced), withCode('ERR_EST_CSR_SIGNATURE'));
  });

  it('refuses an RSA CSR with a changed subject with ERR_EST_CSR_SIGNATURE', async () => {
    const der = Buffer.from(opensslCsr(dir, { key: 'rsa:2048', subject: '/CN=gw-a' }).der);
    der[der.indexOf('gw-a') + 3] = 'b'.charCodeAt(0);
    await assert.rejects(parseCsr(der), withCode('ERR_EST_CSR_SIGNATURE'));
  });
});

describe('when the subject is unusual', () => {
  it('escapes RFC 4514 specials as openssl does, and has no serial when none is given', async () => {
    const csr = opensslCsr(dir, { subject: '/O=Acme\\, Inc./CN=gw\\+1 <a>' });
    const parsed = await parseCsr(csr.der);
    const subject = openssl(
      ['req', '-inform', 'DER', '-noout', '-subject', '-nameopt', 'RFC2253'],
      csr.der,
    );
    assert.equal(`subject=${parsed.subject}`, subject.trim());
    assert.equal(parsed.subjectSerialNumber, null);
    assert.equal(parsed.commonName, 'gw+1 <a>');
  });

  it('refuses two serialNumber attributes with ERR_EST_CSR_INVALID', async () => {
    const csr = opensslCsr(dir, { subject: '/serialNumber=SN-1/serialNumber=SN-2/CN=gw' });
    await assert.rejects(parseCsr(csr.der), withCode('ERR_EST_CSR_INVALID'));
  });

  it('refuses a serialNumber outside the PrintableString characters with ERR_EST_CSR_INVALID', async () => {
    // OpenSSL will not write one, so another library signs this request.
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: new x509.Name([{ '2.5.4.5': [{ utf8String: 'SN_0001' }] }, { CN: ['gw'] }]),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    await assert.rejects(parseCsr(csr.toString('pem')), withCode('ERR_EST_CSR_INVALID'));
  });
});

describe('when the input is not a DER CSR of reasonable size', () => {
  it(`refuses more than ${MAX_CSR_BYTES} bytes before parsing, with ERR_EST_CSR_INVALID`, async () => {
    const csr = opensslCsr(dir, {});
    const padded = `${csr.base64}${' '.repeat(MAX_CSR_BYTES)}`;
    await assert.rejects(parseCsr(padded), withCode('ERR_EST_CSR_INVALID'));
    await assert.rejects(
      parseCsr(new Uint8Array(MAX_CSR_BYTES + 1)),
      withCode('ERR_EST_CSR_INVALID'),
    );
  });

  it('refuses bytes after the CSR with ERR_EST_CSR_INVALID', async () => {
    const csr = opensslCsr(dir, {});
    await assert.rejects(
      parseCsr(Buffer.concat([csr.der, Buffer.of(0)])),
      withCode('ERR_EST_CSR_INVALID'),
    );
  });

  it('refuses a certificate, a wrong PEM label, empty input and non-text with ERR_EST_CSR_INVALID', async () => {
    const certificate = openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${dir.path}/x.key`,
      '-subj',
      '/CN=x',
    ]);
    const relabelled = opensslCsr(dir, {}).pem.replace(/CERTIFICATE REQUEST/g, 'CERTIFICATE');
    for (const input of [certificate, relabelled, '', '====', 42 as unknown as string]) {
      await assert.rejects(parseCsr(input), withCode('ERR_EST_CSR_INVALID'));
    }
  });
});

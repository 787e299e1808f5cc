import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createCertificateRequest, isAgentError } from '@vigil/agent';
import { tempDir } from './fakes/temp-dir.js';
import { x509 } from '../src/x509-provider.js';

describe('createCertificateRequest', () => {
  it('signs a CSR that verifies (proof of possession, RFC 2986 §3)', async () => {
    const request = await createCertificateRequest({
      serialNumber: 'SN-0001',
      commonName: 'hub-2',
    });
    const csr = new x509.Pkcs10CertificateRequest(request.csrDer);
    assert.equal(await csr.verify(), true);
    assert.deepEqual(csr.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-256' } });
  });

  it('puts the hardware serial number and the model in the subject', async () => {
    const request = await createCertificateRequest({
      serialNumber: 'SN-0001',
      commonName: 'hub-2',
    });
    const csr = new x509.Pkcs10CertificateRequest(request.csrDer);
    assert.deepEqual(csr.subjectName.getField('2.5.4.5'), ['SN-0001']);
    assert.deepEqual(csr.subjectName.getField('CN'), ['hub-2']);
  });

  it('names the device vigil-gateway when no model is given', async () => {
    const request = await createCertificateRequest({ serialNumber: 'SN-0002' });
    const csr = new x509.Pkcs10CertificateRequest(request.csrDer);
    assert.deepEqual(csr.subjectName.getField('CN'), ['vigil-gateway']);
  });

  it('is accepted by openssl req -verify', async (t) => {
    const dir = await tempDir(t);
    const request = await createCertificateRequest({ serialNumber: 'SN-0003', commonName: 'gw' });
    const file = join(dir, 'device.csr.der');
    writeFileSync(file, request.csrDer);
    const out = execFileSync(
      'openssl',
      ['req', '-inform', 'DER', '-in', file, '-verify', '-noout', '-subject'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    assert.match(out, /serialNumber\s*=\s*SN-0003/);
  });

  it('generates a P-256 key whose public half is the one in the CSR', async () => {
    const request = await createCertificateRequest({ serialNumber: 'SN-0004' });
    const key = createPrivateKey(request.keyPkcs8Pem);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
    assert.deepEqual(new Uint8Array(spki), request.spkiDer);
    const csr = new x509.Pkcs10CertificateRequest(request.csrDer);
    assert.deepEqual(new Uint8Array(csr.publicKey.rawData), request.spkiDer);
  });

  it('generates a new key every time', async () => {
    const a = await createCertificateRequest({ serialNumber: 'SN-0005' });
    const b = await createCertificateRequest({ serialNumber: 'SN-0005' });
    assert.notDeepEqual(a.spkiDer, b.spkiDer);
  });

  it('keeps an existing subject byte for byte, for re-enrolment (RFC 7030 §4.2.2)', async () => {
    const first = await createCertificateRequest({ serialNumber: 'SN-0006', commonName: 'gw' });
    const subjectDer = new Uint8Array(
      new x509.Pkcs10CertificateRequest(first.csrDer).subjectName.toArrayBuffer(),
    );
    const again = await createCertificateRequest({ subjectDer });
    const csr = new x509.Pkcs10CertificateRequest(again.csrDer);
    assert.deepEqual(new Uint8Array(csr.subjectName.toArrayBuffer()), subjectDer);
  });

  it('refuses a serial number that is not a PrintableString', async () => {
    await assert.rejects(
      createCertificateRequest({ serialNumber: 'SN_0001\n' }),
      (error) => isAgentError(error) && error.code === 'ERR_AGENT_INVALID_OPTIONS',
    );
  });
});

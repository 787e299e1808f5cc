import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  createIssuingCa,
  decryptPrivateKeyPem,
  encryptPrivateKeyPem,
} from '../../src/pki/index.js';
import {
  type DeviceCa,
  ORGANISATION,
  type WorkDir,
  deviceCa,
  openssl,
  runOpenssl,
  withCode,
  workDir,
} from './pki-kit.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const PASSPHRASE = 'correct horse battery staple';

/** The private scalar, to compare keys whatever their PEM encoding. */
function scalarOf(keyPem: string): string | undefined {
  return createPrivateKey(keyPem).export({ format: 'jwk' }).d;
}

describe('when the root key is encrypted for the operator to take offline', () => {
  let dir: WorkDir;
  let ca: DeviceCa;
  let encrypted: string;
  before(async () => {
    dir = await workDir();
    ca = await deviceCa(NOW);
    encrypted = encryptPrivateKeyPem(ca.root.keyPem, PASSPHRASE);
  });
  after(() => dir.remove());

  it('writes encrypted PKCS#8 with PBES2 and AES-256-CBC', () => {
    assert.match(encrypted, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const structure = openssl(['asn1parse', '-in', dir.file('enc.pem', encrypted)]);
    assert.match(structure, /:PBES2/);
    assert.match(structure, /:PBKDF2/);
    assert.match(structure, /:hmacWithSHA256/);
    assert.match(structure, /:aes-256-cbc/);
  });

  it('decrypts back to the same key', () => {
    const decrypted = decryptPrivateKeyPem(encrypted, PASSPHRASE);
    assert.match(decrypted, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(scalarOf(decrypted), scalarOf(ca.root.keyPem));
  });

  it('can be opened by `openssl pkey -passin`, and belongs to the root certificate', () => {
    const file = dir.file('enc.pem', encrypted);
    const publicFromKey = openssl([
      'pkey',
      '-in',
      file,
      '-passin',
      `pass:${PASSPHRASE}`,
      '-pubout',
    ]);
    const publicFromCert = openssl([
      'x509',
      '-in',
      dir.file('root.pem', ca.root.certPem),
      '-noout',
      '-pubkey',
    ]);
    assert.equal(publicFromKey, publicFromCert);
    const wrong = runOpenssl(['pkey', '-in', file, '-passin', 'pass:not the passphrase at all']);
    assert.notEqual(wrong.status, 0);
  });

  it('signs an issuing CA again once decrypted', async () => {
    const root = { certPem: ca.root.certPem, keyPem: decryptPrivateKeyPem(encrypted, PASSPHRASE) };
    const issuing = await createIssuingCa(root, { ...ORGANISATION, now: NOW });
    assert.match(issuing.certPem, /BEGIN CERTIFICATE/);
  });

  it('uses a fresh salt and IV each time', () => {
    assert.notEqual(encryptPrivateKeyPem(ca.root.keyPem, PASSPHRASE), encrypted);
  });
});

describe('when the passphrase is wrong', () => {
  it('refuses with ERR_CA_PASSPHRASE_WRONG', async () => {
    const { root } = await deviceCa(NOW);
    const encrypted = encryptPrivateKeyPem(root.keyPem, PASSPHRASE);
    assert.throws(
      () => decryptPrivateKeyPem(encrypted, 'correct horse battery stapler'),
      withCode('ERR_CA_PASSPHRASE_WRONG'),
    );
    assert.throws(() => decryptPrivateKeyPem(encrypted, ''), withCode('ERR_CA_PASSPHRASE_WRONG'));
  });

  it('refuses a file whose salt was damaged with ERR_CA_PASSPHRASE_WRONG', async () => {
    const { root } = await deviceCa(NOW);
    const lines = encryptPrivateKeyPem(root.keyPem, PASSPHRASE).split('\n');
    // DER octets 35–42 are the PBKDF2 salt: base64 characters 47–56 of the first line.
    const line = lines[1] ?? '';
    lines[1] = `${line.slice(0, 50)}${line[50] === 'A' ? 'B' : 'A'}${line.slice(51)}`;
    assert.throws(
      () => decryptPrivateKeyPem(lines.join('\n'), PASSPHRASE),
      withCode('ERR_CA_PASSPHRASE_WRONG'),
    );
  });
});

describe('when the passphrase is shorter than 15 characters', () => {
  it('refuses to encrypt with ERR_CA_PASSPHRASE_WEAK', async () => {
    const { root } = await deviceCa(NOW);
    assert.throws(
      () => encryptPrivateKeyPem(root.keyPem, 'fourteen chars'),
      withCode('ERR_CA_PASSPHRASE_WEAK'),
    );
  });

  it('counts characters, not UTF-16 units (NIST SP 800-63B)', async () => {
    const { root } = await deviceCa(NOW);
    // 13 letters + one astral character: 15 UTF-16 units, but 14 characters.
    assert.throws(
      () => encryptPrivateKeyPem(root.keyPem, `${'a'.repeat(13)}🔒`),
      withCode('ERR_CA_PASSPHRASE_WEAK'),
    );
    const fifteen = `${'a'.repeat(14)}🔒`;
    const encrypted = encryptPrivateKeyPem(root.keyPem, fifteen);
    assert.equal(scalarOf(decryptPrivateKeyPem(encrypted, fifteen)), scalarOf(root.keyPem));
  });
});

describe('when the input is not what each function expects', () => {
  it('refuses to "decrypt" an unencrypted key with ERR_CA_INVALID', async () => {
    const { root } = await deviceCa(NOW);
    assert.throws(() => decryptPrivateKeyPem(root.keyPem, PASSPHRASE), withCode('ERR_CA_INVALID'));
  });

  it('refuses to encrypt text that is not a key, or is already encrypted, with ERR_CA_INVALID', async () => {
    const { root } = await deviceCa(NOW);
    const encrypted = encryptPrivateKeyPem(root.keyPem, PASSPHRASE);
    assert.throws(() => encryptPrivateKeyPem('not a key', PASSPHRASE), withCode('ERR_CA_INVALID'));
    assert.throws(() => encryptPrivateKeyPem(encrypted, PASSPHRASE), withCode('ERR_CA_INVALID'));
  });
});

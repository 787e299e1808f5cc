// The batch writer builds its compact JWS and JWE on WebCrypto directly; these
// tests hold it to what an independent JOSE implementation (jose) reads, and to
// the key checks jose's builders used to make for it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compactDecrypt, compactVerify, decodeProtectedHeader, type CryptoKey } from 'jose';
import { VigilError } from '@vigil/core';
import { encryptCompactDirA256Gcm, signCompactEs256 } from '../../src/batch/compact-jose.js';

const subtle = globalThis.crypto.subtle;
const ecdsa = (namedCurve: string, usages: string[] = ['sign', 'verify']) =>
  subtle.generateKey({ name: 'ECDSA', namedCurve }, false, usages as never) as Promise<{
    privateKey: CryptoKey;
    publicKey: CryptoKey;
  }>;
const aes = (length: number, usages: string[] = ['encrypt', 'decrypt']) =>
  subtle.generateKey({ name: 'AES-GCM', length }, false, usages as never);

function refusedAsInvalid(error: unknown): boolean {
  return error instanceof VigilError && error.code === 'ERR_PROTECT_PARAMETERS_INVALID';
}

describe('signCompactEs256', () => {
  it('writes a JWS that jose verifies with the public key, payload and header intact', async () => {
    const device = await ecdsa('P-256');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (payload) => {
        const jws = await signCompactEs256(
          { alg: 'ES256', typ: 'x+jws' },
          payload,
          device.privateKey,
        );
        assert.match(new TextDecoder().decode(jws), /^[\w-]+\.[\w-]*\.[\w-]{86}$/);
        const verified = await compactVerify(jws, device.publicKey, { algorithms: ['ES256'] });
        assert.deepEqual(verified.payload, payload);
        assert.deepEqual(verified.protectedHeader, { alg: 'ES256', typ: 'x+jws' });
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a P-384 key, a public key and a key without the sign usage', async () => {
    const p384 = await ecdsa('P-384');
    const p256 = await ecdsa('P-256');
    const hmac = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    for (const key of [p384.privateKey, p256.publicKey, hmac]) {
      await assert.rejects(
        signCompactEs256({ alg: 'ES256' }, new Uint8Array(1), key),
        refusedAsInvalid,
      );
    }
  });
});

describe('encryptCompactDirA256Gcm', () => {
  it('writes a JWE that jose decrypts, with the header as AAD and a fresh IV every time', async () => {
    const key = await aes(256);
    const ivs = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (plaintext) => {
        const header = { alg: 'dir', enc: 'A256GCM', typ: 'x+jwe', sequence: 7 };
        const jwe = await encryptCompactDirA256Gcm(header, plaintext, key);
        const segments = jwe.split('.');
        assert.equal(segments.length, 5);
        assert.equal(segments[1], '', 'dir has no encrypted key');
        ivs.add(segments[2] ?? '');
        const opened = await compactDecrypt(jwe, key, {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
        });
        assert.deepEqual(opened.plaintext, plaintext);
        assert.deepEqual(decodeProtectedHeader(jwe), header);
      }),
      { numRuns: 60 },
    );
    assert.equal(ivs.size, 60);
  });

  it('cannot be opened after the header is changed: it is the AAD', async () => {
    const key = await aes(256);
    const jwe = await encryptCompactDirA256Gcm(
      { alg: 'dir', enc: 'A256GCM', sequence: 7 },
      new Uint8Array(10),
      key,
    );
    const forged = Buffer.from(
      JSON.stringify({ alg: 'dir', enc: 'A256GCM', sequence: 8 }),
    ).toString('base64url');
    await assert.rejects(
      compactDecrypt([forged, ...jwe.split('.').slice(1)].join('.'), key),
      /decryption operation failed/,
    );
  });

  it('refuses an AES-128 key, a key without the encrypt usage and an ECDSA key', async () => {
    const keys = [await aes(128), await aes(256, ['decrypt']), (await ecdsa('P-256')).privateKey];
    for (const key of keys) {
      await assert.rejects(
        encryptCompactDirA256Gcm({ alg: 'dir', enc: 'A256GCM' }, new Uint8Array(1), key),
        refusedAsInvalid,
      );
    }
  });
});

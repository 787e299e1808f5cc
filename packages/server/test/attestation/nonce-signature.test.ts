import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifyNonceSignature } from '../../src/attestation/nonce-signature.js';

const MESSAGE = new TextEncoder().encode('vigil-attestation-v1\n…');

describe('the secure element signature', () => {
  for (const [curve, hash, size] of [
    ['P-256', 'sha256', 64],
    ['P-384', 'sha384', 96],
  ] as const) {
    describe(`when a ${curve} element signs with ${hash.toUpperCase()}`, () => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });

      it(`accepts IEEE P1363 r || s (${size} bytes) and DER`, () => {
        const p1363 = sign(hash, MESSAGE, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = sign(hash, MESSAGE, { key: privateKey, dsaEncoding: 'der' });
        assert.equal(p1363.length, size);
        assert.equal(verifyNonceSignature(publicKey, MESSAGE, p1363), true);
        assert.equal(verifyNonceSignature(publicKey, MESSAGE, der), true);
      });

      it('refuses DER with a trailing byte, another message, and random bytes', () => {
        const der = sign(hash, MESSAGE, { key: privateKey, dsaEncoding: 'der' });
        assert.equal(
          verifyNonceSignature(publicKey, MESSAGE, Buffer.concat([der, Buffer.of(0)])),
          false,
        );
        assert.equal(verifyNonceSignature(publicKey, MESSAGE.subarray(1), der), false);
        assert.equal(verifyNonceSignature(publicKey, MESSAGE, randomBytes(size)), false);
      });
    });
  }

  describe('when the hardware key is not ECDSA P-256 or P-384', () => {
    it('refuses every signature, even a valid one', () => {
      const ed = generateKeyPairSync('ed25519');
      assert.equal(
        verifyNonceSignature(ed.publicKey, MESSAGE, sign(null, MESSAGE, ed.privateKey)),
        false,
      );
      const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
      const k1Signature = sign('sha256', MESSAGE, {
        key: k1.privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      assert.equal(verifyNonceSignature(k1.publicKey, MESSAGE, k1Signature), false);
    });
  });
});

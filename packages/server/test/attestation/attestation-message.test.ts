import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  ATTESTATION_MESSAGE_PREFIX,
  attestationMessage,
  newAttestationNonce,
} from '../../src/attestation/index.js';
import { assertRefused } from './fake-vendor.js';

const SPKI = new Uint8Array([0x30, 0x59, 0x30, 0x13, 1, 2, 3]);

describe('the attestation challenge', () => {
  describe('when the server issues a nonce', () => {
    it('returns 256 random bits as unpadded base64url, never the same twice', () => {
      const nonces = new Set(Array.from({ length: 1000 }, () => newAttestationNonce()));
      assert.equal(nonces.size, 1000);
      for (const nonce of nonces) {
        assert.match(nonce, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(Buffer.from(nonce, 'base64url').length, 32);
      }
    });
  });

  describe('when the message to sign is built', () => {
    it('is the prefix, the nonce bytes and SHA-256 of the enrolment key SPKI, 85 bytes', () => {
      const nonce = newAttestationNonce();
      const expected = Buffer.concat([
        Buffer.from('vigil-attestation-v1\n', 'utf8'),
        Buffer.from(nonce, 'base64url'),
        createHash('sha256').update(SPKI).digest(),
      ]);
      assert.equal(ATTESTATION_MESSAGE_PREFIX, 'vigil-attestation-v1\n');
      assert.deepEqual(attestationMessage(nonce, SPKI), new Uint8Array(expected));
      assert.equal(expected.length, 85);
    });

    it('differs for another enrolment key or another nonce', () => {
      const nonce = newAttestationNonce();
      const message = Buffer.from(attestationMessage(nonce, SPKI));
      const otherKey = Buffer.from(attestationMessage(nonce, new Uint8Array([...SPKI, 0])));
      const otherNonce = Buffer.from(attestationMessage(newAttestationNonce(), SPKI));
      assert.notDeepEqual(message, otherKey);
      assert.notDeepEqual(message, otherNonce);
    });
  });

  describe('when the nonce is not one the server could have issued', () => {
    const nonce = newAttestationNonce();
    const cases: [string, string][] = [
      ['empty', ''],
      ['31 bytes', Buffer.alloc(31, 7).toString('base64url')],
      ['33 bytes', Buffer.alloc(33, 7).toString('base64url')],
      ['padded', Buffer.alloc(32, 7).toString('base64')],
      ['standard base64 alphabet', Buffer.alloc(32, 0xfb).toString('base64').replace(/=+$/, '')],
      ['non-zero trailing bits', `${nonce.slice(0, 42)}${nonce.endsWith('B') ? 'C' : 'B'}`],
      ['white space', ` ${nonce}`],
    ];
    for (const [label, bad] of cases) {
      it(`refuses a ${label} nonce with ERR_ATTESTATION_MALFORMED`, async () => {
        await assertRefused(
          (async () => attestationMessage(bad, SPKI))(),
          'ERR_ATTESTATION_MALFORMED',
        );
      });
    }
  });
});

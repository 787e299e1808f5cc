import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base32Encode, hotp, totpAt, totpStep, verifyTotp } from '@vigil/core';

// RFC 6238 Appendix B: SHA-1 seed "12345678901234567890", 8 digits.
const RFC_SECRET = Buffer.from('12345678901234567890');
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC 6238 Appendix B test vectors', () => {
    for (const [seconds, expected] of RFC_VECTORS) {
      assert.equal(hotp(RFC_SECRET, totpStep(seconds * 1000), 8), expected);
    }
  });

  describe('when a code is presented', () => {
    const secret = base32Encode(RFC_SECRET);
    const now = 1_700_000_000_000;

    it('accepts the current code and returns its step', () => {
      assert.equal(verifyTotp(secret, totpAt(secret, now), now, null), totpStep(now));
    });

    it('accepts one step of drift either side but not two', () => {
      assert.notEqual(verifyTotp(secret, totpAt(secret, now - 30_000), now, null), null);
      assert.notEqual(verifyTotp(secret, totpAt(secret, now + 30_000), now, null), null);
      assert.equal(verifyTotp(secret, totpAt(secret, now - 60_000), now, null), null);
    });

    it('refuses a replayed code (same step already used)', () => {
      const code = totpAt(secret, now);
      const step = verifyTotp(secret, code, now, null);
      assert.notEqual(step, null);
      assert.equal(verifyTotp(secret, code, now, step), null);
      assert.equal(verifyTotp(secret, code, now + 10_000, step), null);
    });

    it('refuses malformed codes', () => {
      for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) {
        assert.equal(verifyTotp(secret, bad, now, null), null);
      }
    });
  });
});

describe('TOTP interoperability', () => {
  it('produces the same codes as otplib (what authenticator-app libraries compute) for our secrets', async () => {
    const { generateSync } = await import('otplib');
    const { generateTotpSecret } = await import('@vigil/core');
    for (let i = 0; i < 20; i++) {
      const secret = generateTotpSecret();
      const epochMs = 1_700_000_000_000 + i * 977_000;
      assert.equal(
        totpAt(secret, epochMs),
        generateSync({ secret, epoch: Math.floor(epochMs / 1000) }),
      );
    }
  });
});

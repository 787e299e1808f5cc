import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PasswordPolicy, VigilError } from '@vigil/core';

const common = new Set(['password123456789', 'qwertyuiop123456', 'iloveyou']);
const policy = new PasswordPolicy((p) => common.has(p));

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof VigilError ? error.code : 'not-a-vigil-error';
  }
}

describe('password policy (NIST SP 800-63B)', () => {
  describe('without MFA', () => {
    it('needs at least 15 characters', () => {
      assert.equal(
        codeOf(() => policy.check('fourteen chars', { mfa: false })),
        'ERR_PASSWORD_TOO_SHORT',
      );
      assert.equal(
        codeOf(() => policy.check('fifteen chars!!', { mfa: false })),
        undefined,
      );
    });
  });

  describe('with MFA', () => {
    it('needs at least 8 characters', () => {
      assert.equal(
        codeOf(() => policy.check('seven c', { mfa: true })),
        'ERR_PASSWORD_TOO_SHORT',
      );
      assert.equal(
        codeOf(() => policy.check('eight ch', { mfa: true })),
        undefined,
      );
    });
  });

  it('accepts at least 64 characters, any characters, no composition rules', () => {
    assert.equal(
      codeOf(() => policy.check('x'.repeat(40) + ' ünïcödé 🩺 passphrase', { mfa: false })),
      undefined,
    );
    assert.equal(
      codeOf(() => policy.check('all lower case words only', { mfa: false })),
      undefined,
    );
    assert.equal(
      codeOf(() => policy.check('y'.repeat(256), { mfa: false })),
      undefined,
    );
    assert.equal(
      codeOf(() => policy.check('y'.repeat(257), { mfa: false })),
      'ERR_PASSWORD_TOO_LONG',
    );
  });

  it('counts characters (code points), not bytes or UTF-16 units', () => {
    assert.equal(
      codeOf(() => policy.check('🩺'.repeat(8), { mfa: true })),
      undefined,
    );
    assert.equal(
      codeOf(() => policy.check('🩺'.repeat(7), { mfa: true })),
      'ERR_PASSWORD_TOO_SHORT',
    );
  });

  it('rejects common and breached passwords, case-insensitively', () => {
    assert.equal(
      codeOf(() => policy.check('password123456789', { mfa: false })),
      'ERR_PASSWORD_COMMON',
    );
    assert.equal(
      codeOf(() => policy.check('QwertyUIOP123456', { mfa: false })),
      'ERR_PASSWORD_COMMON',
    );
  });

  it('rejects passwords containing the account name or email', () => {
    assert.equal(
      codeOf(() =>
        policy.check('hello margaret my old friend', { mfa: false, personal: ['margaret'] }),
      ),
      'ERR_PASSWORD_CONTEXT',
    );
  });

  it('never throws anything but a coded VigilError (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.boolean(), (password, mfa) => {
        const code = codeOf(() => policy.check(password, { mfa, personal: ['someone'] }));
        assert.ok(code === undefined || code.startsWith('ERR_PASSWORD_'), code);
      }),
    );
  });
});

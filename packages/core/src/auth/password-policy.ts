import { VigilError } from '../errors/index.js';

/**
 * NIST SP 800-63B rev. 4 §3.1.1.2 password rules: length is what matters, so
 * there are no composition rules and no forced periodic change; at least 15
 * characters when the password is the only factor, 8 when it is part of MFA;
 * at least 64 accepted; common and breached passwords refused.
 */
export interface PasswordPolicyOptions {
  /** Minimum length (Unicode code points) for a password that is the only factor. Default 15. */
  readonly minLengthSingleFactor?: number;
  /** Minimum length when the account uses MFA. Default 8. */
  readonly minLengthWithMfa?: number;
  /** Maximum accepted length. Default 256 (800-63B asks for at least 64). */
  readonly maxLength?: number;
}

export interface PasswordContext {
  /** Whether the account has (or must have) a second factor. */
  readonly mfa: boolean;
  /** Words the password must not contain: the email's local part, the person's name. */
  readonly personal?: readonly string[];
}

/** Answers whether a password is on a common/breached list. An adapter supplies it. */
export type CommonPasswordCheck = (password: string) => boolean;

export class PasswordPolicy {
  readonly minLengthSingleFactor: number;
  readonly minLengthWithMfa: number;
  readonly maxLength: number;
  readonly #isCommon: CommonPasswordCheck;

  constructor(isCommon: CommonPasswordCheck, options: PasswordPolicyOptions = {}) {
    this.#isCommon = isCommon;
    this.minLengthSingleFactor = options.minLengthSingleFactor ?? 15;
    this.minLengthWithMfa = options.minLengthWithMfa ?? 8;
    this.maxLength = options.maxLength ?? 256;
  }

  /** Throws a coded VigilError when the password is not acceptable. */
  check(password: string, context: PasswordContext): void {
    // 800-63B: normalise (NFKC) before length checks and hashing so equivalent input matches.
    const normalised = normalisePassword(password);
    const length = [...normalised].length;
    const min = context.mfa ? this.minLengthWithMfa : this.minLengthSingleFactor;
    if (length < min) {
      throw new VigilError('ERR_PASSWORD_TOO_SHORT', `Use at least ${min} characters.`, {
        details: { minLength: min },
      });
    }
    if (length > this.maxLength) {
      throw new VigilError('ERR_PASSWORD_TOO_LONG', `Use at most ${this.maxLength} characters.`, {
        details: { maxLength: this.maxLength },
      });
    }
    const lower = normalised.toLowerCase();
    if (this.#isCommon(normalised) || this.#isCommon(lower)) {
      throw new VigilError(
        'ERR_PASSWORD_COMMON',
        'This password is on a list of common or breached passwords; choose another.',
      );
    }
    for (const word of context.personal ?? []) {
      const w = word.trim().toLowerCase();
      if (w.length >= 4 && lower.includes(w)) {
        throw new VigilError(
          'ERR_PASSWORD_CONTEXT',
          'The password must not contain your name or email address.',
        );
      }
    }
  }
}

/** NFKC, as 800-63B §3.1.1.2 recommends, so the same password typed on two keyboards matches. */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

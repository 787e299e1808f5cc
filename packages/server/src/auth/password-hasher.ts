import { hash, verify } from '@node-rs/argon2';
import { normalisePassword } from '@vigil/core';

/**
 * argon2id password hashing. Defaults are OWASP's Password Storage Cheat
 * Sheet first option (m = 19 MiB, t = 2, p = 1); settings may be raised,
 * never lowered below it.
 */
export interface Argon2Parameters {
  /** Memory in KiB. */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

const ARGON2ID = 2;

export const OWASP_MINIMUM: Argon2Parameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hashed: string, password: string): Promise<boolean>;
  /** Spends the time a verification would, for an account that does not exist (no user enumeration by timing). */
  verifyDummy(password: string): Promise<void>;
}

export function createArgon2Hasher(parameters: Argon2Parameters = OWASP_MINIMUM): PasswordHasher {
  if (
    parameters.memoryCost < OWASP_MINIMUM.memoryCost ||
    parameters.timeCost < OWASP_MINIMUM.timeCost ||
    parameters.parallelism < 1
  ) {
    throw new RangeError('argon2id parameters below the OWASP minimum (m=19456 KiB, t=2, p=1).');
  }
  // `Algorithm.Argon2id` is an ambient const enum (value 2), unusable under verbatimModuleSyntax.
  const options = { algorithm: ARGON2ID, ...parameters };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => hash(normalisePassword(password), options),
    verify: async (hashed, password) => {
      try {
        return await verify(hashed, normalisePassword(password));
      } catch {
        return false;
      }
    },
    verifyDummy: async (password) => {
      dummy ??= hash('vigil-dummy-password-for-timing', options);
      await verify(await dummy, normalisePassword(password)).catch(() => false);
    },
  };
}

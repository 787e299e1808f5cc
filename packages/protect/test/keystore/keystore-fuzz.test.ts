import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { VigilError } from '@vigil/core/errors';
import { generateKeyPair, openKeystore, sealKeystore } from '@vigil/protect';

const PASSPHRASE = 'a passphrase for the fuzzer to miss';

/** Opens `text`; the only acceptable failures are coded VigilErrors of the keystore. */
async function opensOrRefusesWithACode(text: string, passphrase = PASSPHRASE): Promise<void> {
  try {
    await openKeystore(text, passphrase);
  } catch (error) {
    assert.ok(error instanceof VigilError, `not a VigilError: ${String(error)}`);
    assert.match(error.code, /^ERR_KEYSTORE_/);
  }
}

describe('openKeystore on hostile input', () => {
  let text: string;

  before(async () => {
    const member = await generateKeyPair();
    text = await sealKeystore(PASSPHRASE, {
      memberKey: member.privateJwk,
      organisationId: 'care-1',
      createdAt: '2026-11-29T10:00:00.000Z',
    });
  });

  it('throws nothing but a coded VigilError for arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), (text) =>
        opensOrRefusesWithACode(text),
      ),
      { numRuns: 500 },
    );
  });

  it('throws nothing but a coded VigilError for arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json({ maxDepth: 4 }), (json) => opensOrRefusesWithACode(json)),
      { numRuns: 300 },
    );
  });

  it('throws nothing but a coded VigilError when one header field is replaced', async () => {
    const fields = ['format', 'version', 'kdf', 'enc', 'iv', 'ciphertext'] as const;
    const kdfFields = ['name', 'hash', 'iterations', 'salt'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ field: fc.constantFrom(...fields), kdf: fc.constant(undefined) }),
          fc.record({ field: fc.constant('kdf' as const), kdf: fc.constantFrom(...kdfFields) }),
        ),
        fc.jsonValue({ maxDepth: 2 }),
        async ({ field, kdf }, value) => {
          const sealed = JSON.parse(text) as Record<string, unknown>;
          if (kdf === undefined) sealed[field] = value;
          else (sealed['kdf'] as Record<string, unknown>)[kdf] = value;
          await opensOrRefusesWithACode(JSON.stringify(sealed));
        },
      ),
      // A surviving header costs a 600,000-iteration PBKDF2: keep the run short.
      { numRuns: 40 },
    );
  });

  it('throws nothing but a coded VigilError for any passphrase', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), (passphrase) =>
        opensOrRefusesWithACode(text, passphrase),
      ),
      { numRuns: 8 },
    );
  });
});

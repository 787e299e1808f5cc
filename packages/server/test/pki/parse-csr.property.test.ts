import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { isVigilError } from '@vigil/core';
import { parseCsr } from '../../src/pki/index.js';
import { type OpensslCsr, type WorkDir, opensslCsr, workDir } from './pki-kit.js';

/**
 * parseCsr sits on the unauthenticated EST endpoint: whatever arrives, it must
 * answer with one of its own codes — never another exception, never a hang.
 */

const EST_CODES = new Set([
  'ERR_EST_CSR_INVALID',
  'ERR_EST_CSR_SIGNATURE',
  'ERR_EST_KEY_UNSUPPORTED',
]);
const RUNS = 200;
/** Generous for one parse; a real one takes well under a millisecond. */
const PER_CALL_MS = 2_000;

async function onlyEstErrors(input: string | Uint8Array): Promise<void> {
  const started = performance.now();
  try {
    await parseCsr(input);
  } catch (error) {
    assert.ok(isVigilError(error), `not a VigilError: ${String(error)}`);
    assert.ok(EST_CODES.has(error.code), `unexpected code ${error.code}`);
  }
  assert.ok(performance.now() - started < PER_CALL_MS, 'parseCsr took too long');
}

function flipBits(der: Uint8Array, flips: readonly { at: number; bit: number }[]): Uint8Array {
  const copy = Uint8Array.from(der);
  for (const { at, bit } of flips) copy[at % copy.length]! ^= 1 << bit;
  return copy;
}

describe('when parseCsr is fed arbitrary or damaged input', { timeout: 120_000 }, () => {
  let dir: WorkDir;
  let ec: OpensslCsr;
  let rsa: OpensslCsr;
  before(async () => {
    dir = await workDir();
    ec = opensslCsr(dir, { key: 'P-256' });
    rsa = opensslCsr(dir, { key: 'rsa:2048' });
  });
  after(() => dir.remove());

  it('answers arbitrary strings with an ERR_EST_* code only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 3000 }), onlyEstErrors),
      { numRuns: RUNS },
    );
  });

  it('answers arbitrary bytes, and bytes shaped like a DER SEQUENCE, with an ERR_EST_* code only', async () => {
    const sequence = fc
      .uint8Array({ maxLength: 2000 })
      .map((body) => Uint8Array.from([0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 4000 }), sequence), onlyEstErrors),
      { numRuns: RUNS },
    );
  });

  it('answers arbitrary base64 and PEM with an ERR_EST_* code only', async () => {
    const base64 = fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b).toString('base64'));
    const pem = base64.map(
      (b) => `-----BEGIN CERTIFICATE REQUEST-----\n${b}\n-----END CERTIFICATE REQUEST-----\n`,
    );
    await fc.assert(fc.asyncProperty(fc.oneof(base64, pem), onlyEstErrors), { numRuns: RUNS });
  });

  it('answers truncated real CSRs with an ERR_EST_* code only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(ec, rsa), fc.nat(), async (csr, cut) => {
        const truncated = csr.der.subarray(0, cut % csr.der.length);
        await onlyEstErrors(truncated);
        await onlyEstErrors(Buffer.from(truncated).toString('base64'));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers bit-flipped real CSRs with an ERR_EST_* code, or parses them', async () => {
    const flips = fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), {
      minLength: 1,
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(ec, rsa), flips, async (csr, changes) => {
        const flipped = flipBits(csr.der, changes);
        await onlyEstErrors(flipped);
        await onlyEstErrors(Buffer.from(flipped).toString('base64'));
      }),
      { numRuns: RUNS },
    );
  });
});

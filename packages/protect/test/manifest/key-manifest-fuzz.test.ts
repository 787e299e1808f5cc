// Property-based tests: whatever a server sends as a manifest, verifyManifest
// refuses it with an ERR_MANIFEST_ code and never crashes or accepts a forgery.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { VigilError } from '@vigil/core';
import { signManifest } from '../../src/manifest/sign-manifest.js';
import { verifyManifest } from '../../src/manifest/verify-manifest.js';
import { NOW, b64json, world, type World } from './fixtures.js';

const RUNS = 300;

let w: World;
let jws: string;

before(async () => {
  w = await world();
  jws = await signManifest(w.payload, w.admin.privateJwk);
});

async function expectManifestRefusal(input: unknown): Promise<void> {
  try {
    await verifyManifest(input, w.pins, NOW);
  } catch (error) {
    assert.ok(error instanceof VigilError, `not a VigilError: ${String(error)}`);
    assert.match(error.code, /^ERR_MANIFEST_/);
    return;
  }
  assert.fail('a forged manifest was accepted');
}

describe('when the manifest is any string', () => {
  it('refuses it with an ERR_MANIFEST_ code', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), expectManifestRefusal), {
      numRuns: RUNS,
    });
  });

  it('refuses any three base64url segments with an ERR_MANIFEST_ code', async () => {
    const segment = fc.oneof(
      fc.base64String().map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
      fc.jsonValue().map(b64json),
    );
    await fc.assert(
      fc.asyncProperty(segment, segment, segment, (h, p, s) =>
        expectManifestRefusal(`${h}.${p}.${s}`),
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses any header or payload JSON with the real signature with an ERR_MANIFEST_ code', async () => {
    const [header, payload, signature] = jws.split('.');
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.boolean(), (value, inHeader) =>
        expectManifestRefusal(
          inHeader
            ? `${b64json(value)}.${payload}.${signature}`
            : `${header}.${b64json(value)}.${signature}`,
        ),
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses every single-character change of a valid manifest', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: jws.length - 1 }),
        fc.constantFrom(...'ABCabc012-_.='),
        async (index, char) => {
          fc.pre(jws[index] !== char);
          await expectManifestRefusal(jws.slice(0, index) + char + jws.slice(index + 1));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

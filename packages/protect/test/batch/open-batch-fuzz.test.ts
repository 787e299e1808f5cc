import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { openBatch, protectBatch, structureOfBatch } from '@vigil/protect';
import { VigilError } from '@vigil/core/errors';
import { batchInput, encodeSegment, makeWorld, readerOptions, type World } from './fixtures.js';

async function expectCoded(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof VigilError, `not a VigilError: ${String(error)}`);
    assert.match(error.code, /^ERR_(BATCH|PROTECT)_/);
    return;
  }
  assert.fail('an arbitrary input was accepted');
}

describe('openBatch on arbitrary input', () => {
  let world: World;
  let segments: string[];
  before(async () => {
    world = await makeWorld();
    segments = (await protectBatch(batchInput(world))).split('.');
  });

  it('refuses random strings with coded errors only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400 }), async (text) => {
        await expectCoded(() => openBatch(text, readerOptions(world)));
        await expectCoded(async () => structureOfBatch(text));
      }),
    );
  });

  it('refuses random values and random JSON headers with coded errors only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.jsonValue(), async (value, header) => {
        await expectCoded(() => openBatch(value, readerOptions(world)));
        const forged = [encodeSegment(header), ...segments.slice(1)].join('.');
        await expectCoded(() => openBatch(forged, readerOptions(world)));
      }),
    );
  });

  it('refuses random edits of one segment with coded errors only', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.base64String().map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
        async (index, replacement) => {
          const edited = [...segments];
          edited[index] = replacement;
          fc.pre(edited[index] !== segments[index]);
          await expectCoded(() => openBatch(edited.join('.'), readerOptions(world)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

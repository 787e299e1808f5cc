import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachEngine } from '@vigil/testkit';
import { MINUTE, NOW, digest, person } from './fixtures.js';

/**
 * Single use under concurrency. Each race runs on two stores opened on the
 * same database — two connections, as two server processes or two pooled
 * requests would have — so the database, not JavaScript's event loop,
 * decides the winner.
 */
const ROUNDS = 10;

forEachEngine('the store: single use under concurrency', (engine) => {
  describe('when two requests consume the same one-time token at once', () => {
    it('lets exactly one of them have it', async () => {
      const target = await engine.createTarget();
      const [a, b] = [await target.open(), await target.open()];
      const ann = await person(a, 'ann@maker.example');
      for (let round = 0; round < ROUNDS; round++) {
        const tokenHash = digest(`ott-${round}`);
        await a.createOneTimeToken({
          userId: ann.id,
          purpose: 'reset',
          tokenHash,
          createdAt: NOW,
          expiresAt: NOW + MINUTE,
        });
        const results = await Promise.all([
          a.consumeOneTimeToken(tokenHash, NOW),
          b.consumeOneTimeToken(tokenHash, NOW),
        ]);
        assert.equal(results.filter((r) => r !== undefined).length, 1, `round ${round}`);
      }
    });
  });

  describe('when two requests consume the same setup token at once', () => {
    it('lets exactly one of them have it', async () => {
      const target = await engine.createTarget();
      const [a, b] = [await target.open(), await target.open()];
      for (let round = 0; round < ROUNDS; round++) {
        const tokenHash = digest(`setup-${round}`);
        await a.putSetupToken({ tokenHash, createdAt: NOW, expiresAt: NOW + MINUTE });
        const results = await Promise.all([
          a.consumeSetupToken(tokenHash, NOW),
          b.consumeSetupToken(tokenHash, NOW),
        ]);
        assert.equal(results.filter((r) => r !== undefined).length, 1, `round ${round}`);
      }
    });
  });

  describe('when a TOTP step is presented', () => {
    it('is accepted once, and never an older step after a newer one', async () => {
      const store = await engine.open();
      const ann = await person(store, 'ann@maker.example');
      assert.equal(await store.advanceTotpStep(ann.id, 1000), true);
      assert.equal(await store.advanceTotpStep(ann.id, 1000), false, 'replayed');
      assert.equal(await store.advanceTotpStep(ann.id, 999), false, 'older');
      assert.equal(await store.advanceTotpStep(ann.id, 1001), true);
      assert.equal((await store.getUser(ann.id))?.totpLastStep, 1001);
      assert.equal(await store.advanceTotpStep('00000000-0000-4000-8000-000000000000', 5), false);
    });

    it('lets exactly one of two concurrent requests replaying one code through', async () => {
      const target = await engine.createTarget();
      const [a, b] = [await target.open(), await target.open()];
      const ann = await person(a, 'ann@maker.example');
      for (let step = 2000; step < 2000 + ROUNDS; step++) {
        const results = await Promise.all([
          a.advanceTotpStep(ann.id, step),
          b.advanceTotpStep(ann.id, step),
        ]);
        assert.equal(results.filter(Boolean).length, 1, `step ${step}`);
      }
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNLOCKED } from '@vigil/core';
import { forEachEngine } from '@vigil/testkit';
import { MINUTE, NOW } from './fixtures.js';

forEachEngine('the store: throttles and metadata', (engine) => {
  describe('when a throttle key was never written', () => {
    it('reads as unlocked', async () => {
      const store = await engine.open();
      assert.deepEqual(await store.getThrottle('account:nobody'), UNLOCKED);
    });
  });

  describe('when a throttle is put', () => {
    it('reads back what was put, per key, and the latest write wins', async () => {
      const store = await engine.open();
      const locked = { failures: 6, lockedUntil: NOW + 2 * MINUTE, lastFailureAt: NOW };
      await store.putThrottle('address:192.0.2.1', {
        failures: 1,
        lockedUntil: 0,
        lastFailureAt: NOW - MINUTE,
      });
      await store.putThrottle('address:192.0.2.1', locked);
      await store.putThrottle('account:u-1', { failures: 2, lockedUntil: 0, lastFailureAt: NOW });
      assert.deepEqual(await store.getThrottle('address:192.0.2.1'), locked);
      assert.deepEqual(await store.getThrottle('account:u-1'), {
        failures: 2,
        lockedUntil: 0,
        lastFailureAt: NOW,
      });
    });

    it('reads as unlocked again after a reset', async () => {
      const store = await engine.open();
      await store.putThrottle('account:u-1', {
        failures: 5,
        lockedUntil: NOW + MINUTE,
        lastFailureAt: NOW,
      });
      await store.putThrottle('account:u-1', UNLOCKED);
      assert.deepEqual(await store.getThrottle('account:u-1'), UNLOCKED);
    });
  });

  describe('when server metadata is put', () => {
    it('reads back the latest value per key, and nothing for an unknown key', async () => {
      const store = await engine.open();
      assert.equal(await store.getMeta('config'), undefined);
      await store.putMeta('config', '{"a":1}');
      await store.putMeta('config', '{"a":2}');
      await store.putMeta('other', 'x');
      assert.equal(await store.getMeta('config'), '{"a":2}');
      assert.equal(await store.getMeta('other'), 'x');
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withStopSignals } from '../../src/simulate/stop-signals.js';

describe('stopping a simulation', () => {
  describe('on SIGINT/SIGTERM from the process', () => {
    it('stops at the first signal, abandons delivery at the second, and removes its handlers', async () => {
      const before = process.listenerCount('SIGINT');
      let stopping = 0;
      const seen = await withStopSignals(
        undefined,
        () => (stopping += 1),
        async (stop, abandon) => {
          assert.equal(process.listenerCount('SIGINT'), before + 1);
          process.emit('SIGTERM');
          const afterFirst = [stop.aborted, abandon.aborted];
          process.emit('SIGINT');
          return [afterFirst, [stop.aborted, abandon.aborted]];
        },
      );
      assert.deepEqual(seen, [
        [true, false],
        [true, true],
      ]);
      assert.equal(stopping, 1);
      assert.equal(process.listenerCount('SIGINT'), before);
    });
  });

  describe('when the embedding passes its own signal', () => {
    it('stops when it aborts and installs no process handlers', async () => {
      const before = process.listenerCount('SIGINT');
      const external = new AbortController();
      const stopped = await withStopSignals(
        external.signal,
        () => undefined,
        async (stop) => {
          assert.equal(process.listenerCount('SIGINT'), before);
          assert.equal(stop.aborted, false);
          external.abort();
          return stop.aborted;
        },
      );
      assert.equal(stopped, true);
    });
  });
});

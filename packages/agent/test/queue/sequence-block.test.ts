import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SequenceBlock } from '../../src/queue/sequence-block.js';

describe('SequenceBlock', () => {
  describe('when opened over the counter on disk', () => {
    it('has nothing to hand out until a block is committed, and plans one block ahead', () => {
      const block = new SequenceBlock(7, 64);
      assert.equal(block.available, 0);
      assert.equal(block.lastHandedOut, 7);
      assert.deepEqual(block.plan(7, 1), { committed: 7, first: 8, end: 71 });
      assert.throws(() => block.take(), RangeError);
    });

    it('plans more than a block when more callers wait than a block holds', () => {
      assert.deepEqual(new SequenceBlock(0, 4).plan(0, 10), { committed: 0, first: 1, end: 10 });
    });
  });

  describe('when a block is committed', () => {
    it('hands out its numbers in order and plans nothing while enough are left', () => {
      const block = new SequenceBlock(0, 3);
      block.extended({ committed: 0, first: 1, end: 3 });
      assert.equal(block.plan(3, 3), undefined);
      assert.deepEqual([block.take(), block.take()], [1, 2]);
      assert.equal(block.available, 1);
      assert.equal(block.lastHandedOut, 2);
      assert.deepEqual(block.plan(3, 2), { committed: 3, first: 3, end: 6 });
    });

    it('gives up the rest of its block when another writer moved the counter, so numbers still rise', () => {
      const block = new SequenceBlock(0, 4);
      block.extended({ committed: 0, first: 1, end: 4 });
      block.take();
      assert.deepEqual(block.plan(9, 5), { committed: 9, first: 10, end: 14 });
    });
  });

  describe('when closed cleanly', () => {
    it('rewinds the counter to the last number handed out, or not at all', () => {
      const block = new SequenceBlock(0, 64);
      assert.equal(block.rewindTo(), undefined);
      block.extended({ committed: 0, first: 1, end: 64 });
      block.take();
      block.take();
      assert.equal(block.rewindTo(), 2);
      const full = new SequenceBlock(0, 1);
      full.extended({ committed: 0, first: 1, end: 1 });
      full.take();
      assert.equal(full.rewindTo(), undefined);
    });
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '@vigil/core';
import { Outbox, Uploader, uploadRetryDelay, type OutboxEntry, type SendBatch } from '@vigil/agent';
import { tempDir } from '../fakes/temp-dir.js';
import { FakeTimer, settle } from './fake-timer.js';

async function filledOutbox(
  t: { after(fn: () => Promise<void>): void },
  payloads: string[],
): Promise<Outbox> {
  const outbox = new Outbox({ file: join(await tempDir(t), 'outbox.sqlite'), cap: { rows: 100 } });
  t.after(async () => outbox.close());
  for (const payload of payloads) outbox.enqueue(payload, { createdAt: 0 });
  return outbox;
}

/** A send that answers from a script of outcomes, recording each call. */
function scriptedSend(script: ('stored' | 'duplicate' | 'fail')[]): {
  send: SendBatch;
  calls: number[];
} {
  const calls: number[] = [];
  const send: SendBatch = async (batch: OutboxEntry) => {
    calls.push(batch.sequence);
    const next = script.shift() ?? 'stored';
    if (next === 'fail') throw new Error('ECONNREFUSED');
    return next;
  };
  return { send, calls };
}

describe('Uploader', () => {
  describe('when the server stores every batch', () => {
    it('sends oldest first, acknowledges each and empties the outbox', async (t) => {
      const outbox = await filledOutbox(t, ['a', 'b', 'c']);
      const { send, calls } = scriptedSend(['stored', 'duplicate', 'stored']);
      const result = await new Uploader({ outbox, send, batchLimit: 2 }).drainOnce();
      assert.deepEqual(calls, [1, 2, 3]);
      assert.deepEqual(result, { delivered: 3, duplicates: 1, status: 'drained' });
      assert.equal(outbox.count(), 0);
    });

    it("counts 'duplicate' as delivered", async (t) => {
      const outbox = await filledOutbox(t, ['a']);
      const { send } = scriptedSend(['duplicate']);
      const result = await new Uploader({ outbox, send }).drainOnce();
      assert.equal(result.delivered, 1);
      assert.equal(outbox.count(), 0);
    });

    it('acknowledges a batch only after send has resolved', async (t) => {
      const outbox = await filledOutbox(t, ['a']);
      let resolve: (outcome: 'stored') => void = () => undefined;
      const send: SendBatch = () => new Promise((r) => (resolve = r));
      const pass = new Uploader({ outbox, send }).drainOnce();
      await settle();
      assert.equal(outbox.count(), 1);
      resolve('stored');
      await pass;
      assert.equal(outbox.count(), 0);
    });
  });

  describe('when a send fails', () => {
    it('keeps the batch, stops the pass and reports the back-off', async (t) => {
      const outbox = await filledOutbox(t, ['a', 'b']);
      const { send, calls } = scriptedSend(['fail']);
      const clock = new ManualClock(1_000_000);
      const result = await new Uploader({ outbox, send, clock, random: () => 0 }).drainOnce();
      assert.deepEqual(calls, [1]);
      assert.deepEqual(result, {
        delivered: 0,
        duplicates: 0,
        status: 'failed',
        retryInMs: 500,
        retryAt: 1_000_500,
      });
      assert.equal(outbox.count(), 2);
    });

    it('retries the same batch with doubling waits, never skipping it, then goes on', async (t) => {
      const outbox = await filledOutbox(t, ['a', 'b']);
      const { send, calls } = scriptedSend(['fail', 'fail', 'fail', 'stored', 'stored']);
      const clock = new ManualClock();
      const timer = new FakeTimer(clock);
      const uploader = new Uploader({ outbox, send, clock, timer, random: () => 0.5 });
      uploader.start();
      for (let i = 0; i < 4; i += 1) await timer.fireNext();
      // 0: the first pass; then 1 s, 2 s, 4 s ceilings with equal jitter at 0.5; then idle polling.
      assert.deepEqual(timer.delays, [0, 750, 1_500, 3_000, 5_000]);
      assert.deepEqual(calls, [1, 1, 1, 1, 2]);
      assert.equal(outbox.count(), 0);
      assert.equal(uploader.failures, 0);
      await uploader.stop();
    });

    it('stops scheduling after stop()', async (t) => {
      const outbox = await filledOutbox(t, ['a']);
      const { send, calls } = scriptedSend(['fail']);
      const clock = new ManualClock();
      const timer = new FakeTimer(clock);
      const uploader = new Uploader({ outbox, send, clock, timer, random: () => 0 });
      uploader.start();
      await timer.fireNext();
      await uploader.stop();
      await assert.rejects(() => timer.fireNext(), /no timer pending/);
      assert.deepEqual(calls, [1]);
    });
  });

  describe('when the server refuses a batch for good', () => {
    const conflict = Object.assign(new Error('conflict'), { code: 'ERR_BATCH_CONFLICT' });

    it('holds it, reports it, and goes on with the next batch without back-off', async (t) => {
      const outbox = await filledOutbox(t, ['a', 'b', 'c']);
      const calls: number[] = [];
      const send: SendBatch = async (batch) => {
        calls.push(batch.sequence);
        if (batch.sequence === 2) throw conflict;
        return 'stored';
      };
      const held: [number, unknown][] = [];
      const uploader = new Uploader({
        outbox,
        send,
        clock: new ManualClock(42),
        isPermanent: (e) => e === conflict,
        onHeld: (entry, error) => held.push([entry.sequence, error]),
      });
      const result = await uploader.drainOnce();
      assert.deepEqual(result, { delivered: 2, duplicates: 0, held: 1, status: 'drained' });
      assert.deepEqual(calls, [1, 2, 3]);
      assert.deepEqual(held, [[2, conflict]]);
      assert.equal(uploader.failures, 0);
      assert.deepEqual(
        outbox.held().map((e) => [e.sequence, e.reason, e.heldAt]),
        [[2, 'ERR_BATCH_CONFLICT', 42]],
      );
      assert.deepEqual(await uploader.drainOnce(), {
        delivered: 0,
        duplicates: 0,
        status: 'drained',
      });
    });

    it('treats a failure as transient when isPermanent says so, or throws', async (t) => {
      const outbox = await filledOutbox(t, ['a']);
      const { send } = scriptedSend(['fail']);
      const result = await new Uploader({
        outbox,
        send,
        isPermanent: () => {
          throw new Error('a broken predicate');
        },
      }).drainOnce();
      assert.equal(result.status, 'failed');
      assert.deepEqual(outbox.held(), []);
    });

    it('refuses isPermanent with an outbox that cannot hold', () => {
      const outbox = { peek: () => [], acknowledge: () => false };
      assert.throws(
        () => new Uploader({ outbox, send: async () => 'stored', isPermanent: () => true }),
        (e) => (e as { code?: string }).code === 'ERR_AGENT_INVALID_OPTIONS',
      );
    });
  });

  describe('back-off', () => {
    it('doubles from 1 s and never waits longer than 5 min', () => {
      const ceilings = [1, 2, 3, 9, 10, 50].map((failures) => uploadRetryDelay(failures, 1));
      assert.deepEqual(ceilings, [1_000, 2_000, 4_000, 256_000, 300_000, 300_000]);
    });

    it('jitters into the upper half of the ceiling', () => {
      assert.equal(uploadRetryDelay(4, 0), 4_000);
      assert.equal(uploadRetryDelay(4, 0.999_999), 8_000);
      assert.equal(uploadRetryDelay(20, 0), 150_000);
    });
  });
});

import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Outbox, isAgentError, type EnqueueMeta, type OutboxOptions } from '@vigil/agent';
import { tempDir } from '../fakes/temp-dir.js';

type TestContext = { after(fn: () => Promise<void>): void };

const meta: EnqueueMeta = { pseudonym: 'p-1', createdAt: 1_767_225_600_000 };

async function outboxFile(t: TestContext): Promise<string> {
  return join(await tempDir(t), 'outbox.sqlite');
}

function open(file: string, options: Partial<OutboxOptions> = {}): Outbox {
  return new Outbox({ file, cap: { rows: 1_000 }, ...options });
}

/** `count` concurrent `enqueueWith` calls, started in the same turn; each builds `payloadOf(i)`. */
function concurrently(
  outbox: Outbox,
  count: number,
  payloadOf: (i: number, sequence: number) => string = (i) => `batch-${i}`,
): Promise<{ sequence: number }>[] {
  return Array.from({ length: count }, (_, i) =>
    outbox.enqueueWith(meta, async (sequence) => payloadOf(i, sequence)),
  );
}

/** Runs SQL on the outbox file through a second connection (a trigger that fails a write, …). */
function onFile(file: string, sql: string): void {
  const db = new Database(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

const storageFailed = (e: unknown) => isAgentError(e) && e.code === 'ERR_AGENT_STORAGE_FAILED';

describe('Outbox group commit', () => {
  describe('when many batches are enqueued concurrently', () => {
    it('resolves every call with a distinct, strictly increasing sequence, in call order', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(async () => outbox.close());
      const results = await Promise.all(concurrently(outbox, 40));
      const sequences = results.map((r) => r.sequence);
      assert.deepEqual(
        sequences,
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        outbox.peek(100).map((e) => [e.sequence, e.payload]),
        sequences.map((s, i) => [s, `batch-${i}`]),
      );
      assert.equal(outbox.count(), 40);
      assert.equal(
        outbox.bytes(),
        results.reduce((sum, _, i) => sum + `batch-${i}`.length, 0),
      );
    });

    it('builds each batch under the number it is stored under', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(async () => outbox.close());
      await Promise.all(concurrently(outbox, 10, (_, sequence) => `built-for-${sequence}`));
      for (const entry of outbox.peek(100))
        assert.equal(entry.payload, `built-for-${entry.sequence}`);
    });

    it('resolves only once the batch is committed: another connection sees it at that moment', async (t) => {
      const file = await outboxFile(t);
      const outbox = open(file);
      t.after(async () => outbox.close());
      const reader = new Database(file, { readonly: true });
      t.after(async () => reader.close());
      const visible = await Promise.all(
        concurrently(outbox, 8).map(async (call) => {
          const { sequence } = await call;
          return reader
            .prepare('SELECT COUNT(*) AS n FROM outbox WHERE sequence = ?')
            .get(sequence);
        }),
      );
      assert.deepEqual(
        visible,
        Array.from({ length: 8 }, () => ({ n: 1 })),
      );
    });

    it('holds later batches back from peek while an earlier one is still being built', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(async () => outbox.close());
      let finish: (payload: string) => void = () => undefined;
      const slow = outbox.enqueueWith(
        meta,
        () => new Promise<string>((resolve) => (finish = resolve)),
      );
      const quick = await Promise.all(concurrently(outbox, 3));
      assert.deepEqual(
        quick.map((r) => r.sequence),
        [2, 3, 4],
      );
      assert.deepEqual(outbox.peek(10), [], 'nothing may overtake sequence 1');
      finish('slow');
      assert.deepEqual(await slow, { sequence: 1 });
      assert.deepEqual(
        outbox.peek(10).map((e) => e.sequence),
        [1, 2, 3, 4],
      );
    });

    it('refuses alone a batch that no longer fits, and stores the rest of its group', async (t) => {
      const outbox = open(await outboxFile(t), { cap: { bytes: 10 } });
      t.after(async () => outbox.close());
      const calls = concurrently(outbox, 3, (i) => ['1234', '123456789', '123456'][i] ?? '');
      const outcomes = await Promise.allSettled(calls);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.ok(
        outcomes[1]?.status === 'rejected' &&
          isAgentError(outcomes[1].reason) &&
          outcomes[1].reason.code === 'ERR_AGENT_QUEUE_FULL',
      );
      assert.deepEqual(
        outbox.peek(10).map((e) => [e.sequence, e.payload]),
        [
          [1, '1234'],
          [3, '123456'],
        ],
      );
      assert.equal(outbox.bytes(), 10);
    });
  });

  describe('when the commit of a group fails', () => {
    it('rejects every call of the group with ERR_AGENT_STORAGE_FAILED and stores none of them', async (t) => {
      const file = await outboxFile(t);
      const outbox = open(file);
      t.after(async () => outbox.close());
      await outbox.enqueueWith(meta, async () => 'before');
      // A write error in the middle of the group's transaction (as a full disk would cause).
      onFile(
        file,
        `CREATE TRIGGER fail_poison BEFORE INSERT ON outbox WHEN NEW.payload = 'poison'
         BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END;`,
      );
      const calls = concurrently(outbox, 6, (i) => (i === 3 ? 'poison' : `batch-${i}`));
      const outcomes = await Promise.allSettled(calls);
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.ok(storageFailed(outcome.status === 'rejected' ? outcome.reason : undefined));
      }
      assert.deepEqual(
        outbox.peek(10).map((e) => e.payload),
        ['before'],
        'nothing of the failed group is stored',
      );
      assert.equal(outbox.count(), 1);
      assert.equal(outbox.bytes(), 'before'.length);
      onFile(file, 'DROP TRIGGER fail_poison;');
      // Their numbers are gaps, and no longer hold anything back.
      const after = await outbox.enqueueWith(meta, async () => 'after');
      assert.equal(after.sequence, 8);
      assert.deepEqual(
        outbox.peek(10).map((e) => [e.sequence, e.payload]),
        [
          [1, 'before'],
          [8, 'after'],
        ],
      );
    });

    it('rejects every caller waiting for a block of numbers when that commit fails, building nothing', async (t) => {
      const file = await outboxFile(t);
      const outbox = open(file, { sequenceBlock: 4 });
      t.after(async () => outbox.close());
      onFile(
        file,
        `CREATE TRIGGER fail_reserve BEFORE UPDATE OF last_sequence ON outbox_state
         BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END;`,
      );
      let built = 0;
      const calls = Array.from({ length: 5 }, () =>
        outbox.enqueueWith(meta, async () => {
          built += 1;
          return 'x';
        }),
      );
      const outcomes = await Promise.allSettled(calls);
      assert.ok(outcomes.every((o) => o.status === 'rejected' && storageFailed(o.reason)));
      assert.equal(built, 0);
      assert.equal(outbox.lastSequence(), 0, 'no number was handed out');
      onFile(file, 'DROP TRIGGER fail_reserve;');
      assert.deepEqual(await outbox.enqueueWith(meta, async () => 'x'), { sequence: 1 });
    });
  });

  describe('when sequences are reserved in blocks', () => {
    it('commits a block ahead, so most reservations need no commit of their own', async (t) => {
      const file = await outboxFile(t);
      const outbox = open(file, { sequenceBlock: 16 });
      t.after(async () => outbox.close());
      const reader = new Database(file, { readonly: true });
      t.after(async () => reader.close());
      const onDisk = () =>
        (
          reader.prepare('SELECT last_sequence FROM outbox_state').get() as {
            last_sequence: number;
          }
        ).last_sequence;
      assert.equal(outbox.reserveSequence(), 1);
      assert.equal(onDisk(), 16, 'the block is on disk before its first number is handed out');
      for (let i = 2; i <= 16; i += 1) assert.equal(outbox.reserveSequence(), i);
      assert.equal(onDisk(), 16);
      assert.equal(outbox.reserveSequence(), 17);
      assert.equal(onDisk(), 32);
      assert.equal(outbox.lastSequence(), 17);
    });

    it('never reuses a number after a crash: the next process starts above the whole block', async (t) => {
      const dir = await tempDir(t);
      const file = join(dir, 'outbox.sqlite');
      const outbox = open(file, { sequenceBlock: 64 });
      t.after(async () => outbox.close());
      const stored = await Promise.all(concurrently(outbox, 5));
      const building = outbox.reserveSequence(); // the process dies while this batch is built
      // What kill -9 or a power cut leaves on disk: the file and its WAL as they are now.
      const crashed = join(dir, 'crashed.sqlite');
      copyFileSync(file, crashed);
      if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${crashed}-wal`);
      const restarted = open(crashed, { sequenceBlock: 64 });
      t.after(async () => restarted.close());
      assert.deepEqual(
        restarted.peek(10).map((e) => e.sequence),
        stored.map((s) => s.sequence),
      );
      assert.ok(restarted.lastSequence() >= building);
      const next = await restarted.enqueueWith(meta, async () => 'after the crash');
      assert.equal(next.sequence, 65, 'the unused rest of the block (6 to 64) is a gap');
      assert.equal(restarted.reserveSequence(), 66);
    });

    it('gives the unused rest of the block back at a clean close, so sequences go on without a gap', async (t) => {
      const file = await outboxFile(t);
      const first = open(file, { sequenceBlock: 64 });
      await Promise.all(concurrently(first, 3));
      const abandoned = first.reserveSequence();
      first.close();
      const second = open(file, { sequenceBlock: 64 });
      t.after(async () => second.close());
      assert.equal(second.lastSequence(), abandoned, 'a number handed out is never given back');
      assert.equal((await second.enqueueWith(meta, async () => 'next')).sequence, abandoned + 1);
    });

    it('commits every reservation on its own with sequenceBlock 1', async (t) => {
      const file = await outboxFile(t);
      const outbox = open(file, { sequenceBlock: 1 });
      t.after(async () => outbox.close());
      const reader = new Database(file, { readonly: true });
      t.after(async () => reader.close());
      assert.equal(outbox.reserveSequence(), 1);
      assert.deepEqual(reader.prepare('SELECT last_sequence FROM outbox_state').get(), {
        last_sequence: 1,
      });
    });

    it('refuses a sequenceBlock that is not a whole number from 1 to 1 000 000', async (t) => {
      const file = await outboxFile(t);
      for (const sequenceBlock of [0, 1.5, -3, 1_000_001]) {
        assert.throws(
          () => open(file, { sequenceBlock }),
          (e) => isAgentError(e) && e.code === 'ERR_AGENT_INVALID_OPTIONS',
        );
      }
    });
  });

  describe('when the outbox is closed with work waiting', () => {
    it('stores the batches already built, and refuses the calls still waiting for a number', async (t) => {
      const file = await outboxFile(t);
      const outbox = open(file, { sequenceBlock: 2 });
      const waiting = concurrently(outbox, 3); // the block is empty: they wait for its commit
      await new Promise((resolve) => setImmediate(resolve)); // the block is committed
      const built = await Promise.race([Promise.all(waiting), Promise.resolve('pending')]);
      assert.equal(built, 'pending', 'the built batches wait for the next insert commit');
      const late = outbox.enqueueWith(meta, async () => 'late');
      outbox.close();
      const outcomes = await Promise.allSettled([...waiting, late]);
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? o.value.sequence : 'rejected')),
        [1, 2, 3, 'rejected'],
      );
      assert.ok(outcomes[3]?.status === 'rejected' && storageFailed(outcomes[3].reason));
      await assert.rejects(
        outbox.enqueueWith(meta, async () => 'after'),
        storageFailed,
      );
      const again = open(file);
      t.after(async () => again.close());
      assert.deepEqual(
        again.peek(10).map((e) => e.sequence),
        [1, 2, 3],
      );
    });
  });
});

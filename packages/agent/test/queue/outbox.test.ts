import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Outbox, isAgentError, type OutboxAlarm, type OutboxOptions } from '@vigil/agent';
import { tempDir } from '../fakes/temp-dir.js';

async function outboxFile(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  return join(await tempDir(t), 'outbox.sqlite');
}

function open(file: string, options: Partial<OutboxOptions> = {}): Outbox {
  return new Outbox({ file, cap: { rows: 1_000 }, ...options });
}

const meta = { pseudonym: 'p-1', createdAt: 1_767_225_600_000 };

describe('Outbox', () => {
  describe('when batches are enqueued', () => {
    it('assigns strictly increasing sequences that survive reopening', async (t) => {
      const file = await outboxFile(t);
      const first = open(file);
      const before = [1, 2, 3].map((i) => first.enqueue(`batch-${i}`, meta).sequence);
      first.close();
      const second = open(file);
      const after = [4, 5].map((i) => second.enqueue(`batch-${i}`, meta).sequence);
      assert.deepEqual([...before, ...after], [1, 2, 3, 4, 5]);
      assert.deepEqual(
        second.peek(10).map((e) => e.payload),
        ['batch-1', 'batch-2', 'batch-3', 'batch-4', 'batch-5'],
      );
      second.close();
    });

    it('returns batches oldest first with their metadata, without removing them', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(() => outbox.close());
      outbox.enqueue('a', meta);
      outbox.enqueue('b', { createdAt: 5 });
      assert.deepEqual(outbox.peek(1), [{ sequence: 1, payload: 'a', ...meta }]);
      assert.deepEqual(outbox.peek(5)[1], { sequence: 2, payload: 'b', createdAt: 5 });
      assert.equal(outbox.count(), 2);
      assert.equal(outbox.bytes(), 2);
    });

    it('keeps the file private (mode 0600)', async (t) => {
      const file = await outboxFile(t);
      const outbox = open(file);
      t.after(() => outbox.close());
      outbox.enqueue('x', meta);
      assert.equal(statSync(file).mode & 0o777, 0o600);
    });

    it('counts bytes as UTF-8', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(() => outbox.close());
      outbox.enqueue('é€', meta);
      assert.equal(outbox.bytes(), 5);
    });
  });

  describe('when batches are acknowledged', () => {
    it('removes them and never reuses their sequences, even after emptying and reopening', async (t) => {
      const file = await outboxFile(t);
      const first = open(file);
      for (let i = 0; i < 3; i += 1) first.enqueue(`b${i}`, meta);
      assert.equal(first.acknowledge(2), true);
      assert.deepEqual(
        first.peek(10).map((e) => e.sequence),
        [1, 3],
      );
      assert.equal(first.acknowledge(2), false);
      first.acknowledge(1);
      first.acknowledge(3);
      assert.equal(first.count(), 0);
      assert.equal(first.bytes(), 0);
      first.close();
      const second = open(file);
      t.after(() => second.close());
      assert.deepEqual(second.peek(10), []);
      assert.equal(second.enqueue('next', meta).sequence, 4);
    });
  });

  describe('when the queue nears its cap', () => {
    it('raises the warning once at 80 % and keeps accepting', async (t) => {
      const alarms: OutboxAlarm[] = [];
      const outbox = open(await outboxFile(t), {
        cap: { rows: 10 },
        onAlarm: (a) => alarms.push(a),
      });
      t.after(() => outbox.close());
      for (let i = 0; i < 9; i += 1) outbox.enqueue(`b${i}`, meta);
      assert.deepEqual(alarms, [{ level: 'warning', count: 8, bytes: 16, cap: { rows: 10 } }]);
      assert.equal(outbox.count(), 9);
    });

    it('raises the warning again after falling below 80 % and crossing again', async (t) => {
      const alarms: string[] = [];
      const outbox = open(await outboxFile(t), {
        cap: { rows: 10 },
        onAlarm: (a) => alarms.push(a.level),
      });
      t.after(() => outbox.close());
      for (let i = 0; i < 8; i += 1) outbox.enqueue(`b${i}`, meta);
      outbox.acknowledge(1);
      outbox.enqueue('again', meta);
      assert.deepEqual(alarms, ['warning', 'warning']);
    });
  });

  describe('when the queue is full', () => {
    it('refuses with ERR_AGENT_QUEUE_FULL, raises critical once and keeps every earlier row', async (t) => {
      const alarms: string[] = [];
      const outbox = open(await outboxFile(t), {
        cap: { rows: 5 },
        onAlarm: (a) => alarms.push(a.level),
      });
      t.after(() => outbox.close());
      for (let i = 1; i <= 5; i += 1) outbox.enqueue(`b${i}`, meta);
      for (let attempt = 0; attempt < 2; attempt += 1) {
        assert.throws(
          () => outbox.enqueue('one too many', meta),
          (e) => isAgentError(e) && e.code === 'ERR_AGENT_QUEUE_FULL',
        );
      }
      assert.deepEqual(alarms, ['warning', 'critical']);
      assert.deepEqual(
        outbox.peek(10).map((e) => e.payload),
        ['b1', 'b2', 'b3', 'b4', 'b5'],
      );
      // A refused batch consumes no sequence number.
      outbox.acknowledge(1);
      assert.equal(outbox.enqueue('fits again', meta).sequence, 6);
    });

    it('refuses a batch that would exceed the byte cap', async (t) => {
      const outbox = open(await outboxFile(t), { cap: { bytes: 10 } });
      t.after(() => outbox.close());
      outbox.enqueue('123456', meta);
      assert.throws(
        () => outbox.enqueue('12345', meta),
        (e) => isAgentError(e) && e.code === 'ERR_AGENT_QUEUE_FULL',
      );
      assert.equal(outbox.enqueue('1234', meta).sequence, 2);
      assert.equal(outbox.bytes(), 10);
    });
  });

  describe('when the options are wrong', () => {
    it('refuses a cap without limits with ERR_AGENT_INVALID_OPTIONS', async (t) => {
      const file = await outboxFile(t);
      for (const cap of [{}, { rows: 0 }, { bytes: 1.5 }]) {
        assert.throws(
          () => new Outbox({ file, cap }),
          (e) => isAgentError(e) && e.code === 'ERR_AGENT_INVALID_OPTIONS',
        );
      }
    });

    it('reports an unopenable file with ERR_AGENT_STORAGE_FAILED', async (t) => {
      const dir = await tempDir(t);
      assert.throws(
        () => new Outbox({ file: join(dir, 'missing', 'outbox.sqlite'), cap: { rows: 1 } }),
        (e) => isAgentError(e) && e.code === 'ERR_AGENT_STORAGE_FAILED',
      );
    });
  });
});

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
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

  describe('when a sequence is reserved before the batch is built', () => {
    it('stores the batch under the reserved number, above every earlier one', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(() => outbox.close());
      outbox.enqueue('a', meta);
      const reserved = outbox.reserveSequence();
      assert.equal(reserved, 2);
      assert.equal(outbox.lastSequence(), 2);
      assert.equal(outbox.count(), 1, 'a reservation is not a batch yet');
      assert.deepEqual(outbox.enqueueReserved(reserved, 'b', meta), { sequence: 2 });
      assert.deepEqual(
        outbox.peek(5).map((e) => [e.sequence, e.payload]),
        [
          [1, 'a'],
          [2, 'b'],
        ],
      );
    });

    it('commits the number at once: after a crash before the batch, it is a gap, never reused', async (t) => {
      const file = await outboxFile(t);
      const first = open(file);
      first.enqueue('a', meta);
      const lost = first.reserveSequence();
      first.close(); // the process dies while encrypting
      const second = open(file);
      t.after(() => second.close());
      assert.equal(second.enqueue('b', meta).sequence, lost + 1);
      assert.throws(
        () => second.enqueueReserved(lost, 'late', meta),
        (e) => isAgentError(e) && e.code === 'ERR_AGENT_INVALID_OPTIONS',
      );
      assert.deepEqual(
        second.peek(5).map((e) => e.sequence),
        [1, 3],
      );
    });

    it('refuses a number that was not reserved, or already used', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(() => outbox.close());
      outbox.enqueue('a', meta);
      const reserved = outbox.reserveSequence();
      outbox.enqueueReserved(reserved, 'b', meta);
      for (const sequence of [1, reserved, reserved + 1]) {
        assert.throws(
          () => outbox.enqueueReserved(sequence, 'again', meta),
          (e) => isAgentError(e) && e.code === 'ERR_AGENT_INVALID_OPTIONS',
        );
      }
      assert.equal(outbox.count(), 2);
    });

    it('holds later batches back from peek until the reservation is filled or cancelled', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(() => outbox.close());
      outbox.enqueue('a', meta);
      const reserved = outbox.reserveSequence();
      outbox.enqueue('c', meta);
      assert.deepEqual(
        outbox.peek(5).map((e) => e.sequence),
        [1],
        'sequence 3 must not overtake 2',
      );
      outbox.enqueueReserved(reserved, 'b', meta);
      assert.deepEqual(
        outbox.peek(5).map((e) => e.sequence),
        [1, 2, 3],
      );
      const abandoned = outbox.reserveSequence();
      outbox.enqueue('e', meta);
      assert.equal(outbox.cancelReservation(abandoned), true);
      assert.deepEqual(
        outbox.peek(5).map((e) => e.sequence),
        [1, 2, 3, 5],
      );
    });

    it('enqueueWith builds under the reserved number, and cancels it when building fails', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(() => outbox.close());
      const built = await outbox.enqueueWith(meta, async (sequence) => `batch-${sequence}`);
      assert.deepEqual(built, { sequence: 1 });
      await assert.rejects(
        outbox.enqueueWith(meta, async () => {
          throw new Error('signing failed');
        }),
        /signing failed/,
      );
      outbox.enqueue('c', meta);
      assert.deepEqual(
        outbox.peek(5).map((e) => [e.sequence, e.payload]),
        [
          [1, 'batch-1'],
          [3, 'c'],
        ],
      );
    });

    it('refuses to reserve when the queue and open reservations fill the cap, taking no number', async (t) => {
      const alarms: string[] = [];
      const outbox = open(await outboxFile(t), {
        cap: { rows: 3 },
        onAlarm: (a) => alarms.push(a.level),
      });
      t.after(() => outbox.close());
      outbox.enqueue('a', meta);
      const r2 = outbox.reserveSequence();
      const r3 = outbox.reserveSequence();
      assert.throws(
        () => outbox.reserveSequence(),
        (e) => isAgentError(e) && e.code === 'ERR_AGENT_QUEUE_FULL',
      );
      assert.equal(outbox.lastSequence(), 3);
      outbox.enqueueReserved(r2, 'b', meta);
      outbox.enqueueReserved(r3, 'c', meta);
      assert.deepEqual(alarms, ['critical']);
      assert.equal(outbox.count(), 3);
    });

    it('uses up a reservation whose batch no longer fits, keeping every earlier batch', async (t) => {
      const outbox = open(await outboxFile(t), { cap: { bytes: 10 } });
      t.after(() => outbox.close());
      const reserved = outbox.reserveSequence();
      outbox.enqueue('123456', meta);
      assert.throws(
        () => outbox.enqueueReserved(reserved, '12345', meta),
        (e) => isAgentError(e) && e.code === 'ERR_AGENT_QUEUE_FULL',
      );
      assert.throws(
        () => outbox.enqueueReserved(reserved, '1', meta),
        (e) => isAgentError(e) && e.code === 'ERR_AGENT_INVALID_OPTIONS',
      );
      assert.deepEqual(
        outbox.peek(5).map((e) => e.payload),
        ['123456'],
      );
      assert.equal(outbox.enqueue('1234', meta).sequence, 3);
    });
  });

  describe('when a batch is held', () => {
    it('keeps it and counts it, leaves it out of peek, and lists it until released or acknowledged', async (t) => {
      const outbox = open(await outboxFile(t));
      t.after(() => outbox.close());
      for (const payload of ['a', 'b', 'c']) outbox.enqueue(payload, meta);
      assert.equal(outbox.hold(2, 'ERR_BATCH_CONFLICT', 7), true);
      assert.equal(outbox.hold(2, 'again', 8), false);
      assert.deepEqual(
        outbox.peek(5).map((e) => e.sequence),
        [1, 3],
      );
      assert.deepEqual(outbox.held(), [
        { sequence: 2, payload: 'b', ...meta, reason: 'ERR_BATCH_CONFLICT', heldAt: 7 },
      ]);
      assert.equal(outbox.count(), 3);
      assert.equal(outbox.release(2), true);
      assert.deepEqual(
        outbox.peek(5).map((e) => e.sequence),
        [1, 2, 3],
      );
      outbox.hold(2, 'ERR_BATCH_CONFLICT', 9);
      assert.equal(outbox.acknowledge(2), true);
      assert.deepEqual(outbox.held(), []);
      assert.equal(outbox.count(), 2);
    });

    it('opens a version 1 file, keeping its batches and counter', async (t) => {
      const file = await outboxFile(t);
      const v1 = new Database(file);
      v1.exec(`
        CREATE TABLE outbox_state (id INTEGER PRIMARY KEY CHECK (id = 1), last_sequence INTEGER NOT NULL,
          row_count INTEGER NOT NULL, byte_count INTEGER NOT NULL) STRICT;
        INSERT INTO outbox_state VALUES (1, 7, 1, 3);
        CREATE TABLE outbox (sequence INTEGER PRIMARY KEY, payload TEXT NOT NULL, pseudonym TEXT,
          created_at INTEGER NOT NULL, size INTEGER NOT NULL) STRICT;
        INSERT INTO outbox VALUES (7, 'old', NULL, 5, 3);
        PRAGMA user_version = 1;
      `);
      v1.close();
      const outbox = open(file);
      t.after(() => outbox.close());
      assert.deepEqual(outbox.peek(5), [{ sequence: 7, payload: 'old', createdAt: 5 }]);
      assert.equal(outbox.hold(7, 'ERR_BATCH_MALFORMED', 1), true);
      assert.equal(outbox.enqueue('new', meta).sequence, 8);
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

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../../src/telemetry/group-commit.js';

/** A commit that records its groups and answers each item with itself doubled. */
function recorder(fail: (item: number) => boolean = () => false) {
  const groups: number[][] = [];
  let release: (() => void) | undefined;
  let hold = false;
  return {
    groups,
    holdNext() {
      hold = true;
    },
    release() {
      release?.();
    },
    commit: async (items: readonly number[]) => {
      groups.push([...items]);
      if (hold) {
        hold = false;
        await new Promise<void>((resolve) => (release = resolve));
      }
      if (items.some(fail)) throw new Error(`bad item in ${items.join(',')}`);
      return items.map((i) => i * 2);
    },
  };
}

describe('group commit', () => {
  it('commits a lone write on its own', async () => {
    const r = recorder();
    const writer = new GroupCommit(r.commit);
    assert.equal(await writer.submit(1), 2);
    assert.deepEqual(r.groups, [[1]]);
  });

  it('puts writes that arrive during a commit into the next one, together', async () => {
    const r = recorder();
    const writer = new GroupCommit(r.commit);
    r.holdNext();
    const first = writer.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [writer.submit(2), writer.submit(3), writer.submit(4)];
    r.release();
    assert.deepEqual(await Promise.all([first, ...rest]), [2, 4, 6, 8]);
    assert.deepEqual(r.groups, [[1], [2, 3, 4]]);
  });

  it('waits for pending writes to join, then commits them at once', async () => {
    const r = recorder();
    let pending = 2;
    const writer = new GroupCommit(r.commit, { pending: () => pending, maxWaitMs: 5_000 });
    const started = performance.now();
    const first = writer.submit(1);
    setTimeout(() => {
      pending = 1;
      void writer.submit(2);
    }, 5);
    setTimeout(() => {
      pending = 0;
      void writer.submit(3);
    }, 10);
    assert.equal(await first, 2);
    assert.deepEqual(r.groups, [[1, 2, 3]]);
    assert.ok(performance.now() - started < 1_000, 'no waiting once nothing is pending');
  });

  it('stops waiting after maxWaitMs when a pending write never comes', async () => {
    const r = recorder();
    const writer = new GroupCommit(r.commit, { pending: () => 1, maxWaitMs: 20 });
    const started = performance.now();
    assert.equal(await writer.submit(7), 14);
    assert.ok(performance.now() - started >= 15);
    assert.deepEqual(r.groups, [[7]]);
  });

  it('fails only the bad write of a group, retrying the others on their own', async () => {
    const r = recorder((item) => item === 3);
    const writer = new GroupCommit(r.commit);
    r.holdNext();
    const first = writer.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const settled = Promise.allSettled([writer.submit(2), writer.submit(3), writer.submit(4)]);
    r.release();
    await first;
    const results = await settled;
    assert.deepEqual(
      results.map((x) => x.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(r.groups, [[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('never puts more than maxItems in one commit', async () => {
    const r = recorder();
    const writer = new GroupCommit(r.commit, { maxItems: 2 });
    r.holdNext();
    const all = [writer.submit(1)];
    await new Promise((resolve) => setImmediate(resolve));
    all.push(writer.submit(2), writer.submit(3), writer.submit(4), writer.submit(5));
    r.release();
    await Promise.all(all);
    assert.deepEqual(r.groups, [[1], [2, 3], [4, 5]]);
  });
});

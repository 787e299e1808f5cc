import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitGroup, type Settled } from '../../src/queue/commit-group.js';

/** A commit that records each group it was given and doubles every job. */
function recorder(fail?: (jobs: readonly number[]) => boolean) {
  const groups: number[][] = [];
  const group = new CommitGroup<number, number>((jobs): Settled<number>[] => {
    groups.push([...jobs]);
    if (fail?.(jobs) === true) throw new Error('commit failed');
    return jobs.map((job) =>
      job < 0 ? { ok: false, error: new Error(`refused ${job}`) } : { ok: true, value: job * 2 },
    );
  });
  return { group, groups };
}

describe('CommitGroup', () => {
  it('commits the jobs submitted in one turn together, and later ones in the next commit', async () => {
    const { group, groups } = recorder();
    const first = [1, 2, 3].map((job) => group.submit(job));
    assert.equal(group.size, 3);
    assert.deepEqual(await Promise.all(first), [2, 4, 6]);
    assert.deepEqual(await group.submit(4), 8);
    assert.deepEqual(groups, [[1, 2, 3], [4]]);
  });

  it('settles no promise before its commit has returned', async () => {
    let committed = false;
    const group = new CommitGroup<number, boolean>((jobs) => {
      committed = true;
      return jobs.map(() => ({ ok: true, value: committed }));
    });
    assert.equal(await group.submit(1), true);
  });

  it('rejects every job of a group whose commit throws, and only that group', async () => {
    const { group } = recorder((jobs) => jobs.includes(13));
    const failed = await Promise.allSettled([1, 13, 2].map((job) => group.submit(job)));
    assert.ok(
      failed.every((o) => o.status === 'rejected' && /commit failed/.test(String(o.reason))),
    );
    assert.equal(await group.submit(5), 10);
  });

  it('rejects a job refused on its own without touching the others', async () => {
    const { group } = recorder();
    const outcomes = await Promise.allSettled([1, -1, 2].map((job) => group.submit(job)));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });

  describe('when jobs are still on their way', () => {
    it('waits for them, so that they share the commit', async () => {
      let onTheirWay = 2;
      const groups: number[][] = [];
      const group = new CommitGroup<number, number>(
        (jobs) => {
          groups.push([...jobs]);
          return jobs.map((job) => ({ ok: true, value: job }));
        },
        { pending: () => onTheirWay, maxWaitMs: 10_000 },
      );
      const first = group.submit(1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(groups, [], 'two more are on their way');
      onTheirWay = 0;
      const rest = [group.submit(2), group.submit(3)];
      assert.deepEqual(await Promise.all([first, ...rest]), [1, 2, 3]);
      assert.deepEqual(groups, [[1, 2, 3]]);
    });

    it('commits after maxWaitMs even if they never come', async () => {
      const group = new CommitGroup<number, number>(
        (jobs) => jobs.map((job) => ({ ok: true, value: job })),
        { pending: () => 1, maxWaitMs: 20 },
      );
      const started = performance.now();
      assert.equal(await group.submit(1), 1);
      assert.ok(performance.now() - started >= 15);
    });
  });

  it('commits at once on flush, and rejects what waits on abandon', async () => {
    const { group, groups } = recorder();
    const flushed = group.submit(1);
    group.flush();
    assert.deepEqual(groups, [[1]]);
    const abandoned = group.submit(2);
    group.abandon(new Error('closed'));
    assert.equal(await flushed, 2);
    await assert.rejects(abandoned, /closed/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(groups, [[1]], 'nothing is committed after abandon');
  });
});

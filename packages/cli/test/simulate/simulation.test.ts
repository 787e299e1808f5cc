import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import {
  patientsOf,
  runSimulation,
  type GatewayStats,
  type SimulatedGateway,
  type SimulationOptions,
  type SimulationProgress,
} from '../../src/simulate/simulation.js';
import type { TimedReading } from '../../src/simulate/vital-sign-stream.js';

const START = Date.UTC(2026, 5, 1, 8, 0, 0);

/** Time that moves only when every task is waiting: sleeps end in order, instantly. */
class VirtualTime {
  now = START;
  #timers: Array<{ at: number; wake: () => void }> = [];

  readonly clock = { now: () => this.now };

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = () => resolve();
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#timers.push({ at: this.now + ms, wake });
      signal.addEventListener('abort', onAbort, { once: true });
    });

  /** Runs `task` to its end, moving time to the next timer whenever all else waits. */
  async run<T>(task: Promise<T>, onTime?: (now: number) => void): Promise<T> {
    let done = false;
    const result = task.finally(() => {
      done = true;
    });
    while (!done) {
      for (let i = 0; i < 5; i += 1) await turn();
      if (done) break;
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers.shift();
      if (next === undefined) throw new Error('deadlock: nothing to wait for');
      this.now = Math.max(this.now, next.at);
      onTime?.(this.now);
      next.wake();
    }
    return result;
  }
}

class FakeGateway implements SimulatedGateway {
  readonly recorded: Array<{ patient: string; readings: readonly TimedReading[] }> = [];
  queued = 0;
  stored = 0;
  flushed = false;
  failNext = 0;

  constructor(readonly deviceId: string) {}

  async record(patient: string, readings: readonly TimedReading[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('queue full');
    }
    this.recorded.push({ patient, readings });
    this.queued += 1;
  }

  async flush(): Promise<void> {
    this.flushed = true;
    this.stored += this.queued;
    this.queued = 0;
  }

  stats(): GatewayStats {
    return { batchesStored: this.stored, duplicates: 0, errors: 0, held: 0, queued: this.queued };
  }
}

function options(time: VirtualTime, gateways: SimulatedGateway[]): SimulationOptions {
  return {
    gateways,
    patientsPerDevice: 2,
    seed: 1,
    ratePerSecond: 4,
    durationSeconds: 10,
    clock: time.clock,
    sleep: time.sleep,
  };
}

describe('a simulation run', () => {
  describe('with 3 gateways × 2 patients at 4 readings a second for 10 s', () => {
    it('records every scheduled reading, each patient at one gateway, and delivers at the end', async () => {
      const time = new VirtualTime();
      const gateways = ['a', 'b', 'c'].map((id) => new FakeGateway(id));
      const progress: SimulationProgress[] = [];
      const summary = await time.run(
        runSimulation({
          ...options(time, gateways),
          progressEveryMs: 5_000,
          onProgress: (p) => progress.push(p),
        }),
      );
      // 0, 250, …, 10 000 ms: 41 readings per gateway.
      assert.equal(summary.readingsRecorded, 3 * 41);
      assert.equal(summary.elapsedSeconds, 10);
      assert.equal(summary.readingsPerSecond, 12.3);
      assert.equal(summary.devices, 3);
      assert.equal(summary.patients, 6);
      assert.equal(summary.interrupted, false);
      assert.equal(summary.queued, 0);
      assert.ok(gateways.every((g) => g.flushed));
      assert.deepEqual(
        gateways.map((g) => [...new Set(g.recorded.map((r) => r.patient))].sort()),
        [
          ['MRN-SIM-000001', 'MRN-SIM-000002'],
          ['MRN-SIM-000003', 'MRN-SIM-000004'],
          ['MRN-SIM-000005', 'MRN-SIM-000006'],
        ],
      );
      assert.deepEqual(
        progress.map((p) => p.elapsedSeconds),
        [5, 10],
      );
      const counts = progress.map((p) => p.readingsRecorded);
      // Taken at 5 s: readings up to 4 s or 5 s, depending on which timer fires first.
      assert.ok(
        counts[0] !== undefined && counts[0] >= 3 * 17 && counts[0] <= 3 * 21,
        `${counts[0]}`,
      );
    });

    it('is deterministic: the same seed gives the same readings', async () => {
      const readings = async () => {
        const time = new VirtualTime();
        const gateways = [new FakeGateway('a')];
        await time.run(runSimulation(options(time, gateways)));
        return JSON.stringify(gateways[0]?.recorded);
      };
      assert.equal(await readings(), await readings());
    });
  });

  describe('when a gateway refuses a recording', () => {
    it('counts the error, reports it and goes on', async () => {
      const time = new VirtualTime();
      const gateway = new FakeGateway('a');
      gateway.failNext = 2;
      const errors: unknown[] = [];
      const summary = await time.run(
        runSimulation({ ...options(time, [gateway]), onError: (_id, e) => errors.push(e) }),
      );
      assert.equal(summary.errors, 2);
      assert.equal(errors.length, 2);
      assert.ok(summary.readingsRecorded > 0 && summary.readingsRecorded < 41);
    });
  });

  describe('when stopped by a signal', () => {
    it('stops taking readings, still delivers, and says it was interrupted', async () => {
      const time = new VirtualTime();
      const gateway = new FakeGateway('a');
      const stop = new AbortController();
      const summary = await time.run(
        runSimulation({ ...options(time, [gateway]), stop: stop.signal }),
        (now) => {
          if (now >= START + 3_000) stop.abort();
        },
      );
      assert.equal(summary.interrupted, true);
      assert.equal(summary.readingsRecorded, 13); // 0 … 3 000 ms
      assert.ok(gateway.flushed);
    });
  });

  it('gives each gateway its own consecutive patients', () => {
    assert.deepEqual(
      patientsOf(1, 2, 3).map((p) => p.identifier),
      ['MRN-SIM-000007', 'MRN-SIM-000008', 'MRN-SIM-000009'],
    );
  });
});

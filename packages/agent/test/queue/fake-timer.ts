import type { ManualClock } from '@vigil/core';
import type { UploadTimer } from '@vigil/agent';

interface Pending {
  readonly at: number;
  readonly callback: () => void;
}

/** A timer driven by a ManualClock: nothing fires until the test advances it. */
export class FakeTimer implements UploadTimer {
  readonly #clock: ManualClock;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  /** Every delay asked for, in order. */
  readonly delays: number[] = [];

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.#next++;
    this.delays.push(delayMs);
    this.#pending.set(id, { at: this.#clock.now() + delayMs, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** Runs the earliest pending callback after moving the clock to its time, then lets promises settle. */
  async fireNext(): Promise<void> {
    const [id, pending] = [...this.#pending].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
    if (id === undefined || pending === undefined) throw new Error('no timer pending');
    this.#pending.delete(id);
    const wait = pending.at - this.#clock.now();
    if (wait > 0) this.#clock.advance(wait);
    pending.callback();
    await settle();
  }
}

/** Lets every queued promise callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

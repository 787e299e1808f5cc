import { systemClock, type Clock } from '@vigil/core';
import { AgentError } from '../errors.js';
import type { OutboxEntry } from './outbox.js';
import { uploadRetryDelay, UPLOAD_RETRY, type UploadRetryOptions } from './upload-backoff.js';

/**
 * Delivers one batch. Resolves `'stored'` when the server stored it and
 * `'duplicate'` when it already had (device, sequence) — both mean delivered.
 * Throws on anything else (network, 5xx, refusal); the batch is then retried.
 */
export type SendBatch = (batch: OutboxEntry) => Promise<'stored' | 'duplicate'>;

/** The part of `Outbox` the uploader uses. */
export interface OutboxReader {
  peek(limit: number): OutboxEntry[];
  acknowledge(sequence: number): boolean;
  /** Sets a batch aside for good (see `Outbox.hold`); needed only with `isPermanent`. */
  hold?(sequence: number, reason: string, at: number): boolean;
}

/** setTimeout/clearTimeout, injectable so tests move time by hand. */
export interface UploadTimer {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface UploaderOptions {
  readonly outbox: OutboxReader;
  readonly send: SendBatch;
  /** Default the system clock; only used for `retryAt`. */
  readonly clock?: Clock;
  /** Default the global setTimeout/clearTimeout (unref'd, so it never keeps the process up). */
  readonly timer?: UploadTimer;
  /** [0, 1) for back-off jitter; default `Math.random`. */
  readonly random?: () => number;
  /** Default 1 s doubling up to 5 min. */
  readonly retry?: UploadRetryOptions;
  /** How often `start()` looks for new batches when the queue is empty, ms. Default 5 000. */
  readonly idleIntervalMs?: number;
  /** Batches read from the outbox at a time. Default 50. */
  readonly batchLimit?: number;
  /**
   * Told about each failure (for the local log): a send that threw, with its
   * batch, or the outbox itself failing, without one. Exceptions it throws are ignored.
   */
  readonly onError?: (error: unknown, entry: OutboxEntry | undefined, failures: number) => void;
  /**
   * Whether a send failure is final for that batch: the server refused its
   * bytes, so sending them again cannot help (a conflicting sequence, a
   * malformed or mis-bound batch). Such a batch is held — kept in the outbox,
   * no longer sent (`outbox.hold`) — and reported to `onHeld`, and the pass
   * goes on with the next batch without back-off. Default: no failure is
   * final, so a refused batch blocks the ones behind it and is retried with back-off.
   */
  readonly isPermanent?: (error: unknown) => boolean;
  /** Told about each batch held after a final refusal. Exceptions it throws are ignored. */
  readonly onHeld?: (entry: OutboxEntry, error: unknown) => void;
}

/** What one pass over the outbox did. */
export interface DrainResult {
  /** Batches acknowledged in this pass (stored or duplicate). */
  readonly delivered: number;
  /** Of those, the ones the server already had. */
  readonly duplicates: number;
  /** Batches set aside after a final refusal (see `isPermanent`); absent when none. */
  readonly held?: number;
  /** `drained`: the outbox is empty; `failed`: a send threw and the rest waits. */
  readonly status: 'drained' | 'failed';
  /** After a failure: wait this long before the next attempt, ms. */
  readonly retryInMs?: number;
  /** After a failure: `clock.now() + retryInMs`. */
  readonly retryAt?: number;
}

const systemTimer: UploadTimer = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Drains the outbox to the server in sequence order. At-least-once: a batch
 * is acknowledged (deleted) only after `send` resolved, so a crash between
 * send and acknowledge sends it again, and the server's idempotency on
 * (device, sequence) answers `'duplicate'` — exactly-once storage.
 *
 * A failed send is retried with exponential back-off and jitter; the batches
 * behind it wait, so none is ever skipped and the server sees them in order.
 *
 * @example
 * const uploader = new Uploader({
 *   outbox,
 *   send: async (batch) => postTelemetry(agent, batch), // later: the real ingest route
 * });
 * uploader.start();
 * // on shutdown:
 * await uploader.stop();
 */
export class Uploader {
  readonly #outbox: OutboxReader;
  readonly #send: SendBatch;
  readonly #clock: Clock;
  readonly #timer: UploadTimer;
  readonly #random: () => number;
  readonly #retry: UploadRetryOptions;
  readonly #idleIntervalMs: number;
  readonly #batchLimit: number;
  readonly #onError: NonNullable<UploaderOptions['onError']>;
  readonly #isPermanent: NonNullable<UploaderOptions['isPermanent']>;
  readonly #onHeld: NonNullable<UploaderOptions['onHeld']>;
  #failures = 0;
  #running = false;
  #handle: unknown = undefined;
  #inFlight: Promise<DrainResult> | undefined;

  constructor(options: UploaderOptions) {
    this.#outbox = options.outbox;
    this.#send = options.send;
    this.#clock = options.clock ?? systemClock;
    this.#timer = options.timer ?? systemTimer;
    this.#random = options.random ?? Math.random;
    this.#retry = options.retry ?? UPLOAD_RETRY;
    this.#idleIntervalMs = options.idleIntervalMs ?? 5_000;
    this.#batchLimit = options.batchLimit ?? 50;
    this.#onError = options.onError ?? (() => undefined);
    this.#isPermanent = options.isPermanent ?? (() => false);
    this.#onHeld = options.onHeld ?? (() => undefined);
    if (options.isPermanent !== undefined && options.outbox.hold === undefined) {
      throw new AgentError(
        'ERR_AGENT_INVALID_OPTIONS',
        'isPermanent needs an outbox that can hold batches.',
      );
    }
  }

  /** Consecutive failed sends since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /**
   * One pass: send batches oldest first until the outbox is empty or a send
   * fails. Does not wait for a back-off; `start()` does. Concurrent calls share
   * one pass, so a batch is never in flight twice from this uploader.
   */
  drainOnce(): Promise<DrainResult> {
    this.#inFlight ??= this.#drain().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Drains now and then keeps draining: after `idleIntervalMs` when empty, after the back-off on failure. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Drains now instead of at the next scheduled pass (e.g. right after an enqueue), unless backing off. */
  wake(): void {
    if (!this.#running || this.#failures > 0) return;
    this.#schedule(0);
  }

  /** Stops scheduling; resolves when a pass in progress has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#handle !== undefined) this.#timer.clearTimeout(this.#handle);
    this.#handle = undefined;
    await this.#inFlight?.catch(() => undefined);
  }

  #schedule(delayMs: number): void {
    if (this.#handle !== undefined) this.#timer.clearTimeout(this.#handle);
    this.#handle = this.#timer.setTimeout(() => {
      this.#handle = undefined;
      void this.#tick();
    }, delayMs);
  }

  async #tick(): Promise<void> {
    let next = this.#idleIntervalMs;
    try {
      const result = await this.drainOnce();
      if (result.retryInMs !== undefined) next = result.retryInMs;
    } catch (error) {
      // The outbox itself failed (disk): keep trying at the back-off pace.
      this.#failures += 1;
      next = uploadRetryDelay(this.#failures, this.#random(), this.#retry);
      this.#onErrorSafe(error, undefined);
    }
    if (this.#running) this.#schedule(next);
  }

  async #drain(): Promise<DrainResult> {
    let delivered = 0;
    let duplicates = 0;
    let held = 0;
    const counts = () => ({ delivered, duplicates, ...(held === 0 ? {} : { held }) });
    for (;;) {
      const entries = this.#outbox.peek(this.#batchLimit);
      if (entries.length === 0) return { ...counts(), status: 'drained' };
      for (const entry of entries) {
        let outcome: 'stored' | 'duplicate';
        try {
          outcome = await this.#send(entry);
          if (outcome !== 'stored' && outcome !== 'duplicate') {
            throw new AgentError('ERR_AGENT_PROTOCOL', `send answered ${String(outcome)}.`);
          }
        } catch (error) {
          // Kept, not deleted: an operator decides (release or acknowledge it). A batch
          // that could not be set aside is retried like any failure, never sent in a loop.
          if (
            this.#permanentSafe(error) &&
            this.#outbox.hold?.(entry.sequence, reasonOf(error), this.#clock.now()) === true
          ) {
            held += 1;
            this.#onHeldSafe(entry, error);
            continue;
          }
          this.#failures += 1;
          this.#onErrorSafe(error, entry);
          const retryInMs = uploadRetryDelay(this.#failures, this.#random(), this.#retry);
          return {
            ...counts(),
            status: 'failed',
            retryInMs,
            retryAt: this.#clock.now() + retryInMs,
          };
        }
        this.#failures = 0;
        this.#outbox.acknowledge(entry.sequence);
        delivered += 1;
        if (outcome === 'duplicate') duplicates += 1;
      }
    }
  }

  #permanentSafe(error: unknown): boolean {
    try {
      return this.#isPermanent(error);
    } catch {
      return false;
    }
  }

  #onHeldSafe(entry: OutboxEntry, error: unknown): void {
    try {
      this.#onHeld(entry, error);
    } catch {
      // A reporting hook must not stop delivery.
    }
  }

  #onErrorSafe(error: unknown, entry: OutboxEntry | undefined): void {
    try {
      this.#onError(error, entry, this.#failures);
    } catch {
      // A logging hook must not stop delivery.
    }
  }
}

/** The code of a coded error (`ERR_BATCH_CONFLICT` …), else `refused`. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : 'refused';
}

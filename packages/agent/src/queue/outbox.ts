import type Database from 'better-sqlite3';
import { AgentError } from '../errors.js';
import { CommitGroup, type Settled } from './commit-group.js';
import {
  openDatabase,
  prepareStatements,
  storage,
  storageFailed,
  type EntryRow,
  type OutboxStatements,
  type StateRow,
} from './outbox-database.js';
import {
  alarmLevel,
  type OutboxAlarm,
  type OutboxAlarmLevel,
  type OutboxCap,
} from './outbox-cap.js';
import { exceeds, insertBatches, type BatchToStore, type InsertOutcome } from './outbox-insert.js';
import { SequenceBlock, type BlockExtension } from './sequence-block.js';

/** How many sequence numbers one commit reserves ahead by default. */
const DEFAULT_SEQUENCE_BLOCK = 64;
const MAX_SEQUENCE_BLOCK = 1_000_000;
/**
 * The longest an insert commit waits for batches still being built, ms. With
 * 8 records in flight for small batches this took commits from ~2.7 batches
 * each to ~7 (docs/benchmarks.md); a lone caller never waits.
 */
const GROUP_WAIT_MS = 2;

export interface OutboxOptions {
  /** The SQLite file (created mode 0600). Put it in the agent's own 0700 directory. One `Outbox` per file. */
  readonly file: string;
  /** The most the queue may hold; at least one of `rows` or `bytes`. */
  readonly cap: OutboxCap;
  /**
   * Called (synchronously, inside `enqueue`) once each time the queue crosses
   * into a higher level: `warning` at ≥ 80 % of the cap, `critical` when full.
   * Raise the local alarm and record the audit event here. Must not throw.
   */
  readonly onAlarm?: (alarm: OutboxAlarm) => void;
  /**
   * How many sequence numbers one durable commit reserves ahead (default 64,
   * 1–1 000 000). Reservations are then handed out from memory without a
   * commit of their own. A crash leaves at most this many minus one unused
   * numbers as a gap (never a reuse); a clean `close` gives them back. 1
   * commits every reservation on its own.
   */
  readonly sequenceBlock?: number;
}

/** What the caller knows about a batch when it hands it over. */
export interface EnqueueMeta {
  /** The device pseudonym the batch was protected under, when there is one. */
  readonly pseudonym?: string;
  /** When the batch was made, epoch ms (agent clock). */
  readonly createdAt: number;
}

/** A queued batch, as `peek` returns it and the uploader sends it. */
export interface OutboxEntry {
  /** Strictly increasing per device, never reused: the server's idempotency key with the device. */
  readonly sequence: number;
  /** The already-protected batch, unchanged. */
  readonly payload: string;
  readonly pseudonym?: string;
  readonly createdAt: number;
}

/** A batch set aside by `hold` (the server refused it for good): kept, counted, not sent. */
export interface HeldEntry extends OutboxEntry {
  /** Why it is held, usually the server's code (`ERR_BATCH_CONFLICT` …). */
  readonly reason: string;
  /** When it was set aside, epoch ms (agent clock). */
  readonly heldAt: number;
}

/**
 * The durable store-and-forward queue: readings wait here, across restarts,
 * crashes and outages, until the server has them. An `enqueue` that returned
 * (or an `enqueueWith` that resolved) is on disk (WAL, `synchronous = FULL`:
 * fsynced at commit), so it survives kill -9 and power loss.
 *
 * The queue never drops data: when full, `enqueue` throws
 * `ERR_AGENT_QUEUE_FULL` and the caller decides (keep the batch in memory and
 * retry, stop sampling, tell the user) — the queue keeps every earlier batch.
 *
 * A batch that must carry its own sequence number (a signed and encrypted
 * telemetry batch binds it, ADR 0009) is built between `reserveSequence` and
 * `enqueueReserved`, or with `enqueueWith`: the number is on disk (reserved in
 * a block, see `sequenceBlock`) before the batch is built, so a crash in
 * between leaves a gap, never a reuse.
 *
 * Concurrent `enqueueWith` calls share commits (group commit): the batches
 * built while one commit runs are stored together by the next, in one
 * transaction and one fsync, and each call resolves only after its batch's
 * transaction committed. A failed commit rejects every call of its group and
 * stores none of them.
 *
 * @example
 * const outbox = new Outbox({
 *   file: '/var/lib/gateway/vigil/outbox.sqlite',
 *   cap: { bytes: 256 * 1024 * 1024 },
 *   onAlarm: (alarm) => { showBanner(alarm); audit.record('telemetry.queue', alarm); },
 * });
 * const { sequence } = outbox.enqueue(protectedBatch, { pseudonym, createdAt: clock.now() });
 */
export class Outbox {
  readonly #db: Database.Database;
  readonly #sql: OutboxStatements;
  readonly #cap: OutboxCap;
  readonly #onAlarm: (alarm: OutboxAlarm) => void;
  /** The highest level reported since the queue last fell below it. Not persisted: a restart reports again. */
  #reported: OutboxAlarmLevel | 'none' = 'none';
  /**
   * Sequences handed out by this process and not yet stored or cancelled. In
   * memory on purpose: after a restart nobody can fill them (the batch was in
   * the crashed process), so they are gaps.
   */
  readonly #reserved = new Set<number>();
  /** Reserved sequences whose batch waits in the insert group: no longer open to fill or cancel. */
  readonly #storing = new Set<number>();
  readonly #block: SequenceBlock;
  /** Callers of `enqueueWith` waiting for the next block of numbers. */
  readonly #reservations: CommitGroup<null, number>;
  /** Built batches of `enqueueWith` waiting for the next insert commit. */
  readonly #inserts: CommitGroup<BatchToStore, { sequence: number }>;
  #closed = false;

  constructor(options: OutboxOptions) {
    this.#cap = checkCap(options.cap);
    const blockSize = checkSequenceBlock(options.sequenceBlock);
    this.#onAlarm = options.onAlarm ?? (() => undefined);
    this.#db = storage(() => openDatabase(options.file));
    try {
      this.#sql = prepareStatements(this.#db);
      this.#block = new SequenceBlock(this.#readState().last_sequence, blockSize);
    } catch (error) {
      this.#db.close();
      throw storageFailed(error);
    }
    this.#reservations = new CommitGroup((jobs) => this.#commitReservations(jobs.length));
    this.#inserts = new CommitGroup((jobs) => this.#commitInserts(jobs), {
      // Batches that have their number and are still being built: worth a short wait.
      pending: () => this.#reserved.size - this.#storing.size,
      maxWaitMs: GROUP_WAIT_MS,
    });
  }

  /**
   * Stores a batch and assigns its sequence number in the same transaction.
   * Throws `ERR_AGENT_QUEUE_FULL` when the batch does not fit under the cap
   * (nothing is stored or dropped, no number is taken), `ERR_AGENT_STORAGE_FAILED`
   * on I/O errors.
   */
  enqueue(payload: string, meta: EnqueueMeta): { sequence: number } {
    this.#checkOpen();
    checkMeta(meta);
    const size = Buffer.byteLength(payload, 'utf8');
    const { outcome, extension } = storage(() =>
      this.#db
        .transaction(() => {
          const state = this.#readState();
          // A refused batch takes no number, and does not move the counter.
          if (exceeds(state.row_count + 1, state.byte_count + size, this.#cap)) {
            const full: InsertOutcome = {
              full: true,
              rows: state.row_count,
              bytes: state.byte_count,
            };
            return { outcome: full, extension: undefined };
          }
          // When the block is used up, the next one commits with the batch.
          const extension = this.#extendIn(state, 1);
          const sequence = extension?.first ?? this.#block.next;
          const [stored] = insertBatches(this.#sql, state, this.#cap, [
            toStore(sequence, payload, meta, size),
          ]);
          return { outcome: stored as InsertOutcome, extension };
        })
        // IMMEDIATE: take the write lock before reading the counter.
        .immediate(),
    );
    if (!outcome.full) {
      // Memory follows only once the transaction committed.
      if (extension !== undefined) this.#block.extended(extension);
      this.#block.take();
    }
    return this.#settle(outcome);
  }

  /**
   * Takes the next sequence number for a batch that is still to be built. The
   * number is on disk before it is returned: it comes from a block whose end
   * was committed (fsynced), or this call commits the next block. So a number
   * handed out is never handed out again, even after a crash — at worst it
   * becomes a gap, which the server accepts (it needs sequences unique and
   * increasing per device, not contiguous). Fill it with `enqueueReserved` or
   * give it up with `cancelReservation`; until then, batches with higher
   * numbers are not returned by `peek`, so the server still receives them in
   * order.
   *
   * Throws `ERR_AGENT_QUEUE_FULL` (and takes no number) when the queue plus the
   * open reservations are already at the cap.
   *
   * @example
   * const sequence = outbox.reserveSequence();
   * const jwe = await protectBatch({ ...batch, sequence });
   * outbox.enqueueReserved(sequence, jwe, { pseudonym, createdAt });
   */
  reserveSequence(): number {
    this.#checkOpen();
    this.#checkRoom();
    this.#extend(1);
    return this.#handOut();
  }

  /**
   * Stores a batch under a sequence this outbox reserved. The reservation is
   * used up either way: if the batch does not fit (`ERR_AGENT_QUEUE_FULL`) or
   * storing fails, the number stays a gap. Refuses a number that is not an
   * open reservation of this process (`ERR_AGENT_INVALID_OPTIONS`): that would
   * reuse a sequence.
   */
  enqueueReserved(sequence: number, payload: string, meta: EnqueueMeta): { sequence: number } {
    this.#checkOpen();
    this.#checkReservation(sequence);
    try {
      checkMeta(meta);
      const batch = toStore(sequence, payload, meta);
      const [outcome] = storage(() =>
        this.#db
          .transaction(() => insertBatches(this.#sql, this.#readState(), this.#cap, [batch]))
          .immediate(),
      );
      return this.#settle(outcome as InsertOutcome);
    } finally {
      this.#reserved.delete(sequence);
    }
  }

  /** Gives up an open reservation: its number stays a gap. False when it was not open. */
  cancelReservation(sequence: number): boolean {
    if (this.#storing.has(sequence)) return false;
    return this.#reserved.delete(sequence);
  }

  /**
   * Reserves a sequence, awaits `build(sequence)` for the payload and stores
   * it under that sequence; when `build` throws, the reservation is cancelled
   * and the error passes through. Resolves once the batch is committed.
   *
   * Made for concurrent callers (one per patient on a gateway): their
   * reservations come from the block in memory (or share the commit of the
   * next block), and the batches built while one commit runs are stored by
   * the next in one transaction, so many batches share one fsync. If that
   * transaction fails, every call of the group rejects with
   * `ERR_AGENT_STORAGE_FAILED` and none of its batches is stored; their numbers
   * stay gaps. A batch that no longer fits under the cap is refused alone
   * (`ERR_AGENT_QUEUE_FULL`); the rest of its group is stored.
   *
   * @example
   * const { sequence } = await outbox.enqueueWith({ pseudonym, createdAt },
   *   (sequence) => protectBatch({ ...batch, sequence }));
   */
  async enqueueWith(
    meta: EnqueueMeta,
    build: (sequence: number) => Promise<string>,
  ): Promise<{ sequence: number }> {
    checkMeta(meta);
    const sequence = await this.#reserveSoon();
    let payload: string;
    try {
      payload = await build(sequence);
    } catch (error) {
      this.cancelReservation(sequence);
      throw error;
    }
    return this.#storeSoon(sequence, payload, meta);
  }

  /**
   * Up to `limit` batches to send, oldest (lowest sequence) first; nothing is
   * removed. Held batches are left out, and so is everything above the lowest
   * open reservation (it would overtake the batch being built).
   */
  peek(limit: number): OutboxEntry[] {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new AgentError('ERR_AGENT_INVALID_OPTIONS', 'peek limit must be a positive integer.');
    }
    const below = this.#reserved.size === 0 ? Number.MAX_SAFE_INTEGER : Math.min(...this.#reserved);
    return storage(() => this.#sql.peek.all(below, limit)).map(toEntry);
  }

  /**
   * Sets a batch aside for good — the server refused it and sending it again
   * cannot help — without deleting it: it still counts towards the cap, `peek`
   * skips it, `held()` lists it. Returns false when there is no such waiting batch.
   */
  hold(sequence: number, reason: string, at: number): boolean {
    if (reason.length === 0 || !Number.isSafeInteger(at)) {
      throw new AgentError('ERR_AGENT_INVALID_OPTIONS', 'hold needs a reason and a time.');
    }
    return storage(() => this.#sql.hold.run(reason, at, sequence).changes === 1);
  }

  /** The held batches, oldest first. Discard one with `acknowledge`, retry it with `release`. */
  held(): HeldEntry[] {
    return storage(() => this.#sql.held.all()).map((row) => ({
      ...toEntry(row),
      reason: row.held_reason,
      heldAt: row.held_at,
    }));
  }

  /** Puts a held batch back in line to be sent. False when it was not held. */
  release(sequence: number): boolean {
    return storage(() => this.#sql.release.run(sequence).changes === 1);
  }

  /** Deletes a delivered batch. Returns false when it was already gone (idempotent). */
  acknowledge(sequence: number): boolean {
    const deleted = storage(() =>
      this.#db
        .transaction(() => {
          const row = this.#sql.sizeOf.get(sequence);
          if (row === undefined) return false;
          this.#sql.delete.run(sequence);
          this.#sql.shrink.run(row.size);
          return true;
        })
        .immediate(),
    );
    if (deleted) {
      const state = this.#readState();
      const level = alarmLevel(state.row_count, state.byte_count, this.#cap);
      // Below a level again: the next crossing raises the alarm again.
      if (rank(level) < rank(this.#reported)) this.#reported = level;
    }
    return deleted;
  }

  /** Batches waiting. */
  count(): number {
    return this.#readState().row_count;
  }

  /** Payload bytes (UTF-8) waiting. */
  bytes(): number {
    return this.#readState().byte_count;
  }

  /**
   * The highest sequence ever assigned or reserved (0 before the first). After
   * a crash this includes the numbers the crashed process had reserved ahead
   * and never used.
   */
  lastSequence(): number {
    this.#checkOpen();
    return this.#block.lastHandedOut;
  }

  /**
   * Stores the batches already built and waiting for their commit, refuses
   * the calls still waiting for a number (`ERR_AGENT_STORAGE_FAILED`), gives
   * back the numbers reserved ahead and not used (so the next process goes on
   * without a gap), and closes the file.
   */
  close(): void {
    if (this.#closed) return;
    this.#inserts.flush();
    this.#closed = true;
    this.#reservations.abandon(closedError());
    const rewindTo = this.#block.rewindTo();
    if (rewindTo !== undefined) {
      try {
        // Guarded by the block's end: only this process's own unused numbers are given back.
        this.#sql.reserve.run(rewindTo, this.#block.end);
      } catch {
        // Not giving them back only leaves a gap, which the server accepts.
      }
    }
    this.#db.close();
  }

  /** Cap check for one more reservation: the open ones will each become a row of at least one byte. */
  #checkRoom(): void {
    const state = this.#readState();
    if (exceeds(state.row_count + this.#reserved.size + 1, state.byte_count + 1, this.#cap)) {
      this.#refuseFull(state.row_count, state.byte_count);
    }
  }

  /** Hands out the next number of the block, which must have one. */
  #handOut(): number {
    const sequence = this.#block.take();
    this.#reserved.add(sequence);
    return sequence;
  }

  /** Commits the next block now when fewer than `needed` numbers are left. */
  #extend(needed: number): void {
    if (this.#block.available >= needed) return;
    const extension = storage(() =>
      this.#db.transaction(() => this.#extendIn(this.#readState(), needed)).immediate(),
    );
    // Memory follows only once the counter is on disk.
    if (extension !== undefined) this.#block.extended(extension);
  }

  /** Inside a transaction: moves the counter on disk when the block cannot give `needed` numbers. */
  #extendIn(state: StateRow, needed: number): BlockExtension | undefined {
    const extension = this.#block.plan(state.last_sequence, needed);
    if (extension !== undefined) this.#sql.reserve.run(extension.end, extension.committed);
    return extension;
  }

  /** A number for `enqueueWith`: from the block at once, or with the group's next block commit. */
  #reserveSoon(): Promise<number> {
    this.#checkOpen();
    if (this.#block.available > 0) {
      this.#checkRoom();
      return Promise.resolve(this.#handOut());
    }
    return this.#reservations.submit(null);
  }

  /** One commit for every caller waiting for a number; each is then checked against the cap. */
  #commitReservations(count: number): Settled<number>[] {
    this.#checkOpen();
    this.#extend(count);
    return Array.from({ length: count }, () =>
      settled(() => {
        this.#checkRoom();
        return this.#handOut();
      }),
    );
  }

  /** Queues a built batch for the next insert commit. */
  #storeSoon(sequence: number, payload: string, meta: EnqueueMeta): Promise<{ sequence: number }> {
    this.#checkOpen();
    this.#checkReservation(sequence);
    this.#storing.add(sequence);
    return this.#inserts.submit(toStore(sequence, payload, meta));
  }

  /** One transaction for a group of built batches; a batch that does not fit is refused alone. */
  #commitInserts(batches: readonly BatchToStore[]): Settled<{ sequence: number }>[] {
    let outcomes: InsertOutcome[];
    try {
      outcomes = storage(() =>
        this.#db
          .transaction(() => insertBatches(this.#sql, this.#readState(), this.#cap, batches))
          .immediate(),
      );
    } finally {
      // Stored or not, the numbers are used up: a failed group leaves gaps.
      for (const { sequence } of batches) {
        this.#storing.delete(sequence);
        this.#reserved.delete(sequence);
      }
    }
    return outcomes.map((outcome) => settled(() => this.#settle(outcome)));
  }

  #checkReservation(sequence: number): void {
    if (!this.#reserved.has(sequence) || this.#storing.has(sequence)) {
      throw new AgentError(
        'ERR_AGENT_INVALID_OPTIONS',
        `Sequence ${sequence} is not an open reservation of this outbox.`,
      );
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError();
  }

  #readState(): StateRow {
    const state = storage(() => this.#sql.state.get());
    if (state === undefined) {
      throw new AgentError('ERR_AGENT_STORAGE_CORRUPT', 'The outbox has lost its counter row.');
    }
    return state;
  }

  /** Raises the alarms of an insert and returns its sequence, or refuses a full queue. */
  #settle(result: InsertOutcome): { sequence: number } {
    if (result.full) this.#refuseFull(result.rows, result.bytes);
    const level = alarmLevel(result.rows, result.bytes, this.#cap);
    if (level !== 'none') this.#raise(level, result.rows, result.bytes);
    return { sequence: result.sequence };
  }

  #refuseFull(rows: number, bytes: number): never {
    this.#raise('critical', rows, bytes);
    throw new AgentError(
      'ERR_AGENT_QUEUE_FULL',
      'The telemetry queue is full; the batch was not stored.',
      { details: { count: rows, bytes, cap: this.#cap } },
    );
  }

  #raise(level: OutboxAlarmLevel, count: number, bytes: number): void {
    if (rank(level) <= rank(this.#reported)) return;
    this.#reported = level;
    this.#onAlarm({ level, count, bytes, cap: this.#cap });
  }
}

function settled<R>(run: () => R): Settled<R> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

function closedError(): AgentError {
  return storageFailed(new Error('The outbox is closed.'));
}

function checkSequenceBlock(size: number | undefined): number {
  if (size === undefined) return DEFAULT_SEQUENCE_BLOCK;
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_SEQUENCE_BLOCK) {
    throw new AgentError(
      'ERR_AGENT_INVALID_OPTIONS',
      `sequenceBlock must be a whole number from 1 to ${MAX_SEQUENCE_BLOCK}.`,
    );
  }
  return size;
}

function toEntry(row: EntryRow): OutboxEntry {
  return {
    sequence: row.sequence,
    payload: row.payload,
    ...(row.pseudonym === null ? {} : { pseudonym: row.pseudonym }),
    createdAt: row.created_at,
  };
}

function checkMeta(meta: EnqueueMeta): void {
  if (!Number.isSafeInteger(meta.createdAt)) {
    throw new AgentError('ERR_AGENT_INVALID_OPTIONS', 'createdAt must be epoch milliseconds.');
  }
}

function toStore(
  sequence: number,
  payload: string,
  meta: EnqueueMeta,
  size = Buffer.byteLength(payload, 'utf8'),
): BatchToStore {
  return { sequence, payload, pseudonym: meta.pseudonym ?? null, createdAt: meta.createdAt, size };
}

function checkCap(cap: OutboxCap): OutboxCap {
  const valid = (n: number | undefined) => n === undefined || (Number.isSafeInteger(n) && n > 0);
  if (
    (cap.rows === undefined && cap.bytes === undefined) ||
    !valid(cap.rows) ||
    !valid(cap.bytes)
  ) {
    throw new AgentError(
      'ERR_AGENT_INVALID_OPTIONS',
      'The outbox cap needs rows and/or bytes, each a positive integer.',
    );
  }
  return Object.freeze({ ...cap });
}

function rank(level: OutboxAlarmLevel | 'none'): number {
  return level === 'critical' ? 2 : level === 'warning' ? 1 : 0;
}

import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { AgentError, isAgentError } from '../errors.js';
import {
  alarmLevel,
  type OutboxAlarm,
  type OutboxAlarmLevel,
  type OutboxCap,
} from './outbox-cap.js';

export interface OutboxOptions {
  /** The SQLite file (created mode 0600). Put it in the agent's own 0700 directory. */
  readonly file: string;
  /** The most the queue may hold; at least one of `rows` or `bytes`. */
  readonly cap: OutboxCap;
  /**
   * Called (synchronously, inside `enqueue`) once each time the queue crosses
   * into a higher level: `warning` at ≥ 80 % of the cap, `critical` when full.
   * Raise the local alarm and record the audit event here. Must not throw.
   */
  readonly onAlarm?: (alarm: OutboxAlarm) => void;
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

const SCHEMA_VERSION = 1;

// The counter lives in its own row, not in MAX(sequence): once every row is
// acknowledged and deleted, the next sequence must still be higher, or the
// server's (device, sequence) idempotency would discard new readings as duplicates.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_sequence INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    byte_count INTEGER NOT NULL
  ) STRICT;
  INSERT OR IGNORE INTO outbox_state (id, last_sequence, row_count, byte_count) VALUES (1, 0, 0, 0);
  CREATE TABLE IF NOT EXISTS outbox (
    sequence INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    pseudonym TEXT,
    created_at INTEGER NOT NULL,
    size INTEGER NOT NULL
  ) STRICT;
`;

interface StateRow {
  last_sequence: number;
  row_count: number;
  byte_count: number;
}

interface EntryRow {
  sequence: number;
  payload: string;
  pseudonym: string | null;
  created_at: number;
}

/**
 * The durable store-and-forward queue: readings wait here, across restarts,
 * crashes and outages, until the server has them. An `enqueue` that returned
 * is on disk (WAL, `synchronous = FULL`: fsynced at commit), so it survives
 * kill -9 and power loss.
 *
 * The queue never drops data: when full, `enqueue` throws
 * `ERR_AGENT_QUEUE_FULL` and the caller decides (keep the batch in memory and
 * retry, stop sampling, tell the user) — the queue keeps every earlier batch.
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
  readonly #cap: OutboxCap;
  readonly #onAlarm: (alarm: OutboxAlarm) => void;
  /** The highest level reported since the queue last fell below it. Not persisted: a restart reports again. */
  #reported: OutboxAlarmLevel | 'none' = 'none';
  readonly #state: Database.Statement<[], StateRow>;
  readonly #insert: Database.Statement<[number, string, string | null, number, number]>;
  readonly #advance: Database.Statement<[number, number, number]>;
  readonly #peek: Database.Statement<[number], EntryRow>;
  readonly #sizeOf: Database.Statement<[number], { size: number }>;
  readonly #delete: Database.Statement<[number]>;
  readonly #shrink: Database.Statement<[number]>;

  constructor(options: OutboxOptions) {
    this.#cap = checkCap(options.cap);
    this.#onAlarm = options.onAlarm ?? (() => undefined);
    this.#db = storage(() => openDatabase(options.file));
    try {
      this.#state = this.#db.prepare(
        'SELECT last_sequence, row_count, byte_count FROM outbox_state WHERE id = 1',
      );
      this.#insert = this.#db.prepare(
        'INSERT INTO outbox (sequence, payload, pseudonym, created_at, size) VALUES (?, ?, ?, ?, ?)',
      );
      this.#advance = this.#db.prepare(
        'UPDATE outbox_state SET last_sequence = ?, row_count = row_count + 1, byte_count = byte_count + ? WHERE id = 1 AND last_sequence = ?',
      );
      this.#peek = this.#db.prepare(
        'SELECT sequence, payload, pseudonym, created_at FROM outbox ORDER BY sequence LIMIT ?',
      );
      this.#sizeOf = this.#db.prepare('SELECT size FROM outbox WHERE sequence = ?');
      this.#delete = this.#db.prepare('DELETE FROM outbox WHERE sequence = ?');
      this.#shrink = this.#db.prepare(
        'UPDATE outbox_state SET row_count = row_count - 1, byte_count = byte_count - ? WHERE id = 1',
      );
    } catch (error) {
      this.#db.close();
      throw storageFailed(error);
    }
  }

  /**
   * Stores a batch and assigns its sequence number in the same transaction.
   * Throws `ERR_AGENT_QUEUE_FULL` when the batch does not fit under the cap
   * (nothing is stored or dropped), `ERR_AGENT_STORAGE_FAILED` on I/O errors.
   */
  enqueue(payload: string, meta: EnqueueMeta): { sequence: number } {
    if (!Number.isSafeInteger(meta.createdAt)) {
      throw new AgentError('ERR_AGENT_INVALID_OPTIONS', 'createdAt must be epoch milliseconds.');
    }
    const size = Buffer.byteLength(payload, 'utf8');
    const result = storage(() =>
      this.#db
        .transaction(() => {
          const state = this.#readState();
          const rows = state.row_count + 1;
          const bytes = state.byte_count + size;
          if (exceeds(rows, bytes, this.#cap)) {
            return { full: true as const, rows: state.row_count, bytes: state.byte_count };
          }
          const sequence = state.last_sequence + 1;
          this.#insert.run(sequence, payload, meta.pseudonym ?? null, meta.createdAt, size);
          this.#advance.run(sequence, size, state.last_sequence);
          return { full: false as const, sequence, rows, bytes };
        })
        // IMMEDIATE: take the write lock before reading the counter.
        .immediate(),
    );
    if (result.full) {
      this.#raise('critical', result.rows, result.bytes);
      throw new AgentError(
        'ERR_AGENT_QUEUE_FULL',
        'The telemetry queue is full; the batch was not stored.',
        { details: { count: result.rows, bytes: result.bytes, cap: this.#cap } },
      );
    }
    const level = alarmLevel(result.rows, result.bytes, this.#cap);
    if (level !== 'none') this.#raise(level, result.rows, result.bytes);
    return { sequence: result.sequence };
  }

  /** Up to `limit` batches, oldest (lowest sequence) first; nothing is removed. */
  peek(limit: number): OutboxEntry[] {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new AgentError('ERR_AGENT_INVALID_OPTIONS', 'peek limit must be a positive integer.');
    }
    return storage(() => this.#peek.all(limit)).map((row) => ({
      sequence: row.sequence,
      payload: row.payload,
      ...(row.pseudonym === null ? {} : { pseudonym: row.pseudonym }),
      createdAt: row.created_at,
    }));
  }

  /** Deletes a delivered batch. Returns false when it was already gone (idempotent). */
  acknowledge(sequence: number): boolean {
    const deleted = storage(() =>
      this.#db
        .transaction(() => {
          const row = this.#sizeOf.get(sequence);
          if (row === undefined) return false;
          this.#delete.run(sequence);
          this.#shrink.run(row.size);
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

  /** The highest sequence ever assigned (0 before the first enqueue). */
  lastSequence(): number {
    return this.#readState().last_sequence;
  }

  close(): void {
    this.#db.close();
  }

  #readState(): StateRow {
    const state = storage(() => this.#state.get());
    if (state === undefined) {
      throw new AgentError('ERR_AGENT_STORAGE_CORRUPT', 'The outbox has lost its counter row.');
    }
    return state;
  }

  #raise(level: OutboxAlarmLevel, count: number, bytes: number): void {
    if (rank(level) <= rank(this.#reported)) return;
    this.#reported = level;
    this.#onAlarm({ level, count, bytes, cap: this.#cap });
  }
}

function openDatabase(file: string): Database.Database {
  // Create the file 0600 before SQLite does (it would use the umask); SQLite
  // gives the -wal and -shm files the same mode as the database file.
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // An acknowledged enqueue must survive power loss, not only a process crash:
    // fsync the WAL at every commit.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new AgentError(
        'ERR_AGENT_STORAGE_CORRUPT',
        `The outbox file has schema version ${version}; this agent knows ${SCHEMA_VERSION}.`,
      );
    }
    db.transaction(() => {
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
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

function exceeds(rows: number, bytes: number, cap: OutboxCap): boolean {
  return (
    (cap.rows !== undefined && rows > cap.rows) || (cap.bytes !== undefined && bytes > cap.bytes)
  );
}

function rank(level: OutboxAlarmLevel | 'none'): number {
  return level === 'critical' ? 2 : level === 'warning' ? 1 : 0;
}

/** SQLite and file-system failures become ERR_AGENT_STORAGE_FAILED; the agent's own errors pass. */
function storage<T>(operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw storageFailed(error);
  }
}

function storageFailed(error: unknown): AgentError {
  if (isAgentError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AgentError('ERR_AGENT_STORAGE_FAILED', `Outbox: ${message}`, { cause: error });
}

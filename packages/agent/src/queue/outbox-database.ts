import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { AgentError, isAgentError } from '../errors.js';

/**
 * The outbox's SQLite file: schema, versions, durability settings and the
 * mapping of SQLite failures to agent errors. Internal to `queue/`.
 */

// 1: the queue and its counter. 2: `held_reason`/`held_at`, for batches the
// server refused for good (kept, never dropped, no longer sent).
const SCHEMA_VERSION = 2;
const HELD_COLUMNS = `
  ALTER TABLE outbox ADD COLUMN held_reason TEXT;
  ALTER TABLE outbox ADD COLUMN held_at INTEGER;
`;

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
    size INTEGER NOT NULL,
    held_reason TEXT,
    held_at INTEGER
  ) STRICT;
`;

/** Opens (creating 0600) and migrates the outbox file. */
export function openDatabase(file: string): Database.Database {
  // Create the file 0600 before SQLite does (it would use the umask); SQLite
  // gives the -wal and -shm files the same mode as the database file.
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // An acknowledged enqueue must survive power loss, not only a process crash:
    // fsync the WAL at every commit. (NORMAL would sync only at checkpoints, so
    // in WAL mode a power cut could lose the last acknowledged batches.) The
    // throughput comes from group commit instead: one fsync for many batches.
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
      // A version 1 file has the table without the held columns.
      if (version === 1) db.exec(HELD_COLUMNS);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

export interface StateRow {
  last_sequence: number;
  row_count: number;
  byte_count: number;
}

export interface EntryRow {
  sequence: number;
  payload: string;
  pseudonym: string | null;
  created_at: number;
}

export interface HeldRow extends EntryRow {
  held_reason: string;
  held_at: number;
}

/** The outbox's statements, prepared once per connection. */
export interface OutboxStatements {
  readonly state: Database.Statement<[], StateRow>;
  readonly insert: Database.Statement<[number, string, string | null, number, number]>;
  /** Moves the counter from the second value to the first (guarded: it must still be there). */
  readonly reserve: Database.Statement<[number, number]>;
  /** Adds rows and bytes to the totals. */
  readonly grow: Database.Statement<[number, number]>;
  readonly peek: Database.Statement<[number, number], EntryRow>;
  readonly held: Database.Statement<[], HeldRow>;
  readonly hold: Database.Statement<[string, number, number]>;
  readonly release: Database.Statement<[number]>;
  readonly sizeOf: Database.Statement<[number], { size: number }>;
  readonly delete: Database.Statement<[number]>;
  readonly shrink: Database.Statement<[number]>;
}

export function prepareStatements(db: Database.Database): OutboxStatements {
  return {
    state: db.prepare('SELECT last_sequence, row_count, byte_count FROM outbox_state WHERE id = 1'),
    insert: db.prepare(
      'INSERT INTO outbox (sequence, payload, pseudonym, created_at, size) VALUES (?, ?, ?, ?, ?)',
    ),
    reserve: db.prepare(
      'UPDATE outbox_state SET last_sequence = ? WHERE id = 1 AND last_sequence = ?',
    ),
    grow: db.prepare(
      'UPDATE outbox_state SET row_count = row_count + ?, byte_count = byte_count + ? WHERE id = 1',
    ),
    peek: db.prepare(
      'SELECT sequence, payload, pseudonym, created_at FROM outbox WHERE held_reason IS NULL AND sequence < ? ORDER BY sequence LIMIT ?',
    ),
    held: db.prepare(
      'SELECT sequence, payload, pseudonym, created_at, held_reason, held_at FROM outbox WHERE held_reason IS NOT NULL ORDER BY sequence',
    ),
    hold: db.prepare(
      'UPDATE outbox SET held_reason = ?, held_at = ? WHERE sequence = ? AND held_reason IS NULL',
    ),
    release: db.prepare(
      'UPDATE outbox SET held_reason = NULL, held_at = NULL WHERE sequence = ? AND held_reason IS NOT NULL',
    ),
    sizeOf: db.prepare('SELECT size FROM outbox WHERE sequence = ?'),
    delete: db.prepare('DELETE FROM outbox WHERE sequence = ?'),
    shrink: db.prepare(
      'UPDATE outbox_state SET row_count = row_count - 1, byte_count = byte_count - ? WHERE id = 1',
    ),
  };
}

/** SQLite and file-system failures become ERR_AGENT_STORAGE_FAILED; the agent's own errors pass. */
export function storage<T>(operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw storageFailed(error);
  }
}

export function storageFailed(error: unknown): AgentError {
  if (isAgentError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AgentError('ERR_AGENT_STORAGE_FAILED', `Outbox: ${message}`, { cause: error });
}

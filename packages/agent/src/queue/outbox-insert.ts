import type { OutboxCap } from './outbox-cap.js';
import type { OutboxStatements, StateRow } from './outbox-database.js';

/** A built batch on its way into the outbox table, under a number already taken. */
export interface BatchToStore {
  readonly sequence: number;
  readonly payload: string;
  readonly pseudonym: string | null;
  readonly createdAt: number;
  /** UTF-8 bytes of the payload: what the byte cap counts. */
  readonly size: number;
}

/** What storing one batch came to, with the queue's size after it (or as it stays, when full). */
export type InsertOutcome =
  | { readonly full: true; readonly rows: number; readonly bytes: number }
  | {
      readonly full: false;
      readonly sequence: number;
      readonly rows: number;
      readonly bytes: number;
    };

/**
 * Inside a transaction: stores each batch that still fits under the cap, in
 * order, and adds them to the totals with one update. A batch that does not
 * fit is left out alone (`full`); the ones after it may still fit. A SQLite
 * error throws, and the caller's transaction rolls every batch back.
 */
export function insertBatches(
  sql: OutboxStatements,
  state: StateRow,
  cap: OutboxCap,
  batches: readonly BatchToStore[],
): InsertOutcome[] {
  let rows = state.row_count;
  let bytes = state.byte_count;
  const outcomes = batches.map((batch): InsertOutcome => {
    if (exceeds(rows + 1, bytes + batch.size, cap)) return { full: true, rows, bytes };
    sql.insert.run(batch.sequence, batch.payload, batch.pseudonym, batch.createdAt, batch.size);
    rows += 1;
    bytes += batch.size;
    return { full: false, sequence: batch.sequence, rows, bytes };
  });
  if (rows > state.row_count) sql.grow.run(rows - state.row_count, bytes - state.byte_count);
  return outcomes;
}

/** Whether a queue of `rows` batches and `bytes` bytes would be over the cap. */
export function exceeds(rows: number, bytes: number, cap: OutboxCap): boolean {
  return (
    (cap.rows !== undefined && rows > cap.rows) || (cap.bytes !== undefined && bytes > cap.bytes)
  );
}

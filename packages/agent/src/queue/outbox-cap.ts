/**
 * How full the outbox may get, and when to warn. Pure: the outbox passes its
 * counts.
 */

/** The most the outbox may hold. At least one limit; with both, the first reached counts. */
export interface OutboxCap {
  /** Batches. */
  readonly rows?: number;
  /** Payload bytes (UTF-8). */
  readonly bytes?: number;
}

/** `warning` from 80 % of the cap (enqueue still succeeds), `critical` when full (enqueue refuses). */
export type OutboxAlarmLevel = 'warning' | 'critical';

/** What `onAlarm` receives: the level crossed and the queue's size at that moment. */
export interface OutboxAlarm {
  readonly level: OutboxAlarmLevel;
  readonly count: number;
  readonly bytes: number;
  readonly cap: OutboxCap;
}

/** The fraction of the cap from which the queue warns. */
export const OUTBOX_WARNING_FRACTION = 0.8;

/**
 * The level for a queue holding `rows` batches of `bytes` in total.
 *
 * @example
 * alarmLevel(80, 0, { rows: 100 }); // 'warning'
 * alarmLevel(100, 0, { rows: 100 }); // 'critical'
 */
export function alarmLevel(rows: number, bytes: number, cap: OutboxCap): OutboxAlarmLevel | 'none' {
  const fill = Math.max(
    cap.rows === undefined ? 0 : rows / cap.rows,
    cap.bytes === undefined ? 0 : bytes / cap.bytes,
  );
  if (fill >= 1) return 'critical';
  if (fill >= OUTBOX_WARNING_FRACTION) return 'warning';
  return 'none';
}

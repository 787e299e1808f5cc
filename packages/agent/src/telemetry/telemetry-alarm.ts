import type { OutboxAlarm, OutboxCap } from '../queue/outbox-cap.js';

/**
 * What `onAlarm` receives. Raise it locally (a banner on the hub, the
 * gateway's audit log); the queue alarms are also reported to the server
 * (`POST /device/v1/alarms`, audit event `device.queue.alarm`), best effort.
 *
 * - `queue-warning` / `queue-critical`: the outbox crossed 80 % of its cap / is
 *   full (then `record` refuses with `ERR_AGENT_QUEUE_FULL`; nothing is dropped).
 * - `batch-held`: the server refused a batch for good (`reason`: its code, e.g.
 *   `ERR_BATCH_CONFLICT`); the batch is kept in the outbox, no longer sent. See
 *   `Telemetry.held()`.
 * - `manifest-refused`: the server offered a key manifest the gateway refuses
 *   (`code`: `ERR_MANIFEST_UNKNOWN_KEY` for a key other than the pinned one,
 *   `ERR_MANIFEST_ROLLBACK`, `ERR_AGENT_MANIFEST_FINGERPRINT` …); the manifest in
 *   force stays. A security event: the server may be compromised.
 */
export type TelemetryAlarm =
  | QueueTelemetryAlarm
  | { readonly kind: 'batch-held'; readonly sequence: number; readonly reason: string }
  | { readonly kind: 'manifest-refused'; readonly code: string };

/** The outbox's alarms, as telemetry reports them. */
export interface QueueTelemetryAlarm {
  readonly kind: 'queue-warning' | 'queue-critical';
  readonly count: number;
  readonly bytes: number;
  readonly cap: OutboxCap;
}

/** The outbox's alarm as a telemetry alarm. */
export function queueAlarm(alarm: OutboxAlarm): QueueTelemetryAlarm {
  return {
    kind: alarm.level === 'critical' ? 'queue-critical' : 'queue-warning',
    count: alarm.count,
    bytes: alarm.bytes,
    cap: alarm.cap,
  };
}

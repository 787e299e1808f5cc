import type { Clock } from '@vigil/core';
import { structureOfBatch } from '@vigil/protect';
import { isAgentError } from '../errors.js';
import type { OutboxAlarm } from '../queue/outbox-cap.js';
import type { OutboxEntry } from '../queue/outbox.js';
import type { GatewayPseudonyms } from './gateway-pseudonyms.js';
import { queueAlarm, type TelemetryAlarm } from './telemetry-alarm.js';
import type { QueueAlarmReport, TelemetryApi } from './telemetry-api.js';
import type { TelemetryStore } from './telemetry-store.js';

export interface TelemetryUploadsOptions {
  readonly api: TelemetryApi;
  readonly store: TelemetryStore;
  readonly pseudonyms: GatewayPseudonyms;
  readonly clock: Clock;
  readonly alarm: (alarm: TelemetryAlarm) => void;
  readonly onError: (error: unknown) => void;
}

/** After a failed best-effort upload (staff copy, alarm report), wait this long before the next try. */
export const BEST_EFFORT_RETRY_MS = 30_000;

/**
 * Everything that goes to the server besides the manifest fetch: the `send`
 * of the uploader, which puts the batch's data key on the server before the
 * first batch naming it, brings the staff copy of the pseudonym table up to
 * date, and posts the batch; and the queue alarms.
 *
 * Ordering guarantees (docs/telemetry.md): a batch is posted only after
 * `PUT /device/v1/data-keys/:kid` for its kid answered 201 or 200 (the wrapped
 * key is on disk from before the batch existed, so this holds across restarts).
 * The staff copy and alarm reports are best effort: a failure is reported to
 * `onError` and retried later, and never holds batches back.
 */
export class TelemetryUploads {
  readonly #api: TelemetryApi;
  readonly #store: TelemetryStore;
  readonly #pseudonyms: GatewayPseudonyms;
  readonly #clock: Clock;
  readonly #alarm: (alarm: TelemetryAlarm) => void;
  readonly #onError: (error: unknown) => void;
  readonly #reports = new Set<Promise<void>>();
  /** The latest queue alarm the server has not acknowledged. */
  #unreported: QueueAlarmReport | undefined;
  #nextReportAttempt = 0;
  #nextStaffCopyAttempt = 0;

  constructor(options: TelemetryUploadsOptions) {
    this.#api = options.api;
    this.#store = options.store;
    this.#pseudonyms = options.pseudonyms;
    this.#clock = options.clock;
    this.#alarm = options.alarm;
    this.#onError = options.onError;
  }

  /** The outbox's `onAlarm` (synchronous): raise it locally, then report it to the server. */
  queueAlarm(alarm: OutboxAlarm): void {
    const local = queueAlarm(alarm);
    this.#alarm(local);
    this.#unreported = { kind: local.kind, count: local.count, bytes: local.bytes };
    this.#nextReportAttempt = 0;
    this.#reportAlarm();
  }

  /**
   * The uploader's `send`: data key first, then the staff copy (best effort),
   * then the batch. `ERR_DATA_KEY_UNKNOWN` from the server (it lost the key, or
   * a previous run crashed between making and storing the mark) is answered by
   * uploading the key again, once, when this gateway still has it.
   */
  async send(entry: OutboxEntry): Promise<'stored' | 'duplicate'> {
    const { kid } = structureOfBatch(entry.payload);
    if (this.#unreported !== undefined) this.#reportAlarm();
    await this.#syncStaffCopy();
    await this.#uploadDataKey(kid, false);
    try {
      return await this.#api.postBatch(entry.payload, entry.sequence);
    } catch (error) {
      if (!isAgentError(error) || error.code !== 'ERR_DATA_KEY_UNKNOWN' || !this.#knows(kid)) {
        throw error;
      }
      await this.#uploadDataKey(kid, true);
      return this.#api.postBatch(entry.payload, entry.sequence);
    }
  }

  /** Resolves when the alarm reports in flight have finished. */
  async settle(): Promise<void> {
    while (this.#reports.size > 0) await Promise.allSettled([...this.#reports]);
  }

  #knows(kid: string): boolean {
    return this.#store.state.dataKeys.some((k) => k.kid === kid);
  }

  async #uploadDataKey(kid: string, again: boolean): Promise<void> {
    const stored = this.#store.state.dataKeys.find((k) => k.kid === kid);
    // Not ours any more (pruned long after upload): the server says so if it lacks it.
    if (stored === undefined || (stored.uploaded && !again)) return;
    await this.#api.putDataKey(kid, stored.jwe);
    await this.#store.markDataKeyUploaded(kid, true);
  }

  async #syncStaffCopy(): Promise<void> {
    const accepted = this.#store.accepted;
    if (accepted === undefined || this.#clock.now() < this.#nextStaffCopyAttempt) return;
    try {
      if (
        !(await this.#pseudonyms.staffCopyStale(this.#store.state.staffCopy, accepted.manifest))
      ) {
        return;
      }
      const { jwe, state } = await this.#pseudonyms.sealForStaff(accepted.manifest);
      await this.#api.putPseudonymTable(jwe);
      await this.#store.saveStaffCopy(state);
    } catch (error) {
      this.#nextStaffCopyAttempt = this.#clock.now() + BEST_EFFORT_RETRY_MS;
      this.#onError(error);
    }
  }

  /** Posts the latest unreported alarm, one report at a time. */
  #reportAlarm(): void {
    const report = this.#unreported;
    if (report === undefined || this.#reports.size > 0) return;
    if (this.#clock.now() < this.#nextReportAttempt) return;
    const work = this.#api.postAlarm(report).then(
      () => {
        if (this.#unreported === report) this.#unreported = undefined;
      },
      (error: unknown) => {
        this.#nextReportAttempt = this.#clock.now() + BEST_EFFORT_RETRY_MS;
        this.#onError(error);
      },
    );
    this.#reports.add(work);
    void work.then(() => {
      this.#reports.delete(work);
      // A newer alarm arrived while this one was on its way.
      if (this.#unreported !== undefined && this.#unreported !== report) this.#reportAlarm();
    });
  }
}

import { systemClock, type Clock } from '@vigil/core';
import { newDataKey, protectBatch, type DataKey } from '@vigil/protect';
import { AgentError } from '../errors.js';
import { Outbox, type HeldEntry } from '../queue/outbox.js';
import { Uploader, type DrainResult, type UploadTimer } from '../queue/uploader.js';
import { asAgentError, codeOf } from './as-agent-error.js';
import { isFinalBatchRefusal } from './batch-refusal.js';
import { GatewayPseudonyms } from './gateway-pseudonyms.js';
import {
  reloadManifest,
  trustFirstManifest,
  verifyNextManifest,
  type AcceptedManifest,
} from './manifest-trust.js';
import { observationsOf, type TelemetryReading } from './readings.js';
import type { TelemetryAlarm } from './telemetry-alarm.js';
import { TelemetryApi } from './telemetry-api.js';
import {
  DEFAULT_BATCHES_PER_DATA_KEY,
  DEFAULT_MAX_READINGS,
  DEFAULT_REFRESH_MS,
  checkOptions,
  type ManifestRefresh,
  type RecordedBatch,
  type TelemetryDevice,
  type TelemetryOptions,
  type TelemetryStatus,
} from './telemetry-options.js';
import { TelemetryStore } from './telemetry-store.js';
import { TelemetryUploads } from './telemetry-uploads.js';

/**
 * Protected telemetry on the gateway (docs/telemetry.md, ADR 0008–0010):
 * readings are pseudonymised, built into FHIR Observations, signed with the
 * device key, encrypted under this process's data key for the manifest's epoch,
 * stored in the durable outbox, and uploaded in order.
 *
 * Keys come only from a key manifest signed by the care organisation's key,
 * which the gateway pins at its first manifest; the server relays manifests but
 * cannot substitute its own key. Get one with `agent.telemetry(options)`.
 *
 * @example
 * const telemetry = await agent.telemetry({
 *   outbox: { file: '/var/lib/hub/vigil/outbox.sqlite', cap: { bytes: 256 * 1024 * 1024 } },
 *   pseudonymSecret: await keystore.bytes('vigil-pseudonym-secret'),
 *   expectedSigningKeyFingerprint: installer.fingerprint,
 *   onAlarm: (alarm) => hub.showAlarm(alarm),
 * });
 * telemetry.start();
 * await telemetry.record('MRN 0042', [{ kind: 'heart-rate', value: 72, effective: new Date() }]);
 * // on shutdown
 * await telemetry.close();
 */
export class Telemetry {
  readonly #device: TelemetryDevice;
  readonly #options: TelemetryOptions;
  readonly #clock: Clock;
  readonly #timer: UploadTimer;
  readonly #api: TelemetryApi;
  readonly #store: TelemetryStore;
  readonly #pseudonyms: GatewayPseudonyms;
  readonly #outbox: Outbox;
  readonly #uploads: TelemetryUploads;
  readonly #uploader: Uploader;
  readonly #inFlight = new Set<Promise<unknown>>();
  #refreshing: Promise<ManifestRefresh> | undefined;
  #refreshHandle: unknown = undefined;
  #making: Promise<DataKey> | undefined;
  /** The data key in use, the recipients it is wrapped to, and how many batches it encrypted. */
  #dataKey: { key: DataKey; recipients: string; batches: number } | undefined;
  #closed = false;

  private constructor(
    device: TelemetryDevice,
    options: TelemetryOptions,
    store: TelemetryStore,
    pseudonyms: GatewayPseudonyms,
  ) {
    this.#device = device;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#timer = options.timer ?? systemTimer;
    this.#api = new TelemetryApi(device.request);
    this.#store = store;
    this.#pseudonyms = pseudonyms;
    this.#outbox = new Outbox({
      file: options.outbox.file,
      cap: options.outbox.cap,
      onAlarm: (alarm) => this.#uploads.queueAlarm(alarm),
    });
    this.#uploads = new TelemetryUploads({
      api: this.#api,
      store,
      pseudonyms,
      clock: this.#clock,
      alarm: (alarm) => this.#alarm(alarm),
      onError: (error) => this.#reportError(error),
    });
    this.#uploader = new Uploader({
      outbox: this.#outbox,
      send: (entry) => this.#uploads.send(entry),
      isPermanent: isFinalBatchRefusal,
      onHeld: (entry, error) => {
        this.#alarm({ kind: 'batch-held', sequence: entry.sequence, reason: codeOf(error) });
      },
      onError: (error) => this.#reportError(error),
      clock: this.#clock,
      timer: this.#timer,
      ...(options.random === undefined ? {} : { random: options.random }),
      ...options.upload,
    });
  }

  /**
   * Opens telemetry for an enrolled device: reads the stored state (pins, the
   * manifest in force, the sealed pseudonym table) and opens the outbox. No
   * network: the first manifest is fetched by `refreshManifest`, `start` or the
   * first `record`.
   *
   * @throws AgentError ERR_AGENT_INVALID_OPTIONS, ERR_AGENT_STORAGE_CORRUPT (a
   *   stored manifest that does not verify; a table the secret does not open),
   *   ERR_AGENT_STORAGE_FAILED.
   */
  static async open(device: TelemetryDevice, options: TelemetryOptions): Promise<Telemetry> {
    checkOptions(options);
    const clock = options.clock ?? systemClock;
    try {
      const store = await TelemetryStore.open(device.storage);
      const pseudonyms = await GatewayPseudonyms.create({
        secret: options.pseudonymSecret,
        domain: options.pseudonymDomain ?? 'telemetry',
        version: options.pseudonymVersion ?? 1,
        ...(options.tableStorageKey === undefined
          ? {}
          : { tableStorageKey: options.tableStorageKey }),
      });
      const { pins, manifestJws, pseudonymTable } = store.state;
      if (pins !== null && manifestJws !== null) {
        store.accept(await reloadManifest(manifestJws, pins, new Date(clock.now())));
      }
      if (pins !== null && pseudonymTable !== null) {
        await pseudonyms.load(pseudonymTable, pins.organisationId).catch((cause: unknown) => {
          throw new AgentError(
            'ERR_AGENT_STORAGE_CORRUPT',
            'The stored pseudonym table does not open with this pseudonym secret.',
            { cause },
          );
        });
      }
      return new Telemetry(device, options, store, pseudonyms);
    } catch (error) {
      throw asAgentError(error);
    }
  }

  /**
   * Pseudonymises the patient, builds one FHIR Observation per reading (and
   * validates them when a schema validator was given), signs and encrypts them
   * as one batch, and stores it in the outbox. Returns once the batch is on disk;
   * the upload follows (`start`, or `flush`). Concurrent calls (several patients
   * at once) share the outbox's commits, one fsync for many batches, and each
   * still resolves only once its own batch is committed.
   *
   * A new patient is added to the pseudonym table, which is stored (sealed)
   * before the batch. Refusals store nothing: `ERR_FHIR_*` (invalid readings),
   * `ERR_AGENT_QUEUE_FULL` (the outbox is at its cap; earlier batches are kept),
   * `ERR_MANIFEST_*` / network errors when no manifest was ever accepted.
   *
   * @example
   * const { sequence, label } = await telemetry.record('MRN 0042', [
   *   { kind: 'oxygen-saturation', value: 97, effective: new Date() },
   * ]);
   */
  async record(
    patientIdentifier: string,
    readings: readonly TelemetryReading[],
  ): Promise<RecordedBatch> {
    this.#checkOpen();
    return this.#track(this.#record(patientIdentifier, readings));
  }

  async #record(
    patientIdentifier: string,
    readings: readonly TelemetryReading[],
  ): Promise<RecordedBatch> {
    try {
      const deviceId = this.#device.deviceId;
      const pseudonym = await this.#pseudonyms.pseudonymOf(patientIdentifier);
      const observations = observationsOf(
        readings,
        { pseudonym, deviceId },
        {
          maxReadings: this.#options.maxReadingsPerBatch ?? DEFAULT_MAX_READINGS,
          ...(this.#options.schemaValidator === undefined
            ? {}
            : { schemaValidator: this.#options.schemaValidator }),
        },
      );
      const dataKey = await this.#currentDataKey();
      const patient = this.#pseudonyms.remember(pseudonym, patientIdentifier);
      // The table reaches the disk before any batch of a new patient does.
      if (patient.added || this.#store.tableDirty) await this.#store.saveTable(this.#pseudonyms);
      const signingKey = await this.#device.signingKey();
      const createdAt = this.#clock.now();
      const { sequence } = await this.#outbox.enqueueWith({ pseudonym, createdAt }, (sequence) =>
        protectBatch({
          dataKey,
          signingKey,
          organisationId: dataKey.organisationId,
          deviceId,
          sequence,
          createdAt: new Date(createdAt),
          pseudonym,
          observations,
        }),
      );
      this.#uploader.wake();
      return { sequence, pseudonym, label: patient.label, readings: observations.length };
    } catch (error) {
      throw asAgentError(error);
    }
  }

  /**
   * Fetches the key manifest and accepts it if it may be (see manifest-trust.ts):
   * the first one pins its signing key, later ones must verify under the pin with
   * a higher version. A refused manifest raises a `manifest-refused` alarm,
   * throws its code, and leaves the manifest in force. A new epoch (or new team
   * or recovery key) makes the next batch use a new data key.
   *
   * @throws AgentError ERR_MANIFEST_* (refused), ERR_AGENT_MANIFEST_FINGERPRINT,
   *   ERR_MANIFEST_NOT_FOUND (the organisation has not published one), network errors.
   */
  refreshManifest(): Promise<ManifestRefresh> {
    this.#checkOpen();
    return this.#refreshOnce();
  }

  /** One fetch at a time; also used by work already in flight when `close` is called. */
  #refreshOnce(): Promise<ManifestRefresh> {
    this.#refreshing ??= this.#track(this.#refresh()).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<ManifestRefresh> {
    const answer = await this.#api.keyManifest().catch((error: unknown) => {
      throw asAgentError(error);
    });
    const now = new Date(this.#clock.now());
    const current = this.#store.accepted;
    let result: AcceptedManifest | 'unchanged';
    try {
      result =
        current === undefined
          ? await trustFirstManifest(answer, this.#options, now)
          : await verifyNextManifest(answer, current, now);
    } catch (error) {
      const coded = asAgentError(error);
      this.#alarm({ kind: 'manifest-refused', code: codeOf(coded) });
      throw coded;
    }
    if (result === 'unchanged') return summary('unchanged', current as AcceptedManifest);
    await this.#store.saveManifest(result);
    return summary(current === undefined ? 'pinned' : 'updated', result);
  }

  /** One upload pass now (the data key and staff copy first when needed); see `Uploader.drainOnce`. */
  flush(): Promise<DrainResult> {
    this.#checkOpen();
    return this.#uploader.drainOnce();
  }

  /**
   * Starts the background work: uploading (at once, then after each record,
   * with back-off on failure) and fetching the manifest now and every
   * `manifestRefreshMs`. Failures go to `onError`, refusals to `onAlarm`.
   */
  start(): void {
    this.#checkOpen();
    this.#uploader.start();
    if (this.#refreshHandle === undefined) this.#scheduleRefresh(0);
  }

  /** Batches the server refused for good, kept in the outbox (see `batch-held`). */
  held(): HeldEntry[] {
    this.#checkOpen();
    return this.#outbox.held();
  }

  /** Puts a held batch back in line (after the cause was fixed on the server). */
  retryHeld(sequence: number): boolean {
    this.#checkOpen();
    const released = this.#outbox.release(sequence);
    if (released) this.#uploader.wake();
    return released;
  }

  /** Deletes a held batch for good: an operator's decision, never the agent's. */
  discardHeld(sequence: number): boolean {
    this.#checkOpen();
    return this.#outbox.held().some((e) => e.sequence === sequence)
      ? this.#outbox.acknowledge(sequence)
      : false;
  }

  /** The manifest in force, patients known, and what waits in the outbox. */
  status(): TelemetryStatus {
    this.#checkOpen();
    const accepted = this.#store.accepted;
    let manifest: TelemetryStatus['manifest'] = null;
    if (accepted !== undefined) {
      const { status: _status, ...rest } = summary('unchanged', accepted);
      manifest = rest;
    }
    return {
      manifest,
      patients: this.#pseudonyms.size,
      queued: this.#outbox.count(),
      queuedBytes: this.#outbox.bytes(),
      held: this.#outbox.held().length,
    };
  }

  /** Stops the background work, waits for what is in flight, and closes the outbox. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#refreshHandle !== undefined) this.#timer.clearTimeout(this.#refreshHandle);
    this.#refreshHandle = undefined;
    await this.#uploader.stop();
    await Promise.allSettled([...this.#inFlight]);
    await this.#uploads.settle();
    await this.#store.settle();
    this.#outbox.close();
  }

  /** The data key of the manifest in force, made (and stored wrapped) on first need. */
  async #currentDataKey(): Promise<DataKey> {
    if (this.#store.accepted === undefined) await this.#refreshOnce();
    const accepted = this.#store.accepted as AcceptedManifest;
    const recipients = await this.#store.recipientsOfAccepted();
    const limit = this.#options.batchesPerDataKey ?? DEFAULT_BATCHES_PER_DATA_KEY;
    // Each pass either takes one use of the current key or waits for a new one;
    // every new key serves at least one caller, so concurrent records all progress.
    for (;;) {
      const current = this.#dataKey;
      if (current !== undefined && current.recipients === recipients && current.batches < limit) {
        current.batches += 1;
        return current.key;
      }
      await this.#newDataKey(accepted, recipients);
    }
  }

  /** Makes, stores and switches to a new data key; concurrent callers share one. */
  #newDataKey(accepted: AcceptedManifest, recipients: string): Promise<DataKey> {
    this.#making ??= (async () => {
      const { manifest } = accepted;
      // ADR 0009: one data key per epoch and process, wrapped once to the team and recovery keys.
      const made = await newDataKey({
        organisationId: manifest.organisationId,
        epoch: manifest.epoch,
        teamPublicJwk: manifest.teamPublicJwk,
        recoveryPublicJwk: manifest.recoveryPublicJwk,
      });
      // Stored (wrapped) before any batch names it, so a restart can still upload it.
      await this.#store.addDataKey(made);
      this.#dataKey = { key: made, recipients, batches: 0 };
      return made;
    })().finally(() => {
      this.#making = undefined;
    });
    return this.#making;
  }

  #scheduleRefresh(delayMs: number): void {
    this.#refreshHandle = this.#timer.setTimeout(() => {
      if (this.#closed) return;
      this.#refreshOnce()
        .catch((error: unknown) => this.#reportError(error))
        .finally(() => {
          if (!this.#closed) {
            this.#scheduleRefresh(this.#options.manifestRefreshMs ?? DEFAULT_REFRESH_MS);
          }
        });
    }, delayMs);
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    const forget = () => this.#inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  #alarm(alarm: TelemetryAlarm): void {
    try {
      this.#options.onAlarm?.(alarm);
    } catch {
      // An alarm hook must not stop recording or uploading.
    }
  }

  #reportError(error: unknown): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // A logging hook must not stop the background work.
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new AgentError('ERR_AGENT_CLOSED', 'The telemetry was closed.');
  }
}

function summary(status: ManifestRefresh['status'], accepted: AcceptedManifest): ManifestRefresh {
  const { organisationId, version, epoch } = accepted.manifest;
  return {
    status,
    organisationId,
    version,
    epoch,
    signingKeyFingerprint: accepted.signingKeyFingerprint,
  };
}

const systemTimer: UploadTimer = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

import type { Clock } from '@vigil/core';
import type { FhirSchemaValidator } from '@vigil/protect';
import { AgentError } from '../errors.js';
import type { OutboxCap } from '../queue/outbox-cap.js';
import type { UploadTimer, UploaderOptions } from '../queue/uploader.js';
import type { AgentStorage } from '../storage/agent-storage.js';
import type { WebCryptoKey } from './table-storage-key.js';
import type { TelemetryAlarm } from './telemetry-alarm.js';
import type { DeviceRequest } from './telemetry-api.js';

// The options of `Telemetry.open` / `agent.telemetry()`, and what its methods return.

/** What telemetry needs of the enrolled device; `VigilAgent.telemetry()` provides it. */
export interface TelemetryDevice {
  readonly deviceId: string;
  /** A request on the device listener with the current certificate (`VigilAgent.request`). */
  readonly request: DeviceRequest;
  /** The device's current ECDSA P-256 private key, to sign batches (changes on renewal). */
  signingKey(): Promise<WebCryptoKey>;
  /** Where the telemetry record is kept; needs `loadRecord`/`saveRecord`. */
  readonly storage: AgentStorage;
}

export interface TelemetryOptions {
  /** The SQLite outbox: file (created 0600; put it in the agent's 0700 directory) and cap. */
  readonly outbox: { readonly file: string; readonly cap: OutboxCap };
  /**
   * The care organisation's pseudonym secret (≥ 32 bytes), provisioned at
   * installation and kept by the gateway app in its platform keystore. Only keys
   * derived from it are kept in memory; it is never sent or stored by the agent.
   */
  readonly pseudonymSecret: Uint8Array;
  /** Pseudonymisation domain (ISO 25237). Default `telemetry`. */
  readonly pseudonymDomain?: string;
  /** Pseudonym key version (`p<version>_…`). Default 1. */
  readonly pseudonymVersion?: number;
  /**
   * The manifest-signing key's fingerprint, as the care organisation publishes it
   * out of band: the first manifest's key must match (otherwise
   * `ERR_AGENT_MANIFEST_FINGERPRINT`, nothing pinned). Without it the first key
   * is trusted as served (trust on first use); show `status().signingKeyFingerprint`
   * to the installer to compare.
   */
  readonly expectedSigningKeyFingerprint?: string;
  /** The care organisation the first manifest must name, when known. */
  readonly expectedOrganisationId?: string;
  /** Validate every Observation against the official FHIR R4 schema before protecting it. */
  readonly schemaValidator?: FhirSchemaValidator;
  /** Local alarms (see `TelemetryAlarm`). Called synchronously; must not throw. */
  readonly onAlarm?: (alarm: TelemetryAlarm) => void;
  /** Background failures: uploads, manifest refreshes, staff-copy and alarm reports. */
  readonly onError?: (error: unknown) => void;
  /** Default the agent's clock. */
  readonly clock?: Clock;
  /** Default the global timers (unref'd). */
  readonly timer?: UploadTimer;
  /** [0, 1) for back-off jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** How often `start()` fetches the manifest again, ms. Default 3 600 000 (1 h). */
  readonly manifestRefreshMs?: number;
  /** Most readings in one batch. Default 1 000 (about 1 MB of JWE). */
  readonly maxReadingsPerBatch?: number;
  /**
   * Batches one data key encrypts before the agent makes (and uploads) the next.
   * Each batch has a random 96-bit IV, and NIST SP 800-38D §8.3 allows at most
   * 2^32 of those per key; the default, 2^24, keeps the chance of an IV collision
   * below 2^-48. Default 16 777 216; at least 1.
   */
  readonly batchesPerDataKey?: number;
  /** A key for the gateway copy of the pseudonym table; default derived from the secret. */
  readonly tableStorageKey?: WebCryptoKey;
  /** Uploader tuning (back-off, idle interval, batches per read). */
  readonly upload?: Pick<UploaderOptions, 'retry' | 'idleIntervalMs' | 'batchLimit'>;
}

/** What `record` stored. */
export interface RecordedBatch {
  /** The batch's sequence number (per device, never reused). */
  readonly sequence: number;
  readonly pseudonym: string;
  /** The patient's display label on this gateway (P1, P2 …). */
  readonly label: string;
  readonly readings: number;
}

/** What `refreshManifest` did. */
export interface ManifestRefresh {
  /** `pinned`: the first manifest (its key is now pinned); `updated`: a newer one; `unchanged`. */
  readonly status: 'pinned' | 'updated' | 'unchanged';
  readonly organisationId: string;
  readonly version: number;
  readonly epoch: number;
  readonly signingKeyFingerprint: string;
}

export interface TelemetryStatus {
  /** Null until the first manifest. */
  readonly manifest: Omit<ManifestRefresh, 'status'> | null;
  readonly patients: number;
  /** Batches in the outbox (held ones included) and their bytes. */
  readonly queued: number;
  readonly queuedBytes: number;
  readonly held: number;
}

export const DEFAULT_REFRESH_MS = 3_600_000;
export const DEFAULT_MAX_READINGS = 1_000;
const MAX_READINGS = 10_000;
export const DEFAULT_BATCHES_PER_DATA_KEY = 2 ** 24;
const MAX_BATCHES_PER_DATA_KEY = 2 ** 32;

/** Refuses options that cannot work (`ERR_AGENT_INVALID_OPTIONS`). */
export function checkOptions(options: TelemetryOptions): void {
  const invalid = (message: string) => new AgentError('ERR_AGENT_INVALID_OPTIONS', message);
  const secret = options.pseudonymSecret as unknown;
  if (!(secret instanceof Uint8Array) || secret.byteLength < 32) {
    throw invalid('pseudonymSecret must be at least 32 bytes.');
  }
  const refresh = options.manifestRefreshMs;
  if (refresh !== undefined && (!Number.isSafeInteger(refresh) || refresh < 1_000)) {
    throw invalid('manifestRefreshMs must be an integer ≥ 1 000.');
  }
  const max = options.maxReadingsPerBatch;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1 || max > MAX_READINGS)) {
    throw invalid(`maxReadingsPerBatch must be 1–${MAX_READINGS}.`);
  }
  const perKey = options.batchesPerDataKey;
  if (
    perKey !== undefined &&
    (!Number.isSafeInteger(perKey) || perKey < 1 || perKey > MAX_BATCHES_PER_DATA_KEY)
  ) {
    throw invalid('batchesPerDataKey must be an integer from 1 to 2^32.');
  }
}

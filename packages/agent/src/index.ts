/**
 * @vigil/agent — the gateway side of Vigil device identity (docs/devices.md):
 * EST enrolment with a one-time token, the private key generated and kept on the
 * gateway, automatic renewal, check-in, a mutual-TLS client, the durable
 * store-and-forward outbox, and protected telemetry (docs/telemetry.md).
 * Clock, storage and transport are injected.
 */
export {
  VigilAgent,
  type AgentContext,
  type DeviceRequestInit,
  type EnrolOptions,
} from './vigil-agent.js';
export type { EnrolmentRequest } from './enrol-device.js';
export type { RenewalOutcome } from './certificate-renewer.js';
export type { CheckInResult } from './check-in-result.js';
export {
  AGENT_ERROR_CODES,
  AgentError,
  isAgentError,
  type AgentErrorCode,
  type ServerErrorCode,
} from './errors.js';

// Storage
export {
  RECORD_NAME,
  parseStoredIdentity,
  type AgentStorage,
  type StoredIdentity,
} from './storage/agent-storage.js';
export { FileStorage, type FileStorageOptions } from './storage/file-storage.js';
export { MemoryStorage } from './storage/memory-storage.js';
export { MIN_PASSPHRASE_LENGTH } from './storage/key-encryption.js';

// Transport
export type {
  AgentTransport,
  ClientCertificate,
  TransportRequest,
  TransportResponse,
} from './transport.js';
export { HttpsTransport, type HttpsTransportOptions } from './https-transport.js';
export { errorFromResponse } from './error-from-response.js';

// Protocol building blocks, for apps with their own flow and for tests
export { EstClient, type EnrolmentAnswer } from './est-client.js';
export {
  createCertificateRequest,
  DEFAULT_COMMON_NAME,
  type CertificateRequest,
  type CsrSubject,
} from './csr.js';
export { parseCertsOnly } from './parse-certs-only.js';
export { DeviceCertificate } from './device-certificate.js';
export {
  ATTESTATION_MESSAGE_PREFIX,
  attestationHeaders,
  attestationMessage,
  type AttestationSigner,
} from './attestation.js';
export {
  DEFAULT_RETRY,
  RENEWAL_FRACTION,
  isExpired,
  nextRenewalAttempt,
  renewAfter,
  shouldRenew,
  type CertificateValidity,
  type RetryOptions,
} from './renewal-policy.js';
export type { Clock } from '@vigil/core';

// Store-and-forward
export {
  Outbox,
  type EnqueueMeta,
  type HeldEntry,
  type OutboxEntry,
  type OutboxOptions,
} from './queue/outbox.js';
export {
  OUTBOX_WARNING_FRACTION,
  type OutboxAlarm,
  type OutboxAlarmLevel,
  type OutboxCap,
} from './queue/outbox-cap.js';
export {
  Uploader,
  type DrainResult,
  type OutboxReader,
  type SendBatch,
  type UploadTimer,
  type UploaderOptions,
} from './queue/uploader.js';
export { UPLOAD_RETRY, uploadRetryDelay, type UploadRetryOptions } from './queue/upload-backoff.js';

// Protected telemetry
export { Telemetry } from './telemetry/telemetry.js';
export type {
  ManifestRefresh,
  RecordedBatch,
  TelemetryDevice,
  TelemetryOptions,
  TelemetryStatus,
} from './telemetry/telemetry-options.js';
export type { TelemetryReading } from './telemetry/readings.js';
export type { QueueTelemetryAlarm, TelemetryAlarm } from './telemetry/telemetry-alarm.js';
export { isFinalBatchRefusal } from './telemetry/batch-refusal.js';
export {
  TelemetryApi,
  type DeviceRequest,
  type QueueAlarmReport,
} from './telemetry/telemetry-api.js';
export { sameFingerprint, type ManifestAnswer } from './telemetry/manifest-trust.js';

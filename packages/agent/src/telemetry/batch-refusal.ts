import { isVigilError } from '@vigil/core/errors';
import { isAgentError } from '../errors.js';

/**
 * Refusals of a batch's bytes: sending the same batch again cannot succeed
 * (docs/telemetry.md, `POST /device/v1/batches`). `ERR_DATA_KEY_UNKNOWN` counts
 * only after the agent has uploaded the data key again and the server still
 * refuses; `ERR_BATCH_REPLAYED` would come from a server that wants strictly
 * increasing arrival, which a released held batch cannot give.
 */
const FINAL_CODES = new Set<string>([
  'ERR_BATCH_CONFLICT',
  'ERR_BATCH_BINDING',
  'ERR_BATCH_MALFORMED',
  'ERR_BATCH_TOO_LARGE',
  'ERR_BATCH_REPLAYED',
  'ERR_DATA_KEY_UNKNOWN',
  'ERR_DATA_KEY_CONFLICT',
  'ERR_PROTECT_ALGORITHM_REFUSED',
]);

/**
 * Statuses that refuse the request's bytes themselves (RFC 9110 §15.5.1 400,
 * §15.5.14 413, §15.5.16 415, §15.5.21 422): the same batch would get the same answer.
 */
const FINAL_STATUSES = new Set([400, 413, 415, 422]);

/**
 * Whether an upload failure is final for the batch: one of the codes above, or
 * a status that refuses the bytes (400, 413, 415, 422). Such a batch is held —
 * kept, no longer sent, reported as a `batch-held` alarm — rather than retried
 * forever or deleted. Everything else (network, 5xx, 401, 403 for a quarantined
 * device, 409 `ERR_DEVICE_NOT_ASSIGNED`, 429) is transient and retried with back-off.
 *
 * @example
 * new Uploader({ outbox, send, isPermanent: isFinalBatchRefusal });
 */
export function isFinalBatchRefusal(error: unknown): boolean {
  if (isAgentError(error)) {
    return FINAL_CODES.has(error.code) || FINAL_STATUSES.has(error.status ?? 0);
  }
  // Our own queued batch that no longer parses (ERR_BATCH_MALFORMED from structureOfBatch).
  return isVigilError(error) && FINAL_CODES.has(error.code);
}

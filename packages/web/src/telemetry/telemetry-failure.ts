import { isVigilError } from '@vigil/core/errors';
import { ApiError, ERR_CLIENT_UNEXPECTED } from '../api/api-error.js';

/**
 * Why one batch, table or key could not be read. It is shown next to the data that
 * did open, never instead of it, so a single bad batch hides nothing else.
 */
export interface TelemetryFailure {
  /** `ERR_BATCH_…`, `ERR_PROTECT_…` from @vigil/protect, an API code, or `ERR_CLIENT_…`. */
  readonly code: string;
  readonly message: string;
}

/** Keeps the code of what @vigil/protect or the API threw; anything else is a fault here. */
export function failureOf(error: unknown): TelemetryFailure {
  if (isVigilError(error) || error instanceof ApiError) {
    return { code: error.code, message: error.message };
  }
  return {
    code: ERR_CLIENT_UNEXPECTED,
    message: error instanceof Error ? error.message : String(error),
  };
}

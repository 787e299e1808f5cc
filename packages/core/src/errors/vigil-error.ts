import type { ErrorCode } from './codes.js';

/**
 * The one error type Vigil code throws on purpose. Callers switch on `code`
 * (stable, documented in docs/errors.md); `message` is for people and may change.
 *
 * @example
 * throw new VigilError('ERR_AUTH_INVALID_CREDENTIALS', 'The email or password is wrong.');
 */
export class VigilError extends Error {
  override readonly name = 'VigilError';
  readonly code: ErrorCode;
  /** Machine-readable facts a client may act on (e.g. `retryAfterSeconds`). Never secrets. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

export function isVigilError(value: unknown): value is VigilError {
  return value instanceof VigilError;
}

import type { ErrorCode } from '@vigil/core';

/**
 * Codes the agent raises itself, `ERR_AGENT_<REASON>`. Stable: gateway apps
 * `switch` on them, and tests assert them rather than message text.
 *
 * @example
 * if (isAgentError(e) && AGENT_ERROR_CODES.includes(e.code as AgentErrorCode)) reportLocally(e);
 */
export const AGENT_ERROR_CODES = [
  /** `VigilAgent.load()` found no identity in storage: enrol first. */
  'ERR_AGENT_NOT_ENROLLED',
  /** `VigilAgent.enrol()` would overwrite a stored identity without `replaceExisting`. */
  'ERR_AGENT_ALREADY_ENROLLED',
  /** An option is missing or unsafe (e.g. an `http:` URL, a short passphrase). */
  'ERR_AGENT_INVALID_OPTIONS',
  /** The key file or directory is readable or writable by other users, or not ours. */
  'ERR_AGENT_STORAGE_INSECURE',
  /** The stored identity cannot be parsed, or its key does not match its certificate. */
  'ERR_AGENT_STORAGE_CORRUPT',
  /** Reading or writing the identity failed (disk full, permissions, I/O). */
  'ERR_AGENT_STORAGE_FAILED',
  /** The private key is encrypted and the passphrase is missing or wrong. */
  'ERR_AGENT_KEY_PASSPHRASE',
  /** The connection failed (DNS, refused, reset). */
  'ERR_AGENT_NETWORK',
  /** The server did not answer within the transport's timeout. */
  'ERR_AGENT_TIMEOUT',
  /** The server's TLS certificate does not chain to the pinned trust anchor or name. */
  'ERR_AGENT_SERVER_UNTRUSTED',
  /** The server refused our client certificate in the TLS handshake (unknown CA, expired). */
  'ERR_AGENT_CLIENT_CERTIFICATE_REJECTED',
  /** The answer was larger than the transport accepts. */
  'ERR_AGENT_RESPONSE_TOO_LARGE',
  /** The answer is not what the protocol says (content type, PKCS#7, JSON shape). */
  'ERR_AGENT_PROTOCOL',
  /** An error status without RFC 9457 problem details (e.g. from a proxy). */
  'ERR_AGENT_HTTP_STATUS',
  /** The issued certificate is not for our key, not from the server's CA, or not our device. */
  'ERR_AGENT_CERTIFICATE_MISMATCH',
  /** The certificate has expired: renewal is impossible, enrol again with a new token. */
  'ERR_AGENT_CERTIFICATE_EXPIRED',
  /** The outbox is at its cap: the batch was not stored (nothing is dropped silently). */
  'ERR_AGENT_QUEUE_FULL',
  /**
   * The first key manifest is signed by a key whose fingerprint is not the one the
   * care organisation published (`expectedSigningKeyFingerprint`): nothing was pinned.
   */
  'ERR_AGENT_MANIFEST_FINGERPRINT',
  /** The telemetry was closed; open it again. */
  'ERR_AGENT_CLOSED',
] as const;

export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

/**
 * A code the server sent in an RFC 9457 problem (`ERR_ENROLMENT_TOKEN_INVALID`,
 * `ERR_DEVICE_REVOKED` …). The known ones come from the shared registry; a newer
 * server may send codes this agent does not know yet, hence the open template.
 */
export type ServerErrorCode = ErrorCode | `ERR_${string}`;

/**
 * The one error the agent throws on purpose. `code` is either the agent's own
 * (`ERR_AGENT_*`) or the server's, passed through unchanged; `status` is the
 * HTTP status when the server answered.
 *
 * @example
 * try {
 *   await agent.checkIn('1.4.2');
 * } catch (error) {
 *   if (isAgentError(error) && error.code === 'ERR_DEVICE_REVOKED') wipeAndStop();
 *   else throw error;
 * }
 */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly code: AgentErrorCode | ServerErrorCode;
  readonly status: number | undefined;
  /** The server's problem details (never secrets), or agent facts such as a file path. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: AgentErrorCode | ServerErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.details = options.details;
  }
}

/** @example if (isAgentError(e) && e.code === 'ERR_AGENT_NOT_ENROLLED') await enrol(); */
export function isAgentError(value: unknown): value is AgentError {
  return value instanceof AgentError;
}

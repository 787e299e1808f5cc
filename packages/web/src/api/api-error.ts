/**
 * An RFC 9457 problem+json answer from the server, or a failure to reach it.
 * Callers switch on `code` (the server's codes are listed in docs/errors.md);
 * people are shown `message`, which is the problem's `detail`, else its `title`.
 */
export class ApiError extends Error {
  /** `ERR_…` from the server, or one of the client-side codes below. */
  readonly code: string;
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  readonly title: string;
  /** Present on every server problem; quoted to support for 5xx answers. */
  readonly requestId: string | null;
  /** Extra facts some codes carry, e.g. `retryAfterSeconds` for ERR_AUTH_LOCKED. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(init: {
    code: string;
    status: number;
    title: string;
    detail?: string | null;
    requestId?: string | null;
    details?: Readonly<Record<string, unknown>>;
    cause?: unknown;
  }) {
    super(init.detail || init.title, { cause: init.cause });
    this.name = 'ApiError';
    this.code = init.code;
    this.status = init.status;
    this.title = init.title;
    this.requestId = init.requestId ?? null;
    this.details = init.details ?? {};
  }

  /** Seconds until a locked account or rate limit lets the caller try again, when known. */
  get retryAfterSeconds(): number | null {
    const value = this.details['retryAfterSeconds'];
    return typeof value === 'number' && value > 0 ? value : null;
  }
}

/** The network failed or the server could not be reached (no HTTP answer). */
export const ERR_CLIENT_NETWORK = 'ERR_CLIENT_NETWORK';
/** An answer arrived that is not the JSON the contract promises (e.g. a proxy's HTML page). */
export const ERR_CLIENT_BAD_RESPONSE = 'ERR_CLIENT_BAD_RESPONSE';

const STANDARD_MEMBERS = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'code',
  'requestId',
  'details',
]);

/**
 * Builds an ApiError from a non-2xx answer, whether or not it is problem+json.
 * `retryAfter` is the Retry-After header (RFC 9110 §10.2.3), used when the
 * body does not say how long to wait.
 */
export function problemToError(
  status: number,
  body: unknown,
  retryAfter: string | null = null,
): ApiError {
  const headerSeconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
  if (typeof body === 'object' && body !== null) {
    const p = body as Record<string, unknown>;
    const code = typeof p['code'] === 'string' ? p['code'] : `HTTP_${status}`;
    const title = typeof p['title'] === 'string' ? p['title'] : `The server answered ${status}.`;
    // RFC 9457 §3.2: extra facts are extension members beside the standard ones
    // (the server spreads them there); a nested `details` object is read too.
    const details: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(p)) {
      if (!STANDARD_MEMBERS.has(key)) details[key] = value;
    }
    if (typeof p['details'] === 'object' && p['details'] !== null) {
      Object.assign(details, p['details']);
    }
    if (details['retryAfterSeconds'] === undefined && headerSeconds !== null) {
      details['retryAfterSeconds'] = headerSeconds;
    }
    return new ApiError({
      code,
      status,
      title,
      detail: typeof p['detail'] === 'string' ? p['detail'] : null,
      requestId: typeof p['requestId'] === 'string' ? p['requestId'] : null,
      details,
    });
  }
  return new ApiError({
    code: status >= 500 ? 'ERR_INTERNAL' : ERR_CLIENT_BAD_RESPONSE,
    status,
    title: `The server answered ${status} without details.`,
    details: headerSeconds === null ? {} : { retryAfterSeconds: headerSeconds },
  });
}

/** A fault in the app itself (a bug): shown, never swallowed. */
export const ERR_CLIENT_UNEXPECTED = 'ERR_CLIENT_UNEXPECTED';

export function networkError(cause: unknown): ApiError {
  return new ApiError({
    code: ERR_CLIENT_NETWORK,
    status: 0,
    title: 'Vigil could not be reached. Check your connection and try again.',
    cause,
  });
}

/** Turns anything thrown into something a page can show. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({
    code: ERR_CLIENT_UNEXPECTED,
    status: 0,
    title: `Something went wrong in this page: ${error instanceof Error ? error.message : String(error)}`,
    cause: error,
  });
}

/** Something the person typed that the app can check before asking the server. */
export const ERR_CLIENT_INPUT = 'ERR_CLIENT_INPUT';

export function inputError(message: string): ApiError {
  return new ApiError({ code: ERR_CLIENT_INPUT, status: 0, title: message });
}

export const PASSWORDS_DIFFER =
  'The two passwords are different. Type the same password in both fields.';

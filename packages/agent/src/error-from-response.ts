import { AgentError } from './errors.js';
import { mediaType, type TransportResponse } from './transport.js';

const CODE_PATTERN = /^ERR_[A-Z0-9_]{1,64}$/;

/**
 * Turns an error answer into an `AgentError`. A Vigil server answers every
 * error with RFC 9457 problem details carrying a stable `code`
 * (`ERR_ENROLMENT_TOKEN_INVALID`, `ERR_DEVICE_REVOKED` …); that code is passed
 * through so gateway apps switch on the same codes the server documents in
 * docs/errors.md. Anything else (a proxy's HTML page, an empty 502) becomes
 * `ERR_AGENT_HTTP_STATUS` with the status.
 *
 * @example
 * const response = await transport.request(req);
 * if (!isSuccess(response)) throw errorFromResponse(response);
 */
export function errorFromResponse(response: TransportResponse): AgentError {
  const problem = readProblem(response);
  if (
    problem !== null &&
    typeof problem['code'] === 'string' &&
    CODE_PATTERN.test(problem['code'])
  ) {
    const code = problem['code'] as `ERR_${string}`;
    const message = firstString(problem['detail'], problem['title']) ?? code;
    return new AgentError(code, message, { status: response.status, details: problem });
  }
  return new AgentError(
    'ERR_AGENT_HTTP_STATUS',
    `The server answered ${response.status} without problem details.`,
    { status: response.status },
  );
}

/** RFC 9457 §3: a JSON object served as application/problem+json. */
function readProblem(response: TransportResponse): Record<string, unknown> | null {
  const type = mediaType(response);
  if (type !== 'application/problem+json' && type !== 'application/json') return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(response.body));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value.length > 0) return value;
  return undefined;
}

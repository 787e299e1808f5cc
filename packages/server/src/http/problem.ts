import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, isVigilError, type ErrorCode } from '@vigil/core';

/**
 * RFC 9457 problem details. Every error answer has `code` (stable, listed
 * in docs/errors.md) and `requestId`; a 5xx says nothing else, so internals
 * never leak to a caller.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly requestId: string;
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemTypeUri(code: ErrorCode): string {
  return `urn:vigil:problem:${code}`;
}

export function toProblem(error: unknown, requestId: string): Problem {
  if (isVigilError(error)) {
    return build(error.code, error.message, requestId, error.details);
  }
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown };
  if (fastifyError.validation) {
    return build('ERR_REQUEST_INVALID', fastifyError.message ?? 'Invalid request.', requestId);
  }
  const code = mapFastifyCode(fastifyError.code, fastifyError.statusCode);
  if (code) {
    const detail =
      code === 'ERR_INTERNAL'
        ? ERROR_CODES.ERR_INTERNAL.title
        : (fastifyError.message ?? ERROR_CODES[code].title);
    return build(code, detail, requestId);
  }
  return build('ERR_INTERNAL', ERROR_CODES.ERR_INTERNAL.title, requestId);
}

function build(
  code: ErrorCode,
  detail: string,
  requestId: string,
  details?: Readonly<Record<string, unknown>>,
): Problem {
  const { status, title } = ERROR_CODES[code];
  return { ...details, type: problemTypeUri(code), title, status, detail, code, requestId };
}

/** Fastify's own errors (body parsing, limits, routing) mapped onto our codes. */
function mapFastifyCode(
  code: string | undefined,
  statusCode: number | undefined,
): ErrorCode | undefined {
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'ERR_REQUEST_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE'
        : 'ERR_REQUEST_INVALID';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'ERR_REQUEST_URI_TOO_LONG';
    case 'FST_ERR_NOT_FOUND':
      return 'ERR_NOT_FOUND';
    default:
      break;
  }
  if (statusCode === 429) return 'ERR_REQUEST_RATE_LIMITED';
  if (statusCode === 413) return 'ERR_REQUEST_TOO_LARGE';
  if (statusCode === 415) return 'ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE';
  if (statusCode === 405) return 'ERR_METHOD_NOT_ALLOWED';
  if (statusCode === 414) return 'ERR_REQUEST_URI_TOO_LONG';
  if (statusCode === 404) return 'ERR_NOT_FOUND';
  // Any other client error fastify raises (malformed JSON, bad content-length, bad URL) is a bad request.
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500)
    return 'ERR_REQUEST_INVALID';
  return undefined;
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
): FastifyReply {
  const problem = toProblem(error, request.id);
  if (problem.status >= 500) {
    request.log.error({ err: error }, 'request failed');
  } else {
    request.log.info({ code: problem.code, status: problem.status }, 'request refused');
  }
  if (problem.code === 'ERR_AUTH_LOCKED' || problem.code === 'ERR_REQUEST_RATE_LIMITED') {
    const retry =
      typeof problem['retryAfterSeconds'] === 'number' ? problem['retryAfterSeconds'] : 60;
    void reply.header('retry-after', String(retry));
  }
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

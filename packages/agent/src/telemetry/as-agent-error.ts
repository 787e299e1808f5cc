import { isVigilError } from '@vigil/core/errors';
import { AgentError } from '../errors.js';

/**
 * Protect's refusals (`VigilError`: ERR_FHIR_*, ERR_MANIFEST_*, ERR_PROTECT_*)
 * become `AgentError`s with the same code, so an app checks one error type.
 */
export function asAgentError(error: unknown): unknown {
  if (!isVigilError(error)) return error;
  return new AgentError(error.code, error.message, {
    cause: error,
    ...(error.details === undefined ? {} : { details: { ...error.details } }),
  });
}

export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_AGENT_PROTOCOL';
}

import { ApiError, ERR_CLIENT_BAD_RESPONSE, networkError, problemToError } from './api-error.js';

/**
 * The one place the app talks HTTP. Every request is same-origin with the
 * session cookie (`__Host-vigil_session`, HttpOnly: the app never sees it);
 * state-changing requests carry the session's CSRF token (docs/api.md
 * "Authentication"). The token lives in memory only, never in web storage,
 * and is refreshed from every answer that returns one (sign-in, MFA, GET /me).
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const API_BASE = '/api/v1';

let csrfToken: string | null = null;

export function rememberCsrfToken(token: string | null): void {
  csrfToken = token;
}

/**
 * What the rest of the app must react to, whatever page made the request:
 * the session is gone (sign in again), or it lacks a second factor.
 */
export type AuthEvent =
  | { kind: 'signed-out'; expired: boolean }
  | { kind: 'mfa-required' }
  | { kind: 'mfa-enrolment-required' };

type AuthListener = (event: AuthEvent) => void;
const listeners = new Set<AuthListener>();

/** Subscribes to auth events; returns the unsubscribe function. */
export function onAuthEvent(listener: AuthListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function authEventFor(error: ApiError): AuthEvent | null {
  switch (error.code) {
    case 'ERR_AUTH_REQUIRED':
      return { kind: 'signed-out', expired: false };
    case 'ERR_AUTH_SESSION_EXPIRED':
      return { kind: 'signed-out', expired: true };
    case 'ERR_AUTH_MFA_REQUIRED':
      return { kind: 'mfa-required' };
    case 'ERR_AUTH_MFA_ENROLMENT_REQUIRED':
      return { kind: 'mfa-enrolment-required' };
    default:
      return null;
  }
}

export interface RequestOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  /**
   * The caller handles authentication failures itself (probing GET /me,
   * signing out): do not broadcast them as auth events.
   */
  readonly quiet?: boolean;
}

/**
 * Sends one request and returns the parsed JSON answer (undefined for 204).
 * Throws ApiError for every failure; authentication failures are also
 * broadcast to `onAuthEvent` listeners unless `quiet`.
 */
export async function request<T>(
  method: Method,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json, application/problem+json',
  };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['X-CSRF-Token'] = csrfToken;

  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch (cause) {
    throw networkError(cause);
  }

  const body = await readJson(response);
  if (!response.ok) {
    const error = problemToError(response.status, body, response.headers.get('Retry-After'));
    const event = authEventFor(error);
    if (event !== null) {
      if (event.kind === 'signed-out') csrfToken = null;
      if (!options.quiet) for (const listener of listeners) listener(event);
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  if (body === undefined) {
    throw new ApiError({
      code: ERR_CLIENT_BAD_RESPONSE,
      status: response.status,
      title: 'The server sent an answer this app cannot read.',
    });
  }
  // The contract (docs/api.md) fixes the shape; see types.ts.
  return body as T;
}

async function readJson(response: Response): Promise<unknown> {
  const type = response.headers.get('Content-Type') ?? '';
  if (!/^application\/(?:problem\+)?json\b/i.test(type)) return undefined;
  try {
    return (await response.json()) as unknown;
  } catch {
    return undefined;
  }
}

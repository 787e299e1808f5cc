import type https from 'node:https';
import { performance } from 'node:perf_hooks';
import { httpsRequest } from './https-request.js';

/** The session cookie's name (`__Host-` prefix: Secure, Path=/, no Domain). */
export const SESSION_COOKIE = '__Host-vigil_session';

export interface SignInResult {
  readonly status: number;
  /** `name=value`, ready for a Cookie header; null when sign-in failed. */
  readonly cookie: string | null;
  /** The session state the server answered (`active` for a role without MFA). */
  readonly state: string | null;
  /** Wall time of the request as the client saw it, in ms. */
  readonly latencyMs: number;
}

/** Signs in with `POST /api/v1/session`, as the web app does. */
export async function signIn(
  baseUrl: string,
  person: { readonly email: string; readonly password: string },
  options: { readonly ca: string; readonly agent?: https.Agent; readonly localAddress?: string },
): Promise<SignInResult> {
  const t0 = performance.now();
  const response = await httpsRequest(`${baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: person.email, password: person.password }),
    ca: options.ca,
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    timeoutMs: 30_000,
  });
  const latencyMs = performance.now() - t0;
  const setCookie = response.headers['set-cookie'] ?? [];
  const cookie =
    setCookie
      .map((c) => c.split(';', 1)[0] ?? '')
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? null;
  const state =
    response.status === 200
      ? ((JSON.parse(response.body) as { state?: string }).state ?? null)
      : null;
  return { status: response.status, cookie, state, latencyMs };
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VigilError, type Principal } from '@vigil/core';
import type { AuthService, ResolvedSession } from '../services/auth-service.js';
import type { RequestContext } from '../services/request-context.js';
import type { TokenService } from '../services/token-service.js';
import type { AuditLog } from '../services/audit-log.js';
import type { SessionState } from '../store/store.js';

/**
 * What a route needs of its caller; set per route in `config.auth`.
 * A route without it requires `principal`, so forgetting the setting fails closed.
 *
 * - `public`: anyone (sign-in, setup, activation, health).
 * - `principal`: an active session or an API token.
 * - `session`: an active session (people-only acts: tokens, password, sign-out everywhere).
 * - `session-enrolling`: an active session or one that must enrol MFA first.
 * - `session-pending`: a session waiting for its one-time code.
 * - `session-any`: a session in any state (who am I, sign out).
 */
export type AuthRequirement =
  'public' | 'principal' | 'session' | 'session-enrolling' | 'session-pending' | 'session-any';

export const SESSION_COOKIE = '__Host-vigil_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement;
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes. */
    principal: Principal | null;
    /** The session behind the request, when a person uses the web app. */
    session: (ResolvedSession & { token: string }) | null;
  }
}

const STATES_ALLOWED: Record<
  Exclude<AuthRequirement, 'public' | 'principal'>,
  readonly SessionState[]
> = {
  session: ['active'],
  'session-enrolling': ['active', 'mfa-enrolment'],
  'session-pending': ['mfa-pending'],
  'session-any': ['active', 'mfa-enrolment', 'mfa-pending'],
};

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    requestId: request.id,
    sourceIp: request.ip,
    ...(userAgent ? { userAgent: userAgent.slice(0, 256) } : {}),
  };
}

export function registerAuthentication(
  app: FastifyInstance,
  deps: { auth: AuthService; tokens: TokenService; audit: AuditLog },
): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('session', null);

  // onRequest: refuse unauthenticated callers before their body is read or validated.
  app.addHook('onRequest', async (request) => {
    // Unknown paths (404, web app) carry no route config and need no caller.
    if (request.is404) return;
    // Swagger UI's own routes (the interactive docs page and its assets) are public.
    const isDocs = request.routeOptions.url?.startsWith('/api/docs') ?? false;
    const requirement = isDocs ? 'public' : (request.routeOptions.config.auth ?? 'principal');
    if (requirement === 'public') return;
    const context = requestContext(request);

    const bearer = bearerToken(request);
    if (bearer !== undefined) {
      if (requirement !== 'principal') {
        throw new VigilError(
          'ERR_AUTH_TOKEN_SCOPE',
          'API tokens cannot be used here; sign in as a person.',
        );
      }
      request.principal = await deps.tokens.authenticate(bearer, context);
      return;
    }

    const cookie = request.cookies[SESSION_COOKIE];
    if (!cookie) throw new VigilError('ERR_AUTH_REQUIRED', 'Sign in, or present an API token.');
    const resolved = await deps.auth.resolveSession(cookie, context);
    const allowed =
      requirement === 'principal' ? STATES_ALLOWED.session : STATES_ALLOWED[requirement];
    if (!allowed.includes(resolved.session.state)) {
      throw stateError(resolved.session.state);
    }
    if (
      UNSAFE_METHODS.has(request.method) &&
      !deps.auth.checkCsrf(cookie, headerValue(request, CSRF_HEADER))
    ) {
      await deps.audit.recordForPerson(
        resolved.user.id,
        {
          type: 'auth.csrf-rejected',
          outcome: 'failure',
          actor: { kind: 'user', userId: resolved.user.id },
          details: { method: request.method, route: request.routeOptions.url ?? '' },
        },
        context,
      );
      throw new VigilError('ERR_AUTH_CSRF', 'Missing or wrong X-CSRF-Token header.');
    }
    request.session = { ...resolved, token: cookie };
    request.principal = {
      kind: 'session',
      userId: resolved.user.id,
      sessionId: resolved.session.id,
      memberships: resolved.memberships.map((m) => ({
        organisationId: m.organisationId,
        role: m.role,
      })),
    };
  });
}

function stateError(state: SessionState): VigilError {
  switch (state) {
    case 'mfa-enrolment':
      return new VigilError(
        'ERR_AUTH_MFA_ENROLMENT_REQUIRED',
        'Your role requires MFA: enrol an authenticator first.',
      );
    case 'mfa-pending':
      return new VigilError(
        'ERR_AUTH_MFA_REQUIRED',
        'Enter the one-time code from your authenticator.',
      );
    default:
      return new VigilError(
        'ERR_AUTH_MFA_NOT_PENDING',
        'This session has no pending second factor.',
      );
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9_\-.]{1,512})$/.exec(header);
  if (!match?.[1])
    throw new VigilError('ERR_AUTH_TOKEN_INVALID', 'Authorization must be "Bearer <token>".');
  return match[1];
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The principal of a route that required one; a programming error otherwise. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal)
    throw new VigilError('ERR_AUTH_REQUIRED', 'Sign in, or present an API token.');
  return request.principal;
}

export function sessionOf(request: FastifyRequest): ResolvedSession & { token: string } {
  if (!request.session) throw new VigilError('ERR_AUTH_REQUIRED', 'Sign in to continue.');
  return request.session;
}

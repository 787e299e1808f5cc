import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { SESSION_COOKIE, requestContext, sessionOf } from '../http/authentication.js';
import type { IssuedSession } from '../services/auth-service.js';
import type { Services } from '../services/index.js';
import {
  Closed,
  Email,
  IssuedSessionSchema,
  NoContent,
  Password,
  SecretToken,
  TotpCode,
  withProblems,
} from './schemas.js';

/** Sign-in (password, then TOTP), sign-out, first-run setup and activation links. */
export function sessionRoutes(
  services: Services,
  cookieMaxAgeSeconds: number,
  signInRateLimitPerMinute: number,
) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    // Per address, on top of per-account lockout: a hospital behind one NAT may need more.
    const sensitive = { rateLimit: { max: signInRateLimitPerMinute, timeWindow: 60_000 } };

    function setSessionCookie(reply: FastifyReply, issued: IssuedSession) {
      // __Host- prefix: Secure, Path=/ and no Domain, so no subdomain can set or read it.
      void reply.setCookie(SESSION_COOKIE, issued.sessionToken, {
        httpOnly: true,
        secure: true,
        sameSite: 'strict',
        path: '/',
        maxAge: cookieMaxAgeSeconds,
      });
      return { state: issued.state, csrfToken: issued.csrfToken };
    }

    r.get(
      '/setup',
      {
        config: { auth: 'public' },
        schema: {
          tags: ['setup'],
          summary: 'Whether first-run setup is still needed',
          response: withProblems({ 200: Type.Object({ required: Type.Boolean() }) }),
        },
      },
      async () => ({ required: await services.setup.isRequired() }),
    );

    r.post(
      '/setup',
      {
        config: { auth: 'public', ...sensitive },
        schema: {
          tags: ['setup'],
          summary: 'Complete first-run setup with the one-time token printed by the server',
          body: Type.Object(
            {
              token: SecretToken,
              organisationName: Type.String({ minLength: 1, maxLength: 200 }),
              name: Type.String({ minLength: 1, maxLength: 200 }),
              email: Email,
              password: Password,
            },
            Closed,
          ),
          response: withProblems({
            201: Type.Object({ userId: Type.String(), organisationId: Type.String() }),
          }),
        },
      },
      async (request, reply) => {
        const result = await services.setup.complete(request.body, requestContext(request));
        return reply.code(201).send(result);
      },
    );

    r.post(
      '/session',
      {
        config: { auth: 'public', ...sensitive },
        schema: {
          tags: ['session'],
          summary: 'Sign in with email and password',
          body: Type.Object(
            { email: Type.String({ minLength: 1, maxLength: 254 }), password: Password },
            Closed,
          ),
          response: withProblems({ 200: IssuedSessionSchema }),
        },
      },
      async (request, reply) => {
        const issued = await services.auth.signIn(
          request.body.email,
          request.body.password,
          requestContext(request),
        );
        return setSessionCookie(reply, issued);
      },
    );

    r.post(
      '/session/mfa',
      {
        config: { auth: 'session-pending', ...sensitive },
        schema: {
          tags: ['session'],
          summary: 'Second sign-in step: the one-time code',
          body: Type.Object({ code: TotpCode }, Closed),
          response: withProblems({ 200: IssuedSessionSchema }),
        },
      },
      async (request, reply) => {
        const { session, user } = sessionOf(request);
        const issued = await services.mfa.verifySignIn(
          session,
          user,
          request.body.code,
          requestContext(request),
        );
        return setSessionCookie(reply, issued);
      },
    );

    r.delete(
      '/session',
      {
        config: { auth: 'session-any' },
        schema: {
          tags: ['session'],
          summary: 'Sign out',
          response: withProblems({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        await services.auth.signOut(sessionOf(request).session, requestContext(request));
        return reply
          .clearCookie(SESSION_COOKIE, {
            path: '/',
            secure: true,
            httpOnly: true,
            sameSite: 'strict',
          })
          .code(204)
          .send();
      },
    );

    r.post(
      '/activate',
      {
        config: { auth: 'public', ...sensitive },
        schema: {
          tags: ['session'],
          summary: 'Set a password with a one-time activation or reset token',
          body: Type.Object({ token: SecretToken, password: Password }, Closed),
          response: withProblems({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        await services.passwords.activate(
          request.body.token,
          request.body.password,
          requestContext(request),
        );
        return reply.code(204).send();
      },
    );

    r.post(
      '/me/mfa/totp',
      {
        config: { auth: 'session-enrolling' },
        schema: {
          tags: ['me'],
          summary: 'Begin enrolling a TOTP authenticator',
          response: withProblems({
            200: Type.Object({ secret: Type.String(), uri: Type.String() }),
          }),
        },
      },
      async (request) => services.mfa.beginTotpEnrolment(sessionOf(request).user),
    );

    r.post(
      '/me/mfa/totp/confirm',
      {
        config: { auth: 'session-enrolling', ...sensitive },
        schema: {
          tags: ['me'],
          summary: 'Confirm the authenticator with a code it shows',
          body: Type.Object({ code: TotpCode }, Closed),
          response: withProblems({ 200: IssuedSessionSchema }),
        },
      },
      async (request, reply) => {
        const { session, user } = sessionOf(request);
        const issued = await services.mfa.confirmTotpEnrolment(
          session,
          user,
          request.body.code,
          requestContext(request),
        );
        return setSessionCookie(reply, issued);
      },
    );

    r.delete(
      '/me/mfa/totp',
      {
        config: { auth: 'session', ...sensitive },
        schema: {
          tags: ['me'],
          summary: 'Remove the authenticator (not for roles that require MFA)',
          body: Type.Object({ password: Password }, Closed),
          response: withProblems({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        await services.mfa.removeTotp(
          sessionOf(request).user,
          request.body.password,
          requestContext(request),
        );
        return reply.code(204).send();
      },
    );
  };
}

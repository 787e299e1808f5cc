import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { SESSION_COOKIE, requestContext, sessionOf } from '../http/authentication.js';
import type { Services } from '../services/index.js';
import { hashSecretToken } from '@vigil/core';
import {
  Closed,
  NoContent,
  OrganisationSchema,
  Password,
  RoleSchema,
  SessionStateSchema,
  withProblems,
} from './schemas.js';

/** The signed-in person's own account: who am I, password, sign out everywhere. */
export function meRoutes(services: Services, idleTimeoutSeconds: number) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/me',
      {
        config: { auth: 'session-any' },
        schema: {
          tags: ['me'],
          summary: 'The signed-in person, their session and memberships',
          response: withProblems({
            200: Type.Object({
              user: Type.Object({
                id: Type.String(),
                email: Type.String(),
                name: Type.String(),
                mfaEnabled: Type.Boolean(),
              }),
              session: Type.Object({
                state: SessionStateSchema,
                csrfToken: Type.String(),
                idleTimeoutSeconds: Type.Integer(),
              }),
              memberships: Type.Array(
                Type.Object({ organisation: OrganisationSchema, role: RoleSchema }),
              ),
            }),
          }),
        },
      },
      async (request) => {
        const { user, session, memberships, csrfToken } = sessionOf(request);
        const organisations = await services.people.listOrganisations({
          kind: 'session',
          userId: user.id,
          sessionId: session.id,
          memberships,
        });
        return {
          user: {
            id: user.id,
            email: user.email,
            name: user.name,
            mfaEnabled: user.totpSecretSealed !== null,
          },
          session: { state: session.state, csrfToken, idleTimeoutSeconds },
          memberships: organisations.map(({ role, ...organisation }) => ({ organisation, role })),
        };
      },
    );

    r.delete(
      '/me/sessions',
      {
        config: { auth: 'session' },
        schema: {
          tags: ['me'],
          summary: 'Sign out everywhere (all sessions of this person)',
          response: withProblems({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        await services.auth.signOutEverywhere(sessionOf(request).user.id, requestContext(request));
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
      '/me/password',
      {
        config: { auth: 'session', rateLimit: { max: 30, timeWindow: 60_000 } },
        schema: {
          tags: ['me'],
          summary: 'Change your password (other sessions end)',
          body: Type.Object({ currentPassword: Password, newPassword: Password }, Closed),
          response: withProblems({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        const { user, token } = sessionOf(request);
        await services.passwords.change(
          user,
          request.body.currentPassword,
          request.body.newPassword,
          hashSecretToken(token),
          requestContext(request),
        );
        return reply.code(204).send();
      },
    );
  };
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf, requestContext } from '../http/authentication.js';
import type { Services } from '../services/index.js';
import { MAX_TOKEN_DAYS } from '../services/token-service.js';
import { Closed, EpochMs, Id, Name, NoContent, PermissionSchema, withProblems } from './schemas.js';

const TokenView = Type.Object({
  id: Id,
  organisationId: Id,
  name: Type.String(),
  scopes: Type.Array(PermissionSchema),
  createdAt: EpochMs,
  expiresAt: EpochMs,
  revokedAt: Type.Union([EpochMs, Type.Null()]),
  lastUsedAt: Type.Union([EpochMs, Type.Null()]),
});

/** API tokens for automation; managed only by the person they belong to, in a session. */
export function tokenRoutes(services: Services) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/tokens',
      {
        config: { auth: 'session' },
        schema: {
          tags: ['tokens'],
          summary: 'Your API tokens',
          response: withProblems({ 200: Type.Object({ tokens: Type.Array(TokenView) }) }),
        },
      },
      async (request) => ({ tokens: await services.tokens.list(principalOf(request)) }),
    );

    r.post(
      '/tokens',
      {
        config: { auth: 'session' },
        schema: {
          tags: ['tokens'],
          summary: 'Create an API token (shown once)',
          body: Type.Object(
            {
              name: Name,
              organisationId: Id,
              scopes: Type.Array(PermissionSchema, { minItems: 1, maxItems: 16 }),
              expiresInDays: Type.Integer({ minimum: 1, maximum: MAX_TOKEN_DAYS }),
            },
            Closed,
          ),
          response: withProblems({
            201: Type.Intersect([TokenView, Type.Object({ token: Type.String() })]),
          }),
        },
      },
      async (request, reply) => {
        const { token, view } = await services.tokens.create(
          principalOf(request),
          request.body,
          requestContext(request),
        );
        return reply.code(201).send({ ...view, token });
      },
    );

    r.delete(
      '/tokens/:tokenId',
      {
        config: { auth: 'session' },
        schema: {
          tags: ['tokens'],
          summary: 'Revoke an API token',
          params: Type.Object({ tokenId: Id }, Closed),
          response: withProblems({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        await services.tokens.revoke(
          principalOf(request),
          request.params.tokenId,
          requestContext(request),
        );
        return reply.code(204).send();
      },
    );
  };
}

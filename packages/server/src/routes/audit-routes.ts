import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AUDIT_EVENT_TYPES } from '@vigil/core';
import { principalOf } from '../http/authentication.js';
import type { Services } from '../services/index.js';
import { Closed, EpochMs, Id, withProblems } from './schemas.js';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  sequence: Type.Integer(),
  occurredAt: EpochMs,
  type: Type.Union(Object.keys(AUDIT_EVENT_TYPES).map((t) => Type.Literal(t))),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  organisationId: Type.Union([Id, Type.Null()]),
  actor: Type.Object({
    kind: Type.Union([Type.Literal('user'), Type.Literal('anonymous'), Type.Literal('system')]),
    userId: Type.Optional(Type.String()),
    tokenId: Type.Optional(Type.String()),
    claimedEmail: Type.Optional(Type.String()),
  }),
  target: Type.Optional(Type.Object({ kind: Type.String(), id: Type.String() })),
  sourceIp: Type.Optional(Type.String()),
  userAgent: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  details: Type.Optional(Type.Record(Type.String(), Scalar)),
});

/** The audit trail of an organisation, oldest first, paged by sequence number. */
export function auditRoutes(services: Services) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get(
      '/organisations/:orgId/audit-events',
      {
        schema: {
          tags: ['audit'],
          summary: 'Security events of an organisation (paged by sequence)',
          params: Type.Object({ orgId: Id }, Closed),
          querystring: Type.Object(
            {
              after: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            },
            Closed,
          ),
          response: withProblems({ 200: Type.Object({ events: Type.Array(AuditEventSchema) }) }),
        },
      },
      async (request) => ({
        events: await services.auditQuery.list(
          principalOf(request),
          request.params.orgId,
          request.query.after ?? 0,
          request.query.limit ?? 100,
        ),
      }),
    );
  };
}

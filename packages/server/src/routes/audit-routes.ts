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
          // Query strings are text; bodies are never type-coerced, so parse these two here.
          querystring: Type.Object(
            {
              after: Type.Optional(
                Type.String({
                  pattern: '^[0-9]{1,15}$',
                  description: 'Return events after this sequence number',
                }),
              ),
              limit: Type.Optional(
                Type.String({
                  pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$',
                  description: '1–500, default 100',
                }),
              ),
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
          Number(request.query.after ?? 0),
          Number(request.query.limit ?? 100),
        ),
      }),
    );
  };
}

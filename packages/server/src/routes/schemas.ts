import { Type, type TSchema } from 'typebox';
import { PERMISSIONS, ROLES } from '@vigil/core';

/**
 * Shared pieces of the route schemas. Every body and query is closed
 * (`additionalProperties: false`) and bounded, so validation rejects
 * unknown fields and oversized strings before any service runs.
 */
export const Closed = { additionalProperties: false } as const;

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
export const Name = Type.String({ minLength: 1, maxLength: 200 });
/** Passwords are bounded only by the policy's maximum (NIST: accept ≥ 64). */
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
export const Id = Type.String({ format: 'uuid' });
export const SecretToken = Type.String({
  minLength: 10,
  maxLength: 200,
  pattern: '^vgl_[a-z]+_[A-Za-z0-9_-]+$',
});
export const TotpCode = Type.String({ pattern: '^[0-9]{6}$' });
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const PermissionSchema = Type.Union(PERMISSIONS.map((p) => Type.Literal(p)));
export const EpochMs = Type.Integer({
  minimum: 0,
  description: 'Milliseconds since the Unix epoch',
});

export const OrgParams = Type.Object({ orgId: Id }, Closed);
export const OrgUserParams = Type.Object({ orgId: Id, userId: Id }, Closed);

export const SessionStateSchema = Type.Union([
  Type.Literal('active'),
  Type.Literal('mfa-pending'),
  Type.Literal('mfa-enrolment'),
]);
export const IssuedSessionSchema = Type.Object({
  state: SessionStateSchema,
  csrfToken: Type.String(),
});

export const OrganisationSchema = Type.Object({
  id: Id,
  kind: Type.Union([Type.Literal('manufacturer'), Type.Literal('care')]),
  name: Type.String(),
  manufacturerId: Type.Union([Id, Type.Null()]),
  createdAt: EpochMs,
});

export const PersonSchema = Type.Object({
  id: Id,
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  mfaEnabled: Type.Boolean(),
  activated: Type.Boolean(),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    requestId: Type.String(),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details; switch on `code`.' },
);

/** Standard error answers documented on every route. */
export function withProblems(responses: Record<number, TSchema>): Record<number | string, TSchema> {
  return { ...responses, '4xx': ProblemSchema, '5xx': ProblemSchema };
}

export const NoContent = Type.Null({ description: 'No content' });

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf, requestContext } from '../http/authentication.js';
import type { Services } from '../services/index.js';
import {
  Closed,
  Email,
  Id,
  Name,
  NoContent,
  OrgParams,
  OrgUserParams,
  OrganisationSchema,
  PersonSchema,
  RoleSchema,
  withProblems,
} from './schemas.js';

const CreatedPerson = Type.Object({
  user: PersonSchema,
  activationToken: Type.Union([Type.String(), Type.Null()]),
});

/** Organisations, the care organisations a manufacturer serves, and their people. */
export function organisationRoutes(services: Services) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const { people } = services;

    r.get(
      '/organisations',
      {
        schema: {
          tags: ['organisations'],
          summary: 'Organisations you belong to, with your role in each',
          response: withProblems({
            200: Type.Object({
              organisations: Type.Array(
                Type.Intersect([OrganisationSchema, Type.Object({ role: RoleSchema })]),
              ),
            }),
          }),
        },
      },
      async (request) => ({ organisations: await people.listOrganisations(principalOf(request)) }),
    );

    r.get(
      '/organisations/:orgId/served',
      {
        schema: {
          tags: ['organisations'],
          summary: 'Care organisations a manufacturer serves',
          params: OrgParams,
          response: withProblems({
            200: Type.Object({ organisations: Type.Array(OrganisationSchema) }),
          }),
        },
      },
      async (request) => ({
        organisations: await people.listServed(principalOf(request), request.params.orgId),
      }),
    );

    r.post(
      '/organisations/:orgId/served',
      {
        schema: {
          tags: ['organisations'],
          summary: 'Create a care organisation served by this manufacturer, with its first admin',
          params: OrgParams,
          body: Type.Object({ name: Name, adminEmail: Email, adminName: Name }, Closed),
          response: withProblems({
            201: Type.Object({
              organisation: OrganisationSchema,
              admin: Type.Object({
                userId: Id,
                activationToken: Type.Union([Type.String(), Type.Null()]),
              }),
            }),
          }),
        },
      },
      async (request, reply) => {
        const result = await people.createServed(
          principalOf(request),
          request.params.orgId,
          request.body,
          requestContext(request),
        );
        return reply.code(201).send(result);
      },
    );

    r.get(
      '/organisations/:orgId/users',
      {
        schema: {
          tags: ['people'],
          summary: 'People in an organisation',
          params: OrgParams,
          response: withProblems({ 200: Type.Object({ users: Type.Array(PersonSchema) }) }),
        },
      },
      async (request) => ({
        users: await people.listPeople(principalOf(request), request.params.orgId),
      }),
    );

    r.post(
      '/organisations/:orgId/users',
      {
        schema: {
          tags: ['people'],
          summary: 'Add a person; a new account gets a one-time activation token (shown once)',
          params: OrgParams,
          body: Type.Object({ email: Email, name: Name, role: RoleSchema }, Closed),
          response: withProblems({ 201: CreatedPerson }),
        },
      },
      async (request, reply) => {
        const result = await people.addPerson(
          principalOf(request),
          request.params.orgId,
          request.body,
          requestContext(request),
        );
        return reply.code(201).send(result);
      },
    );

    r.patch(
      '/organisations/:orgId/users/:userId',
      {
        schema: {
          tags: ['people'],
          summary: "Change a person's role",
          params: OrgUserParams,
          body: Type.Object({ role: RoleSchema }, Closed),
          response: withProblems({ 200: PersonSchema }),
        },
      },
      async (request) =>
        people.changeRole(
          principalOf(request),
          request.params.orgId,
          request.params.userId,
          request.body.role,
          requestContext(request),
        ),
    );

    r.delete(
      '/organisations/:orgId/users/:userId',
      {
        schema: {
          tags: ['people'],
          summary: 'Remove a person from the organisation',
          params: OrgUserParams,
          response: withProblems({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        await people.removePerson(
          principalOf(request),
          request.params.orgId,
          request.params.userId,
          requestContext(request),
        );
        return reply.code(204).send();
      },
    );

    r.post(
      '/organisations/:orgId/users/:userId/mfa-reset',
      {
        schema: {
          tags: ['people'],
          summary: "Remove a person's lost authenticator (their sessions end; they enrol again)",
          params: OrgUserParams,
          response: withProblems({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        await people.resetMfa(
          principalOf(request),
          request.params.orgId,
          request.params.userId,
          requestContext(request),
        );
        return reply.code(204).send();
      },
    );

    r.post(
      '/organisations/:orgId/users/:userId/reset',
      {
        schema: {
          tags: ['people'],
          summary:
            "Reset a person's password: their sessions end and a one-time reset token is returned",
          params: OrgUserParams,
          response: withProblems({ 200: Type.Object({ resetToken: Type.String() }) }),
        },
      },
      async (request) =>
        people.issueReset(
          principalOf(request),
          request.params.orgId,
          request.params.userId,
          requestContext(request),
        ),
    );
  };
}

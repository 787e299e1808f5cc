import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf, requestContext } from '../http/authentication.js';
import type { Services } from '../services/index.js';
import { MAX_ENROLMENT_TOKEN_HOURS } from '../services/enrolment-service.js';
import { Closed, EpochMs, Id, Name, NoContent, OrgParams, withProblems } from './schemas.js';

const Label = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f]+$' });
const DeviceParams = Type.Object({ orgId: Id, deviceId: Id }, Closed);
const ModelParams = Type.Object({ orgId: Id, model: Label }, Closed);
const ModelSchema = Type.Object({
  id: Id,
  name: Type.String(),
  attestationRequired: Type.Boolean(),
  vendorRootsPem: Type.Array(Type.String()),
  createdAt: EpochMs,
});
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const DeviceSchema = Type.Object({
  id: Id,
  organisationId: Id,
  model: Type.String(),
  hardwareRevision: Nullable(Type.String()),
  serialNumber: Nullable(Type.String()),
  site: Nullable(Type.String()),
  status: Type.Union([
    Type.Literal('active'),
    Type.Literal('quarantined'),
    Type.Literal('revoked'),
  ]),
  certSerial: Type.String(),
  certNotAfter: EpochMs,
  hardwareAttested: Type.Boolean(),
  softwareVersion: Nullable(Type.String()),
  lastSeenAt: Type.Union([EpochMs, Type.Null()]),
  enrolledAt: EpochMs,
  careOrganisationId: Type.Union([Id, Type.Null()], {
    description: 'The care organisation its readings belong to; null: it cannot upload readings',
  }),
});

const TokenSchema = Type.Object({
  id: Id,
  organisationId: Id,
  name: Type.String(),
  model: Type.String(),
  site: Nullable(Type.String()),
  usesTotal: Type.Integer(),
  usesRemaining: Type.Integer(),
  createdAt: EpochMs,
  expiresAt: EpochMs,
  revokedAt: Type.Union([EpochMs, Type.Null()]),
  careOrganisationId: Type.Union([Id, Type.Null()]),
});

/** Operators' view of devices: the device CA, enrolment tokens, the registry and its actions. */
export function deviceRoutes(services: Services) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const { devices, enrolment, deviceCas } = services;

    r.get(
      '/organisations/:orgId/device-ca',
      {
        schema: {
          tags: ['devices'],
          summary: 'The device CA: issuing and root certificates with fingerprints',
          params: OrgParams,
          response: withProblems({
            200: Type.Object({
              issuingCertificatePem: Type.String(),
              rootCertificatePem: Type.String(),
              issuingFingerprintSha256: Type.String(),
              rootFingerprintSha256: Type.String(),
              issuingNotAfter: EpochMs,
            }),
          }),
        },
      },
      async (request) => deviceCas.describe(principalOf(request), request.params.orgId),
    );

    r.get(
      '/organisations/:orgId/device-models',
      {
        schema: {
          tags: ['devices'],
          summary: 'Device models and their attestation policy',
          params: OrgParams,
          response: withProblems({ 200: Type.Object({ models: Type.Array(ModelSchema) }) }),
        },
      },
      async (request) => ({
        models: await enrolment.listModels(principalOf(request), request.params.orgId),
      }),
    );

    r.put(
      '/organisations/:orgId/device-models/:model',
      {
        schema: {
          tags: ['devices'],
          summary:
            'Set a device model: whether genuine-hardware attestation is required, and the vendor roots',
          params: ModelParams,
          body: Type.Object(
            {
              attestationRequired: Type.Boolean(),
              vendorRootsPem: Type.Array(Type.String({ maxLength: 16_384 }), { maxItems: 16 }),
            },
            Closed,
          ),
          response: withProblems({ 200: ModelSchema }),
        },
      },
      async (request) =>
        enrolment.putModel(
          principalOf(request),
          request.params.orgId,
          request.params.model,
          request.body,
          requestContext(request),
        ),
    );

    r.post(
      '/organisations/:orgId/device-models/:model/batches',
      {
        schema: {
          tags: ['devices'],
          summary: "Add a production batch's hardware serial numbers to the model's allow-list",
          params: ModelParams,
          body: Type.Object(
            {
              batch: Label,
              serials: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
                minItems: 1,
                maxItems: 100_000,
              }),
            },
            Closed,
          ),
          response: withProblems({ 200: Type.Object({ added: Type.Integer() }) }),
        },
      },
      async (request) => ({
        added: await enrolment.addBatch(
          principalOf(request),
          request.params.orgId,
          request.params.model,
          request.body,
          requestContext(request),
        ),
      }),
    );

    r.get(
      '/organisations/:orgId/enrolment-tokens',
      {
        schema: {
          tags: ['devices'],
          summary: 'Enrolment tokens (never their secrets)',
          params: OrgParams,
          response: withProblems({ 200: Type.Object({ tokens: Type.Array(TokenSchema) }) }),
        },
      },
      async (request) => ({
        tokens: await enrolment.listTokens(principalOf(request), request.params.orgId),
      }),
    );

    r.post(
      '/organisations/:orgId/enrolment-tokens',
      {
        schema: {
          tags: ['devices'],
          summary: 'Create an enrolment token for one device or a batch (shown once)',
          params: OrgParams,
          body: Type.Object(
            {
              name: Name,
              model: Label,
              site: Type.Optional(Label),
              count: Type.Integer({ minimum: 1, maximum: 10_000 }),
              expiresInHours: Type.Integer({ minimum: 1, maximum: MAX_ENROLMENT_TOKEN_HOURS }),
              careOrganisationId: Type.Optional(
                Type.Union([Id, Type.Null()], {
                  description:
                    'The care organisation (one this manufacturer serves) the devices report readings to',
                }),
              ),
            },
            Closed,
          ),
          response: withProblems({
            201: Type.Intersect([TokenSchema, Type.Object({ token: Type.String() })]),
          }),
        },
      },
      async (request, reply) => {
        const { token, view } = await enrolment.createToken(
          principalOf(request),
          request.params.orgId,
          request.body,
          requestContext(request),
        );
        return reply.code(201).send({ ...view, token });
      },
    );

    r.delete(
      '/organisations/:orgId/enrolment-tokens/:tokenId',
      {
        schema: {
          tags: ['devices'],
          summary: 'Revoke an enrolment token',
          params: Type.Object({ orgId: Id, tokenId: Id }, Closed),
          response: withProblems({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        await enrolment.revokeToken(
          principalOf(request),
          request.params.orgId,
          request.params.tokenId,
          requestContext(request),
        );
        return reply.code(204).send();
      },
    );

    r.get(
      '/organisations/:orgId/devices',
      {
        schema: {
          tags: ['devices'],
          summary: 'Devices with status, certificate expiry and last check-in',
          params: OrgParams,
          response: withProblems({ 200: Type.Object({ devices: Type.Array(DeviceSchema) }) }),
        },
      },
      async (request) => ({
        devices: await devices.list(principalOf(request), request.params.orgId),
      }),
    );

    r.get(
      '/organisations/:orgId/devices/:deviceId',
      {
        schema: {
          tags: ['devices'],
          summary: 'One device',
          params: DeviceParams,
          response: withProblems({ 200: DeviceSchema }),
        },
      },
      async (request) =>
        devices.get(principalOf(request), request.params.orgId, request.params.deviceId),
    );

    for (const action of ['quarantine', 'release', 'revoke'] as const) {
      r.post(
        `/organisations/:orgId/devices/:deviceId/${action}`,
        {
          schema: {
            tags: ['devices'],
            summary:
              action === 'quarantine'
                ? 'Quarantine a device: it may only check in and fetch updates'
                : action === 'release'
                  ? 'Release a device from quarantine'
                  : 'Revoke a device: refused at once on every request and listed in the CRL',
            params: DeviceParams,
            response: withProblems({ 200: DeviceSchema }),
          },
        },
        async (request) =>
          devices.setStatus(
            principalOf(request),
            request.params.orgId,
            request.params.deviceId,
            action,
            requestContext(request),
          ),
      );
    }
  };
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { VigilError } from '@vigil/core';
import { principalOf, requestContext } from '../http/authentication.js';
import type { Services } from '../services/index.js';
import { MAX_RETENTION_DAYS } from '../services/retention-service.js';
import type { BatchRow, DataKeyRow } from '../store/telemetry-store.js';
import { Closed, EpochMs, Id, withProblems } from './schemas.js';
import {
  BODY_LIMITS,
  DATA_KEY_ID_PATTERN,
  DataKeySchema,
  KeyManifestSchema,
  MemberKeySchema,
  P256PublicJwkSchema,
  PseudonymTableJweSchema,
  SmallJweSchema,
  TeamKeyJweSchema,
} from './telemetry-schemas.js';

const TAGS = ['telemetry'];
const OrgParams = Type.Object({ orgId: Id }, Closed);
/** As `@vigil/protect` writes pseudonyms: `p<version>_<base32>`. */
const Pseudonym = Type.String({ pattern: '^p[1-9][0-9]{0,5}_[a-z2-7]{32}$' });
const Limit = (max: number) =>
  Type.Optional(
    Type.String({
      pattern: '^[1-9][0-9]{0,3}$',
      description: `Page size, 1–${max} (larger values are capped)`,
    }),
  );
const Cursor = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'The `next` of the previous page',
  }),
);
const Time = Type.Optional(
  Type.String({ format: 'date-time', maxLength: 40, description: 'ISO 8601 date-time' }),
);

const BatchSchema = Type.Object({
  id: Id,
  deviceId: Id,
  sequence: Type.Integer(),
  pseudonym: Type.String(),
  epoch: Type.Integer(),
  kid: Type.String({ description: 'The data key (see data-keys?kid=)' }),
  from: { ...EpochMs, description: 'First reading time (from the batch header), epoch ms' },
  to: { ...EpochMs, description: 'Last reading time, epoch ms' },
  createdAt: EpochMs,
  receivedAt: EpochMs,
  size: Type.Integer({ description: 'Bytes of the compact JWE' }),
  sha256: Type.String({ description: 'Hex SHA-256 of the compact JWE' }),
  jwe: Type.String({ description: 'The compact JWE as the gateway sent it' }),
  devicePublicJwk: Type.Union([P256PublicJwkSchema, Type.Null()], {
    description:
      "The P-256 key of the device certificate the batch came with: verify the device's signature with it",
  }),
});

const UpdatedEpoch = Type.Object({ epoch: Type.Integer(), updatedAt: EpochMs });
const RetentionSchema = Type.Object({
  days: Type.Integer(),
  updatedAt: Type.Union([EpochMs, Type.Null()], { description: 'null: the default' }),
});

/**
 * The care organisation's protected telemetry (docs/telemetry.md, operator
 * API): member keys, the signed key manifest, wrapped keys, and the
 * ciphertext clinicians decrypt on their own machines.
 */
export function telemetryRoutes(services: Services) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const { keys, telemetry, retention } = services;

    r.put(
      '/organisations/:orgId/member-keys/me',
      {
        schema: {
          tags: TAGS,
          summary: 'Register (or replace) your own member key: an ECDH P-256 public JWK',
          params: OrgParams,
          body: Type.Object({ publicJwk: P256PublicJwkSchema }, Closed),
          response: withProblems({ 200: MemberKeySchema }),
        },
      },
      async (request) =>
        keys.registerMemberKey(
          principalOf(request),
          request.params.orgId,
          request.body.publicJwk,
          requestContext(request),
        ),
    );

    r.get(
      '/organisations/:orgId/member-keys',
      {
        schema: {
          tags: TAGS,
          summary: "Members' registered public keys (keys:manage or data:read)",
          params: OrgParams,
          response: withProblems({
            200: Type.Object({
              members: Type.Array(
                Type.Intersect([
                  MemberKeySchema,
                  Type.Object({
                    email: Type.String(),
                    displayName: Type.String(),
                    role: Type.String(),
                  }),
                ]),
              ),
            }),
          }),
        },
      },
      async (request) => ({
        members: await keys.listMemberKeys(principalOf(request), request.params.orgId),
      }),
    );

    r.put(
      '/organisations/:orgId/key-manifest',
      {
        bodyLimit: BODY_LIMITS.manifest,
        schema: {
          tags: TAGS,
          summary:
            'Publish a signed key manifest; the first fixes the signing key, later ones must verify under it with a higher version',
          params: OrgParams,
          body: Type.Object(
            {
              jws: Type.String({ minLength: 1, maxLength: 256 * 1024 }),
              signingPublicJwk: P256PublicJwkSchema,
            },
            Closed,
          ),
          response: withProblems({ 200: KeyManifestSchema }),
        },
      },
      async (request) =>
        keys.publishManifest(
          principalOf(request),
          request.params.orgId,
          request.body,
          requestContext(request),
        ),
    );

    r.get(
      '/organisations/:orgId/key-manifest',
      {
        schema: {
          tags: TAGS,
          summary: 'The current key manifest (ERR_MANIFEST_NOT_FOUND before the first)',
          params: OrgParams,
          response: withProblems({ 200: KeyManifestSchema }),
        },
      },
      async (request) => keys.currentManifest(principalOf(request), request.params.orgId),
    );

    r.put(
      '/organisations/:orgId/team-keys/:epoch',
      {
        bodyLimit: BODY_LIMITS.teamKey,
        schema: {
          tags: TAGS,
          summary: "Store or replace an epoch's wrapped team key",
          params: Type.Object(
            { orgId: Id, epoch: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }) },
            Closed,
          ),
          body: Type.Object({ jwe: TeamKeyJweSchema }, Closed),
          response: withProblems({ 200: UpdatedEpoch }),
        },
      },
      async (request) =>
        keys.putTeamKey(
          principalOf(request),
          request.params.orgId,
          Number(request.params.epoch),
          request.body.jwe,
          requestContext(request),
        ),
    );

    r.get(
      '/organisations/:orgId/team-keys',
      {
        schema: {
          tags: TAGS,
          summary: "Every epoch's wrapped team key (keys:manage or data:read)",
          params: OrgParams,
          response: withProblems({
            200: Type.Object({
              teamKeys: Type.Array(
                Type.Object({ epoch: Type.Integer(), jwe: TeamKeyJweSchema, updatedAt: EpochMs }),
              ),
            }),
          }),
        },
      },
      async (request) => ({
        teamKeys: await keys.listTeamKeys(principalOf(request), request.params.orgId),
      }),
    );

    r.put(
      '/organisations/:orgId/pseudonym-secret',
      {
        schema: {
          tags: TAGS,
          summary: 'Store the staff copy of the pseudonym secret, wrapped to a team epoch',
          params: OrgParams,
          body: Type.Object({ jwe: SmallJweSchema }, Closed),
          response: withProblems({ 200: UpdatedEpoch }),
        },
      },
      async (request) =>
        keys.putPseudonymSecret(
          principalOf(request),
          request.params.orgId,
          request.body.jwe,
          requestContext(request),
        ),
    );

    r.get(
      '/organisations/:orgId/pseudonym-secret',
      {
        schema: {
          tags: TAGS,
          summary: 'The staff copy of the pseudonym secret (keys:manage or data:read)',
          params: OrgParams,
          response: withProblems({
            200: Type.Object({ epoch: Type.Integer(), jwe: SmallJweSchema, updatedAt: EpochMs }),
          }),
        },
      },
      async (request) => keys.pseudonymSecret(principalOf(request), request.params.orgId),
    );

    r.get(
      '/organisations/:orgId/data-keys',
      {
        schema: {
          tags: TAGS,
          summary: "Gateways' wrapped data keys, by kid (keys:manage or data:read)",
          params: OrgParams,
          querystring: Type.Object(
            {
              kid: Type.Optional(Type.String({ pattern: DATA_KEY_ID_PATTERN })),
              after: Type.Optional(Type.String({ pattern: DATA_KEY_ID_PATTERN })),
              limit: Limit(500),
            },
            Closed,
          ),
          response: withProblems({
            200: Type.Object({
              dataKeys: Type.Array(DataKeySchema),
              next: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
        },
      },
      async (request) => {
        const { kid, after } = request.query;
        const limit = Math.min(Number(request.query.limit ?? 100), 500);
        const dataKeys = await keys.listDataKeys(principalOf(request), request.params.orgId, {
          ...(kid === undefined ? {} : { kid }),
          ...(after === undefined ? {} : { after }),
          limit,
        });
        const last = dataKeys.at(-1);
        return {
          dataKeys: dataKeys.map(dataKeyView),
          next: dataKeys.length === limit && last ? last.kid : null,
        };
      },
    );

    r.get(
      '/organisations/:orgId/pseudonym-tables',
      {
        schema: {
          tags: TAGS,
          summary: "Each device's latest staff copy of its pseudonym table (data:read)",
          params: OrgParams,
          response: withProblems({
            200: Type.Object({
              pseudonymTables: Type.Array(
                Type.Object({
                  deviceId: Id,
                  version: Type.Integer(),
                  jwe: PseudonymTableJweSchema,
                  updatedAt: EpochMs,
                }),
              ),
            }),
          }),
        },
      },
      async (request) => ({
        pseudonymTables: await telemetry.pseudonymTables(
          principalOf(request),
          request.params.orgId,
        ),
      }),
    );

    r.get(
      '/organisations/:orgId/pseudonyms',
      {
        schema: {
          tags: TAGS,
          summary: 'Pseudonyms with readings: batch count, first and last reading time (data:read)',
          params: OrgParams,
          querystring: Type.Object({ after: Type.Optional(Pseudonym), limit: Limit(1000) }, Closed),
          response: withProblems({
            200: Type.Object({
              pseudonyms: Type.Array(
                Type.Object({
                  pseudonym: Type.String(),
                  batches: Type.Integer(),
                  first: EpochMs,
                  last: EpochMs,
                }),
              ),
              next: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
        },
      },
      async (request) =>
        telemetry.pseudonyms(principalOf(request), request.params.orgId, {
          ...(request.query.after === undefined ? {} : { after: request.query.after }),
          limit: Number(request.query.limit ?? 1000),
        }),
    );

    r.get(
      '/organisations/:orgId/batches',
      {
        schema: {
          tags: TAGS,
          summary:
            'Protected batches (ciphertext and metadata), oldest first, paged by next (data:read)',
          params: OrgParams,
          querystring: Type.Object(
            {
              pseudonym: Type.Optional(Pseudonym),
              from: Time,
              to: Time,
              after: Cursor,
              limit: Limit(500),
            },
            Closed,
          ),
          response: withProblems({
            200: Type.Object({
              batches: Type.Array(BatchSchema),
              next: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
        },
      },
      async (request) => {
        const { pseudonym, after } = request.query;
        const from = time(request.query.from, 'from');
        const to = time(request.query.to, 'to');
        if (from !== undefined && to !== undefined && from > to) {
          throw new VigilError('ERR_REQUEST_INVALID', 'from must not be after to.');
        }
        const page = await telemetry.batches(principalOf(request), request.params.orgId, {
          ...(pseudonym === undefined ? {} : { pseudonym }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          ...(after === undefined ? {} : { after }),
          limit: Number(request.query.limit ?? 100),
        });
        return { batches: page.batches.map(batchView), next: page.next };
      },
    );

    r.get(
      '/organisations/:orgId/retention',
      {
        schema: {
          tags: TAGS,
          summary: 'How long batches are kept (days; default 3,650)',
          params: OrgParams,
          response: withProblems({ 200: RetentionSchema }),
        },
      },
      async (request) => retention.policy(principalOf(request), request.params.orgId),
    );

    r.put(
      '/organisations/:orgId/retention',
      {
        schema: {
          tags: TAGS,
          summary: 'Set how long batches are kept; older ones are deleted by a periodic sweep',
          params: OrgParams,
          body: Type.Object(
            { days: Type.Integer({ minimum: 1, maximum: MAX_RETENTION_DAYS }) },
            Closed,
          ),
          response: withProblems({ 200: RetentionSchema }),
        },
      },
      async (request) =>
        retention.setPolicy(
          principalOf(request),
          request.params.orgId,
          request.body.days,
          requestContext(request),
        ),
    );
  };
}

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new VigilError('ERR_REQUEST_INVALID', `${name} must be an ISO 8601 date-time.`);
  }
  return ms;
}

function batchView(b: BatchRow) {
  return {
    id: b.id,
    deviceId: b.deviceId,
    sequence: b.sequence,
    pseudonym: b.pseudonym,
    epoch: b.epoch,
    kid: b.kid,
    from: b.fromAt,
    to: b.toAt,
    createdAt: b.createdAt,
    receivedAt: b.receivedAt,
    size: b.size,
    sha256: b.sha256,
    jwe: b.jwe,
    devicePublicJwk: b.devicePublicJwk,
  };
}

function dataKeyView(k: DataKeyRow) {
  return { kid: k.kid, epoch: k.epoch, deviceId: k.deviceId, jwe: k.jwe, createdAt: k.createdAt };
}

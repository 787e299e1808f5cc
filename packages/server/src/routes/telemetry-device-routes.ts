import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { VigilError } from '@vigil/core';
import { requestContext } from '../http/authentication.js';
import { deviceOf } from '../http/device-app.js';
import { sendProblem } from '../http/problem.js';
import { MAX_BATCH_BYTES } from '../services/ingest-service.js';
import type { Services } from '../services/index.js';
import { Closed, withProblems } from './schemas.js';
import {
  BODY_LIMITS,
  DataKeyId,
  KeyManifestSchema,
  PseudonymTableJweSchema,
  SmallJweSchema,
} from './telemetry-schemas.js';

/** RFC 7515/7516 §9: the media type of a JWS or JWE in compact serialization. */
export const JOSE_MEDIA_TYPE = 'application/jose';

const StoredStatus = Type.Union([Type.Literal('stored'), Type.Literal('duplicate')]);

export const BATCHES_PATH = '/device/v1/batches';

/** What `trackBatchArrivals` hands the batch route: the arrival of one request, if counted. */
export type BatchArrivals = (request: FastifyRequest) => (() => void) | undefined;

/**
 * Counts batch requests from their first hook on (before authentication, which
 * waits for the database while a commit holds it), so the group commit in
 * progress waits for their bodies instead of committing each on its own.
 * Register on the listener before its authentication hook.
 */
export function trackBatchArrivals(app: FastifyInstance, services: Services): BatchArrivals {
  const arriving = new WeakMap<FastifyRequest, () => void>();
  const settle = async (request: FastifyRequest) => arriving.get(request)?.();
  app.addHook('onRequest', async (request) => {
    if (request.method === 'POST' && request.routeOptions.url === BATCHES_PATH) {
      arriving.set(request, services.ingest.expectBatch());
    }
  });
  app.addHook('onResponse', settle);
  app.addHook('onRequestAbort', settle);
  return (request) => arriving.get(request);
}

/**
 * Protected telemetry on the device listener (docs/telemetry.md): every
 * route acts as the device of the client certificate, for the care
 * organisation its enrolment token named.
 */
export function telemetryDeviceRoutes(
  services: Services,
  arrivals: BatchArrivals = () => undefined,
) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const { ingest } = services;

    // A batch is the compact JWE itself, kept as the exact string received (its digest decides
    // duplicate or conflict). Larger than the JSON limit, so it has a parser and limit of its own.
    // Read as bytes and decoded as Latin-1 in one copy: a compact JWE is ASCII, for which that
    // is the same string as UTF-8 gives, without decoding chunk by chunk; any byte above 0x7F
    // makes a character outside base64url, which structureOfBatch refuses as malformed.
    app.addContentTypeParser(
      JOSE_MEDIA_TYPE,
      { parseAs: 'buffer', bodyLimit: MAX_BATCH_BYTES },
      (_request, body, done) => done(null, (body as Buffer).toString('latin1')),
    );

    r.get(
      '/device/v1/key-manifest',
      { schema: { response: withProblems({ 200: KeyManifestSchema }) } },
      async (request) => ingest.keyManifest(deviceOf(request)),
    );

    r.put(
      '/device/v1/data-keys/:kid',
      {
        schema: {
          params: Type.Object({ kid: DataKeyId }, Closed),
          body: Type.Object({ jwe: SmallJweSchema }, Closed),
          response: withProblems({
            200: Type.Object({ kid: Type.String(), status: StoredStatus }),
            201: Type.Object({ kid: Type.String(), status: StoredStatus }),
          }),
        },
      },
      async (request, reply) => {
        const status = await ingest.putDataKey(
          deviceOf(request),
          request.params.kid,
          request.body.jwe,
          requestContext(request),
        );
        return reply
          .code(status === 'stored' ? 201 : 200)
          .send({ kid: request.params.kid, status });
      },
    );

    r.put(
      '/device/v1/pseudonym-table',
      {
        bodyLimit: BODY_LIMITS.pseudonymTable,
        schema: {
          body: Type.Object({ jwe: PseudonymTableJweSchema }, Closed),
          response: withProblems({ 200: Type.Object({ version: Type.Integer() }) }),
        },
      },
      async (request) => ({
        version: await ingest.putPseudonymTable(deviceOf(request), request.body.jwe),
      }),
    );

    r.post(
      BATCHES_PATH,
      {
        bodyLimit: MAX_BATCH_BYTES,
        schema: {
          // No minLength: ajv would count the code points of megabytes; structureOfBatch refuses ''.
          body: Type.String({ description: `${JOSE_MEDIA_TYPE}: the compact JWE` }),
          response: withProblems({
            200: Type.Object({ status: StoredStatus, sequence: Type.Integer() }),
            201: Type.Object({ status: StoredStatus, sequence: Type.Integer() }),
          }),
        },
        // A batch over the limit has a code of its own: resending it as is can never succeed.
        errorHandler: (error, request, reply) => {
          const tooLarge = (error as Partial<FastifyError>).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
          sendProblem(
            request,
            reply,
            tooLarge
              ? new VigilError(
                  'ERR_BATCH_TOO_LARGE',
                  `A batch may be at most ${MAX_BATCH_BYTES} bytes.`,
                  { details: { maxBytes: MAX_BATCH_BYTES } },
                )
              : error,
          );
        },
      },
      async (request, reply) => {
        const result = await ingest.ingest(
          deviceOf(request),
          request.body,
          requestContext(request),
          arrivals(request),
        );
        return reply.code(result.status === 'stored' ? 201 : 200).send(result);
      },
    );

    r.post(
      '/device/v1/alarms',
      {
        schema: {
          body: Type.Object(
            {
              kind: Type.Union([Type.Literal('queue-warning'), Type.Literal('queue-critical')]),
              count: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
              bytes: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
            },
            Closed,
          ),
          response: withProblems({ 202: Type.Null({ description: 'Recorded' }) }),
        },
      },
      async (request, reply) => {
        await ingest.alarm(deviceOf(request), request.body, requestContext(request));
        return reply.code(202).send();
      },
    );
  };
}

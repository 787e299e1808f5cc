import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { deviceOf } from '../http/device-app.js';
import { requestContext } from '../http/authentication.js';
import type { Services } from '../services/index.js';
import { acceptPkcs10, CSR_BODY_LIMIT, PKCS7_CERTS_ONLY, sendCertificates } from './est-routes.js';
import { Closed, withProblems } from './schemas.js';

/** Routes of the device listener; every one runs as the device of the client certificate. */
export function deviceRoutes(services: Services) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    acceptPkcs10(app);

    // A connectivity probe for agents: the onRequest hook has already checked the certificate
    // against the registry (unknown, revoked and superseded ones are refused there). Nothing is
    // recorded; a quarantined device is told so, as on every route but check-in and updates.
    r.get(
      '/device/v1/ping',
      { schema: { response: withProblems({ 204: Type.Null({ description: 'Authenticated' }) }) } },
      async (request, reply) => {
        services.devices.assertNotQuarantined(deviceOf(request));
        return reply.code(204).send();
      },
    );

    r.post(
      '/device/v1/check-in',
      {
        schema: {
          body: Type.Object(
            { softwareVersion: Type.String({ minLength: 1, maxLength: 64 }) },
            Closed,
          ),
          response: withProblems({
            200: Type.Object({
              deviceId: Type.String(),
              status: Type.String(),
              certificateExpiresAt: Type.Integer(),
              renewAfter: Type.Integer(),
            }),
          }),
        },
      },
      async (request) => services.devices.checkIn(deviceOf(request), request.body.softwareVersion),
    );

    r.post(
      '/.well-known/est/simplereenroll',
      {
        schema: {
          body: Type.String({ minLength: 1, maxLength: CSR_BODY_LIMIT }),
          response: withProblems({
            200: Type.String({ description: `${PKCS7_CERTS_ONLY}, base64` }),
          }),
        },
      },
      async (request, reply) => {
        const device = deviceOf(request);
        services.devices.assertNotQuarantined(device);
        const certificate = await services.devices.reenrol(
          device,
          request.body,
          requestContext(request),
        );
        return sendCertificates(reply, [certificate.certPem]);
      },
    );

    r.get(
      '/.well-known/est/cacerts',
      {
        schema: { response: withProblems({ 200: Type.String() }) },
      },
      async (request, reply) =>
        sendCertificates(reply, await services.deviceCas.chain(deviceOf(request).organisationId)),
    );
  };
}

import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { ServerOptions as HttpsOptions } from 'node:https';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { VigilError } from '@vigil/core';
import { deviceRoutes } from '../routes/device-api-routes.js';
import { telemetryDeviceRoutes, trackBatchArrivals } from '../routes/telemetry-device-routes.js';
import {
  readPresentedCertificate,
  type DevicePrincipal,
  type PresentedCertificate,
} from '../services/device-service.js';
import type { Services } from '../services/index.js';
import { requestContext } from './authentication.js';
import { sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The device on the other end of the mutual-TLS connection. */
    device: DevicePrincipal | null;
  }
}

export interface DeviceAppDeps {
  readonly services: Services;
  /** TLS options with `requestCert` and `rejectUnauthorized` set (see `deviceTlsOptions`). */
  readonly https?: HttpsOptions;
  readonly logger?: FastifyServerOptions['logger'];
}

/**
 * The device API: a listener of its own that only completes a TLS handshake
 * with a client certificate issued by one of this server's device CAs
 * (FDA premarket guidance App. 1: mutually authenticated, per-device
 * credentials). The TLS layer refuses strangers, rogue CAs and expired
 * certificates; each request then checks the registry (revocation,
 * quarantine, superseded certificates), so a revocation is immediate.
 */
export async function buildDeviceApp(deps: DeviceAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.https ? { https: deps.https } : {}),
    logger: deps.logger ?? false,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors: (error, request, reply) => {
      sendProblem(request, reply, error);
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }) as unknown as FastifyInstance;

  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new VigilError('ERR_NOT_FOUND', 'No such resource.')),
  );
  app.decorateRequest('device', null);
  const batchArrivals = trackBatchArrivals(app, deps.services);

  // A certificate cannot change within a TLS connection (renegotiation is off, see tls-options.ts),
  // so it is read once per connection;
  // the registry checks (revocation, quarantine, superseded) still run on every request.
  const presentedOn = new WeakMap<object, PresentedCertificate>();
  app.addHook('onRequest', async (request) => {
    const socket = request.raw.socket as Partial<TLSSocket>;
    let presented = presentedOn.get(socket);
    if (!presented) {
      const certificate = socket.getPeerCertificate?.(false);
      if (!socket.authorized || !certificate?.raw) {
        throw new VigilError('ERR_DEVICE_UNKNOWN', 'Present the device certificate (mutual TLS).');
      }
      presented = readPresentedCertificate(new Uint8Array(certificate.raw));
      presentedOn.set(socket, presented);
    }
    request.device = await deps.services.devices.authenticate(presented, requestContext(request));
  });

  await app.register(deviceRoutes(deps.services));
  await app.register(telemetryDeviceRoutes(deps.services, batchArrivals));
  return app;
}

/** The device of a request on the device listener. */
export function deviceOf(request: { device: DevicePrincipal | null }): DevicePrincipal {
  if (!request.device)
    throw new VigilError('ERR_DEVICE_UNKNOWN', 'Present the device certificate (mutual TLS).');
  return request.device;
}

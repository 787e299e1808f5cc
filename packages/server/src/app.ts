import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ServerOptions as HttpsOptions } from 'node:https';
import { VigilError } from '@vigil/core';
import { registerAuthentication } from './http/authentication.js';
import { createMetrics, operationsRoutes } from './http/operations.js';
import { sendProblem } from './http/problem.js';
import { APP_CSP_DIRECTIVES, DOCS_CSP } from './http/security-headers.js';
import { auditRoutes } from './routes/audit-routes.js';
import { deviceRoutes } from './routes/device-routes.js';
import { estRoutes } from './routes/est-routes.js';
import { meRoutes } from './routes/me-routes.js';
import { organisationRoutes } from './routes/organisation-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { telemetryRoutes } from './routes/telemetry-routes.js';
import { tokenRoutes } from './routes/token-routes.js';
import type { Services } from './services/index.js';
import type { Store } from './store/store.js';
import type { VigilConfig } from './config/config.js';

export interface AppDeps {
  readonly config: VigilConfig;
  readonly store: Store;
  readonly services: Services;
  /** TLS options; omitted only by tests that use `app.inject()`. */
  readonly https?: HttpsOptions;
  /** The built web app (packages/web/dist); the app serves an explanatory page if absent. */
  readonly webRoot?: string;
  readonly logger?: FastifyServerOptions['logger'];
}

/** JSON bodies above this are refused with ERR_REQUEST_TOO_LARGE. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Builds the HTTPS application: plugins, routes and error mapping. Listening,
 * signals and shutdown live in `server.ts` (fastify/demo's app/server split),
 * so tests build the same app and drive it with `inject()`.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, services, store } = deps;
  const app = Fastify({
    ...(deps.https ? { https: deps.https } : {}),
    logger: deps.logger ?? false,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors raised before routing (bad URL, over-long parameters) answer as problem+json too.
    frameworkErrors: (error, request, reply) => {
      sendProblem(request, reply, error);
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }) as unknown as FastifyInstance;

  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  // The web app routes on the client: any other page path gets its shell (index.html).
  const webShell =
    deps.webRoot && existsSync(join(deps.webRoot, 'index.html'))
      ? readFileSync(join(deps.webRoot, 'index.html'))
      : null;
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || !['GET', 'HEAD'].includes(request.method) || !webShell) {
      return sendProblem(request, reply, new VigilError('ERR_NOT_FOUND', 'No such resource.'));
    }
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(webShell);
  });

  await app.register(helmet, {
    contentSecurityPolicy: { directives: APP_CSP_DIRECTIVES },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: true,
  });
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) =>
      new VigilError(
        'ERR_REQUEST_RATE_LIMITED',
        `Rate limit exceeded; retry in ${context.after}.`,
        {
          details: { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
        },
      ),
  });
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Vigil API',
        version: '1',
        description: 'Errors are RFC 9457 problem+json with a stable `code` (see docs/errors.md).',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: '__Host-vigil_session' },
          apiToken: { type: 'http', scheme: 'bearer', description: 'vgl_pat_… API token' },
        },
      },
      security: [{ session: [] }, { apiToken: [] }],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    transformStaticCSP: () => DOCS_CSP,
    uiHooks: { onRequest: (_request, _reply, done) => done() },
  });
  app.get('/api/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  registerAuthentication(app, services);
  const registry = createMetrics(app);
  await app.register(operationsRoutes({ store, metricsPublic: config.metricsPublic, registry }));

  await app.register(estRoutes(services));

  const idleSeconds = config.sessionIdleMinutes * 60;
  await app.register(
    async (api) => {
      await api.register(
        sessionRoutes(
          services,
          config.sessionAbsoluteHours * 3600,
          config.signInRateLimitPerMinute,
        ),
      );
      await api.register(meRoutes(services, idleSeconds));
      await api.register(organisationRoutes(services));
      await api.register(tokenRoutes(services));
      await api.register(auditRoutes(services));
      await api.register(deviceRoutes(services));
      await api.register(telemetryRoutes(services));
    },
    { prefix: '/api/v1' },
  );

  if (deps.webRoot && webShell) {
    const webRoot = deps.webRoot;
    await app.register(async (web) => {
      // The web app's files are public (they hold no data); mark their routes so, explicitly.
      web.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), auth: 'public' };
      });
      await web.register(fastifyStatic, {
        root: webRoot,
        wildcard: false,
        index: 'index.html',
        decorateReply: false,
      });
    });
  }

  app.addHook('onClose', async () => store.close());
  return app;
}

import type { FastifyInstance } from 'fastify';
import client from 'prom-client';
import { VigilError, roleAllows } from '@vigil/core';
import type { Store } from '../store/store.js';

/**
 * Health and metrics for operators. `/healthz` says the process runs;
 * `/readyz` that it can reach its store; `/metrics` is Prometheus text and
 * needs an API token or session with `audit:read` in a manufacturer
 * organisation unless the operator made it public on purpose.
 */
export function operationsRoutes(deps: {
  store: Store;
  metricsPublic: boolean;
  registry: client.Registry;
}) {
  return async function (app: FastifyInstance): Promise<void> {
    app.get(
      '/healthz',
      { config: { auth: 'public', rateLimit: false }, schema: { hide: true } },
      async () => ({ status: 'ok' }),
    );

    app.get(
      '/readyz',
      { config: { auth: 'public', rateLimit: false }, schema: { hide: true } },
      async (_request, reply) => {
        try {
          await deps.store.ping();
          return { status: 'ready' };
        } catch (cause) {
          throw new VigilError('ERR_UNAVAILABLE', 'The store cannot be reached.', { cause });
        } finally {
          void reply.header('cache-control', 'no-store');
        }
      },
    );

    app.get(
      '/metrics',
      { config: { auth: deps.metricsPublic ? 'public' : 'principal' }, schema: { hide: true } },
      async (request, reply) => {
        if (!deps.metricsPublic) {
          const allowed = await Promise.all(
            (request.principal?.memberships ?? []).map(async (m) => {
              const organisation = await deps.store.getOrganisation(m.organisationId);
              const scoped =
                request.principal?.kind !== 'token' ||
                request.principal.scopes.includes('audit:read');
              return (
                organisation?.kind === 'manufacturer' && roleAllows(m.role, 'audit:read') && scoped
              );
            }),
          );
          if (!allowed.includes(true)) {
            throw new VigilError(
              'ERR_AUTH_FORBIDDEN',
              'Metrics need audit:read in the manufacturer organisation.',
            );
          }
        }
        return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
      },
    );
  };
}

/** Request counts and latency by route and status, plus the process's default metrics. */
export function createMetrics(app: FastifyInstance): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  const duration = new client.Histogram({
    name: 'vigil_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  return registry;
}

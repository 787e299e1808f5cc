import { createHash } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildDeviceApp } from './http/device-app.js';
import { deviceTlsOptions } from './tls/device-tls.js';
import { buildApp } from './app.js';
import { DEFAULT_WEB_ROOT, createServices, type ServiceOptions } from './composition.js';
import { SETTINGS, type VigilConfig } from './config/config.js';
import { systemContext } from './services/request-context.js';
import type { Services } from './services/index.js';
import { openStore } from './store/index.js';
import type { Store } from './store/store.js';
import { DEV_TLS_FILES, loadServerTls, type ServerTls } from './tls/index.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  /** The device API (mutual TLS) on its own port. */
  readonly deviceApp: FastifyInstance;
  /** https:// base URL of the device listener. */
  readonly deviceUrl: string;
  readonly store: Store;
  readonly services: Services;
  /** The https:// base URL people use. */
  readonly url: string;
  /** SHA-256 fingerprint of the development CA, or null with a production certificate. */
  readonly caFingerprint: string | null;
  /** The development CA certificate people trust (`curl --cacert`), or null with a production certificate. */
  readonly caCertPath: string | null;
  /** The one-time setup token when setup is still required (print it; never log it). */
  readonly setupToken: string | null;
  close(): Promise<void>;
}

/** Log fields that must never reach a log line (secrets, credentials, session material). */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.code',
  '*.secret',
];

/**
 * Starts Vigil: store (migrations applied), TLS material, services, then the
 * HTTPS listener. Records a `config.changed` event when the effective
 * configuration differs from the previous start, and issues a setup token
 * while no account exists.
 */
export async function startServer(
  config: VigilConfig,
  options: ServiceOptions & { webRoot?: string } = {},
): Promise<RunningServer> {
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    const tls = await loadServerTls(config);
    const services = createServices(config, store, options);
    const logger: FastifyServerOptions['logger'] =
      config.logLevel === 'silent'
        ? false
        : { level: config.logLevel, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } };
    await recordConfigChange(config, store, services);
    const setupToken = (await services.setup.isRequired())
      ? (await services.setup.issueToken(systemContext('startup'))).token
      : null;

    const app = await buildApp({
      config,
      store,
      services,
      https: tls.options,
      webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
      logger:
        config.logLevel === 'silent'
          ? false
          : { level: config.logLevel, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } },
    });
    await app.listen({ host: config.host, port: config.httpsPort });
    const deviceApp = await startDeviceListener(config, services, tls, logger);
    const sweeps = startRetentionSweeps(services, config.retentionSweepMinutes * 60_000, app);
    const port = portOf(app, config.httpsPort);
    const url = config.publicUrl ?? `https://localhost:${port}`;
    const deviceUrl = `https://${new URL(url).hostname}:${portOf(deviceApp, config.devicePort)}`;
    return {
      app,
      deviceApp,
      deviceUrl,
      store,
      services,
      url,
      caFingerprint: tls.caFingerprintSha256,
      caCertPath:
        tls.caFingerprintSha256 === null ? null : join(config.dataDir, 'tls', DEV_TLS_FILES.caCert),
      setupToken,
      close: async () => {
        await sweeps.stop();
        await deviceApp.close();
        await app.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The configuration as recorded for change detection: credentials in the database URL are masked. */
export function configFingerprintSource(config: VigilConfig): Record<string, unknown> {
  const recorded: Record<string, unknown> = {};
  for (const s of SETTINGS) recorded[s.key] = config[s.key];
  if (typeof recorded['databaseUrl'] === 'string') {
    recorded['databaseUrl'] = recorded['databaseUrl'].replace(/\/\/[^@/]*@/, '//***@');
  }
  return recorded;
}

async function recordConfigChange(
  config: VigilConfig,
  store: Store,
  services: Services,
): Promise<void> {
  const current = configFingerprintSource(config);
  const previousText = await store.getMeta('config');
  const currentText = JSON.stringify(current);
  if (previousText === currentText) return;
  const previous = previousText ? (JSON.parse(previousText) as Record<string, unknown>) : {};
  const changed = Object.keys(current).filter(
    (k) => JSON.stringify(previous[k]) !== JSON.stringify(current[k]),
  );
  await store.putMeta('config', currentText);
  await services.audit.record(
    {
      type: 'config.changed',
      actor: { kind: 'system' },
      details: {
        changed: changed.join(','),
        firstStart: previousText === undefined,
        fingerprint: createHash('sha256').update(currentText).digest('hex').slice(0, 16),
      },
    },
    systemContext('startup'),
  );
}

/** Closes on SIGINT/SIGTERM: stop accepting, finish in-flight requests, close the store. */
export function closeOnSignals(
  server: RunningServer,
  onClosed: (error?: unknown) => void,
  graceMs = 10_000,
): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    server.app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(
      () => onClosed(new Error(`Shutdown took longer than ${graceMs} ms.`)),
      graceMs,
    );
    timer.unref();
    server.close().then(
      () => onClosed(),
      (error: unknown) => onClosed(error),
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

function portOf(app: FastifyInstance, fallback: number): number {
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : fallback;
}

/**
 * Deletes telemetry past each organisation's retention period every
 * `intervalMs` (docs/telemetry.md). One sweep at a time; the timer is
 * unref'd, so it never keeps the process alive on its own, and `stop` waits
 * for a sweep in progress so the store is not closed under it.
 */
function startRetentionSweeps(
  services: Services,
  intervalMs: number,
  app: FastifyInstance,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= services.retention
      .sweep(systemContext('retention'))
      .then(
        () => undefined,
        (error: unknown) => app.log.error({ err: error }, 'retention sweep failed'),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The device listener trusts exactly the issuing CAs of the device CAs in
 * the store, reloaded whenever one is created, and records every client
 * certificate the TLS layer refuses (at most one event per address a minute).
 */
async function startDeviceListener(
  config: VigilConfig,
  services: Services,
  tls: ServerTls,
  logger: FastifyServerOptions['logger'],
): Promise<FastifyInstance> {
  const trust = async () => deviceTlsOptions(tls, await services.deviceCas.trustedCertificates());
  const deviceApp = await buildDeviceApp({ services, https: await trust(), logger });
  services.deviceCas.onTrustChanged = () => {
    void trust().then((options) => (deviceApp.server as HttpsServer).setSecureContext(options));
  };
  const lastAudit = new Map<string, number>();
  deviceApp.server.on(
    'tlsClientError',
    (error: Error & { code?: string }, socket: { remoteAddress?: string }) => {
      const sourceIp = socket.remoteAddress ?? 'unknown';
      const now = Date.now();
      if ((lastAudit.get(sourceIp) ?? 0) > now - 60_000) return;
      lastAudit.set(sourceIp, now);
      void services.audit
        .record(
          {
            type: 'device.certificate-rejected',
            outcome: 'failure',
            actor: { kind: 'anonymous' },
            details: { reason: 'tls', tlsError: error.code ?? error.message.slice(0, 100) },
          },
          { requestId: 'tls', sourceIp },
        )
        .catch(() => undefined);
    },
  );
  await deviceApp.listen({ host: config.host, port: config.devicePort });
  return deviceApp;
}

import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, startServer, systemContext, type RunningServer } from '@vigil/server';

export interface StartedTestServer {
  /** https://localhost:<port> — web app, API, EST enrolment. */
  readonly url: string;
  /** https://localhost:<port> — the mutual-TLS device listener. */
  readonly deviceUrl: string;
  /** The development CA that signed both listeners' certificate (trust anchor for clients). */
  readonly caCertPem: string;
  readonly setupToken: string;
  readonly server: RunningServer;
  readonly dataDir: string;
  /** Completes setup and creates the device CA on first use; returns the manufacturer organisation id. */
  manufacturer(): Promise<string>;
  /** A fresh enrolment token (`count` uses, default 1) for `model` (default 'gateway-1'). */
  createEnrolmentToken(options?: {
    model?: string;
    count?: number;
    expiresInHours?: number;
    site?: string;
  }): Promise<string>;
  revokeDevice(deviceId: string): Promise<void>;
  quarantineDevice(deviceId: string): Promise<void>;
  releaseDevice(deviceId: string): Promise<void>;
  close(): Promise<void>;
}

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;

/**
 * The real HTTPS server (dev CA, SQLite in a fresh data dir, the built web
 * app, the device listener) on 127.0.0.1 and free ports, for browser, agent
 * and wire-level tests. Setup is left undone until `manufacturer()` (or a
 * device helper) needs it, so a browser test can still walk through it.
 */
export async function startTestServer(
  env: Record<string, string> = {},
): Promise<StartedTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-server-'));
  const server = await startServer(
    loadConfig({
      env: {
        VIGIL_DATA_DIR: dataDir,
        VIGIL_HTTPS_PORT: '0',
        VIGIL_DEVICE_PORT: '0',
        VIGIL_LOG_LEVEL: 'silent',
        ...env,
      },
    }),
  );
  const setupToken = server.setupToken;
  if (!setupToken) throw new Error('a fresh server must print a setup token');
  const context = systemContext('test');
  let organisation: Promise<string> | undefined;

  const manufacturer = () =>
    (organisation ??= (async () => {
      const { organisationId } = await server.services.setup.complete(
        {
          token: setupToken,
          organisationName: 'Example Medical Devices',
          name: 'Test Operator',
          email: 'operator@maker.example',
          password: 'a lengthy passphrase for checks',
        },
        context,
      );
      await server.services.deviceCas.initialise(
        OPERATOR,
        organisationId,
        'a test root passphrase that is long',
        context,
      );
      return organisationId;
    })());

  const setStatus = async (deviceId: string, action: 'quarantine' | 'release' | 'revoke') => {
    await server.services.devices.setStatus(
      OPERATOR,
      await manufacturer(),
      deviceId,
      action,
      context,
    );
  };

  return {
    url: server.url,
    deviceUrl: server.deviceUrl,
    caCertPem: readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8'),
    setupToken,
    server,
    dataDir,
    manufacturer,
    createEnrolmentToken: async (options = {}) => {
      const { token } = await server.services.enrolment.createToken(
        OPERATOR,
        await manufacturer(),
        {
          name: 'test',
          model: options.model ?? 'gateway-1',
          site: options.site ?? null,
          count: options.count ?? 1,
          expiresInHours: options.expiresInHours ?? 1,
        },
        context,
      );
      return token;
    },
    revokeDevice: (deviceId) => setStatus(deviceId, 'revoke'),
    quarantineDevice: (deviceId) => setStatus(deviceId, 'quarantine'),
    releaseDevice: (deviceId) => setStatus(deviceId, 'release'),
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

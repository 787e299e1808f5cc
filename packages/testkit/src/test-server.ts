import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@vigil/server';

export interface StartedTestServer {
  /** https://localhost:<port> */
  readonly url: string;
  readonly setupToken: string;
  readonly server: RunningServer;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * The real HTTPS server (dev CA, SQLite in a fresh data dir, the built web
 * app) on 127.0.0.1 and a free port, for browser and wire-level tests.
 */
export async function startTestServer(
  env: Record<string, string> = {},
): Promise<StartedTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-server-'));
  const server = await startServer(
    loadConfig({
      env: { VIGIL_DATA_DIR: dataDir, VIGIL_HTTPS_PORT: '0', VIGIL_LOG_LEVEL: 'silent', ...env },
    }),
  );
  if (!server.setupToken) throw new Error('a fresh server must print a setup token');
  return {
    url: server.url,
    setupToken: server.setupToken,
    server,
    dataDir,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, openStore, startServer, type RunningServer } from '@vigil/server';
import { createTempDir, type TempDir } from '@vigil/testkit';

function get(server: RunningServer, path: string, ca: string): Promise<number> {
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername: 'localhost', ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('starting the server', () => {
  let dir: TempDir;
  before(async () => {
    dir = await createTempDir('vigil-start-');
  });
  after(() => dir.remove());
  const config = (extra: Record<string, string> = {}) =>
    loadConfig({
      env: { VIGIL_DATA_DIR: dir.path, VIGIL_HTTPS_PORT: '0', VIGIL_LOG_LEVEL: 'silent', ...extra },
    });

  it('serves HTTPS with its development CA and issues a setup token while no account exists', async () => {
    const server = await startServer(config());
    try {
      assert.match(server.setupToken ?? '', /^vgl_setup_/);
      assert.match(server.caFingerprint ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const ca = readFileSync(join(dir.path, 'tls', 'ca.pem'), 'utf8');
      assert.equal(await get(server, '/healthz', ca), 200);
      assert.equal(await get(server, '/readyz', ca), 200);
    } finally {
      await server.close();
    }
  });

  it('records a config.changed event on first start and when settings change, not on a plain restart', async () => {
    await (await startServer(config())).close();
    await (await startServer(config({ VIGIL_SESSION_IDLE_MINUTES: '5' }))).close();
    const store = await openStore({ dataDir: dir.path, databaseUrl: null });
    try {
      const changes = (await store.listAllAuditEvents(0, 1000)).filter(
        (e) => e.type === 'config.changed',
      );
      assert.equal(changes.length, 2, 'first start, then the idle-timeout change');
      assert.equal(changes[0]?.details?.['firstStart'], true);
      assert.equal(changes[1]?.details?.['changed'], 'sessionIdleMinutes');
    } finally {
      await store.close();
    }
  });

  it('issues a fresh setup token on every start while setup is pending, invalidating the last', async () => {
    const first = await startServer(config());
    const token = first.setupToken;
    await first.close();
    const second = await startServer(config());
    try {
      assert.notEqual(second.setupToken, token);
      await assert.rejects(
        second.services.setup.complete(
          {
            token: token ?? '',
            organisationName: 'X',
            name: 'Y Person',
            email: 'y@example.org',
            password: 'a long enough passphrase',
          },
          { requestId: 't', sourceIp: '127.0.0.1' },
        ),
        { code: 'ERR_SETUP_TOKEN_INVALID' },
      );
    } finally {
      await second.close();
    }
  });
});

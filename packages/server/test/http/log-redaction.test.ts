import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { TestApp, TestAgent } from '@vigil/testkit';

describe('logs', () => {
  let t: TestApp;
  let log = '';
  before(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    t = await TestApp.create({ logStream: stream });
  });
  after(() => t.close());

  it('are JSON lines with a request id, and never contain a password, session, CSRF or API token', async () => {
    const { organisationId, admin } = await t.setup();
    await t
      .agent()
      .post('/api/v1/session', { email: admin.email, password: 'a wrong password typed here' });
    const agent = await t.signIn(admin);
    const created = await agent.post('/api/v1/tokens', {
      name: 'ci',
      organisationId,
      scopes: ['org:read'],
      expiresInDays: 1,
    });
    const token = created.json<{ token: string }>().token;
    await TestAgent.withToken(t.app, token).get('/api/v1/organisations');
    await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: {
        cookie: `__Host-vigil_session=${agent.cookie ?? ''}`,
        'x-csrf-token': agent.csrfToken ?? '',
      },
    });

    const lines = log.trim().split('\n');
    assert.ok(lines.length > 10, `only ${lines.length} log lines: ${log.slice(0, 500)}`);
    for (const line of lines) {
      const entry = JSON.parse(line) as { reqId?: string };
      assert.ok(entry.reqId === undefined || /^[0-9a-f-]{36}$/.test(entry.reqId));
    }
    for (const secret of [
      admin.password,
      'a wrong password typed here',
      agent.cookie!,
      agent.csrfToken!,
      token,
      admin.totpSecret!,
    ]) {
      assert.ok(!log.includes(secret), `log leaks ${secret.slice(0, 12)}…`);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tempDir } from '@vigil/testkit';
import { completeSetup, parseJson, runCli, withServices } from './cli-harness.js';

interface SetupOutput {
  readonly link: string;
  readonly token: string;
  readonly expiresAt: number;
}

describe('when setup has not been done', () => {
  it('prints a setup link and a vgl_setup_ token on its own line', async (t) => {
    const run = await runCli(await tempDir(t), ['setup']);
    assert.equal(run.code, 0);
    const lines = run.stdout.split('\n');
    const token = lines.find((line) => /^vgl_setup_/.test(line));
    assert.ok(token, run.stdout);
    assert.ok(run.stdout.includes(`/setup#token=${token}`));
    assert.match(run.stdout, /1 hour/);
  });

  it('invalidates the previous token when run again', async (t) => {
    const dataDir = await tempDir(t);
    const first = parseJson<SetupOutput>((await runCli(dataDir, ['setup', '--json'])).stdout);
    const second = parseJson<SetupOutput>((await runCli(dataDir, ['setup', '--json'])).stdout);
    assert.match(first.token, /^vgl_setup_/);
    assert.notEqual(first.token, second.token);

    await assert.rejects(completeSetup(dataDir, first.token), { code: 'ERR_SETUP_TOKEN_INVALID' });
    const done = await completeSetup(dataDir, second.token);
    assert.ok(done.organisationId);
  });

  it('records the issue as an audit event by the system, from the CLI', async (t) => {
    const dataDir = await tempDir(t);
    await runCli(dataDir, ['setup']);
    const events = await withServices(dataDir, (_services, store) =>
      store.listAllAuditEvents(0, 100),
    );
    const issued = events.find((e) => e.type === 'setup.token-issued');
    assert.deepEqual(issued?.actor, { kind: 'system' });
    assert.equal(issued?.requestId, 'cli');
  });
});

describe('when setup has been done', () => {
  it('exits 1 with ERR_SETUP_DONE', async (t) => {
    const dataDir = await tempDir(t);
    const { token } = parseJson<SetupOutput>((await runCli(dataDir, ['setup', '--json'])).stdout);
    await completeSetup(dataDir, token);

    const run = await runCli(dataDir, ['setup']);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^vigil: .*\(ERR_SETUP_DONE\)\n$/);

    const json = await runCli(dataDir, ['setup', '--json']);
    assert.equal(json.code, 1);
    assert.equal(
      parseJson<{ error: { code: string; message: string } }>(json.stderr).error.code,
      'ERR_SETUP_DONE',
    );
  });
});

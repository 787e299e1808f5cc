import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '@vigil/testkit';
import { parseJson, runCli, setUpInstallation, withServices } from './cli-harness.js';

describe('when the operator backs up an installation and restores it elsewhere', () => {
  it('brings back its people, and records both acts as audit events by the system', async (t) => {
    const source = await tempDir(t);
    const target = await tempDir(t);
    const file = join(await tempDir(t), 'vigil.backup');
    await setUpInstallation(source);
    await runCli(source, [
      'user',
      'create',
      '--email',
      'ann@maker.example',
      '--name',
      'Ann',
      '--role',
      'auditor',
    ]);

    const created = await runCli(source, ['backup', 'create', file, '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(
      parseJson<{ file: string; manifest: { engine: string } }>(created.stdout).manifest.engine,
      'sqlite',
    );

    const restored = await runCli(target, ['backup', 'restore', file]);
    assert.equal(restored.code, 0, restored.stderr);
    const { users } = parseJson<{ users: Array<{ email: string }> }>(
      (await runCli(target, ['user', 'list', '--json'])).stdout,
    );
    assert.ok(users.some((u) => u.email === 'ann@maker.example'));

    const types = (dataDir: string) =>
      withServices(dataDir, async (_services, store) =>
        (await store.listAllAuditEvents(0, 1000))
          .filter((e) => e.type.startsWith('backup.'))
          .map((e) => [e.type, e.actor.kind]),
      );
    assert.deepEqual(await types(source), [['backup.created', 'system']]);
    assert.deepEqual(await types(target), [['backup.restored', 'system']]);
  });

  it('refuses to restore over an installation with ERR_BACKUP_TARGET_NOT_EMPTY', async (t) => {
    const source = await tempDir(t);
    const file = join(await tempDir(t), 'vigil.backup');
    await setUpInstallation(source);
    assert.equal((await runCli(source, ['backup', 'create', file])).code, 0);

    const run = await runCli(source, ['backup', 'restore', file, '--json']);
    assert.equal(run.code, 1);
    assert.equal(
      parseJson<{ error: { code: string } }>(run.stderr).error.code,
      'ERR_BACKUP_TARGET_NOT_EMPTY',
    );
  });
});

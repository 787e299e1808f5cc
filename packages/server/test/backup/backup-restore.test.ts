import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock, type AuditEvent } from '@vigil/core';
import {
  TEST_DATABASE_URL,
  forEachEngine,
  tempDir,
  type StoreTarget,
  type TestEngine,
} from '@vigil/testkit';
import { createBackup, restoreBackup } from '../../src/backup/index.js';
import {
  LATEST_SCHEMA_VERSION,
  type MembershipRow,
  type Store,
  type User,
} from '../../src/store/index.js';

const NOW = Date.UTC(2026, 0, 15, 9, 0, 0);

interface Population {
  readonly users: User[];
  readonly memberships: MembershipRow[];
  readonly events: AuditEvent[];
  readonly secretsKey: Buffer;
}

/** People in two organisations, their memberships, audit events and the secrets key file. */
async function populate(store: Store, target: StoreTarget): Promise<Population> {
  const maker = await store.createOrganisation({
    kind: 'manufacturer',
    name: 'Maker',
    manufacturerId: null,
    now: NOW,
  });
  const care = await store.createOrganisation({
    kind: 'care',
    name: 'Hospital',
    manufacturerId: maker.id,
    now: NOW,
  });
  const users: User[] = [];
  for (const [n, email] of [
    'ada@maker.example',
    'bo@hospital.example',
    'cy@hospital.example',
  ].entries()) {
    const user = await store.createUser({
      email,
      name: `Person ${n}`,
      passwordHash: `hash-${n}`,
      now: NOW + n,
    });
    await store.addMembership({
      userId: user.id,
      organisationId: n === 0 ? maker.id : care.id,
      role: n === 0 ? 'admin' : 'clinician',
      now: NOW,
    });
    await store.appendAuditEvent(
      {
        type: 'user.created',
        outcome: 'success',
        organisationId: maker.id,
        actor: { kind: 'system' },
        target: { kind: 'user', id: user.id },
        details: { n },
      },
      NOW + n,
    );
    users.push(user);
  }
  await store.updateUser(users[0]!.id, {
    totpSecretSealed: 'sealed-with-the-secrets-key',
    totpLastStep: 42,
  });
  users[0] = (await store.getUser(users[0]!.id))!;
  await store.appendAuditEvent(
    { type: 'config.changed', outcome: 'success', organisationId: null, actor: { kind: 'system' } },
    NOW + 9,
  );
  await store.putThrottle('address:192.0.2.1', { failures: 3, lockedUntil: 0, lastFailureAt: NOW });
  await store.putMeta('config', '{"httpsPort":8443}');

  const secretsKey = randomBytes(32);
  await mkdir(join(target.dataDir, 'keys'), { recursive: true, mode: 0o700 });
  await writeFile(join(target.dataDir, 'keys', 'secrets.key'), secretsKey, { mode: 0o600 });
  return {
    users,
    memberships: (await Promise.all(users.map((u) => store.listMembershipsOfUser(u.id)))).flat(),
    events: await store.listAllAuditEvents(0, 100),
    secretsKey,
  };
}

/**
 * A populated source, its backup, and an empty target. PostgreSQL archives
 * name their schema, so the source is disposed first (the disaster) and the
 * target is a fresh schema of the same name; SQLite gets a fresh data dir.
 */
async function backedUp(engine: TestEngine, dir: string) {
  const source = await engine.createTarget();
  const store = await source.open();
  const population = await populate(store, source);
  const file = join(dir, 'vigil.vigil-backup');
  const manifest = await createBackup(source, file, { clock: new ManualClock(NOW) });
  await source.dispose();
  const target = await engine.createTarget({
    ...(source.postgresSchema ? { postgresSchema: source.postgresSchema } : {}),
  });
  return { population, file, manifest, target };
}

async function flipByte(file: string, position: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, position);
    byte[0] = byte[0]! ^ 0xff;
    await handle.write(byte, 0, 1, position);
  } finally {
    await handle.close();
  }
}

async function assertTargetStillEmpty(target: StoreTarget): Promise<void> {
  assert.equal(existsSync(join(target.dataDir, 'keys')), false, 'no keys written');
  const store = await target.open();
  assert.equal(await store.countUsers(), 0, 'no rows restored');
}

forEachEngine('backups', (engine) => {
  describe('when a backup is restored into an empty target', () => {
    it('brings back the same people, memberships, audit events and secrets key', async (t) => {
      const { population, file, manifest, target } = await backedUp(engine, await tempDir(t));

      assert.deepEqual(await restoreBackup(target, file), manifest);

      const store = await target.open();
      for (const user of population.users) assert.deepEqual(await store.getUser(user.id), user);
      assert.deepEqual(
        (await Promise.all(population.users.map((u) => store.listMembershipsOfUser(u.id)))).flat(),
        population.memberships,
      );
      assert.deepEqual(await store.listAllAuditEvents(0, 100), population.events);
      assert.deepEqual(await store.getThrottle('address:192.0.2.1'), {
        failures: 3,
        lockedUntil: 0,
        lastFailureAt: NOW,
      });
      assert.equal(await store.getMeta('config'), '{"httpsPort":8443}');
      const key = join(target.dataDir, 'keys', 'secrets.key');
      assert.deepEqual(await readFile(key), population.secretsKey);
      assert.equal((await stat(key)).mode & 0o777, 0o600);

      const next = await store.appendAuditEvent(
        {
          type: 'backup.restored',
          outcome: 'success',
          organisationId: null,
          actor: { kind: 'system' },
        },
        NOW,
      );
      assert.ok(
        next.sequence > population.events.at(-1)!.sequence,
        'the sequence continues, never reused',
      );
    });

    it('records what it holds in the manifest, and the file is readable by its owner only', async (t) => {
      const { population, file, manifest } = await backedUp(engine, await tempDir(t));
      assert.equal(manifest.engine, engine.name);
      assert.equal(manifest.formatVersion, 1);
      assert.equal(manifest.createdAt, new Date(NOW).toISOString());
      assert.equal(manifest.schemaVersion, LATEST_SCHEMA_VERSION);
      assert.equal(manifest.rowCounts.users, 3);
      assert.equal(manifest.rowCounts.memberships, 3);
      assert.equal(manifest.rowCounts.audit_events, population.events.length);
      assert.match(manifest.dump.sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(
        manifest.files.map((f) => [f.path, f.size, f.mode]),
        [['keys/secrets.key', 32, 0o600]],
      );
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.match((await readFile(file)).subarray(0, 16).toString('ascii'), /^VIGIL-BACKUP\/1 /);
    });
  });

  describe('when the backup file is corrupted', () => {
    it('refuses it with ERR_BACKUP_INVALID and leaves the target untouched', async (t) => {
      const { file, target } = await backedUp(engine, await tempDir(t));
      await flipByte(file, (await stat(file)).size - 100);
      await assert.rejects(restoreBackup(target, file), { code: 'ERR_BACKUP_INVALID' });
      await assertTargetStillEmpty(target);
    });

    it('refuses a manifest changed after writing, and a file that is no backup', async (t) => {
      const { file, target } = await backedUp(engine, await tempDir(t));
      const text = await readFile(file, 'latin1');
      await writeFile(file, text.replace('"users": 3', '"users": 4'), 'latin1');
      await assert.rejects(restoreBackup(target, file), { code: 'ERR_BACKUP_INVALID' });
      await writeFile(file, 'not a backup');
      await assert.rejects(restoreBackup(target, file), { code: 'ERR_BACKUP_INVALID' });
      await assertTargetStillEmpty(target);
    });
  });

  describe('when the target is not empty', () => {
    it('refuses with ERR_BACKUP_TARGET_NOT_EMPTY if it has a database', async (t) => {
      const source = await engine.createTarget();
      const store = await source.open();
      await store.createUser({
        email: 'ada@maker.example',
        name: 'Ada',
        passwordHash: null,
        now: NOW,
      });
      const file = join(await tempDir(t), 'vigil.vigil-backup');
      await createBackup(source, file);
      await assert.rejects(restoreBackup(source, file), { code: 'ERR_BACKUP_TARGET_NOT_EMPTY' });
      assert.equal(await store.countUsers(), 1);
    });

    it('refuses with ERR_BACKUP_TARGET_NOT_EMPTY if its data directory already has keys', async (t) => {
      const { file, target } = await backedUp(engine, await tempDir(t));
      await mkdir(join(target.dataDir, 'keys'), { recursive: true });
      await writeFile(join(target.dataDir, 'keys', 'secrets.key'), 'a different key');
      await assert.rejects(restoreBackup(target, file), { code: 'ERR_BACKUP_TARGET_NOT_EMPTY' });
      assert.equal(
        await readFile(join(target.dataDir, 'keys', 'secrets.key'), 'utf8'),
        'a different key',
      );
    });
  });

  describe('when the target is another engine or schema', () => {
    it('refuses with ERR_BACKUP_TARGET_MISMATCH', async (t) => {
      const { file, target } = await backedUp(engine, await tempDir(t));
      const otherEngine = {
        dataDir: target.dataDir,
        databaseUrl: engine.name === 'sqlite' ? TEST_DATABASE_URL : null,
      };
      await assert.rejects(restoreBackup(otherEngine, file), {
        code: 'ERR_BACKUP_TARGET_MISMATCH',
      });
      if (engine.name === 'postgres') {
        const otherSchema = await engine.createTarget();
        await assert.rejects(restoreBackup(otherSchema, file), {
          code: 'ERR_BACKUP_TARGET_MISMATCH',
        });
      }
    });
  });
});

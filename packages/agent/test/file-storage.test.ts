import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  FileStorage,
  createCertificateRequest,
  isAgentError,
  type AgentErrorCode,
  type StoredIdentity,
} from '@vigil/agent';
import { tempDir } from './fakes/temp-dir.js';

const PASSPHRASE = 'bG9uZy1yYW5kb20tbWFjaGluZS1zZWNyZXQtMzJi'; // as if from a keystore

async function identity(overrides: Partial<StoredIdentity> = {}): Promise<StoredIdentity> {
  const { keyPkcs8Pem } = await createCertificateRequest({ serialNumber: 'SN-0001' });
  return {
    deviceId: '0190c1e2-0000-7000-8000-000000000001',
    organisationId: 'org-1',
    keyPkcs8Pem,
    certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    caChainPem: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n',
    serverTrustPem: '-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n',
    enrolUrl: 'https://vigil.example:8443',
    deviceUrl: 'https://vigil.example:8444',
    enrolledAt: Date.UTC(2026, 0, 1),
    ...overrides,
  };
}

const keyFiles = (dir: string) => readdirSync(dir).filter((f) => /^key-.*\.pem$/.test(f));
const mode = (path: string) => statSync(path).mode & 0o777;
const rejectsWith = (code: AgentErrorCode) => (error: unknown) =>
  isAgentError(error) && error.code === code;

describe('FileStorage', () => {
  describe('when saving', () => {
    it('creates the directory 0700 and writes every file 0600', async (t) => {
      const dir = join(await tempDir(t), 'agent');
      await new FileStorage({ directory: dir }).save(await identity());
      assert.equal(mode(dir), 0o700);
      const files = readdirSync(dir);
      assert.deepEqual(files.sort(), ['identity.json', ...keyFiles(dir)].sort());
      for (const file of files) assert.equal(mode(join(dir, file)), 0o600, file);
    });

    it('keeps the key out of identity.json', async (t) => {
      const dir = await tempDir(t);
      await new FileStorage({ directory: dir }).save(await identity());
      assert.doesNotMatch(readFileSync(join(dir, 'identity.json'), 'utf8'), /PRIVATE KEY/);
    });

    it('leaves exactly one key file after a renewal', async (t) => {
      const dir = await tempDir(t);
      const storage = new FileStorage({ directory: dir });
      await storage.save(await identity());
      const renewed = await identity({ renewedAt: Date.UTC(2026, 2, 2) });
      await storage.save(renewed);
      assert.equal(keyFiles(dir).length, 1);
      assert.deepEqual(await storage.load(), renewed);
    });

    it('refuses a directory other users can write to', async (t) => {
      const dir = await tempDir(t);
      chmodSync(dir, 0o777);
      await assert.rejects(
        new FileStorage({ directory: dir }).save(await identity()),
        rejectsWith('ERR_AGENT_STORAGE_INSECURE'),
      );
    });
  });

  describe('when loading', () => {
    it('returns null when nothing was saved', async (t) => {
      assert.equal(await new FileStorage({ directory: await tempDir(t) }).load(), null);
    });

    it('returns what was saved', async (t) => {
      const dir = await tempDir(t);
      const saved = await identity();
      await new FileStorage({ directory: dir }).save(saved);
      assert.deepEqual(await new FileStorage({ directory: dir }).load(), saved);
    });

    it('refuses a key file that other users can read (mode 0644)', async (t) => {
      const dir = await tempDir(t);
      const storage = new FileStorage({ directory: dir });
      await storage.save(await identity());
      chmodSync(join(dir, keyFiles(dir)[0] ?? ''), 0o644);
      await assert.rejects(storage.load(), rejectsWith('ERR_AGENT_STORAGE_INSECURE'));
    });

    it('refuses a key file that is a symbolic link', async (t) => {
      const dir = await tempDir(t);
      const storage = new FileStorage({ directory: dir });
      await storage.save(await identity());
      const keyFile = join(dir, keyFiles(dir)[0] ?? '');
      writeFileSync(join(dir, 'elsewhere.pem'), readFileSync(keyFile), { mode: 0o600 });
      execFileSync('rm', [keyFile]);
      symlinkSync(join(dir, 'elsewhere.pem'), keyFile);
      await assert.rejects(storage.load(), rejectsWith('ERR_AGENT_STORAGE_INSECURE'));
    });

    it('still returns the old identity when a save died before its commit', async (t) => {
      const dir = await tempDir(t);
      const storage = new FileStorage({ directory: dir });
      const saved = await identity();
      await storage.save(saved);
      // A crash after the new key file was written but before identity.json was renamed.
      writeFileSync(join(dir, 'key-00000000000000ff.pem'), 'half a key', { mode: 0o600 });
      writeFileSync(join(dir, '.identity.json.abcdef.tmp'), '{"format":', { mode: 0o600 });
      assert.deepEqual(await storage.load(), saved);
    });

    it('reports an unreadable identity.json as ERR_AGENT_STORAGE_CORRUPT', async (t) => {
      const dir = await tempDir(t);
      writeFileSync(join(dir, 'identity.json'), '{"format":1,', { mode: 0o600 });
      await assert.rejects(
        new FileStorage({ directory: dir }).load(),
        rejectsWith('ERR_AGENT_STORAGE_CORRUPT'),
      );
    });
  });

  describe('named records', () => {
    it('round-trips a record in <name>.record.json, mode 0600, and null before the first save', async (t) => {
      const dir = join(await tempDir(t), 'agent');
      const storage = new FileStorage({ directory: dir });
      assert.equal(await storage.loadRecord('telemetry'), null);
      await storage.saveRecord('telemetry', '{"format":1}');
      await storage.saveRecord('telemetry', '{"format":2}');
      assert.equal(await storage.loadRecord('telemetry'), '{"format":2}');
      assert.equal(mode(join(dir, 'telemetry.record.json')), 0o600);
      assert.equal(mode(dir), 0o700);
    });

    it('refuses a name that could leave its namespace with ERR_AGENT_INVALID_OPTIONS', async (t) => {
      const storage = new FileStorage({ directory: await tempDir(t) });
      for (const name of ['../identity', 'identity.json', '', 'Upper', 'a'.repeat(33)]) {
        await assert.rejects(
          storage.saveRecord(name, '{}'),
          rejectsWith('ERR_AGENT_INVALID_OPTIONS'),
        );
      }
    });

    it('refuses a record other users can read, like the key', async (t) => {
      const dir = await tempDir(t);
      const storage = new FileStorage({ directory: dir });
      await storage.saveRecord('telemetry', '{}');
      chmodSync(join(dir, 'telemetry.record.json'), 0o644);
      await assert.rejects(
        storage.loadRecord('telemetry'),
        rejectsWith('ERR_AGENT_STORAGE_INSECURE'),
      );
    });
  });

  describe('with a passphrase', () => {
    it('stores the key as encrypted PKCS#8 that openssl opens with the passphrase', async (t) => {
      const dir = await tempDir(t);
      const saved = await identity();
      await new FileStorage({ directory: dir, passphrase: PASSPHRASE }).save(saved);
      const keyFile = join(dir, keyFiles(dir)[0] ?? '');
      assert.match(readFileSync(keyFile, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      const clear = execFileSync(
        'openssl',
        ['pkey', '-in', keyFile, '-passin', 'env:VIGIL_TEST_PASS'],
        { env: { ...process.env, VIGIL_TEST_PASS: PASSPHRASE }, encoding: 'utf8' },
      );
      assert.equal(clear, saved.keyPkcs8Pem);
    });

    it('round-trips the identity', async (t) => {
      const dir = await tempDir(t);
      const saved = await identity();
      await new FileStorage({ directory: dir, passphrase: PASSPHRASE }).save(saved);
      const loaded = await new FileStorage({ directory: dir, passphrase: PASSPHRASE }).load();
      assert.deepEqual(loaded, saved);
    });

    it('refuses a wrong passphrase with ERR_AGENT_KEY_PASSPHRASE', async (t) => {
      const dir = await tempDir(t);
      await new FileStorage({ directory: dir, passphrase: PASSPHRASE }).save(await identity());
      const wrong = new FileStorage({ directory: dir, passphrase: `${PASSPHRASE}x` });
      await assert.rejects(wrong.load(), rejectsWith('ERR_AGENT_KEY_PASSPHRASE'));
    });

    it('refuses to load without the passphrase', async (t) => {
      const dir = await tempDir(t);
      await new FileStorage({ directory: dir, passphrase: PASSPHRASE }).save(await identity());
      await assert.rejects(
        new FileStorage({ directory: dir }).load(),
        rejectsWith('ERR_AGENT_KEY_PASSPHRASE'),
      );
    });

    it('refuses a passphrase too short for 2 048-iteration PBKDF2', () => {
      assert.throws(
        () => new FileStorage({ directory: '/nonexistent', passphrase: 'correct horse' }),
        rejectsWith('ERR_AGENT_INVALID_OPTIONS'),
      );
    });
  });
});

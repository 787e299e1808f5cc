import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createTempDir,
  startTestServer,
  type StartedTestServer,
  type TempDir,
} from '@vigil/testkit';
import type { TestCareOrganisation } from '@vigil/testkit';
import { HttpsCareApi } from '../src/care/https-care-api.js';
import { recipientKids } from '../src/care/team-keyring.js';
import { parseJson, runCli } from './cli-harness.js';

const PASSPHRASE = 'a keystore passphrase long enough';

interface ErrorOutput {
  readonly error: { readonly code: string };
}

// The care team's commands against the real HTTPS server: a clinician and the admin
// register keys, the admin runs the ceremony, a clinician loses their key, and the
// custodians recover it. (Readings through a gateway: see the report of what is left.)
describe('when a care team manages its keys against the server', () => {
  let server: StartedTestServer;
  let care: TestCareOrganisation;
  let dir: TempDir;
  let caFile: string;

  /** `vigil <args> --json` as `who`, against the test server. */
  const vigil = (who: 'admin' | 'clinician', ...args: string[]) =>
    runCli(
      dir.path,
      [
        ...args,
        '--org',
        care.organisationId,
        '--server',
        server.url,
        '--ca-file',
        caFile,
        '--json',
      ],
      {
        VIGIL_TOKEN: who === 'admin' ? care.adminToken : care.clinicianToken,
        VIGIL_KEYSTORE_PASSPHRASE: PASSPHRASE,
      },
    );

  const api = (token: string) =>
    new HttpsCareApi({
      server: server.url,
      token,
      organisationId: care.organisationId,
      caPem: server.caCertPem,
    });

  before(async () => {
    server = await startTestServer();
    care = await server.careOrganisation();
    dir = await createTempDir();
    caFile = join(dir.path, 'ca.pem');
    await writeFile(caFile, server.caCertPem);
  });
  after(async () => {
    await server.close();
    await dir.remove();
  });

  let clinicianKid: string;
  let shares: string[];

  it('registers member keys with keys init, keeping each in a 0600 keystore', async () => {
    const clinician = await vigil('clinician', 'keys', 'init', '--keystore', 'nurse.keystore');
    assert.equal(clinician.code, 0, clinician.stderr);
    const result = parseJson<{ kid: string; keystore: string; created: boolean }>(clinician.stdout);
    assert.equal(result.created, true);
    clinicianKid = result.kid;
    assert.equal((await stat(result.keystore)).mode & 0o777, 0o600);
    const keystore = JSON.parse(await readFile(result.keystore, 'utf8')) as Record<string, unknown>;
    assert.equal(keystore['format'], 'vigil-keystore');

    const admin = await vigil('admin', 'keys', 'init', '--keystore', 'admin.keystore');
    assert.equal(admin.code, 0, admin.stderr);
  });

  it('exits 2 without VIGIL_TOKEN, and never takes it as a flag', async () => {
    const run = await runCli(dir.path, [
      'keys',
      'show',
      '--org',
      care.organisationId,
      '--server',
      server.url,
      '--json',
    ]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /VIGIL_TOKEN/);
    const flag = await vigil('clinician', 'keys', 'show', '--token', care.clinicianToken);
    assert.equal(flag.code, 2);
  });

  it('runs the ceremony with keys setup: share files 0600, the fingerprint, epoch 1', async () => {
    const setup = await vigil(
      'admin',
      'keys',
      'setup',
      '--keystore',
      'admin.keystore',
      '--custodians',
      '3',
      '--threshold',
      '2',
      '--shares-dir',
      'ceremony',
    );
    assert.equal(setup.code, 0, setup.stderr);
    const result = parseJson<{
      signingKeyFingerprint: string;
      epoch: number;
      shareFiles: string[];
      pseudonymSecretFile: string;
      members: Array<{ kid: string }>;
    }>(setup.stdout);
    assert.equal(result.epoch, 1);
    assert.equal(result.shareFiles.length, 3);
    assert.deepEqual(await readdir(join(dir.path, 'ceremony')).then((f) => f.length), 4);
    for (const file of [...result.shareFiles, result.pseudonymSecretFile]) {
      assert.equal((await stat(file)).mode & 0o777, 0o600);
    }
    shares = result.shareFiles;
    assert.ok(result.members.some((m) => m.kid === clinicianKid));

    const show = await vigil('clinician', 'keys', 'show');
    assert.equal(show.code, 0, show.stderr);
    const shown = parseJson<{ signingKeyFingerprint: string; manifestVersion: number }>(
      show.stdout,
    );
    assert.equal(shown.signingKeyFingerprint, result.signingKeyFingerprint);
    assert.equal(shown.manifestVersion, 1);

    const again = await vigil(
      'admin',
      'keys',
      'setup',
      '--keystore',
      'admin.keystore',
      '--custodians',
      '3',
      '--threshold',
      '2',
      '--shares-dir',
      'ceremony-2',
    );
    assert.equal(again.code, 1);
    assert.equal(parseJson<ErrorOutput>(again.stderr).error.code, 'ERR_CONFLICT');
  });

  it('pulls an empty FHIR Bundle before any gateway reported', async () => {
    const pull = await vigil(
      'clinician',
      'data',
      'pull',
      '--keystore',
      'nurse.keystore',
      '--format',
      'fhir',
    );
    assert.equal(pull.code, 0, pull.stderr);
    const bundle = JSON.parse(pull.stdout) as { resourceType: string; type: string; entry: [] };
    assert.deepEqual(
      [bundle.resourceType, bundle.type, bundle.entry.length],
      ['Bundle', 'collection', 0],
    );
  });

  it('refuses a wrong keystore passphrase with ERR_KEYSTORE_PASSPHRASE', async () => {
    const run = await runCli(
      dir.path,
      [
        'keys',
        'init',
        '--org',
        care.organisationId,
        '--server',
        server.url,
        '--ca-file',
        caFile,
        '--keystore',
        'nurse.keystore',
        '--json',
      ],
      { VIGIL_TOKEN: care.clinicianToken, VIGIL_KEYSTORE_PASSPHRASE: `${PASSPHRASE}?` },
    );
    assert.equal(run.code, 1);
    assert.equal(parseJson<ErrorOutput>(run.stderr).error.code, 'ERR_KEYSTORE_PASSPHRASE');
  });

  describe('and the clinician loses their key', () => {
    let newKid: string;

    before(async () => {
      const init = await vigil('clinician', 'keys', 'init', '--keystore', 'nurse-new.keystore');
      assert.equal(init.code, 0, init.stderr);
      newKid = parseJson<{ kid: string }>(init.stdout).kid;
    });

    it('refuses k-1 shares with ERR_RECOVERY_NOT_ENOUGH_SHARES and changes nothing', async () => {
      const run = await vigil('admin', 'keys', 'recover', '--share', shares[0]!);
      assert.equal(run.code, 1);
      assert.equal(parseJson<ErrorOutput>(run.stderr).error.code, 'ERR_RECOVERY_NOT_ENOUGH_SHARES');
      const client = api(care.adminToken);
      try {
        const [epoch1] = await client.listTeamKeys();
        assert.ok(!recipientKids(epoch1?.jwe).includes(newKid));
      } finally {
        client.close();
      }
    });

    it('re-wraps every epoch to the new key with k shares', async () => {
      const run = await vigil(
        'admin',
        'keys',
        'recover',
        '--share',
        shares[2]!,
        '--share',
        shares[0]!,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(parseJson<{ epochs: number[] }>(run.stdout).epochs, [1]);
      const client = api(care.adminToken);
      try {
        const [epoch1] = await client.listTeamKeys();
        assert.ok(recipientKids(epoch1?.jwe).includes(newKid));
      } finally {
        client.close();
      }
      const pull = await vigil(
        'clinician',
        'data',
        'pull',
        '--keystore',
        'nurse-new.keystore',
        '--format',
        'csv',
      );
      assert.equal(pull.code, 0, pull.stderr);
      assert.equal(pull.stdout, 'pseudonym,label,kind,code,value,unit,effective,device\r\n');
    });

    it('starts epoch 2 with keys rotate, signed with the admin keystore', async () => {
      const run = await vigil('admin', 'keys', 'rotate', '--keystore', 'admin.keystore');
      assert.equal(run.code, 0, run.stderr);
      const result = parseJson<{ epoch: number; manifestVersion: number; pseudonymSecret: string }>(
        run.stdout,
      );
      assert.deepEqual([result.epoch, result.manifestVersion], [2, 2]);
      assert.equal(result.pseudonymSecret, 'rewrapped');
    });
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { systemContext } from '@vigil/server';
import { createTempDir, type TempDir } from '@vigil/testkit';
import { parseJson, runCli, setUpInstallation, withServices } from './cli-harness.js';

const run = promisify(execFile);
/** OpenSSL is the independent judge of the key file and makes the gateway's CSR. */
const OPENSSL = 'openssl';

interface ErrorOutput {
  readonly error: { readonly code: string };
}
interface DeviceView {
  readonly id: string;
  readonly serialNumber: string | null;
  readonly status: string;
  readonly model: string;
}
interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly model: string;
  readonly site: string | null;
  readonly usesTotal: number;
  readonly usesRemaining: number;
  readonly revokedAt: number | null;
}

/** A CSR as a gateway makes it: its own P-256 key, the hardware serial in the subject. */
async function gatewayCsr(dir: string, serial: string): Promise<string> {
  const { stdout } = await run(
    OPENSSL,
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, `${serial}.key`),
      '-subj',
      `/serialNumber=${serial}/CN=gw`,
      '-outform',
      'DER',
    ],
    { encoding: 'buffer' },
  );
  return stdout.toString('base64');
}

function errorCode(stderr: string): string {
  return parseJson<ErrorOutput>(stderr).error.code;
}

describe('when the operator sets up devices from the command line', () => {
  let dir: TempDir;
  let passphraseFile: string;
  const vigil = (...args: string[]) => runCli(dir.path, args);

  before(async () => {
    dir = await createTempDir();
    await setUpInstallation(dir.path);
    passphraseFile = join(dir.path, 'passphrase.txt');
    await writeFile(passphraseFile, `${randomBytes(24).toString('base64url')}\n`, {
      mode: 0o600,
    });
  });
  after(() => dir.remove());

  describe('and there is no device CA yet', () => {
    it('refuses an enrolment token with ERR_DEVICE_CA_MISSING', async () => {
      const created = await vigil('device', 'token', 'create', '--model', 'gw-1', '--json');
      assert.equal(created.code, 1);
      assert.equal(errorCode(created.stderr), 'ERR_DEVICE_CA_MISSING');
    });

    it('exits 2 without a passphrase, and creates no key file', async () => {
      const init = await vigil('ca', 'init', '--root-key-out', 'root.key', '--json');
      assert.equal(init.code, 2);
      assert.equal(errorCode(init.stderr), 'ERR_CLI_USAGE');
      assert.match(init.stderr, /VIGIL_CA_PASSPHRASE/);
      assert.ok(!existsSync(join(dir.path, 'root.key')));
    });

    it('refuses a short passphrase with ERR_CA_PASSPHRASE_WEAK, and removes the key file again', async () => {
      const init = await runCli(dir.path, ['ca', 'init', '--root-key-out', 'root.key', '--json'], {
        VIGIL_CA_PASSPHRASE: randomBytes(4).toString('hex'),
      });
      assert.equal(init.code, 1);
      assert.equal(errorCode(init.stderr), 'ERR_CA_PASSPHRASE_WEAK');
      assert.ok(!existsSync(join(dir.path, 'root.key')));
    });
  });

  describe('and the operator creates the device CA', () => {
    it('writes the root key encrypted to a 0600 file that OpenSSL opens with the passphrase', async () => {
      const init = await vigil(
        'ca',
        'init',
        '--root-key-out',
        'root.key',
        '--passphrase-file',
        passphraseFile,
        '--json',
      );
      assert.equal(init.code, 0, init.stderr);
      const created = parseJson<{
        caId: string;
        rootFingerprintSha256: string;
        issuingFingerprintSha256: string;
        rootKeyFile: string;
      }>(init.stdout);
      assert.deepEqual(Object.keys(created).sort(), [
        'caId',
        'issuingFingerprintSha256',
        'rootFingerprintSha256',
        'rootKeyFile',
      ]);
      assert.equal(created.rootKeyFile, join(dir.path, 'root.key'));
      assert.match(created.rootFingerprintSha256, /^[0-9a-f]{64}$/);

      assert.equal((await stat(created.rootKeyFile)).mode & 0o777, 0o600);
      const pem = await readFile(created.rootKeyFile, 'utf8');
      assert.match(
        pem,
        /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n[\s\S]+-----END ENCRYPTED PRIVATE KEY-----\n?$/,
      );
      await run(OPENSSL, [
        'pkey',
        '-in',
        created.rootKeyFile,
        '-passin',
        `file:${passphraseFile}`,
        '-noout',
      ]);

      const shown = await vigil('ca', 'show', '--json');
      assert.equal(shown.code, 0, shown.stderr);
      const described = parseJson<{
        rootFingerprintSha256: string;
        issuingFingerprintSha256: string;
      }>(shown.stdout);
      assert.equal(described.rootFingerprintSha256, created.rootFingerprintSha256);
      assert.equal(described.issuingFingerprintSha256, created.issuingFingerprintSha256);
    });

    it('tells the operator to take the key offline, and `ca show --pem` prints both certificates', async () => {
      const shown = await vigil('ca', 'show', '--pem');
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(shown.stdout.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2);

      // The instruction is part of `ca init`'s text output; a second CA cannot be made, so it
      // is checked on a fresh installation.
      const other = await createTempDir();
      try {
        await setUpInstallation(other.path);
        const init = await runCli(other.path, [
          'ca',
          'init',
          '--root-key-out',
          'offline.key',
          '--passphrase-file',
          passphraseFile,
        ]);
        assert.equal(init.code, 0, init.stderr);
        const keyFile = join(other.path, 'offline.key');
        assert.ok(
          init.stdout.includes(
            `Move ${keyFile} to offline storage; the server keeps no copy of the root key.`,
          ),
          init.stdout,
        );
      } finally {
        await other.remove();
      }
    });

    it('refuses a second CA with ERR_DEVICE_CA_EXISTS and leaves no key file behind', async () => {
      const passphrase = randomBytes(24).toString('base64url');
      const again = await runCli(
        dir.path,
        ['ca', 'init', '--root-key-out', 'second.key', '--json'],
        { VIGIL_CA_PASSPHRASE: passphrase },
      );
      assert.equal(again.code, 1);
      assert.equal(errorCode(again.stderr), 'ERR_DEVICE_CA_EXISTS');
      assert.ok(!existsSync(join(dir.path, 'second.key')));
    });

    it('never writes over an existing key file', async () => {
      const before = await readFile(join(dir.path, 'root.key'), 'utf8');
      const again = await vigil(
        'ca',
        'init',
        '--root-key-out',
        'root.key',
        '--passphrase-file',
        passphraseFile,
      );
      assert.equal(again.code, 2);
      assert.match(
        again.stderr,
        /^vigil: --root-key-out root\.key cannot be created \(already exists.*\(ERR_CLI_USAGE\)\n$/,
      );
      assert.equal(await readFile(join(dir.path, 'root.key'), 'utf8'), before);
    });

    it('rotates the issuing CA with the root key brought back, and refuses a wrong passphrase', async () => {
      const before = parseJson<{ issuingFingerprintSha256: string; rootFingerprintSha256: string }>(
        (await vigil('ca', 'show', '--json')).stdout,
      );
      const wrong = await runCli(dir.path, ['ca', 'rotate', '--root-key', 'root.key', '--json'], {
        VIGIL_CA_PASSPHRASE: randomBytes(24).toString('base64url'),
      });
      assert.equal(wrong.code, 1);
      assert.equal(errorCode(wrong.stderr), 'ERR_CA_PASSPHRASE_WRONG');
      const rotated = await vigil(
        'ca',
        'rotate',
        '--root-key',
        'root.key',
        '--passphrase-file',
        passphraseFile,
        '--json',
      );
      assert.equal(rotated.code, 0, rotated.stderr);
      const after = parseJson<{ issuingFingerprintSha256: string; rootFingerprintSha256: string }>(
        (await vigil('ca', 'show', '--json')).stdout,
      );
      assert.notEqual(after.issuingFingerprintSha256, before.issuingFingerprintSha256);
      assert.equal(after.rootFingerprintSha256, before.rootFingerprintSha256);
      assert.equal(
        parseJson<{ issuingFingerprintSha256: string }>(rotated.stdout).issuingFingerprintSha256,
        after.issuingFingerprintSha256,
      );
    });
  });

  describe('and the operator manages enrolment tokens', () => {
    it('prints a vgl_enrol_ token once, lists it without the secret, and revokes it', async () => {
      const created = await vigil(
        'device',
        'token',
        'create',
        '--model',
        'gw-1',
        '--site',
        'Ward 3',
        '--count',
        '2',
        '--hours',
        '48',
      );
      assert.equal(created.code, 0, created.stderr);
      const lines = created.stdout.split('\n');
      const secret = lines.find((line) => /^vgl_enrol_/.test(line));
      assert.ok(secret, created.stdout);
      assert.equal(created.stdout.split(secret).length, 2, 'the token is printed once');
      assert.match(
        created.stdout,
        /-u "device:\$TOKEN" .*\n.* https:\/\/localhost:8443\/\.well-known\/est\/simpleenroll/,
      );

      const listed = await vigil('device', 'token', 'list', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(!listed.stdout.includes(secret));
      assert.ok(!listed.stdout.includes('tokenHash'));
      const { tokens } = parseJson<{ tokens: TokenView[] }>(listed.stdout);
      assert.equal(tokens.length, 1);
      assert.deepEqual(
        [tokens[0]?.name, tokens[0]?.model, tokens[0]?.site, tokens[0]?.usesRemaining],
        ['gw-1', 'gw-1', 'Ward 3', 2],
      );

      const id = tokens[0]?.id ?? '';
      const revoked = await vigil('device', 'token', 'revoke', id, '--json');
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.deepEqual(parseJson(revoked.stdout), { revoked: id });
      const afterRevoke = parseJson<{ tokens: TokenView[] }>(
        (await vigil('device', 'token', 'list', '--json')).stdout,
      );
      assert.notEqual(afterRevoke.tokens[0]?.revokedAt, null);
    });

    it('exits 2 for a token lifetime beyond 30 days', async () => {
      const created = await vigil('device', 'token', 'create', '--model', 'gw-1', '--hours', '721');
      assert.equal(created.code, 2);
    });
  });

  describe('and a gateway has enrolled with a token', () => {
    let deviceId: string;

    before(async () => {
      const created = await vigil('device', 'token', 'create', '--model', 'gw-1', '--json');
      assert.equal(created.code, 0, created.stderr);
      const { token } = parseJson<{ token: string }>(created.stdout);
      assert.match(token, /^vgl_enrol_/);
      const csr = await gatewayCsr(dir.path, 'SN-1');
      const enrolled = await withServices(dir.path, (services) =>
        services.enrolment.enrol({ token, csr }, systemContext('test')),
      );
      deviceId = enrolled.device.id;
    });

    it('`device list --json` shows it, active, with its serial number', async () => {
      const listed = await vigil('device', 'list', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      const { devices } = parseJson<{ devices: DeviceView[] }>(listed.stdout);
      assert.deepEqual(
        devices.map((d) => [d.id, d.model, d.serialNumber, d.status]),
        [[deviceId, 'gw-1', 'SN-1', 'active']],
      );
    });

    it('quarantines it, and `device show --json` says so', async () => {
      assert.equal((await vigil('device', 'quarantine', deviceId)).code, 0);
      const shown = await vigil('device', 'show', deviceId, '--json');
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(parseJson<{ device: DeviceView }>(shown.stdout).device.status, 'quarantined');
    });

    it('revokes it, and refuses to release a revoked device with ERR_DEVICE_REVOKED', async () => {
      const revoked = await vigil('device', 'revoke', deviceId, '--json');
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal(parseJson<{ device: DeviceView }>(revoked.stdout).device.status, 'revoked');

      const released = await vigil('device', 'release', deviceId);
      assert.equal(released.code, 1);
      assert.match(released.stderr, /^vigil: .*\(ERR_DEVICE_REVOKED\)\n$/);
    });

    it('reports an unknown device with ERR_NOT_FOUND', async () => {
      const shown = await vigil('device', 'show', '00000000-0000-4000-8000-000000000000', '--json');
      assert.equal(shown.code, 1);
      assert.equal(errorCode(shown.stderr), 'ERR_NOT_FOUND');
    });
  });

  describe('and the operator configures a device model and its serial batches', () => {
    it('sets the policy with a vendor root from a PEM file and lists it', async () => {
      const vendorRoot = join(dir.path, 'vendor-root.pem');
      await run(OPENSSL, [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir.path, 'vendor-root.key'),
        '-subj',
        '/CN=Vendor Root',
        '-days',
        '1',
        '-out',
        vendorRoot,
      ]);
      const set = await vigil(
        'device',
        'model',
        'set',
        'gw-2',
        '--attestation-required',
        '--vendor-root',
        vendorRoot,
        '--json',
      );
      assert.equal(set.code, 0, set.stderr);

      const listed = await vigil('device', 'model', 'list', '--json');
      const { models } = parseJson<{
        models: Array<{ name: string; attestationRequired: boolean; vendorRootsPem: string[] }>;
      }>(listed.stdout);
      const model = models.find((m) => m.name === 'gw-2');
      assert.equal(model?.attestationRequired, true);
      assert.equal(model?.vendorRootsPem.length, 1);
    });

    it('refuses attestation without a vendor root with ERR_REQUEST_INVALID', async () => {
      const set = await vigil('device', 'model', 'set', 'gw-3', '--attestation-required', '--json');
      assert.equal(set.code, 1);
      assert.equal(errorCode(set.stderr), 'ERR_REQUEST_INVALID');
    });

    it('adds the serials of a batch file, skipping blank lines and comments', async () => {
      const serials = join(dir.path, 'batch-7.txt');
      await writeFile(serials, '# batch 7, line A\nSN-0001\n\n  SN-0002  \n# end\n');
      const added = await vigil(
        'device',
        'batch',
        'add',
        'gw-2',
        '--batch',
        'B7',
        '--serials-file',
        serials,
        '--json',
      );
      assert.equal(added.code, 0, added.stderr);
      assert.deepEqual(parseJson(added.stdout), { model: 'gw-2', batch: 'B7', read: 2, added: 2 });
    });

    it('exits 2 for a serials file that does not exist', async () => {
      const added = await vigil(
        'device',
        'batch',
        'add',
        'gw-2',
        '--batch',
        'B8',
        '--serials-file',
        'missing.txt',
      );
      assert.equal(added.code, 2);
      assert.match(added.stderr, /--serials-file missing\.txt cannot be read \(ENOENT\)/);
    });
  });

  describe('and the token names the care organisation the devices report to', () => {
    let careId: string;

    before(async () => {
      careId = await withServices(dir.path, async (services, store) => {
        const [manufacturer] = await store.listOrganisations('manufacturer');
        const served = await services.people.createServed(
          { kind: 'operator', userId: null, memberships: [] },
          manufacturer?.id ?? '',
          { name: 'St Clare', adminEmail: 'keeper@clare.example', adminName: 'Ward Keeper' },
          systemContext('test'),
        );
        return served.organisation.id;
      });
    });

    it('creates the token with --care-org, and the enrolled device shows it', async () => {
      const created = await vigil(
        'device',
        'token',
        'create',
        '--model',
        'gw-1',
        '--care-org',
        careId,
        '--json',
      );
      assert.equal(created.code, 0, created.stderr);
      const { token, enrolmentToken } = parseJson<{
        token: string;
        enrolmentToken: { careOrganisationId: string | null };
      }>(created.stdout);
      assert.equal(enrolmentToken.careOrganisationId, careId);
      const text = await vigil(
        'device',
        'token',
        'create',
        '--model',
        'gw-1',
        '--care-org',
        careId,
      );
      assert.ok(
        text.stdout.includes(`report readings to care organisation ${careId}`),
        text.stdout,
      );

      const csr = await gatewayCsr(dir.path, 'SN-CARE-1');
      const enrolled = await withServices(dir.path, (services) =>
        services.enrolment.enrol({ token, csr }, systemContext('test')),
      );
      const shown = await vigil('device', 'show', enrolled.device.id, '--json');
      assert.equal(
        parseJson<{ device: { careOrganisationId: string } }>(shown.stdout).device
          .careOrganisationId,
        careId,
      );
      const shownText = await vigil('device', 'show', enrolled.device.id);
      assert.match(shownText.stdout, new RegExp(`Care organisation +${careId}`));
      const listed = await vigil('device', 'list');
      assert.match(listed.stdout, /CARE ORG/);
    });

    it('refuses a care organisation the manufacturer does not serve', async () => {
      const created = await vigil(
        'device',
        'token',
        'create',
        '--model',
        'gw-1',
        '--care-org',
        '00000000-0000-4000-8000-000000000000',
        '--json',
      );
      assert.equal(created.code, 1);
      assert.equal(errorCode(created.stderr), 'ERR_CARE_ORGANISATION_NOT_SERVED');
    });
  });
});

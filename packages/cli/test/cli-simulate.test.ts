import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  KEY_MANIFEST_TYP,
  derivePseudonymKey,
  generateKeyPair,
  generateSigningKeyPair,
  openBatch,
  pseudonymFor,
  signManifest,
  unwrapDataKey,
  type DataKey,
  type P256PublicJwk,
} from '@vigil/protect';
import { systemContext, type Store } from '@vigil/server';
import {
  createTempDir,
  startTestServer,
  type StartedTestServer,
  type TempDir,
} from '@vigil/testkit';
import { deviceDirectory } from '../src/simulate/agent-gateway.js';
import { main } from '../src/main.js';
import { CapturedText, cliEnv, parseJson, runCli } from './cli-harness.js';

type BatchRow = Awaited<ReturnType<Store['listBatches']>>[number];

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;
const DEVICES = 3;
const PATIENTS_PER_DEVICE = 2;
const RATE = 4;
const DURATION = 3;

interface Summary {
  readonly readingsRecorded: number;
  readonly batchesStored: number;
  readonly duplicates: number;
  readonly errors: number;
  readonly held: number;
  readonly queued: number;
  readonly interrupted: boolean;
  readonly signingKeyFingerprints: string[];
  readonly deviceList: Array<{
    deviceId: string;
    serialNumber: string;
    enrolledNow: boolean;
    patients: string[];
  }>;
}

/**
 * A care organisation served by the test server's manufacturer, whose admin has
 * run the key ceremony: signing, team (epoch 1) and recovery keys, manifest 1
 * published. Returns what the test needs to read the data back.
 */
async function careOrganisation(server: StartedTestServer) {
  const services = server.server.services;
  const manufacturerId = await server.manufacturer();
  const context = systemContext('test');
  const { organisation } = await services.people.createServed(
    OPERATOR,
    manufacturerId,
    { name: 'Ward Sim', adminEmail: 'keeper@ward.example', adminName: 'Ward Keeper' },
    context,
  );
  const signing = await generateSigningKeyPair();
  const team = await generateKeyPair();
  const recovery = await generateKeyPair();
  const member = await generateKeyPair();
  const jws = await signManifest(
    {
      typ: KEY_MANIFEST_TYP,
      organisationId: organisation.id,
      version: 1,
      issuedAt: new Date().toISOString(),
      epoch: 1,
      teamPublicJwk: team.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
      members: [{ kid: member.kid, publicJwk: member.publicJwk }],
    },
    signing.privateJwk,
  );
  await services.keys.publishManifest(
    OPERATOR,
    organisation.id,
    { jws, signingPublicJwk: signing.publicJwk },
    context,
  );
  const { token } = await services.enrolment.createToken(
    OPERATOR,
    manufacturerId,
    {
      name: 'simulator',
      model: 'gateway-1',
      site: null,
      count: DEVICES,
      expiresInHours: 1,
      careOrganisationId: organisation.id,
    },
    context,
  );
  return { organisationId: organisation.id, signing, team, token };
}

async function allBatches(server: StartedTestServer, organisationId: string): Promise<BatchRow[]> {
  return server.server.store.listBatches({ organisationId, limit: 100_000 });
}

describe('vigil simulate against a running server', () => {
  let server: StartedTestServer;
  let dir: TempDir;
  let care: Awaited<ReturnType<typeof careOrganisation>>;
  let secret: Uint8Array;
  let files: { ca: string; token: string; secret: string; state: string };
  let first: Summary;
  let firstBatches: BatchRow[];

  const simulate = (extra: string[] = [], env: Record<string, string> = {}) =>
    runCli(
      dir.path,
      [
        'simulate',
        '--server',
        server.url,
        '--device-url',
        server.deviceUrl,
        '--ca-file',
        files.ca,
        '--pseudonym-secret-file',
        files.secret,
        '--state-dir',
        files.state,
        '--devices',
        String(DEVICES),
        '--patients-per-device',
        String(PATIENTS_PER_DEVICE),
        '--rate',
        String(RATE),
        '--duration',
        String(DURATION),
        '--json',
        ...extra,
      ],
      env,
    );

  before(async () => {
    server = await startTestServer();
    dir = await createTempDir();
    care = await careOrganisation(server);
    secret = new Uint8Array(randomBytes(32));
    files = {
      ca: join(dir.path, 'ca.pem'),
      token: join(dir.path, 'token.txt'),
      secret: join(dir.path, 'pseudonym-secret.txt'),
      state: join(dir.path, 'state'),
    };
    await writeFile(files.ca, server.caCertPem);
    await writeFile(files.token, `${care.token}\n`, { mode: 0o600 });
    await writeFile(files.secret, `${Buffer.from(secret).toString('base64url')}\n`, {
      mode: 0o600,
    });
  });
  after(async () => {
    await server?.close();
    await dir?.remove();
  });

  describe('when 3 devices × 2 patients run for a few seconds', () => {
    before(async () => {
      const run = await simulate([
        '--token-file',
        files.token,
        '--expected-signing-key-fingerprint',
        care.signing.kid,
      ]);
      assert.equal(run.code, 0, run.stderr);
      first = parseJson<Summary>(run.stdout);
      firstBatches = await allBatches(server, care.organisationId);
    });

    it('enrols every device and delivers everything it recorded, without errors', () => {
      assert.equal(first.deviceList.length, DEVICES);
      assert.ok(first.deviceList.every((d) => d.enrolledNow));
      assert.deepEqual(first.signingKeyFingerprints, [care.signing.kid]);
      // Reading k at k/RATE seconds, from 0 to DURATION inclusive, on every device.
      assert.equal(first.readingsRecorded, DEVICES * (RATE * DURATION + 1));
      assert.equal(first.errors, 0);
      assert.equal(first.duplicates, 0);
      assert.equal(first.held, 0);
      assert.equal(first.queued, 0);
      assert.equal(first.interrupted, false);
      assert.equal(first.batchesStored, firstBatches.length);
    });

    it('stores batches for exactly the pseudonyms of the synthetic patients, each at its device', async () => {
      const key = await derivePseudonymKey(secret, 'telemetry', 1);
      for (const device of first.deviceList) {
        const expected = await Promise.all(device.patients.map((id) => pseudonymFor(key, 1, id)));
        const stored = new Set(
          firstBatches.filter((b) => b.deviceId === device.deviceId).map((b) => b.pseudonym),
        );
        assert.deepEqual([...stored].sort(), [...expected].sort(), device.serialNumber);
      }
      const identifiers = first.deviceList.flatMap((d) => d.patients);
      assert.equal(new Set(identifiers).size, DEVICES * PATIENTS_PER_DEVICE);
      assert.ok(identifiers.every((id) => /^MRN-SIM-\d{6}$/.test(id)));
    });

    it('gives each device strictly increasing sequences from 1, with no duplicates', () => {
      for (const device of first.deviceList) {
        const sequences = firstBatches
          .filter((b) => b.deviceId === device.deviceId)
          .sort((a, b) => a.receivedAt - b.receivedAt || a.sequence - b.sequence)
          .map((b) => b.sequence);
        assert.deepEqual(
          sequences,
          sequences.map((_, i) => i + 1),
          device.serialNumber,
        );
      }
      const keys = new Set(firstBatches.map((b) => `${b.deviceId}/${b.sequence}`));
      assert.equal(keys.size, firstBatches.length);
    });

    it('sends readings only the care team can open: signed by the device, every one valid', async () => {
      const dataKeys = new Map<string, DataKey>();
      for (const row of await server.server.store.listDataKeys(care.organisationId, {
        limit: 1_000,
      })) {
        dataKeys.set(
          row.kid,
          await unwrapDataKey(row.jwe, care.team.privateJwk, {
            organisationId: care.organisationId,
            epoch: 1,
          }),
        );
      }
      const deviceKeys = new Map<string, P256PublicJwk>();
      for (const [i, device] of first.deviceList.entries()) {
        const identity = JSON.parse(
          await readFile(join(deviceDirectory(files.state, i + 1), 'identity.json'), 'utf8'),
        ) as { certificatePem: string };
        deviceKeys.set(
          device.deviceId,
          new X509Certificate(identity.certificatePem).publicKey.export({
            format: 'jwk',
          }) as P256PublicJwk,
        );
      }
      let observations = 0;
      for (const row of firstBatches) {
        const opened = await openBatch(row.jwe, {
          dataKeys: (kid) => dataKeys.get(kid)?.key,
          deviceVerificationKey: (id) => deviceKeys.get(id),
          expected: { organisationId: care.organisationId, deviceId: row.deviceId },
        });
        observations += opened.observations.length;
        for (const o of opened.observations) {
          assert.equal(o.subject.identifier.value, row.pseudonym);
          assert.ok(!JSON.stringify(o).includes('MRN-SIM'), 'an identifier reached the server');
        }
      }
      assert.equal(observations, first.readingsRecorded);
    });
  });

  describe('when run again with the same state directory', () => {
    it('loads the enrolled devices without a token and continues their sequences', async () => {
      const run = await simulate(['--duration', '1']);
      assert.equal(run.code, 0, run.stderr);
      const second = parseJson<Summary>(run.stdout);
      assert.deepEqual(
        second.deviceList.map((d) => [d.deviceId, d.enrolledNow]),
        first.deviceList.map((d) => [d.deviceId, false]),
      );
      assert.equal(second.errors, 0);
      const batches = await allBatches(server, care.organisationId);
      assert.equal(batches.length, firstBatches.length + second.batchesStored);
      for (const device of second.deviceList) {
        const sequences = batches
          .filter((b) => b.deviceId === device.deviceId)
          .map((b) => b.sequence)
          .sort((a, b) => a - b);
        assert.deepEqual(
          sequences,
          sequences.map((_, i) => i + 1),
        );
      }
    });
  });

  describe('when stopped early (SIGINT, or the embedding aborts)', () => {
    it('stops taking readings, delivers what it recorded, and says it was interrupted', async () => {
      const before = await allBatches(server, care.organisationId);
      const stdout = new CapturedText();
      const stderr = new CapturedText();
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 1_500);
      const code = await main(
        [
          'simulate',
          '--server',
          server.url,
          '--device-url',
          server.deviceUrl,
          '--ca-file',
          files.ca,
          '--pseudonym-secret-file',
          files.secret,
          '--state-dir',
          files.state,
          '--devices',
          String(DEVICES),
          '--rate',
          String(RATE),
          '--duration',
          '600',
          '--json',
        ],
        { stdout, stderr, env: cliEnv(dir.path), cwd: dir.path, signal: stop.signal },
      );
      assert.equal(code, 0, stderr.text);
      const summary = parseJson<Summary>(stdout.text);
      assert.equal(summary.interrupted, true);
      assert.ok(summary.readingsRecorded > 0 && summary.readingsRecorded < DEVICES * RATE * 10);
      assert.equal(summary.queued, 0);
      assert.equal(summary.errors, 0);
      const after = await allBatches(server, care.organisationId);
      assert.equal(after.length, before.length + summary.batchesStored);
    });
  });

  describe('when a device is not enrolled and no token is given', () => {
    it('exits 2 naming the token options, before enrolling anything', async () => {
      const run = await simulate(['--devices', String(DEVICES + 1), '--duration', '1']);
      assert.equal(run.code, 2);
      assert.equal(parseJson<{ error: { code: string } }>(run.stderr).error.code, 'ERR_CLI_USAGE');
      assert.match(run.stderr, /VIGIL_ENROLMENT_TOKEN/);
    });
  });

  describe('when the pseudonym secret file holds something else', () => {
    it('exits 2', async () => {
      const bad = join(dir.path, 'bad-secret.txt');
      await writeFile(bad, 'too short\n');
      const run = await simulate(['--pseudonym-secret-file', bad]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /pseudonym-secret-file/);
    });
  });
});

import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { FileStorage, HttpsTransport, VigilAgent, type RecordedBatch } from '@vigil/agent';
import { createTempDir, type EngineName } from '@vigil/testkit';
import { runCli, type CliRun } from '../../cli-harness.js';
import type { Corpus, Part } from './byte-search.js';
import { CanaryDatabase, type Readable } from './canary-database.js';
import {
  CANARY_PATIENTS,
  canaryBatches,
  makeControls,
  patientIdentifier,
  type Controls,
} from './canaries.js';
import { RecordingTransport } from './recording-transport.js';
import { ServerProcess } from './server-process.js';
import { TcpRecorder } from './tcp-recorder.js';

const PASSPHRASE = 'a canary keystore passphrase, long enough';

/** What one run of the whole system left in each place the criterion names. */
export interface CanaryRun {
  readonly engine: EngineName;
  readonly controls: Controls;
  readonly organisationId: string;
  readonly recorded: readonly RecordedBatch[];
  /** The kid of the data key the gateway uploaded (it is in a URL, so in the logs). */
  readonly dataKeyKid: string;
  /** Characters from the middle of a batch the server stored: ciphertext it must keep. */
  readonly storedCiphertext: string;
  /** The clinician's decrypted, re-identified export (`vigil data pull --reidentify`). */
  readonly pulled: Corpus;
  /** The data directory while the server ran (SQLite: vigil.sqlite, -wal, -shm; TLS; keys). */
  readonly serverFilesRunning: Corpus;
  /** The same after the server closed (SQLite checkpoints its WAL into the database). */
  readonly serverFilesClosed: Corpus;
  readonly postgres?: {
    readonly wal: Readable;
    readonly files: Readable;
    readonly rows: Corpus;
    /** Between the server and PostgreSQL (plain frontend/backend protocol). */
    readonly wire: Corpus;
  };
  /** The server process's stdout (pino JSON lines at `trace`) and stderr. */
  readonly logs: Corpus;
  /** TLS bytes both ways: gateway EST and clinician CLI at the main listener; gateway at the device listener. */
  readonly tls: { readonly main: Corpus; readonly device: Corpus };
  /** Every request the gateway made and every answer, above TLS. */
  readonly gatewayPlaintext: Corpus;
  /** Bytes of the request bodies the gateway sent the device listener. */
  readonly gatewayBodiesToDeviceListener: number;
  dispose(): Promise<void>;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

async function filesUnder(root: string, name: string): Promise<Corpus> {
  const parts: Part[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    parts.push({ label: relative(root, path), bytes: await readFile(path) });
  }
  return { name, parts };
}

function succeeded(run: CliRun, what: string): CliRun {
  assert.equal(run.code, 0, `${what} failed: ${run.stderr}`);
  return run;
}

/**
 * Runs the canary patients through the whole system on `engine`:
 *
 * 1. the server in its own process, logging at `trace`; on PostgreSQL in a
 *    database of its own, reached through a TCP recorder;
 * 2. a care organisation whose clinician and admin make their member keys and
 *    whose admin runs the key ceremony with the CLI (`keys init`, `keys setup`:
 *    signed manifest, team key, pseudonym secret);
 * 3. a gateway enrolled over EST with a token naming that organisation, which
 *    pins the manifest, records the canaries' readings, uploads its data key,
 *    the staff copy of its pseudonym table and the batches; every connection
 *    goes through TCP recorders and every request through a recording transport;
 * 4. the clinician pulls and decrypts (`vigil data pull --reidentify`);
 * 5. the data directory is read while the server runs and after it closed; on
 *    PostgreSQL the WAL since the database was made, then (after a CHECKPOINT)
 *    the database's files, and every row as JSON.
 */
export async function runCanaryScenario(engine: EngineName): Promise<CanaryRun> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const dispose = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
    }
  };
  try {
    const controls = makeControls();
    const work = await createTempDir('vigil-canary-');
    cleanups.push(() => work.remove());

    let database: CanaryDatabase | undefined;
    let databaseWire: TcpRecorder | undefined;
    if (engine === 'postgres') {
      const created = await CanaryDatabase.create();
      database = created;
      cleanups.push(() => created.drop());
      const wire = await TcpRecorder.start(CanaryDatabase.target());
      databaseWire = wire;
      cleanups.push(() => wire.close());
    }
    const server = await ServerProcess.start(
      database?.url({ host: '127.0.0.1', port: databaseWire?.port ?? 0 }),
    );
    cleanups.push(() => rm(server.dataDir, { recursive: true, force: true }));
    cleanups.push(() => server.kill());
    const main = await TcpRecorder.start({ host: '127.0.0.1', port: portOf(server.url) });
    cleanups.push(() => main.close());
    const device = await TcpRecorder.start({ host: '127.0.0.1', port: portOf(server.deviceUrl) });
    cleanups.push(() => device.close());
    // The server's certificate names localhost: clients reach the recorders by that name.
    const mainUrl = `https://localhost:${main.port}`;
    const deviceUrl = `https://localhost:${device.port}`;

    // The care organisation; its members' keys and the ceremony on their own machines (the CLI).
    const care = await server.careOrganisation(controls.organisationName);
    const caFile = join(work.path, 'ca.pem');
    await writeFile(caFile, server.caCertPem);
    const vigil = (token: string, ...args: string[]) =>
      runCli(
        work.path,
        [...args, '--org', care.organisationId, '--server', mainUrl, '--ca-file', caFile, '--json'],
        { VIGIL_TOKEN: token, VIGIL_KEYSTORE_PASSPHRASE: PASSPHRASE },
      );
    succeeded(
      await vigil(care.clinicianToken, 'keys', 'init', '--keystore', 'nurse.keystore'),
      'keys init (clinician)',
    );
    succeeded(
      await vigil(care.adminToken, 'keys', 'init', '--keystore', 'admin.keystore'),
      'keys init (admin)',
    );
    const ceremony = JSON.parse(
      succeeded(
        await vigil(
          care.adminToken,
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
        ),
        'keys setup',
      ).stdout,
    ) as { signingKeyFingerprint: string; pseudonymSecretFile: string };
    const pseudonymSecret = new Uint8Array(
      Buffer.from((await readFile(ceremony.pseudonymSecretFile, 'utf8')).trim(), 'base64url'),
    );

    // The gateway: EST enrolment with a token naming the care organisation, then telemetry.
    const transport = new RecordingTransport(new HttpsTransport({ trustPem: server.caCertPem }));
    cleanups.push(() => transport.close());
    const agent = await VigilAgent.enrol({
      enrolUrl: mainUrl,
      deviceUrl,
      token: await server.createEnrolmentToken({
        careOrganisationId: care.organisationId,
        site: controls.site,
      }),
      serverTrustPem: server.caCertPem,
      serialNumber: controls.serialNumber,
      storage: new FileStorage({ directory: join(work.path, 'gateway') }),
      transport,
    });
    cleanups.push(() => agent.close());
    const errors: unknown[] = [];
    const telemetry = await agent.telemetry({
      outbox: { file: join(work.path, 'gateway', 'outbox.sqlite'), cap: { rows: 1_000 } },
      pseudonymSecret,
      expectedSigningKeyFingerprint: ceremony.signingKeyFingerprint,
      expectedOrganisationId: care.organisationId,
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => telemetry.close());
    const now = Date.now();
    const recorded: RecordedBatch[] = [];
    for (const patient of CANARY_PATIENTS) {
      for (const readings of canaryBatches(patient, now)) {
        recorded.push(await telemetry.record(patientIdentifier(patient), readings));
      }
    }
    const drained = await telemetry.flush();
    assert.deepEqual(drained, { delivered: recorded.length, duplicates: 0, status: 'drained' });
    await telemetry.close(); // waits for the staff copy of the pseudonym table
    agent.close();
    assert.deepEqual(errors, []);

    // The control of the log search: a URL the server logs with every request.
    const probe = new HttpsTransport({ trustPem: server.caCertPem });
    await probe.request({ url: `${mainUrl}${controls.logPath}`, method: 'GET', headers: {} });
    probe.close();

    // The clinician's own copy: fetched as ciphertext, decrypted and re-identified locally.
    const pull = succeeded(
      await vigil(
        care.clinicianToken,
        'data',
        'pull',
        '--keystore',
        'nurse.keystore',
        '--format',
        'fhir',
        '--reidentify',
      ),
      'data pull',
    );
    const pulled: Corpus = {
      name: 'decrypted export',
      parts: [
        { label: 'vigil data pull stdout', bytes: Buffer.from(pull.stdout) },
        {
          label: 'the same, compact JSON',
          bytes: Buffer.from(JSON.stringify(JSON.parse(pull.stdout))),
        },
      ],
    };

    const serverFilesRunning = await filesUnder(server.dataDir, 'server files while running');
    await server.close();
    const serverFilesClosed = await filesUnder(server.dataDir, 'server files after close');
    const postgres =
      database === undefined || databaseWire === undefined
        ? undefined
        : {
            // The WAL first: our CHECKPOINT may recycle segments.
            wal: await database.walSinceCreation(),
            files: await database.filesAfterCheckpoint(),
            rows: await database.rowsAsJson(),
            wire: databaseWire.corpus('server↔PostgreSQL'),
          };
    await main.close();
    await device.close();

    const gatewayPlaintext = transport.corpus('gateway request');
    const requests = transport.exchanges.map((e) => e.request);
    const dataKeyKid = requests
      .map((r) => /\/device\/v1\/data-keys\/([^/?]+)$/.exec(r.url)?.[1])
      .find((kid) => kid !== undefined);
    const batch = requests.find((r) => r.url.endsWith('/device/v1/batches'))?.body;
    assert.ok(dataKeyKid !== undefined && batch !== undefined, 'no data key or batch was sent');
    // Compact JWE (RFC 7516 §7.1): header.encrypted_key.iv.ciphertext.tag
    const ciphertext = Buffer.from(batch).toString('utf8').split('.')[3] ?? '';
    const middle = Math.floor(ciphertext.length / 2);
    const storedCiphertext = ciphertext.slice(middle - 24, middle + 24);

    return {
      engine,
      controls,
      organisationId: care.organisationId,
      recorded,
      dataKeyKid: decodeURIComponent(dataKeyKid),
      storedCiphertext,
      pulled,
      serverFilesRunning,
      serverFilesClosed,
      ...(postgres === undefined ? {} : { postgres }),
      logs: server.logs(),
      tls: { main: main.corpus('main listener'), device: device.corpus('device listener') },
      gatewayPlaintext,
      gatewayBodiesToDeviceListener: requests
        .filter((r) => r.url.startsWith(deviceUrl))
        .reduce((sum, r) => sum + Buffer.byteLength(r.body ?? ''), 0),
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

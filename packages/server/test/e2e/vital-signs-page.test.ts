import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  PseudonymTable,
  derivePseudonymKey,
  generateKeyPair,
  generateSigningKeyPair,
  newDataKey,
  newEpoch,
  protectBatch,
  pseudonymFor,
  sealKeystore,
  sealTableForStaff,
  vitalSignObservation,
  type EcKeyPair,
  type NewDataKey,
  type P256PublicJwk,
  type TeamEpoch,
  type VitalSignReading,
} from '@vigil/protect';
import { systemContext } from '@vigil/server';
import { createTempDir, startTestServer } from '@vigil/testkit';
import type { StartedTestServer, TempDir, TestCareOrganisation } from '@vigil/testkit';
import { x509 } from '../../src/tls/x509-provider.js';
import { httpsCall, type ClientIdentity } from '../devices/wire.js';
import { openWatchedPage, skipWithoutChromium, type WatchedPage } from './browser-harness.js';

/**
 * The clinician's Vital signs page in a real browser against the real HTTPS server
 * and its Content-Security-Policy (docs/telemetry.md "Dashboard"). A gateway of a
 * care organisation uploads its data key, its staff pseudonym table and protected
 * batches over mutual TLS; the admin stores the team key wrapped to the clinician.
 * The clinician signs in, imports their keystore file, opens patient P1 and sees
 * charts and tables whose values only decryption can produce; a batch signed by
 * another key is listed with ERR_BATCH_SIGNATURE while the rest are charted.
 *
 * Needs Debian's Chromium at /usr/bin/chromium and a built web app
 * (`npm run build -w @vigil/web`). Without Chromium the suite is skipped, unless
 * VIGIL_TEST_REQUIRE_CHROMIUM=1 (as in CI). VIGIL_SCREENSHOTS=1 saves
 * /tmp/vigil-vital-signs.png.
 */

const screenshots = process.env['VIGIL_SCREENSHOTS'] === '1';
const PASSPHRASE = 'a clinician passphrase for ward 7';
const MINUTE = 60_000;
/** Heart rates no server could guess: they exist only inside the ciphertext. */
const HEART_RATES = [73, 88, 61, 104, 97, 66, 79];
const BLOOD_PRESSURES = [
  { systolic: 131, diastolic: 83 },
  { systolic: 127, diastolic: 79 },
  { systolic: 142, diastolic: 91 },
];
const FORGED_HEART_RATE = 150;

interface Gateway {
  readonly deviceId: string;
  readonly identity: ClientIdentity;
  /** Its mutual-TLS key, which also signs every batch (docs/telemetry.md "Parties and keys"). */
  readonly signingKey: webcrypto.CryptoKey;
  readonly publicJwk: P256PublicJwk;
}

describe('the Vital signs page in a browser', { skip: skipWithoutChromium }, () => {
  let server: StartedTestServer;
  let dir: TempDir;
  let care: TestCareOrganisation;
  let watched: WatchedPage | undefined;
  let page: Page;
  let problems: string[] = [];
  let gateway: Gateway;
  /** The private scalar of the clinician's key: it must never be readable in the page. */
  let clinicianKeyD = '';
  let keystorePath: string;
  let patient: string;

  /** The operator API with an API token (what the admin's and clinician's CLI do). */
  async function api(token: string, method: string, path: string, body: unknown) {
    const answer = await httpsCall(server.url, server.caCertPem, {
      method,
      path: `/api/v1/organisations/${care.organisationId}/${path}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.body.toString()}`);
  }

  /** The device listener, as the gateway (mutual TLS). */
  async function device(method: string, path: string, body: string, type = 'application/json') {
    const answer = await httpsCall(server.deviceUrl, server.caCertPem, {
      method,
      path,
      headers: { 'content-type': type },
      body,
      identity: gateway.identity,
    });
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.body.toString()}`);
  }

  /** A gateway enrolled for the care organisation (EST simpleenroll, in-process). */
  async function enrolGateway(): Promise<Gateway> {
    const token = await server.createEnrolmentToken({ careOrganisationId: care.organisationId });
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: new x509.Name([{ '2.5.4.5': ['SN-VITALS-1'] }, { CN: ['gateway'] }]),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const { device: enrolled, certificate } = await server.server.services.enrolment.enrol(
      { token, csr: new Uint8Array(csr.rawData) },
      systemContext('test'),
    );
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    const { kty, crv, x, y } = await webcrypto.subtle.exportKey('jwk', keys.publicKey);
    assert.ok(kty === 'EC' && crv === 'P-256' && x && y);
    return {
      deviceId: enrolled.id,
      identity: {
        certPem: certificate.certPem,
        keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
      },
      signingKey: keys.privateKey,
      publicJwk: { kty, crv, x, y },
    };
  }

  /** One protected batch of this patient's readings, as the gateway's agent makes it. */
  async function upload(options: {
    dataKey: NewDataKey;
    sequence: number;
    readings: readonly (VitalSignReading & { at: number })[];
    signingKey?:
      webcrypto.CryptoKey | Awaited<ReturnType<typeof generateSigningKeyPair>>['privateJwk'];
  }): Promise<void> {
    const jwe = await protectBatch({
      dataKey: options.dataKey,
      signingKey: options.signingKey ?? gateway.signingKey,
      organisationId: care.organisationId,
      deviceId: gateway.deviceId,
      sequence: options.sequence,
      createdAt: new Date(Math.max(...options.readings.map((r) => r.at))),
      pseudonym: patient,
      observations: options.readings.map(({ at, ...reading }) =>
        vitalSignObservation({
          ...reading,
          effective: new Date(at),
          pseudonym: patient,
          deviceId: gateway.deviceId,
        }),
      ),
    });
    await device('POST', '/device/v1/batches', jwe, 'application/jose');
  }

  before(async () => {
    server = await startTestServer();
    dir = await createTempDir('vigil-vital-signs-');
    care = await server.careOrganisation('St Example Hospital');

    // The key ceremony (ADR 0011): the clinician's member key in their keystore file,
    // the first team epoch wrapped to it and to the recovery key.
    const clinician: EcKeyPair = await generateKeyPair();
    clinicianKeyD = clinician.privateJwk.d;
    const recovery = await generateKeyPair();
    keystorePath = join(dir.path, 'vigil-keystore.json');
    await writeFile(
      keystorePath,
      await sealKeystore(PASSPHRASE, {
        memberKey: clinician.privateJwk,
        organisationId: care.organisationId,
        userEmail: care.clinician.email,
        createdAt: new Date().toISOString(),
      }),
    );
    await api(care.clinicianToken, 'PUT', 'member-keys/me', { publicJwk: clinician.publicJwk });
    const epoch: TeamEpoch = await newEpoch({
      organisationId: care.organisationId,
      previousEpoch: 0,
      memberPublicJwks: [clinician.publicJwk],
      recoveryPublicJwk: recovery.publicJwk,
    });
    await api(care.adminToken, 'PUT', 'team-keys/1', { jwe: epoch.wrapped });

    // The gateway: its data key, its pseudonym table (two patients), then the readings.
    gateway = await enrolGateway();
    const dataKey = await newDataKey({
      organisationId: care.organisationId,
      epoch: 1,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
    });
    await device(
      'PUT',
      `/device/v1/data-keys/${dataKey.kid}`,
      JSON.stringify({ jwe: dataKey.wrapped }),
    );
    const pseudonymKey = await derivePseudonymKey(
      webcrypto.getRandomValues(new Uint8Array(32)),
      'telemetry',
      1,
    );
    patient = await pseudonymFor(pseudonymKey, 1, 'MRN 0042');
    const table = new PseudonymTable();
    table.record(patient, 'MRN 0042');
    table.record(await pseudonymFor(pseudonymKey, 1, 'MRN 0043'), 'MRN 0043');
    const staffCopy = await sealTableForStaff(table, {
      organisationId: care.organisationId,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
    });
    await device('PUT', '/device/v1/pseudonym-table', JSON.stringify({ jwe: staffCopy }));

    const start = Date.now() - 3 * 60 * MINUTE;
    const at = (minutes: number) => start + minutes * MINUTE;
    await upload({
      dataKey,
      sequence: 1,
      readings: [
        ...HEART_RATES.slice(0, 4).map((value, i) => ({
          kind: 'heart-rate' as const,
          value,
          at: at(i * 10),
        })),
        { kind: 'blood-pressure', value: BLOOD_PRESSURES[0]!, at: at(0) },
        { kind: 'blood-pressure', value: BLOOD_PRESSURES[1]!, at: at(30) },
      ],
    });
    await upload({
      dataKey,
      sequence: 2,
      readings: [{ kind: 'heart-rate', value: FORGED_HEART_RATE, at: at(45) }],
      // Not the gateway's key: whoever made this batch holds the data key but is not the device.
      signingKey: (await generateSigningKeyPair()).privateJwk,
    });
    await upload({
      dataKey,
      sequence: 3,
      readings: [
        ...HEART_RATES.slice(4).map((value, i) => ({
          kind: 'heart-rate' as const,
          value,
          at: at(60 + i * 10),
        })),
        { kind: 'blood-pressure', value: BLOOD_PRESSURES[2]!, at: at(60) },
      ],
    });

    watched = await openWatchedPage();
    ({ page, problems } = watched);
  });

  after(async () => {
    await watched?.close();
    await server?.close();
    await dir?.remove();
  });

  function heading(name: string | RegExp) {
    return page.getByRole('heading', { level: 1, name });
  }

  function assertNoPageProblems() {
    assert.deepEqual(problems, [], 'the page reported errors');
  }

  /** The readings table of one chart, opened, as rows of cell texts. */
  async function readingsTable(kind: string): Promise<string[][]> {
    const chart = page.getByTestId(`chart-${kind}`);
    await chart.getByText(/^Readings as a table/).click();
    const rows = chart.getByRole('table').getByRole('row');
    await rows.nth(1).waitFor();
    const texts: string[][] = [];
    for (const row of await rows.all()) texts.push(await row.getByRole('cell').allInnerTexts());
    return texts.filter((cells) => cells.length > 0);
  }

  it('signs the clinician in and offers the Vital signs page', async () => {
    await page.goto(`${server.url}/sign-in`);
    await heading('Sign in').waitFor();
    await page.getByLabel('Email').fill(care.clinician.email);
    await page.getByLabel('Password').fill(care.clinician.password);
    await page.getByLabel('Password').press('Enter');
    await heading(/^Welcome/).waitFor();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Vital signs' })
      .click();
    await heading('Vital signs').waitFor();
    // Without the key the server's pseudonyms are listed, but no label and no reading.
    await page.getByRole('cell', { name: patient }).waitFor();
    assertNoPageProblems();
  });

  it('imports the keystore file and labels the patients from the gateway’s table', async () => {
    await page.getByLabel('Keystore file').setInputFiles(keystorePath);
    await page.getByLabel('Passphrase').fill('not the passphrase, sorry');
    await page.getByRole('button', { name: 'Open keystore' }).click();
    await page.getByText('(ERR_KEYSTORE_PASSPHRASE)').waitFor();

    await page.getByLabel('Passphrase').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Open keystore' }).click();
    await page.getByRole('button', { name: 'Forget key' }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: patient }) });
    await row.getByRole('rowheader', { name: 'P1' }).waitFor();
    // P2 is in the table too, but has no readings: the server lists only pseudonyms with batches.
    assert.equal(await page.getByRole('rowheader').count(), 1);
    assert.doesNotMatch(await page.content(), /MRN 004/, 'patient identifiers are never shown');
    assertNoPageProblems();
  });

  it('charts P1’s decrypted readings and lists the forged batch with its code', async () => {
    await page.getByRole('button', { name: 'Show vital signs of P1' }).click();
    const summary = page.getByTestId('vitals-summary');
    await summary.waitFor();
    assert.equal(
      await summary.innerText(),
      '10 readings from 2 of 3 batches; 1 could not be read (listed below).',
    );

    const failures = page.getByTestId('batch-failure');
    assert.equal(await failures.count(), 1);
    assert.match(await failures.innerText(), /^ERR_BATCH_SIGNATURE Batch 2 from gateway/);

    const heart = page.getByTestId('chart-heart-rate');
    assert.equal(await heart.locator('svg .chart-point').count(), HEART_RATES.length);
    assert.match(
      (await heart.getByRole('heading').innerText()).trim(),
      /^Heart rate beats\/minute \(UCUM \/min\)$/,
    );
    assert.deepEqual(
      (await readingsTable('heart-rate')).map((cells) => cells[1]),
      HEART_RATES.map(String),
    );
    assert.ok(
      !(await page.content()).includes(`>${FORGED_HEART_RATE}<`),
      'the forged reading is not shown',
    );

    const pressure = page.getByTestId('chart-blood-pressure');
    assert.equal(await pressure.locator('svg .chart-point').count(), 2 * BLOOD_PRESSURES.length);
    assert.deepEqual(
      (await readingsTable('blood-pressure')).map((cells) => cells.slice(1)),
      BLOOD_PRESSURES.map((bp) => [String(bp.systolic), String(bp.diastolic)]),
    );
    assert.equal(await page.getByTestId('chart-oxygen-saturation').count(), 0, 'no empty charts');
    if (screenshots) await page.screenshot({ path: '/tmp/vigil-vital-signs.png', fullPage: true });
    assertNoPageProblems();
  });

  it('keeps the key non-extractable in IndexedDB across a reload, and forgets it on request', async () => {
    assert.equal(await page.evaluate('localStorage.length + sessionStorage.length'), 0);
    // What IndexedDB holds is a CryptoKey that the page itself cannot read out.
    const stored = await page.evaluate(`new Promise((resolve, reject) => {
      const open = indexedDB.open('vigil-member-keys');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const get = open.result.transaction('keys').objectStore('keys').getAll();
        get.onsuccess = async () => {
          const records = get.result;
          const key = records[0] && records[0].held.privateKey;
          const exported = key
            ? await crypto.subtle.exportKey('jwk', key).then(() => 'exported', () => 'refused')
            : 'none';
          resolve({ count: records.length, extractable: key ? key.extractable : null, exported,
            text: JSON.stringify(records) });
        };
      };
    })`);
    const { count, extractable, exported, text } = stored as {
      count: number;
      extractable: boolean | null;
      exported: string;
      text: string;
    };
    assert.equal(count, 1);
    assert.equal(extractable, false);
    assert.equal(exported, 'refused');
    assert.doesNotMatch(text, new RegExp(clinicianKeyD));

    await page.reload();
    await heading('Vital signs').waitFor();
    await page.getByRole('button', { name: 'Forget key' }).waitFor();

    await page.getByRole('button', { name: 'Forget key' }).click();
    await page.getByLabel('Keystore file').waitFor();
    await page.getByTestId('key-needed').waitFor();
    assert.equal(await page.getByTestId('chart-heart-rate').count(), 0);
    assert.equal(await page.getByRole('rowheader', { name: 'P1' }).count(), 0);
    // Forgotten in the browser too: a reload asks for the keystore again.
    await page.reload();
    await heading('Vital signs').waitFor();
    await page.getByLabel('Keystore file').waitFor();
    await page.getByTestId('key-needed').waitFor();
    assertNoPageProblems();
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openWatchedPage, skipWithoutChromium, type WatchedPage } from './browser-harness.js';
import { totpAt } from '@vigil/core';
import { createTempDir, startTestServer } from '@vigil/testkit';
import type { StartedTestServer, TempDir } from '@vigil/testkit';
import { httpsCall } from '../devices/wire.js';

/**
 * The Devices page in a real browser against the real HTTPS server and its
 * Content-Security-Policy: a gateway enrols over EST with openssl's CSR, the
 * operator signs in (enrolling TOTP, as admins must), finds it, quarantines it
 * through the confirmation dialog, and makes an enrolment token that is shown
 * once — and that really enrols a second gateway. Any console error or CSP
 * violation fails the test.
 *
 * Needs Debian's Chromium at /usr/bin/chromium and a built web app
 * (`npm run build -w @vigil/web`). Without Chromium the suite is skipped,
 * unless VIGIL_TEST_REQUIRE_CHROMIUM=1 (as in CI). VIGIL_SCREENSHOTS=1 saves
 * /tmp/vigil-devices.png and /tmp/vigil-devices-token.png.
 */

const screenshots = process.env['VIGIL_SCREENSHOTS'] === '1';

/** Who `manufacturer()` of the test kit sets up: an admin, so MFA is mandatory. */
const OPERATOR = {
  name: 'Test Operator',
  email: 'operator@maker.example',
  password: 'a lengthy passphrase for checks',
};
const FIRST = 'SN-E2E-0001';
const SECOND = 'SN-E2E-0002';
const SOON = 'SN-E2E-SOON';
const EXPIRED = 'SN-E2E-EXPIRED';
const DAY_MS = 86_400_000;

/**
 * Runs openssl without blocking the event loop: the server under test answers
 * in this very process, so a synchronous child would keep it from answering.
 */
function openssl(args: readonly string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`openssl ${args[0]} failed: ${Buffer.concat(err).toString()}`));
    });
    child.stdin.end(input);
  });
}

interface EnrolledGateway {
  readonly deviceId: string;
  readonly certPem: string;
  readonly keyPem: string;
}

describe('the Devices page in a browser', { skip: skipWithoutChromium }, () => {
  let server: StartedTestServer;
  let dir: TempDir;
  let watched: WatchedPage | undefined;
  let page: Page;
  let first: EnrolledGateway;
  let shownToken = '';
  /** Console errors, uncaught exceptions and CSP violations the page reported. */
  let problems: string[] = [];

  /** What a gateway does (docs/devices.md "Enrolment"): its own key, a CSR, EST simpleenroll. */
  async function enrol(token: string, serialNumber: string): Promise<EnrolledGateway> {
    const keyPath = join(dir.path, `${serialNumber}.key`);
    const csrDer = await openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyPath,
      '-subj',
      `/serialNumber=${serialNumber}/CN=gateway`,
      '-outform',
      'DER',
    ]);
    const answer = await httpsCall(server.url, server.caCertPem, {
      method: 'POST',
      path: '/.well-known/est/simpleenroll',
      headers: { 'content-type': 'application/pkcs10', authorization: `Bearer ${token}` },
      // RFC 7030 §4.2.1: the CSR as base64 DER.
      body: csrDer.toString('base64'),
    });
    assert.equal(answer.status, 200, answer.body.toString());
    const pkcs7 = Buffer.from(answer.body.toString('utf8').replace(/\s+/g, ''), 'base64');
    const certPem = (await openssl(['pkcs7', '-inform', 'DER', '-print_certs'], pkcs7))
      .toString('utf8')
      .replace(/^(subject|issuer)=.*\n/gm, '');
    return {
      deviceId: String(answer.headers['x-vigil-device-id']),
      certPem,
      keyPem: await readFile(keyPath, 'utf8'),
    };
  }

  before(async () => {
    server = await startTestServer();
    dir = await createTempDir('vigil-devices-page-');
    const organisationId = await server.manufacturer();
    first = await enrol(await server.createEnrolmentToken({ site: 'Ward 7' }), FIRST);
    // One check-in, so the page has a "last seen" and a software version to show.
    const checkIn = await httpsCall(server.deviceUrl, server.caCertPem, {
      method: 'POST',
      path: '/device/v1/check-in',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ softwareVersion: '2.4.1' }),
      identity: { certPem: first.certPem, keyPem: first.keyPem },
    });
    assert.equal(checkIn.status, 200, checkIn.body.toString());
    // Registry rows without a live gateway, whose certificates end in 5 days and ended
    // yesterday: the page must flag both (under 14 days, or past).
    const now = Date.now();
    for (const [serialNumber, certNotAfter] of [
      [SOON, now + 5 * DAY_MS + 3_600_000],
      [EXPIRED, now - DAY_MS],
    ] as const) {
      await server.server.store.createDevice({
        id: randomUUID(),
        organisationId,
        model: 'gateway-1',
        hardwareRevision: 'B',
        serialNumber,
        site: null,
        status: 'active',
        certSerial: randomBytes(16).toString('hex'),
        certNotAfter,
        hardwareAttested: true,
        enrolledAt: now - 90 * DAY_MS,
        enrolmentTokenId: null,
      });
    }

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

  function deviceRow(serialNumber: string) {
    return page.getByRole('row').filter({ hasText: serialNumber });
  }

  /** The focused element's text (a string script: this file has no DOM types). */
  async function focusedText(): Promise<string> {
    return String(await page.evaluate('document.activeElement?.textContent ?? ""'));
  }

  function assertNoPageProblems() {
    assert.deepEqual(problems, [], 'the page reported errors');
  }

  it('signs the operator in with a newly enrolled authenticator', async () => {
    await page.goto(`${server.url}/sign-in`);
    await heading('Sign in').waitFor();
    await page.getByLabel('Email').fill(OPERATOR.email);
    await page.getByLabel('Password').fill(OPERATOR.password);
    await page.getByLabel('Password').press('Enter');

    await heading('Set up two-step verification').waitFor();
    const shown = await page.getByTestId('totp-secret').textContent();
    const secret = (shown ?? '').replace(/\s+/g, '');
    await page.getByLabel('6-digit code from your app').fill(totpAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await heading(`Welcome, ${OPERATOR.name}`).waitFor();
    assertNoPageProblems();
  });

  it('lists the enrolled gateway with its status, attestation, certificate and last check-in', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Devices' })
      .click();
    await heading('Devices').waitFor();
    assert.equal(await focusedText(), 'Devices', 'focus moves to the page heading');

    const row = deviceRow(FIRST);
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    assert.equal(cells[0], 'gateway-1');
    assert.equal(cells[2], 'Ward 7');
    assert.equal(cells[3], 'Active');
    assert.equal(cells[4], 'No', 'not hardware-attested');
    assert.doesNotMatch(cells[5] ?? '', /Expire/, 'a 90-day certificate carries no warning');
    assert.equal(cells[6], 'just now');
    assert.equal(cells[7], '2.4.1');

    const soon = deviceRow(SOON);
    assert.match((await soon.getByRole('cell').allTextContents())[5] ?? '', /Expires in 5 days$/);
    assert.equal(await soon.locator('.expiry-soon').count(), 1, 'warning style under 14 days');
    assert.equal((await soon.getByRole('cell').allTextContents())[4], 'Yes', 'attested');
    const expired = deviceRow(EXPIRED);
    assert.match((await expired.getByRole('cell').allTextContents())[5] ?? '', /Expired$/);
    assert.equal(await expired.locator('.expiry-expired').count(), 1, 'warning style when past');
    assert.equal((await expired.getByRole('cell').allTextContents())[6], 'Never');

    const fingerprint = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;
    assert.match(await page.getByTestId('issuing-fingerprint').innerText(), fingerprint);
    assert.match(await page.getByTestId('root-fingerprint').innerText(), fingerprint);
    assertNoPageProblems();
  });

  it('quarantines the gateway through the confirmation dialog and shows the new badge', async () => {
    await deviceRow(FIRST)
      .getByRole('button', { name: `Quarantine ${FIRST}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Quarantine ${FIRST}?` });
    await dialog.waitFor();
    await dialog.getByText('It may still check in and fetch updates').waitFor();
    assert.equal(await focusedText(), 'Cancel', 'focus starts on Cancel for a disruptive action');
    await dialog.getByRole('button', { name: 'Quarantine' }).click();

    await deviceRow(FIRST).getByText('Quarantined', { exact: true }).waitFor();
    await page.getByText(`${FIRST} is quarantined`).waitFor();
    await deviceRow(FIRST)
      .getByRole('button', { name: `Release ${FIRST}` })
      .waitFor();
    assert.equal(
      (await server.server.store.getDevice(first.deviceId))?.status,
      'quarantined',
      'the server holds the new status',
    );
    if (screenshots) await page.screenshot({ path: '/tmp/vigil-devices.png', fullPage: true });
    assertNoPageProblems();
  });

  it('warns before revoking, and Escape cancels', async () => {
    const revoke = deviceRow(FIRST).getByRole('button', { name: `Revoke ${FIRST}` });
    await revoke.click();
    const dialog = page.getByRole('dialog', { name: `Revoke ${FIRST}?` });
    await dialog
      .getByText(
        'It is refused at once on every request and listed in the CRL; this cannot be undone.',
      )
      .waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await focusedText(), `Revoke ${FIRST}`, 'focus returns to the Revoke button');
    assert.equal((await server.server.store.getDevice(first.deviceId))?.status, 'quarantined');
    assertNoPageProblems();
  });

  it('creates an enrolment token, shows it once with how to use it, and the token works', async () => {
    const form = page.getByRole('region', { name: 'Create an enrolment token' });
    await form.getByLabel('Name', { exact: true }).fill('Line 2');
    await form.getByLabel('Device model').fill('gateway-1');
    await form.getByLabel('Site (optional)').fill('Ward 9');
    await form.getByLabel('Number of devices').fill('5');
    assert.equal(await form.getByLabel('Valid for (hours)').inputValue(), '24');
    await form.getByRole('button', { name: 'Create enrolment token' }).click();

    const secret = page.getByTestId('enrolment-token');
    shownToken = await secret.inputValue();
    assert.match(shownToken, /^vgl_enrol_/);
    assert.equal(
      await page.evaluate('document.activeElement?.dataset?.testid'),
      'enrolment-token',
      'the one-time token takes focus',
    );
    const usage = await page.getByTestId('enrolment-usage').innerText();
    assert.ok(
      usage.includes(`${server.url}/.well-known/est/simpleenroll`),
      `usage hint names this server: ${usage}`,
    );
    const tokenRow = page.getByRole('row').filter({ hasText: 'Line 2' });
    assert.deepEqual((await tokenRow.getByRole('cell').allTextContents()).slice(0, 4), [
      'Line 2',
      'gateway-1',
      'Ward 9',
      '5 of 5',
    ]);
    if (screenshots) {
      await page.screenshot({ path: '/tmp/vigil-devices-token.png', fullPage: true });
    }

    // What the production line does with it.
    await enrol(shownToken, SECOND);

    await page.getByRole('button', { name: 'Done' }).click();
    await secret.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(shownToken), 'the token is not shown again');

    await page.getByRole('button', { name: 'Refresh the device list' }).click();
    const second = deviceRow(SECOND);
    await second.waitFor();
    const cells = await second.getByRole('cell').allTextContents();
    assert.equal(cells[2], 'Ward 9');
    assert.equal(cells[3], 'Active');
    assert.equal(cells[6], 'Never');
    assertNoPageProblems();
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openWatchedPage, skipWithoutChromium, type WatchedPage } from './browser-harness.js';
import { totpAt } from '@vigil/core';
import { startTestServer } from '@vigil/testkit';

/**
 * The first hour of a new installation, in a real browser against the real
 * HTTPS server and its Content-Security-Policy: first-run setup, sign-in,
 * mandatory MFA enrolment, inviting a colleague, signing out. Any console
 * error or CSP violation on the page fails the test.
 *
 * Needs Debian's Chromium at /usr/bin/chromium and a built web app
 * (`npm run build -w @vigil/web`). Without Chromium the suite is skipped,
 * unless VIGIL_TEST_REQUIRE_CHROMIUM=1 (as in CI). VIGIL_SCREENSHOTS=1 saves
 * /tmp/vigil-home.png and /tmp/vigil-users.png for a person to look at.
 */

const screenshots = process.env['VIGIL_SCREENSHOTS'] === '1';

const ADMIN = {
  organisation: 'Example Medical Devices Ltd',
  name: 'Ada Admin',
  email: 'ada.admin@example.com',
  // A passphrase: long, no composition rules (NIST SP 800-63B).
  password: 'correct horse battery staple lighthouse',
};
/** What `startTestServer` gives: the real HTTPS server on 127.0.0.1 with a fresh data dir. */
interface TestServer {
  readonly url: string;
  readonly setupToken: string;
  close(): Promise<void>;
}

const CLINICIAN = { name: 'Chidi Clinician', email: 'chidi.clinician@example.org' };

describe(
  'the web app in a browser, from first run to inviting a colleague',
  { skip: skipWithoutChromium },
  () => {
    let server: TestServer;
    let watched: WatchedPage | undefined;
    let page: Page;
    /** Console errors, uncaught exceptions and CSP violations the page reported. */
    let problems: string[] = [];

    before(async () => {
      server = await startTestServer();
      watched = await openWatchedPage();
      ({ page, problems } = watched);
    });

    after(async () => {
      await watched?.close();
      await server?.close();
    });

    function heading(name: string | RegExp) {
      return page.getByRole('heading', { level: 1, name });
    }

    function assertNoPageProblems() {
      assert.deepEqual(problems, [], 'the page reported errors');
    }

    it('completes first-run setup from the setup link', async () => {
      await page.goto(`${server.url}/setup#token=${server.setupToken}`);
      await heading('Set up Vigil').waitFor();
      assert.equal(await page.getByLabel('Setup token').inputValue(), server.setupToken);
      // The token is taken out of the address bar once read.
      assert.equal(new URL(page.url()).hash, '');

      await page.getByLabel('Organisation name').fill(ADMIN.organisation);
      await page.getByLabel('Your name').fill(ADMIN.name);
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByLabel('Confirm password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Set up Vigil' }).click();

      await heading('Sign in').waitFor();
      await page.getByText('Vigil is set up.').waitFor();
      assertNoPageProblems();
    });

    it('signs the admin in and asks for an authenticator, which admins must use', async () => {
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByLabel('Password').press('Enter');

      await heading('Set up two-step verification').waitFor();
      assert.equal(new URL(page.url()).pathname, '/enrol-mfa');
      assertNoPageProblems();
    });

    it('confirms the TOTP enrolment with a code from the secret and reaches home', async () => {
      const shown = await page.getByTestId('totp-secret').textContent();
      const secret = (shown ?? '').replace(/\s+/g, '');
      assert.match(secret, /^[A-Z2-7]{16,}$/, 'a base32 secret is shown');

      await page.getByLabel('6-digit code from your app').fill(totpAt(secret, Date.now()));
      await page.getByRole('button', { name: 'Confirm' }).click();

      await heading(`Welcome, ${ADMIN.name}`).waitFor();
      await page.getByText('Your fleet will appear here').waitFor();
      await page.getByRole('cell', { name: ADMIN.organisation }).waitFor();
      if (screenshots) await page.screenshot({ path: '/tmp/vigil-home.png', fullPage: true });
      assertNoPageProblems();
    });

    it('adds a clinician on the Users page and shows their one-time activation link', async () => {
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Users' })
        .click();
      await heading('Users').waitFor();
      await page.getByRole('cell', { name: ADMIN.email }).waitFor();

      const form = page.getByRole('region', { name: 'Add person' });
      await form.getByLabel('Email').fill(CLINICIAN.email);
      await form.getByLabel('Name').fill(CLINICIAN.name);
      await form.getByLabel('Role').selectOption('clinician');
      await form.getByRole('button', { name: 'Add person' }).click();

      const link = await page.getByTestId('activation-link').inputValue();
      assert.ok(link.startsWith(`${server.url}/activate#token=`), `activation link: ${link}`);
      await page.getByRole('cell', { name: CLINICIAN.email }).waitFor();
      if (screenshots) await page.screenshot({ path: '/tmp/vigil-users.png', fullPage: true });
      assertNoPageProblems();
    });

    it('signs out to the sign-in page', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await heading('Sign in').waitFor();
      await page.getByText('You have signed out.').waitFor();
      assert.equal(new URL(page.url()).pathname, '/sign-in');
      assertNoPageProblems();
    });
  },
);

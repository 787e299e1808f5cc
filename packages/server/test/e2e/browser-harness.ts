import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core, watching the page: every
 * console error, uncaught exception and CSP violation is collected so a
 * test can fail on it. Shared by the browser tests.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const WEB_INDEX = fileURLToPath(new URL('../../../web/dist/index.html', import.meta.url));
const requireChromium = process.env['VIGIL_TEST_REQUIRE_CHROMIUM'] === '1';

/** The `skip` option of a browser suite: skipped without Chromium unless CI requires it. */
export const skipWithoutChromium: string | false =
  !existsSync(CHROMIUM) && !requireChromium
    ? `Chromium is not installed at ${CHROMIUM} (apt-get install chromium); set VIGIL_TEST_REQUIRE_CHROMIUM=1 to make this a failure`
    : false;

export interface WatchedPage {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors, uncaught exceptions and CSP violations the page reported. */
  readonly problems: string[];
  close(): Promise<void>;
}

export async function openWatchedPage(): Promise<WatchedPage> {
  assert.ok(
    existsSync(CHROMIUM),
    `VIGIL_TEST_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is missing: apt-get install chromium`,
  );
  assert.ok(
    existsSync(WEB_INDEX),
    `${WEB_INDEX} is missing: build the web app first (npm run build -w @vigil/web)`,
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
  // CSP violations also reach the console, but this names the directive and the blocked
  // resource. (A string: this file is compiled without the DOM library.)
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline code'));
    });`,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.message}`));
  return {
    browser,
    context,
    page,
    problems,
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}

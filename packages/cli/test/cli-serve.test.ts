import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { tempDir } from '@vigil/testkit';
import { main } from '../src/main.js';
import { CapturedText, cliEnv } from './cli-harness.js';

const BANNER_END = /Press Ctrl-C to stop\./;

/** GET over HTTPS, trusting only the development CA of `dataDir`. */
function getJson(url: string, dataDir: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = get(
      url,
      { ca: readFileSync(join(dataDir, 'tls', 'ca.pem')), servername: 'localhost' },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(body) }),
        );
      },
    );
    request.on('error', reject);
  });
}

/** Waits for `pattern` on `stdout`, failing fast if the command ends first. */
async function waitForOutput(
  stdout: CapturedText,
  stderr: CapturedText,
  pattern: RegExp,
  running: Promise<number>,
): Promise<RegExpMatchArray> {
  const ended = running.then((code) => {
    throw new Error(
      `vigil serve exited ${code} before printing ${String(pattern)}: ${stderr.text}`,
    );
  });
  return Promise.race([stdout.waitFor(pattern), ended]);
}

describe('when `vigil serve` starts on a fresh data directory', () => {
  it('prints the URL, the development CA and the setup link, answers /healthz over HTTPS, and stops cleanly', async (t) => {
    const dataDir = await tempDir(t);
    const stdout = new CapturedText();
    const stderr = new CapturedText();
    const controller = new AbortController();
    const running = main(['serve', '--https-port', '0'], {
      stdout,
      stderr,
      env: cliEnv(dataDir),
      cwd: dataDir,
      signal: controller.signal,
    });
    t.after(() => controller.abort());

    await waitForOutput(stdout, stderr, BANNER_END, running);
    const url = stdout.text.match(/^Vigil is running at (https:\/\/localhost:(\d+))$/m);
    assert.ok(url, stdout.text);
    assert.notEqual(url[2], '0');
    assert.ok(stdout.text.includes(join(dataDir, 'tls', 'ca.pem')));
    assert.match(stdout.text, /SHA-256 +([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
    assert.match(stdout.text, new RegExp(`^  ${url[1]}/setup#token=vgl_setup_\\S+$`, 'm'));
    assert.match(stdout.text, /^vgl_setup_\S+$/m);
    assert.match(stdout.text, /vigil setup/);

    const health = await getJson(`${url[1]}/healthz`, dataDir);
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });

    controller.abort();
    assert.equal(await running, 0);
    assert.match(stdout.text, /Vigil has stopped\.\n$/);
    assert.equal(stderr.text, '');
  });
});

describe('when `vigil serve` runs as a process and receives SIGTERM', () => {
  it('shuts down gracefully and exits 0', async (t) => {
    const dataDir = await tempDir(t);
    const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
    const bin = fileURLToPath(new URL('../src/bin/vigil.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=vigil-source', '--import', 'tsx', bin, 'serve', '--https-port', '0'],
      {
        cwd: repoRoot,
        env: { ...process.env, ...cliEnv(dataDir) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    t.after(() => child.kill('SIGKILL'));
    const stdout = new CapturedText();
    const stderr = new CapturedText();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.write(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.write(chunk));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    await waitForOutput(
      stdout,
      stderr,
      BANNER_END,
      exited.then(([code]) => code ?? -1),
    );
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.equal(signal, null, stderr.text);
    assert.equal(code, 0, stderr.text);
    assert.match(stdout.text, /Vigil has stopped\.\n$/);
  });
});

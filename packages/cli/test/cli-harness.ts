import {
  systemContext,
  createServices,
  loadConfig,
  openStore,
  type Services,
  type Store,
} from '@vigil/server';
import type { TextSink } from '../src/cli-io.js';
import { main } from '../src/main.js';

/** Collects what the CLI writes and lets a test wait for a line to appear. */
export class CapturedText implements TextSink {
  text = '';
  #waiters: Array<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }> = [];

  write(chunk: string): boolean {
    this.text += chunk;
    this.#waiters = this.#waiters.filter((w) => {
      const match = this.text.match(w.pattern);
      if (match) w.resolve(match);
      return !match;
    });
    return true;
  }

  /** Resolves with the first match of `pattern` in everything written so far or later. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    const match = this.text.match(pattern);
    if (match) return Promise.resolve(match);
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }));
  }
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment every test run gets: its own data dir and no log lines on stdout. */
export function cliEnv(dataDir: string): Record<string, string> {
  return { VIGIL_DATA_DIR: dataDir, VIGIL_LOG_LEVEL: 'silent' };
}

/** Runs `vigil <args>` in-process against `dataDir`, with `env` added to the environment. */
export async function runCli(
  dataDir: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliRun> {
  const stdout = new CapturedText();
  const stderr = new CapturedText();
  const code = await main(args, {
    stdout,
    stderr,
    env: { ...cliEnv(dataDir), ...env },
    cwd: dataDir,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Parses the single JSON document a `--json` run printed. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export const ADMIN = {
  email: 'ada@maker.example',
  name: 'Ada Admin',
  password: 'correct horse battery staple 42',
};

/** Opens the store of `dataDir` with the real services, as the server would, for checks the CLI cannot make. */
export async function withServices<T>(
  dataDir: string,
  fn: (services: Services, store: Store) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ env: cliEnv(dataDir) });
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    return await fn(createServices(config, store), store);
  } finally {
    await store.close();
  }
}

/** Completes first-run setup with `token`, as the setup page would. */
export function completeSetup(
  dataDir: string,
  token: string,
): Promise<{ userId: string; organisationId: string }> {
  return withServices(dataDir, (services) =>
    services.setup.complete(
      { token, organisationName: 'Maker Medical', ...ADMIN },
      systemContext('test'),
    ),
  );
}

/** Runs `vigil setup --json` and completes setup with the token it printed. */
export async function setUpInstallation(
  dataDir: string,
): Promise<{ userId: string; organisationId: string }> {
  const run = await runCli(dataDir, ['setup', '--json']);
  if (run.code !== 0) throw new Error(`vigil setup failed: ${run.stderr}`);
  return completeSetup(dataDir, parseJson<{ token: string }>(run.stdout).token);
}

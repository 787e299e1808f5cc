import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { StartedTestServer, TestCareOrganisation } from '@vigil/testkit';
import type { Corpus } from './byte-search.js';

type TokenOptions = Parameters<StartedTestServer['createEnrolmentToken']>[0];

type Request =
  | { readonly op: 'careOrganisation'; readonly name: string }
  | { readonly op: 'createEnrolmentToken'; readonly options: TokenOptions }
  | { readonly op: 'close' };

/** What the test asks of the server process. */
export type ParentMessage = Request & { readonly id: number };

/** What the server process answers. */
export type ChildMessage =
  | {
      readonly kind: 'ready';
      readonly url: string;
      readonly deviceUrl: string;
      readonly caCertPem: string;
      readonly dataDir: string;
    }
  | {
      readonly kind: 'reply';
      readonly id: number;
      readonly result?: unknown;
      readonly error?: string;
    };

type Ready = Extract<ChildMessage, { kind: 'ready' }>;

const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
/** Start-up includes tsx compiling the server on a loaded machine. */
const START_TIMEOUT_MS = 120_000;
const EXIT_TIMEOUT_MS = 30_000;

/**
 * The test server (`startTestServer`) in a child process with its stdout and
 * stderr captured: the server's logs, as written. Setup helpers (care
 * organisation, enrolment tokens) run in the child over IPC.
 */
export class ServerProcess {
  readonly url: string;
  readonly deviceUrl: string;
  readonly caCertPem: string;
  /** The server's data directory; the caller removes it. */
  readonly dataDir: string;
  readonly #child: ChildProcess;
  readonly #stdout: Buffer[];
  readonly #stderr: Buffer[];
  readonly #exited: Promise<unknown>;
  readonly #pending = new Map<number, (message: ChildMessage) => void>();
  #nextId = 1;

  private constructor(
    child: ChildProcess,
    ready: Ready,
    output: { stdout: Buffer[]; stderr: Buffer[] },
    exited: Promise<unknown>,
  ) {
    this.#child = child;
    this.#stdout = output.stdout;
    this.#stderr = output.stderr;
    this.#exited = exited;
    this.url = ready.url;
    this.deviceUrl = ready.deviceUrl;
    this.caCertPem = ready.caCertPem;
    this.dataDir = ready.dataDir;
    child.on('message', (message: ChildMessage) => {
      if (message.kind !== 'reply') return;
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
    });
    // A call the process can no longer answer fails instead of waiting for ever.
    void exited.then(() => {
      for (const [id, settle] of this.#pending) {
        settle({ kind: 'reply', id, error: 'the server process ended' });
      }
      this.#pending.clear();
    });
  }

  /** Starts the server; with `databaseUrl` on PostgreSQL, else on SQLite. */
  static async start(databaseUrl?: string): Promise<ServerProcess> {
    const child = spawn(
      process.execPath,
      [
        '--conditions=vigil-source',
        '--import',
        'tsx',
        CHILD,
        ...(databaseUrl === undefined ? [] : [databaseUrl]),
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    const output = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    child.stdout?.on('data', (chunk: Buffer) => output.stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.stderr.push(chunk));
    // 'close': the process ended and its stdout and stderr are read to the end.
    const exited = once(child, 'close');
    const ready = new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`The server process did not start in ${START_TIMEOUT_MS} ms.`));
      }, START_TIMEOUT_MS);
      child.on('message', (message: ChildMessage) => {
        if (message.kind !== 'ready') return;
        clearTimeout(timer);
        resolve(message);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(
          new Error(`The server process ended: ${Buffer.concat(output.stderr).toString('utf8')}`),
        );
      });
    });
    return new ServerProcess(child, await ready, output, exited);
  }

  careOrganisation(name: string): Promise<TestCareOrganisation> {
    return this.#call({ op: 'careOrganisation', name }) as Promise<TestCareOrganisation>;
  }

  createEnrolmentToken(options: TokenOptions): Promise<string> {
    return this.#call({ op: 'createEnrolmentToken', options }) as Promise<string>;
  }

  /** Closes the server (its store last) and waits until the process has ended. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    await this.#call({ op: 'close' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Ends the process at once (clean-up after a failure). */
  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL');
    }
  }

  /** What the server wrote: its pino log lines on stdout, anything else on stderr. */
  logs(): Corpus {
    return {
      name: 'server logs',
      parts: [
        { label: 'server stdout', bytes: Buffer.concat(this.#stdout) },
        { label: 'server stderr', bytes: Buffer.concat(this.#stderr) },
      ],
    };
  }

  #call(request: Request): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (message) => {
        if (message.kind !== 'reply') return;
        if (message.error === undefined) resolve(message.result);
        else reject(new Error(`In the server process: ${message.error}`));
      });
      const message: ParentMessage = { ...request, id };
      this.#child.send(message);
    });
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: workspace sources resolve from here (`vigil-source`). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
/** `vigil` from source, as `npm test` runs the packages. */
export const VIGIL_BIN = fileURLToPath(
  new URL('../../../../cli/src/bin/vigil.ts', import.meta.url),
);

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A Node process running TypeScript sources through tsx (spawned, never
 * waited for synchronously), whose output the test can wait on and which it
 * can kill at any instant.
 */
export class NodeChild {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  readonly #child: ChildProcess;
  #waiters: Array<() => void> = [];

  private constructor(child: ChildProcess) {
    this.#child = child;
    const notify = () => {
      for (const waiter of this.#waiters) waiter();
    };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      notify();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
        notify();
      });
    });
  }

  /** Starts `node --conditions=vigil-source --import tsx <script> …args` in the repository root. */
  static start(script: string, args: readonly string[], env: Record<string, string>): NodeChild {
    const inherited = { ...process.env };
    // The test runner's marker would make a child that imports node:test report to it.
    delete inherited['NODE_TEST_CONTEXT'];
    const child = spawn(
      process.execPath,
      ['--conditions=vigil-source', '--import', 'tsx', script, ...args],
      { cwd: REPO_ROOT, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new NodeChild(child);
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Resolves with the first match of `pattern` on stdout; rejects if the process ends first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new Error(`No ${String(pattern)} within ${timeoutMs} ms.\n${this.#transcript()}`));
      }, timeoutMs);
      const check = () => {
        const match = this.stdout.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (!this.alive) {
          done();
          reject(new Error(`The process ended before ${String(pattern)}.\n${this.#transcript()}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== check);
      };
      this.#waiters.push(check);
      check();
    });
  }

  /** Sends `signal` (SIGKILL: no chance to clean up) and resolves once the process has gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.alive) this.#child.kill(signal);
    return this.exited;
  }

  #transcript(): string {
    return `stdout: ${this.stdout.slice(-2_000)}\nstderr: ${this.stderr.slice(-2_000)}`;
  }
}

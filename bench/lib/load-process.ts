import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadOptions, LoadResult } from './load.js';
import { REPO_ROOT, SOURCE_EXEC_ARGV } from './source-node.js';

/** Messages between the benchmark and its load-generator process. */
export type LoadRequestMessage = { readonly id: number; readonly options: LoadOptions };
export type LoadReplyMessage =
  | { readonly id: number; readonly result: LoadResult }
  | { readonly id: number; readonly error: string };

export interface LoadProcess {
  run(options: LoadOptions): Promise<LoadResult>;
  close(): Promise<void>;
}

/**
 * Starts `runLoad` in its own process. A load generator in the server's
 * process would share its event loop and core: every client request would
 * slow the server down, and ratios between routes would be squeezed towards
 * 1. In a child it gets the other core of a two-core machine, as a real
 * client would.
 */
export async function startLoadProcess(): Promise<LoadProcess> {
  const child = fork(fileURLToPath(new URL('./load-child.ts', import.meta.url)), [], {
    cwd: REPO_ROOT,
    execArgv: [...SOURCE_EXEC_ARGV],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<
    number,
    { resolve: (r: LoadResult) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  child.on('message', (message: LoadReplyMessage) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if ('result' in message) waiter.resolve(message.result);
    else waiter.reject(new Error(`load generator: ${message.error}`));
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`The load generator exited (${code ?? 'signal'}).`));
    }
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });

  return {
    run: (options) =>
      new Promise<LoadResult>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        const message: LoadRequestMessage = { id, options };
        child.send(message);
      }),
    close: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.disconnect();
  });
}

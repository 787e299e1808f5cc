/**
 * A Vigil server in a process of its own, for measuring that process alone
 * (idle RSS). Started by `idle-rss.bench.ts` with an IPC channel: it starts
 * the server, completes setup, sends `ready` with what a client needs, and on
 * `settle` collects garbage (when run with --expose-gc) and answers with its
 * memory usage. It shuts down when the benchmark disconnects.
 *
 * Argument: the web root to serve (so the source and the bundled run serve
 * the same files wherever the bundle lives).
 */
import { startBenchServer } from './bench-server.js';

export type ServeChildMessage =
  | {
      readonly type: 'ready';
      readonly baseUrl: string;
      readonly ca: string;
      readonly organisationId: string;
      readonly apiToken: string;
    }
  | { readonly type: 'settled'; readonly memory: NodeJS.MemoryUsage; readonly gc: boolean };

export type ServeParentMessage = { readonly type: 'settle' };

const webRoot = process.argv[2];
const bench = await startBenchServer(webRoot ? { webRoot } : {});

function send(message: ServeChildMessage): void {
  process.send?.(message);
}

process.on('message', (message: ServeParentMessage) => {
  if (message.type !== 'settle') return;
  // `gc` exists only under --expose-gc; it is typed as possibly undefined for that reason.
  const gc = globalThis.gc;
  gc?.();
  send({ type: 'settled', memory: process.memoryUsage(), gc: gc !== undefined });
});
process.on('disconnect', () => {
  bench.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

send({
  type: 'ready',
  baseUrl: bench.baseUrl,
  ca: bench.ca,
  organisationId: bench.organisationId,
  apiToken: bench.apiToken,
});

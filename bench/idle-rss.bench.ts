/**
 * Idle resident memory of a Vigil server process: start it in a child
 * process, complete setup, send ~50 requests (half the bare route, half an
 * authenticated API call), close the connections, collect garbage, idle 3 s,
 * then read VmRSS from /proc/<pid>/status. Measured twice: running the
 * TypeScript sources through tsx (what `npm test` and this bench use), and
 * compiled to JavaScript without a loader (what a deployment runs); the
 * difference is the loader, not Vigil.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BUNDLE_DIR, bundleForNode, workspaceBuilt, type VigilPackages } from './lib/bundle.js';
import { httpsRequest } from './lib/https-request.js';
import { envInt, machineLine, printBlock, printResult } from './lib/report.js';
import type { ServeChildMessage, ServeParentMessage } from './lib/serve-child.js';
import { REPO_ROOT, SOURCE_EXEC_ARGV } from './lib/source-node.js';
import { round } from './lib/stats.js';

const REQUESTS = envInt('BENCH_IDLE_REQUESTS', 50, 0, 1_000);
const IDLE_MS = envInt('BENCH_IDLE_MS', 3_000, 0, 30_000);
const START_TIMEOUT_MS = 60_000;
const SERVE_CHILD = fileURLToPath(new URL('./lib/serve-child.ts', import.meta.url));
const WEB_ROOT = join(REPO_ROOT, 'packages', 'web', 'dist');

/** Memory figures of /proc/<pid>/status, in MiB. */
interface ProcMemory {
  readonly vmRss: number;
  readonly vmHwm: number;
  readonly rssAnon: number;
  readonly rssFile: number;
}

interface Run {
  readonly label: string;
  readonly afterStartup: ProcMemory;
  readonly idle: ProcMemory;
  readonly heapUsedMiB: number;
  readonly gc: boolean;
}

function readProcMemory(pid: number): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}.`);
    return round(Number(match[1]) / 1024, 1);
  };
  return {
    vmRss: kib('VmRSS'),
    vmHwm: kib('VmHWM'),
    rssAnon: kib('RssAnon'),
    rssFile: kib('RssFile'),
  };
}

function nextMessage<T extends ServeChildMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<ServeChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`The server process sent no "${type}" within ${START_TIMEOUT_MS} ms.`));
    }, START_TIMEOUT_MS);
    const onMessage = (message: ServeChildMessage) => {
      if (message.type !== type) return;
      cleanup();
      resolve(message as Extract<ServeChildMessage, { type: T }>);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`The server process exited (${code ?? 'signal'}) before "${type}".`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function measure(label: string, file: string, execArgv: readonly string[]): Promise<Run> {
  const child = fork(file, [WEB_ROOT], {
    cwd: REPO_ROOT,
    execArgv: [...execArgv, '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const ready = await nextMessage(child, 'ready');
    const pid = child.pid as number;
    const afterStartup = readProcMemory(pid);

    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const usersUrl = `${ready.baseUrl}/api/v1/organisations/${ready.organisationId}/users`;
    for (let i = 0; i < REQUESTS; i++) {
      const response =
        i % 2 === 0
          ? await httpsRequest(`${ready.baseUrl}/healthz`, { ca: ready.ca, agent })
          : await httpsRequest(usersUrl, {
              ca: ready.ca,
              agent,
              headers: { authorization: `Bearer ${ready.apiToken}` },
            });
      if (response.status !== 200) throw new Error(`Request ${i} answered ${response.status}.`);
    }
    agent.destroy();

    const settle: ServeParentMessage = { type: 'settle' };
    child.send(settle);
    const settled = await nextMessage(child, 'settled');
    await sleep(IDLE_MS);
    return {
      label,
      afterStartup,
      idle: readProcMemory(pid),
      heapUsedMiB: round(settled.memory.heapUsed / 1_048_576, 1),
      gc: settled.gc,
    };
  } finally {
    if (child.connected) child.disconnect();
    await Promise.race([exited, sleep(15_000, undefined, { ref: false })]);
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}

console.log(`idle-rss.bench: ${machineLine()}`);
console.log(
  `Server in a child process: setup, ${REQUESTS} requests, connections closed, GC, ${IDLE_MS} ms idle, then /proc/<pid>/status.`,
);

const runs: Run[] = [
  await measure('source: TypeScript through tsx', SERVE_CHILD, SOURCE_EXEC_ARGV),
];
try {
  const kinds: VigilPackages[] = workspaceBuilt() ? ['sources', 'dist'] : ['sources'];
  for (const kind of kinds) {
    const bundle = await bundleForNode(SERVE_CHILD, `serve-child-${kind}.mjs`, kind);
    if (bundle) runs.push(await measure(bundle.label, bundle.file, []));
    else console.log('  (esbuild could not be loaded: no compiled run)');
  }
  if (kinds.length === 1) console.log('  (no workspace build in packages/*/dist: no run of it)');
} finally {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
}

printBlock(
  'Idle RSS of the server process (MiB)',
  runs.map((r) => [
    r.label,
    `VmRSS ${r.idle.vmRss}   (anon ${r.idle.rssAnon}, file ${r.idle.rssFile})   peak ${r.idle.vmHwm}   ` +
      `after start-up ${r.afterStartup.vmRss}   V8 heap used ${r.heapUsedMiB}${r.gc ? ' after GC' : ''}`,
  ]),
);
printResult('idle-rss', {
  requests: REQUESTS,
  idleMs: IDLE_MS,
  runs: runs.map((r) => ({
    label: r.label,
    idleRssMiB: r.idle.vmRss,
    idleRssAnonMiB: r.idle.rssAnon,
    idleRssFileMiB: r.idle.rssFile,
    peakRssMiB: r.idle.vmHwm,
    afterStartupRssMiB: r.afterStartup.vmRss,
    heapUsedMiB: r.heapUsedMiB,
    gc: r.gc,
  })),
});

/**
 * Sign-in latency: `POST /api/v1/session` of a clinician over HTTPS with
 * keep-alive. Each sign-in verifies an argon2id hash at OWASP's parameters
 * (m = 19 MiB, t = 2, p = 1): that cost is deliberate, and this benchmark
 * says what it amounts to — one at a time (p50/p95/p99), then 2 and 4 in
 * flight, to show how the hashing saturates the cores.
 *
 * Sign-in keeps its own rate limit of 30 a minute per address whatever the
 * configuration, so requests come from rotating loopback source addresses
 * (any 127.0.0.0/8 address can be bound on Linux), a fresh one every 25.
 */
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { createArgon2Hasher } from '@vigil/server';
import { startBenchServer, type BenchPerson } from './lib/bench-server.js';
import { httpsRequest } from './lib/https-request.js';
import {
  dataRootFromEnv,
  envInt,
  fileSystemOf,
  machineLine,
  printBlock,
  printResult,
} from './lib/report.js';
import { signIn } from './lib/session.js';
import { round, summariseLatency, type LatencySummary } from './lib/stats.js';

const SEQUENTIAL = envInt('BENCH_SIGN_INS', 60, 5, 200);
const CONCURRENT_EACH = envInt('BENCH_CONCURRENT_SIGN_INS', 40, 4, 100);
const CONCURRENCY_LEVELS = [2, 4] as const;
const WARMUP = 3;
const VERIFY_ALONE = 20;
/** Below sign-in's limit of 30 a minute per address, with a margin. */
const PER_ADDRESS = 25;

/** Hands out source addresses 127.0.0.2, .3, … each for PER_ADDRESS sign-ins. */
class SourceAddresses {
  #issued = 0;
  next(): string {
    const index = Math.floor(this.#issued++ / PER_ADDRESS);
    if (index > 250) throw new RangeError('Out of 127.0.0.x source addresses.');
    return `127.0.0.${index + 2}`;
  }
}

interface Phase {
  readonly inFlight: number;
  readonly signIns: number;
  readonly wallMs: number;
  /** Completed sign-ins per second over the phase. */
  readonly perSecond: number;
  readonly latency: LatencySummary;
  readonly meanMs: number;
}

const bench = await startBenchServer({ dataRoot: dataRootFromEnv() });
const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
try {
  const { baseUrl, ca } = bench;
  const clinician = await bench.addPerson('clinician', 'clinician@bench.example');
  const addresses = new SourceAddresses();
  // The stored hash names its parameters: proof that the measured cost is OWASP's, not a test setting.
  const stored = (await bench.server.store.getUserByEmail(clinician.email))?.passwordHash ?? '';
  const hashParameters = /^\$argon2id\$v=\d+\$(m=\d+,t=\d+,p=\d+)\$/.exec(stored)?.[1];
  if (hashParameters === undefined) throw new Error('The clinician has no argon2id hash.');

  /** Opens `count` keep-alive connections from an address, so no TLS handshake is timed. */
  const openConnections = async (localAddress: string, count: number) => {
    await Promise.all(
      Array.from({ length: count }, () =>
        httpsRequest(`${baseUrl}/healthz`, { ca, agent, localAddress }),
      ),
    );
  };

  const oneSignIn = async (person: BenchPerson): Promise<number> => {
    const result = await signIn(baseUrl, person, { ca, agent, localAddress: addresses.next() });
    if (result.status !== 200 || result.state !== 'active') {
      throw new Error(`Sign-in answered HTTP ${result.status} (state ${result.state}).`);
    }
    return result.latencyMs;
  };

  const phase = async (inFlight: number, signIns: number): Promise<Phase> => {
    const latencies: number[] = [];
    let remaining = signIns;
    const started = performance.now();
    const worker = async () => {
      while (remaining > 0) {
        remaining--;
        latencies.push(await oneSignIn(clinician));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const wallMs = performance.now() - started;
    return {
      inFlight,
      signIns,
      wallMs,
      perSecond: (signIns * 1000) / wallMs,
      latency: summariseLatency(latencies),
      meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    };
  };

  const dataFileSystem = fileSystemOf(bench.dataDir);
  console.log(`sign-in.bench: ${machineLine()}`);
  console.log(`Data directory on ${dataFileSystem} (the store fsyncs every commit).`);
  console.log(
    `${WARMUP} warm-up sign-ins, then ${SEQUENTIAL} one at a time, then ${CONCURRENT_EACH} each with ${CONCURRENCY_LEVELS.join(' and ')} in flight.`,
  );
  // Every address the run will use gets its connections before anything is timed.
  const total = WARMUP + SEQUENTIAL + CONCURRENCY_LEVELS.length * CONCURRENT_EACH;
  const maxInFlight = Math.max(...CONCURRENCY_LEVELS);
  const planned = new SourceAddresses();
  const used = new Set(Array.from({ length: total }, () => planned.next()));
  for (const address of used) await openConnections(address, maxInFlight);
  for (let i = 0; i < WARMUP; i++) await oneSignIn(clinician);

  // The hash alone, as the server computes it, so the sign-in figures can be split into
  // argon2id and the rest (HTTP, TLS, the session, throttle and audit writes with their fsyncs).
  const hasher = createArgon2Hasher();
  const verifyMs: number[] = [];
  for (let i = 0; i < VERIFY_ALONE; i++) {
    const t0 = performance.now();
    if (!(await hasher.verify(stored, clinician.password))) throw new Error('argon2id said no.');
    verifyMs.push(performance.now() - t0);
  }
  const verify = summariseLatency(verifyMs);

  const phases: Phase[] = [await phase(1, SEQUENTIAL)];
  for (const inFlight of CONCURRENCY_LEVELS) phases.push(await phase(inFlight, CONCURRENT_EACH));

  const sequential = phases[0] as Phase;
  printBlock(
    `Sign-in latency, argon2id ${hashParameters} as stored (ms)`,
    phases.map((p) => [
      `${p.inFlight} in flight (${p.signIns})`,
      `p50 ${round(p.latency.p50, 1)}   p95 ${round(p.latency.p95, 1)}   p99 ${round(p.latency.p99, 1)}   max ${round(p.latency.max, 1)}   ` +
        `${round(p.perSecond, 1)} sign-ins/s (×${round(p.perSecond / sequential.perSecond, 2)} of one at a time)`,
    ]),
  );
  printBlock('argon2id alone (in process, no HTTP, ms)', [
    [
      `verify (${VERIFY_ALONE})`,
      `p50 ${round(verify.p50, 1)}   p95 ${round(verify.p95, 1)}   ` +
        `= ${round((100 * verify.p50) / sequential.latency.p50, 0)} % of a sign-in's p50`,
    ],
  ]);
  printResult('sign-in', {
    argon2id: hashParameters,
    dataFileSystem,
    verifyAlone: { count: VERIFY_ALONE, p50Ms: round(verify.p50, 1), p95Ms: round(verify.p95, 1) },
    phases: phases.map((p) => ({
      inFlight: p.inFlight,
      signIns: p.signIns,
      p50Ms: round(p.latency.p50, 1),
      p95Ms: round(p.latency.p95, 1),
      p99Ms: round(p.latency.p99, 1),
      maxMs: round(p.latency.max, 1),
      meanMs: round(p.meanMs, 1),
      perSecond: round(p.perSecond, 2),
      speedup: round(p.perSecond / sequential.perSecond, 2),
    })),
  });
} finally {
  agent.destroy();
  await bench.close();
}

/**
 * Server ingest of protected telemetry (docs/telemetry.md, "Device listener"),
 * in readings per second for batches of 1, 10 and 100 readings, on SQLite and
 * on PostgreSQL, each against `GET /device/v1/ping` — authentication and
 * nothing else — on the same device listener, over the same connections and
 * certificates, in the same run (the ratio).
 *
 * The batches are real and made before anything is timed: FHIR vital-sign
 * Observations (`vitalSignObservation`) of a few patients per gateway,
 * pseudonymised, signed with the enrolled device's key and encrypted under a data
 * key the device uploaded through `PUT /device/v1/data-keys/:kid`
 * (`protectBatch`), each under its own sequence. Every device has its own
 * keep-alive mutual-TLS connection and posts its batches in sequence order, one
 * at a time, as a gateway's uploader does; the server sees as many gateways as
 * there are connections, so its group commit can share a flush between them.
 *
 * After every run the store must hold exactly as many batches as were answered
 * 201: a batch counted but not stored, or stored twice, fails the benchmark.
 */
import { startBenchServer, type BenchServer } from './lib/bench-server.js';
import { startCpuProfiler, type CpuProfiler } from './lib/cpu-profile.js';
import type { LoadOptions, LoadResult } from './lib/load.js';
import { startLoadProcess, type LoadProcess } from './lib/load-process.js';
import {
  createBenchDatabase,
  postgresAdminUrl,
  postgresUnavailable,
  type BenchDatabase,
} from './lib/postgres-database.js';
import {
  dataRootFromEnv,
  envInt,
  fileSystemOf,
  machineLine,
  printBlock,
  printResult,
} from './lib/report.js';
import { median, round } from './lib/stats.js';
import { prepareBatches, prepareGateways } from './lib/telemetry-gateways.js';

const ROUNDS = envInt('BENCH_INGEST_ROUNDS', 5, 3, 20);
/** Gateways, each on its own keep-alive connection. */
const DEVICES = envInt('BENCH_INGEST_DEVICES', 16, 1, 64);
/** Batches posted in each measured round, per batch size (rounded up to a multiple of DEVICES). */
const BATCHES_PER_ROUND: Readonly<Record<BatchSize, number>> = {
  1: envInt('BENCH_INGEST_BATCHES_1', 1_600, 100, 50_000),
  10: envInt('BENCH_INGEST_BATCHES_10', 800, 100, 20_000),
  100: envInt('BENCH_INGEST_BATCHES_100', 320, 32, 5_000),
};
const PING_MS = envInt('BENCH_INGEST_PING_MS', 1_500, 500, 10_000);
const ENGINES = enginesFromEnv();
const ALL_BATCH_SIZES = [1, 10, 100] as const;
type BatchSize = (typeof ALL_BATCH_SIZES)[number];
const BATCH_SIZES = batchSizesFromEnv();
/** A directory: write a CPU profile of the server's process for each measured ingest run. */
const CPU_PROFILE_DIR = process.env['BENCH_INGEST_CPU_PROFILE'] || undefined;
type Engine = 'sqlite' | 'postgres';

/** The target of the issue: readings per second at 100 a batch on SQLite. */
const TARGET_READINGS_PER_SECOND = 50_000;
/** Unmeasured batches per device before each size's rounds (JIT, statement caches, connections). */
const WARMUP_BATCHES_PER_DEVICE = 4;
/** Each ping run opens its connections afresh: this much of it (TLS handshakes) is not measured. */
const RUN_WARMUP_MS = 300;
const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;
const PING_PATH = '/device/v1/ping';

interface SizeResult {
  readonly batchSize: BatchSize;
  readonly batchesPerRound: number;
  readonly meanBatchChars: number;
  readonly batchesPerSecond: number;
  readonly readingsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly batchesPerSecondRounds: number[];
  readonly p50Ms: number;
  readonly p95Ms: number;
  /**
   * CPU time (user + system) of the server's process per batch, ms: from the start of the
   * run to its end, TLS handshakes of the fresh connections included. On PostgreSQL the
   * database's own processes are not in it. 1 000 ÷ this is what one core could sustain.
   */
  readonly serverCpuMsPerBatch: number;
  /** The same for the load generator's process (sending, TLS). */
  readonly clientCpuMsPerBatch: number;
  readonly ping: {
    readonly rpsMedian: number;
    readonly rpsRounds: number[];
    readonly p50Ms: number;
  };
  /** Batch requests per second ÷ ping requests per second. */
  readonly ratioToPing: { readonly ofMedians: number; readonly medianPerRound: number };
  readonly stored: number;
  readonly errors: number;
  readonly firstError: string | null;
}

/** An ingest run, with the CPU time the server's process (this one) spent on it. */
type IngestRun = LoadResult & { readonly serverCpuMs: number };

interface EngineResult {
  readonly engine: Engine;
  readonly store: string;
  readonly sizes: SizeResult[];
}

function enginesFromEnv(): Engine[] {
  const raw = process.env['BENCH_INGEST_ENGINES'] ?? 'sqlite,postgres';
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    if (name !== 'sqlite' && name !== 'postgres') {
      throw new RangeError(`BENCH_INGEST_ENGINES lists sqlite and/or postgres, not "${name}".`);
    }
  }
  return names as Engine[];
}

function batchSizesFromEnv(): BatchSize[] {
  const raw = process.env['BENCH_INGEST_SIZES'];
  if (raw === undefined || raw === '') return [...ALL_BATCH_SIZES];
  return raw.split(',').map((s) => {
    const size = ALL_BATCH_SIZES.find((n) => String(n) === s.trim());
    if (size === undefined)
      throw new RangeError(`BENCH_INGEST_SIZES lists 1, 10 and/or 100, not "${s}".`);
    return size;
  });
}

/** Rounds a batch count up to a whole number per device, so each connection sends as many. */
function perDevice(count: number): number {
  return Math.ceil(count / DEVICES) * DEVICES;
}

/** Batches the server holds for the care organisation, from the operator's pseudonym summary. */
async function storedBatches(bench: BenchServer, careOrganisationId: string): Promise<number> {
  let total = 0;
  let after: string | undefined;
  for (;;) {
    const page = await bench.server.services.telemetry.pseudonyms(OPERATOR, careOrganisationId, {
      limit: 1_000,
      ...(after === undefined ? {} : { after }),
    });
    total += page.pseudonyms.reduce((n, p) => n + p.batches, 0);
    if (page.next === null) return total;
    after = page.next;
  }
}

async function runEngine(
  engine: Engine,
  load: LoadProcess,
  profiler: CpuProfiler,
): Promise<EngineResult> {
  let database: BenchDatabase | undefined;
  if (engine === 'postgres') database = await createBenchDatabase();
  let bench: BenchServer | undefined;
  try {
    const server = await startBenchServer({
      dataRoot: dataRootFromEnv(),
      ...(database ? { databaseUrl: database.url } : {}),
    });
    bench = server;
    const store =
      engine === 'sqlite'
        ? `SQLite, data directory on ${fileSystemOf(server.dataDir)}`
        : `PostgreSQL ${new URL(database?.url ?? '').host}, database ${database?.name}`;
    console.log(`\n### ${engine}: ${store}`);
    const { careOrganisationId, gateways } = await prepareGateways(server, DEVICES);
    const clients = gateways.map((g) => g.identity);
    const common = { ca: server.ca, clients, connections: DEVICES } as const;
    const ingestRun = async (bodies: readonly string[]): Promise<IngestRun> => {
      const running = load.run({
        ...common,
        url: `${server.deviceUrl}/device/v1/batches`,
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        bodies,
        expectStatus: 201,
        // Opens each connection (TLS handshake with the client certificate) before the clock starts.
        primePath: PING_PATH,
        durationMs: 60_000,
      });
      // Handing the bodies to the load generator (serialised synchronously above) is not the
      // server's work; from here on this process's CPU time is the server's.
      const cpuAtStart = process.cpuUsage();
      const result = await running;
      const cpu = process.cpuUsage(cpuAtStart);
      return { ...result, serverCpuMs: (cpu.user + cpu.system) / 1_000 };
    };
    const pingOptions: LoadOptions = {
      ...common,
      url: `${server.deviceUrl}${PING_PATH}`,
      expectStatus: 204,
    };
    const pingRun = (durationMs: number) =>
      load.run({ ...pingOptions, durationMs, warmupMs: RUN_WARMUP_MS });

    // The server must hold exactly the batches it answered 201 for: checked after every run.
    let accepted = 0;
    const check = async (result: LoadResult, what: string) => {
      accepted += result.requests;
      const stored = await storedBatches(server, careOrganisationId);
      if (stored !== accepted) {
        throw new Error(`After ${what}: ${accepted} batches answered 201, ${stored} stored.`);
      }
      return stored;
    };

    const sizes: SizeResult[] = [];
    for (const size of BATCH_SIZES) {
      const count = perDevice(BATCHES_PER_ROUND[size]);
      const warm = await prepareBatches(
        gateways,
        careOrganisationId,
        size,
        WARMUP_BATCHES_PER_DEVICE * DEVICES,
      );
      const warmRun = await ingestRun(warm.bodies);
      if (warmRun.errors > 0) throw new Error(`Warm-up ingest failed: ${warmRun.firstError}`);
      await check(warmRun, `the warm-up of batch size ${size}`);
      await pingRun(500);

      const ingests: IngestRun[] = [];
      const pings: LoadResult[] = [];
      let chars = 0;
      let stored = 0;
      console.log(
        `\n  ${size} reading(s) a batch: ${ROUNDS} rounds of ${count} batches over ${DEVICES} ` +
          `gateways (one connection each), alternating with ${PING_MS} ms of ${PING_PATH}.`,
      );
      for (let r = 0; r < ROUNDS; r++) {
        // Made before the round: this process is also the server's, and nothing else runs now.
        const prepared = await prepareBatches(gateways, careOrganisationId, size, count);
        chars += prepared.chars;
        const ingestThenCheck = async () => {
          const result = await profiler.profile(`ingest-${engine}-${size}-round${r + 1}`, () =>
            ingestRun(prepared.bodies),
          );
          ingests.push(result);
          stored = await check(result, `round ${r + 1} of batch size ${size}`);
        };
        if (r % 2 === 0) {
          pings.push(await pingRun(PING_MS));
          await ingestThenCheck();
        } else {
          await ingestThenCheck();
          pings.push(await pingRun(PING_MS));
        }
        const ingest = ingests[r] as IngestRun;
        console.log(
          `    round ${r + 1}: ${Math.round(ingest.rps)} batches/s = ` +
            `${Math.round(ingest.rps * size)} readings/s (${ingest.requests} in ` +
            `${Math.round(ingest.durationMs)} ms, errors ${ingest.errors}; server CPU ` +
            `${round(ingest.serverCpuMs / ingest.requests)} ms a batch, load generator ` +
            `${round(ingest.clientCpuMs / ingest.requests)}); ping ` +
            `${Math.round(pings[r]?.rps ?? 0)} rps; made in ${Math.round(prepared.ms)} ms`,
        );
      }
      const batchesPerSecond = median(ingests.map((r) => r.rps));
      const meanBatchChars = chars / (count * ROUNDS);
      const pingMedian = median(pings.map((r) => r.rps));
      sizes.push({
        batchSize: size,
        batchesPerRound: count,
        meanBatchChars: Math.round(meanBatchChars),
        batchesPerSecond: round(batchesPerSecond, 1),
        readingsPerSecond: Math.round(batchesPerSecond * size),
        megabytesPerSecond: round((batchesPerSecond * meanBatchChars) / 1e6, 1),
        batchesPerSecondRounds: ingests.map((r) => round(r.rps, 1)),
        p50Ms: round(median(ingests.map((r) => r.latency.p50))),
        p95Ms: round(median(ingests.map((r) => r.latency.p95))),
        serverCpuMsPerBatch: round(median(ingests.map((r) => r.serverCpuMs / r.requests))),
        clientCpuMsPerBatch: round(median(ingests.map((r) => r.clientCpuMs / r.requests))),
        ping: {
          rpsMedian: round(pingMedian, 1),
          rpsRounds: pings.map((r) => round(r.rps, 1)),
          p50Ms: round(median(pings.map((r) => r.latency.p50))),
        },
        ratioToPing: {
          ofMedians: round(batchesPerSecond / pingMedian, 3),
          medianPerRound: round(
            median(ingests.map((r, i) => r.rps / (pings[i]?.rps ?? Number.NaN))),
            3,
          ),
        },
        stored,
        errors: [...ingests, ...pings].reduce((n, r) => n + r.errors, 0),
        firstError: [...ingests, ...pings].find((r) => r.firstError !== null)?.firstError ?? null,
      });
    }
    return { engine, store, sizes };
  } finally {
    await bench?.close();
    await database?.drop();
  }
}

const load = await startLoadProcess();
const profiler = await startCpuProfiler(CPU_PROFILE_DIR);
const results: EngineResult[] = [];
const skipped: Record<string, string> = {};
try {
  console.log(`ingest.bench: ${machineLine()}`);
  for (const engine of ENGINES) {
    if (engine === 'postgres') {
      const reason = await postgresUnavailable();
      if (reason !== undefined) {
        skipped[engine] = `PostgreSQL at ${postgresAdminUrl()}: ${reason}`;
        console.log(`\nSkipping PostgreSQL (${skipped[engine]}; set BENCH_POSTGRES_URL).`);
        continue;
      }
    }
    results.push(await runEngine(engine, load, profiler));
  }
} finally {
  await profiler.close();
  await load.close();
}
if (CPU_PROFILE_DIR !== undefined) {
  console.log(`\nCPU profiles of the measured ingest runs: ${CPU_PROFILE_DIR}/ingest-*.cpuprofile`);
}

for (const { engine, store, sizes } of results) {
  printBlock(`Ingest on ${engine} (${store}), ${DEVICES} gateways, median of ${ROUNDS} rounds`, [
    ...sizes.map(
      (s) =>
        [
          `${s.batchSize} a batch (${s.meanBatchChars} chars)`,
          `${s.readingsPerSecond} readings/s = ${s.batchesPerSecond} batches/s (${s.megabytesPerSecond} MB/s)  ` +
            `server CPU ${s.serverCpuMsPerBatch} ms/batch  ` +
            `p50 ${s.p50Ms} ms  p95 ${s.p95Ms} ms  ping ${s.ping.rpsMedian} rps  ` +
            `ratio ${s.ratioToPing.ofMedians} (per round ${s.ratioToPing.medianPerRound})  errors ${s.errors}`,
        ] as const,
    ),
  ]);
}
const sqlite100 = results
  .find((r) => r.engine === 'sqlite')
  ?.sizes.find((s) => s.batchSize === 100)?.readingsPerSecond;
if (sqlite100 !== undefined) {
  console.log(
    `\nTarget: ≥ ${TARGET_READINGS_PER_SECOND} readings/s at 100 a batch on SQLite: ` +
      `${sqlite100} (${sqlite100 >= TARGET_READINGS_PER_SECOND ? 'met' : 'NOT met'}).`,
  );
}
const errors = results.flatMap((r) => r.sizes).reduce((n, s) => n + s.errors, 0);
if (errors > 0) {
  const first = results.flatMap((r) => r.sizes).find((s) => s.firstError !== null)?.firstError;
  console.log(`\n  ${errors} errors; first: ${first}`);
}
printResult('ingest', {
  devices: DEVICES,
  rounds: ROUNDS,
  pingMs: PING_MS,
  target: {
    readingsPerSecond: TARGET_READINGS_PER_SECOND,
    batchSize: 100,
    engine: 'sqlite',
    measured: sqlite100 ?? null,
    met: sqlite100 === undefined ? null : sqlite100 >= TARGET_READINGS_PER_SECOND,
  },
  engines: results,
  skipped,
});
if (errors > 0) process.exitCode = 1;

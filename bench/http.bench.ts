/**
 * Requests per second of a bare route and of an authenticated API call on the
 * same listener in the same run, and their ratio: what authentication
 * (bearer-token digest lookup or session lookup, membership check, the
 * last-used/last-seen write) costs per request. Rounds alternate the routes,
 * each round starting with a different one, so drift of a shared machine
 * (another job, thermal throttling) falls on all of them alike; the medians
 * of the rounds are the figures.
 */
import { startBenchServer } from './lib/bench-server.js';
import { httpsRequest } from './lib/https-request.js';
import type { LoadOptions, LoadResult } from './lib/load.js';
import { startLoadProcess } from './lib/load-process.js';
import {
  dataRootFromEnv,
  envInt,
  fileSystemOf,
  machineLine,
  printBlock,
  printResult,
} from './lib/report.js';
import { signIn } from './lib/session.js';
import { median, round } from './lib/stats.js';

const ROUNDS = envInt('BENCH_ROUNDS', 5, 1, 20);
const ROUND_MS = envInt('BENCH_ROUND_MS', 2_500, 500, 10_000);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 16, 1, 256);
/** Each run opens its connections afresh: this much of it (TLS handshakes) is not measured. */
const RUN_WARMUP_MS = 300;

interface Variant {
  readonly key: 'bare' | 'token' | 'cookie';
  readonly label: string;
  readonly load: LoadOptions;
}

const load = await startLoadProcess();
const bench = await startBenchServer({ dataRoot: dataRootFromEnv() }).catch(async (error) => {
  await load.close();
  throw error;
});
try {
  const { baseUrl, ca, organisationId, apiToken } = bench;
  // An auditor: a role with `users:read` and no second factor, so a password alone gives an active session.
  const auditor = await bench.addPerson('auditor', 'auditor@bench.example');
  const session = await signIn(baseUrl, auditor, { ca });
  if (session.status !== 200 || session.cookie === null || session.state !== 'active') {
    throw new Error(`The auditor could not sign in (HTTP ${session.status}, ${session.state}).`);
  }

  const usersUrl = `${baseUrl}/api/v1/organisations/${organisationId}/users`;
  const common = { ca, connections: CONNECTIONS };
  const variants: Variant[] = [
    { key: 'bare', label: 'GET /healthz (bare)', load: { ...common, url: `${baseUrl}/healthz` } },
    {
      key: 'token',
      label: 'GET …/users, API token',
      load: { ...common, url: usersUrl, headers: { authorization: `Bearer ${apiToken}` } },
    },
    {
      key: 'cookie',
      label: 'GET …/users, session cookie',
      load: { ...common, url: usersUrl, headers: { cookie: session.cookie } },
    },
  ];

  // A broken route would otherwise show up as a fast one.
  for (const v of variants) {
    const r = await httpsRequest(v.load.url, {
      ca,
      ...(v.load.headers ? { headers: v.load.headers } : {}),
    });
    if (r.status !== 200)
      throw new Error(`${v.label} answered ${r.status}: ${r.body.slice(0, 200)}`);
  }

  const dataFileSystem = fileSystemOf(bench.dataDir);
  console.log(`http.bench: ${machineLine()}`);
  console.log(
    `Data directory ${bench.dataDir} on ${dataFileSystem} (the store fsyncs every commit).`,
  );
  console.log(
    `Warm-up, then ${ROUNDS} rounds × ${variants.length} routes × ${ROUND_MS} ms, ${CONNECTIONS} keep-alive connections (load generator in its own process).`,
  );
  for (const v of variants)
    await load.run({ ...v.load, durationMs: 1_000, warmupMs: RUN_WARMUP_MS });

  const results: Record<Variant['key'], LoadResult[]> = { bare: [], token: [], cookie: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
    for (const v of order) {
      results[v.key].push(
        await load.run({ ...v.load, durationMs: ROUND_MS, warmupMs: RUN_WARMUP_MS }),
      );
    }
    console.log(
      `  round ${round + 1}: ` +
        variants
          .map((v) => `${v.key} ${Math.round(results[v.key][round]?.rps ?? 0)} rps`)
          .join(', '),
    );
  }

  const summary = Object.fromEntries(
    variants.map((v) => {
      const runs = results[v.key];
      return [
        v.key,
        {
          rpsMedian: round(median(runs.map((r) => r.rps)), 0),
          rpsRounds: runs.map((r) => round(r.rps, 0)),
          p50Ms: round(median(runs.map((r) => r.latency.p50))),
          p95Ms: round(median(runs.map((r) => r.latency.p95))),
          p99Ms: round(median(runs.map((r) => r.latency.p99))),
          errors: runs.reduce((n, r) => n + r.errors, 0),
          firstError: runs.find((r) => r.firstError !== null)?.firstError ?? null,
        },
      ];
    }),
  ) as Record<
    Variant['key'],
    {
      rpsMedian: number;
      rpsRounds: number[];
      p50Ms: number;
      p95Ms: number;
      p99Ms: number;
      errors: number;
      firstError: string | null;
    }
  >;
  // Ratios of the medians, and the median of each round's own ratio (robust to drift between rounds).
  const ratio = (key: 'token' | 'cookie') => ({
    ofMedians: round(summary[key].rpsMedian / summary.bare.rpsMedian, 3),
    medianPerRound: round(
      median(results[key].map((r, i) => r.rps / (results.bare[i]?.rps ?? Number.NaN))),
      3,
    ),
  });
  const tokenRatio = ratio('token');
  const cookieRatio = ratio('cookie');

  printBlock(
    'HTTP throughput (median of rounds)',
    variants.flatMap((v) => {
      const s = summary[v.key];
      return [
        [
          v.label,
          `${s.rpsMedian} rps   p50 ${s.p50Ms} ms   p95 ${s.p95Ms} ms   errors ${s.errors}`,
        ] as const,
      ];
    }),
  );
  printBlock('Ratio to the bare route (same listener, same run)', [
    [
      'API token / bare',
      `${tokenRatio.ofMedians}  (median of per-round ratios ${tokenRatio.medianPerRound})`,
    ],
    [
      'session cookie / bare',
      `${cookieRatio.ofMedians}  (median of per-round ratios ${cookieRatio.medianPerRound})`,
    ],
  ]);
  const errors = variants.reduce((n, v) => n + summary[v.key].errors, 0);
  if (errors > 0) {
    console.log(
      `\n  ${errors} errors; first: ${variants.map((v) => summary[v.key].firstError).find(Boolean)}`,
    );
  }
  printResult('http', {
    connections: CONNECTIONS,
    dataFileSystem,
    rounds: ROUNDS,
    roundMs: ROUND_MS,
    ...summary,
    ratioTokenToBare: tokenRatio,
    ratioCookieToBare: cookieRatio,
  });
  if (errors > 0) process.exitCode = 1;
} finally {
  await load.close();
  await bench.close();
}

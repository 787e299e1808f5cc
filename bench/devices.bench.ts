/**
 * Device identity under load, each against the bare route `GET /healthz` of
 * the main listener in the same run:
 *
 * - enrolments per second: EST simpleenroll (CSR + batch enrolment token →
 *   device certificate) on the main listener, over a few keep-alive
 *   connections, every CSR a different device made before timing;
 * - mutual-TLS check-ins per second: `POST /device/v1/check-in` on the device
 *   listener with an enrolled device's certificate, keep-alive.
 *
 * EST keeps its route limit of 120 requests a minute per address. It is
 * respected, not bypassed: each connection of each enrolment round binds a
 * loopback source address of its own (any 127.0.0.0/8 address binds on Linux)
 * and sends at most 100 enrolments from it.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { systemContext } from '@vigil/server';
// Not part of @vigil/server's public surface: timed alone to split an enrolment's cost.
import { issueDeviceCertificate, parseCsr } from '../packages/server/src/pki/index.js';
import type { LoadOptions, LoadResult } from './lib/load.js';
import { startBenchServer } from './lib/bench-server.js';
import {
  createDeviceRequests,
  enrolDevice,
  simpleEnrollHeaders,
  type DeviceRequest,
} from './lib/device-enrolment.js';
import { httpsRequest } from './lib/https-request.js';
import { startLoadProcess } from './lib/load-process.js';
import {
  dataRootFromEnv,
  envInt,
  fileSystemOf,
  machineLine,
  printBlock,
  printResult,
} from './lib/report.js';
import { median, round, summariseLatency } from './lib/stats.js';

const ENROLMENTS = envInt('BENCH_ENROLMENTS', 200, 20, 400);
const ENROLMENT_ROUNDS = envInt('BENCH_ENROLMENT_ROUNDS', 4, 1, 10);
const ENROLMENT_CONNECTIONS = envInt('BENCH_ENROLMENT_CONNECTIONS', 4, 1, 16);
const CHECK_IN_ROUNDS = envInt('BENCH_CHECK_IN_ROUNDS', 5, 1, 20);
const CHECK_IN_ROUND_MS = envInt('BENCH_CHECK_IN_ROUND_MS', 2_000, 500, 10_000);
const CHECK_IN_CONNECTIONS = envInt('BENCH_CHECK_IN_CONNECTIONS', 16, 1, 256);
/** Unmeasured enrolments first (JIT, the issuing CA's key, statement caches). */
const WARMUP_ENROLMENTS = 8;
/** Enrolments through the service alone, in process, to split HTTP and TLS from the rest. */
const IN_PROCESS_ENROLMENTS = 20;
/** Length of each bare run that an enrolment round is compared with, ms. */
const ENROLMENT_BARE_MS = 1_500;
/** Each run opens its connections afresh: this much of it (TLS handshakes) is not measured. */
const RUN_WARMUP_MS = 300;
/** EST allows 120 a minute per address (est-routes.ts); stay well under it. */
const MAX_ENROLMENTS_PER_ADDRESS = 100;
const SOFTWARE_VERSION = '1.0.0-bench';

const perRound = Math.ceil(ENROLMENTS / ENROLMENT_ROUNDS);
if (Math.ceil(perRound / ENROLMENT_CONNECTIONS) > MAX_ENROLMENTS_PER_ADDRESS) {
  throw new RangeError(
    `${perRound} enrolments a round over ${ENROLMENT_CONNECTIONS} connections would send more than ` +
      `${MAX_ENROLMENTS_PER_ADDRESS} from one address: raise BENCH_ENROLMENT_ROUNDS or BENCH_ENROLMENT_CONNECTIONS.`,
  );
}

/** Fresh source addresses for each enrolment run: 127.0.0.10 upwards, one per connection. */
class SourceAddresses {
  #next = 10;
  take(count: number): string[] {
    if (this.#next + count > 255) throw new RangeError('Out of 127.0.0.x source addresses.');
    return Array.from({ length: count }, () => `127.0.0.${this.#next++}`);
  }
}

interface Summary {
  readonly rpsMedian: number;
  readonly rpsRounds: number[];
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly firstError: string | null;
}

function summarise(runs: readonly LoadResult[]): Summary {
  return {
    rpsMedian: round(median(runs.map((r) => r.rps)), 1),
    rpsRounds: runs.map((r) => round(r.rps, 1)),
    p50Ms: round(median(runs.map((r) => r.latency.p50))),
    p95Ms: round(median(runs.map((r) => r.latency.p95))),
    p99Ms: round(median(runs.map((r) => r.latency.p99))),
    requests: runs.reduce((n, r) => n + r.requests, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    firstError: runs.find((r) => r.firstError !== null)?.firstError ?? null,
  };
}

/** Ratio of the medians, and the median of each round's own ratio (robust to drift between rounds). */
function ratio(measured: readonly LoadResult[], bare: readonly LoadResult[]) {
  return {
    ofMedians: round(median(measured.map((r) => r.rps)) / median(bare.map((r) => r.rps)), 3),
    medianPerRound: round(median(measured.map((r, i) => r.rps / (bare[i]?.rps ?? Number.NaN))), 3),
  };
}

function line(s: Summary, unit: string): string {
  return `${s.rpsMedian} ${unit}/s   p50 ${s.p50Ms} ms   p95 ${s.p95Ms} ms   errors ${s.errors}`;
}

const load = await startLoadProcess();
const bench = await startBenchServer({ dataRoot: dataRootFromEnv() }).catch(async (error) => {
  await load.close();
  throw error;
});
try {
  const { baseUrl, deviceUrl, ca } = bench;
  const dataFileSystem = fileSystemOf(bench.dataDir);
  console.log(`devices.bench: ${machineLine()}`);
  console.log(
    `Data directory ${bench.dataDir} on ${dataFileSystem} (the store fsyncs every commit).`,
  );

  // Everything the device does (key pairs, signed CSRs) happens here, before any timing.
  const total = 1 + WARMUP_ENROLMENTS + ENROLMENTS + IN_PROCESS_ENROLMENTS;
  const requests = await createDeviceRequests(total, 'BENCH');
  const token = await bench.createEnrolmentToken(total);
  // Layout of `requests`: the check-in device, the warm-up, the measured rounds, the in-process ones.
  const measured = requests.slice(1 + WARMUP_ENROLMENTS, 1 + WARMUP_ENROLMENTS + ENROLMENTS);
  const rounds: DeviceRequest[][] = Array.from({ length: ENROLMENT_ROUNDS }, (_, r) =>
    measured.slice(r * perRound, (r + 1) * perRound),
  ).filter((batch) => batch.length > 0);

  // The device whose check-ins are measured, enrolled through the same route.
  const device = await enrolDevice(baseUrl, { ca, token, request: requests[0] as DeviceRequest });
  const checkIn: LoadOptions = {
    url: `${deviceUrl}/device/v1/check-in`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ softwareVersion: SOFTWARE_VERSION }),
    ca,
    cert: device.certPem,
    key: device.keyPem,
    connections: CHECK_IN_CONNECTIONS,
  };
  const probe = await httpsRequest(checkIn.url, {
    method: 'POST',
    headers: checkIn.headers ?? {},
    // Another version than the measured runs send, so the check after them proves they wrote.
    body: JSON.stringify({ softwareVersion: '0.0.0-probe' }),
    ca,
    cert: device.certPem,
    key: device.keyPem,
  });
  if (probe.status !== 200) {
    throw new Error(`Check-in answered HTTP ${probe.status}: ${probe.body.slice(0, 200)}`);
  }

  const addresses = new SourceAddresses();
  const enrolmentRun = (batch: readonly DeviceRequest[]) =>
    load.run({
      url: `${baseUrl}/.well-known/est/simpleenroll`,
      method: 'POST',
      headers: simpleEnrollHeaders(token),
      bodies: batch.map((r) => r.csrBase64),
      ca,
      connections: ENROLMENT_CONNECTIONS,
      localAddresses: addresses.take(ENROLMENT_CONNECTIONS),
      // Opens each connection (TLS handshake) with an unlimited route before the clock starts.
      primePath: '/healthz',
      durationMs: 60_000,
    });
  const bareUrl = `${baseUrl}/healthz`;
  const enrolmentBare: LoadOptions = { url: bareUrl, ca, connections: ENROLMENT_CONNECTIONS };

  // --- Enrolments ---------------------------------------------------------
  console.log(
    `\nEnrolments: ${WARMUP_ENROLMENTS} unmeasured, then ${rounds.length} rounds of ${perRound} ` +
      `(P-256 CSRs made beforehand, one batch token), ${ENROLMENT_CONNECTIONS} keep-alive connections, ` +
      `each round alternating with ${ENROLMENT_BARE_MS} ms of GET /healthz at the same concurrency.`,
  );
  const warm = await enrolmentRun(requests.slice(1, 1 + WARMUP_ENROLMENTS));
  if (warm.errors > 0) throw new Error(`Warm-up enrolment failed: ${warm.firstError}`);
  await load.run({ ...enrolmentBare, durationMs: 500, warmupMs: RUN_WARMUP_MS });

  const enrolled: LoadResult[] = [];
  const enrolBare: LoadResult[] = [];
  for (const [r, batch] of rounds.entries()) {
    const bare = () =>
      load.run({ ...enrolmentBare, durationMs: ENROLMENT_BARE_MS, warmupMs: RUN_WARMUP_MS });
    if (r % 2 === 0) {
      enrolBare.push(await bare());
      enrolled.push(await enrolmentRun(batch));
    } else {
      enrolled.push(await enrolmentRun(batch));
      enrolBare.push(await bare());
    }
    console.log(
      `  round ${r + 1}: enrolment ${round(enrolled[r]?.rps ?? 0, 1)}/s ` +
        `(${enrolled[r]?.requests} in ${round(enrolled[r]?.durationMs ?? 0, 0)} ms), ` +
        `bare ${Math.round(enrolBare[r]?.rps ?? 0)} rps`,
    );
  }

  // --- Check-ins ----------------------------------------------------------
  const checkInBare: LoadOptions = { url: bareUrl, ca, connections: CHECK_IN_CONNECTIONS };
  console.log(
    `\nCheck-ins: one device, ${CHECK_IN_CONNECTIONS} keep-alive mutual-TLS connections; ` +
      `${CHECK_IN_ROUNDS} rounds × ${CHECK_IN_ROUND_MS} ms alternating with GET /healthz on the main ` +
      `listener (plain TLS, no client certificate) at the same concurrency.`,
  );
  console.log(
    '  Each check-in authenticates the certificate against the registry (device, certificate row) ' +
      'and records lastSeenAt and softwareVersion: a committed write when the version changes or the ' +
      'stored last-seen is a minute old, so a steady stream of check-ins mostly reads.',
  );
  for (const v of [checkIn, checkInBare])
    await load.run({ ...v, durationMs: 1_000, warmupMs: RUN_WARMUP_MS });
  const checkIns: LoadResult[] = [];
  const checkInBares: LoadResult[] = [];
  for (let r = 0; r < CHECK_IN_ROUNDS; r++) {
    const run = (v: LoadOptions) =>
      load.run({ ...v, durationMs: CHECK_IN_ROUND_MS, warmupMs: RUN_WARMUP_MS });
    if (r % 2 === 0) {
      checkInBares.push(await run(checkInBare));
      checkIns.push(await run(checkIn));
    } else {
      checkIns.push(await run(checkIn));
      checkInBares.push(await run(checkInBare));
    }
    console.log(
      `  round ${r + 1}: check-in ${Math.round(checkIns[r]?.rps ?? 0)} rps, ` +
        `bare ${Math.round(checkInBares[r]?.rps ?? 0)} rps`,
    );
  }
  // The write is real: the registry shows the version the check-ins sent.
  const stored = await bench.server.store.getDevice(device.deviceId);
  if (stored?.softwareVersion !== SOFTWARE_VERSION) {
    throw new Error('The check-ins did not record the software version.');
  }

  // The same work without HTTP, TLS or the load generator, one at a time in this process:
  // certificate issuance alone (CSR check and signing), then the whole enrolment service
  // (token, issuance, the registering transaction and its audit event).
  const inProcess = requests.slice(total - IN_PROCESS_ENROLMENTS);
  const { material } = await bench.server.services.deviceCas.issuing(bench.organisationId);
  const issueMs: number[] = [];
  for (const r of inProcess) {
    const t0 = performance.now();
    await issueDeviceCertificate(material, await parseCsr(r.csrBase64), {
      deviceId: randomUUID(),
      organisationId: bench.organisationId,
      validityDays: 90,
      now: new Date(),
    });
    issueMs.push(performance.now() - t0);
  }
  const serviceMs: number[] = [];
  const context = systemContext('bench');
  for (const r of inProcess) {
    const t0 = performance.now();
    await bench.server.services.enrolment.enrol({ token, csr: r.csrBase64 }, context);
    serviceMs.push(performance.now() - t0);
  }
  const issueAlone = summariseLatency(issueMs);
  const serviceAlone = summariseLatency(serviceMs);

  const enrolment = summarise(enrolled);
  const enrolmentBareSummary = summarise(enrolBare);
  const enrolmentRatio = ratio(enrolled, enrolBare);
  const checkInSummary = summarise(checkIns);
  const checkInBareSummary = summarise(checkInBares);
  const checkInRatio = ratio(checkIns, checkInBares);

  printBlock(`Enrolment, ${ENROLMENT_CONNECTIONS} connections (median of rounds)`, [
    ['EST simpleenroll (CSR → certificate)', line(enrolment, 'enrolments')],
    ['GET /healthz (bare, same listener)', line(enrolmentBareSummary, 'requests')],
    [
      'ratio enrolment / bare',
      `${enrolmentRatio.ofMedians}  (median of per-round ratios ${enrolmentRatio.medianPerRound})`,
    ],
  ]);
  printBlock(`Enrolment in process, one at a time, ${IN_PROCESS_ENROLMENTS} each (ms)`, [
    [
      'parse CSR + issue certificate',
      `p50 ${round(issueAlone.p50)}   p95 ${round(issueAlone.p95)}`,
    ],
    [
      'EnrolmentService.enrol (all of it)',
      `p50 ${round(serviceAlone.p50)}   p95 ${round(serviceAlone.p95)}   ` +
        `(${round(1000 / serviceAlone.p50, 1)}/s at its p50 on one core)`,
    ],
  ]);
  printBlock(`Check-in, ${CHECK_IN_CONNECTIONS} connections (median of rounds)`, [
    ['POST /device/v1/check-in (mutual TLS)', line(checkInSummary, 'check-ins')],
    ['GET /healthz (bare, main listener)', line(checkInBareSummary, 'requests')],
    [
      'ratio check-in / bare',
      `${checkInRatio.ofMedians}  (median of per-round ratios ${checkInRatio.medianPerRound})`,
    ],
  ]);
  const all = [enrolment, enrolmentBareSummary, checkInSummary, checkInBareSummary];
  const errors = all.reduce((n, s) => n + s.errors, 0);
  if (errors > 0) {
    console.log(`\n  ${errors} errors; first: ${all.map((s) => s.firstError).find(Boolean)}`);
  }
  printResult('devices', {
    dataFileSystem,
    enrolment: {
      connections: ENROLMENT_CONNECTIONS,
      rounds: rounds.length,
      perRound,
      warmup: WARMUP_ENROLMENTS,
      ...enrolment,
      bare: enrolmentBareSummary,
      ratioToBare: enrolmentRatio,
      inProcess: {
        count: IN_PROCESS_ENROLMENTS,
        issueP50Ms: round(issueAlone.p50),
        issueP95Ms: round(issueAlone.p95),
        serviceP50Ms: round(serviceAlone.p50),
        serviceP95Ms: round(serviceAlone.p95),
      },
    },
    checkIn: {
      connections: CHECK_IN_CONNECTIONS,
      rounds: CHECK_IN_ROUNDS,
      roundMs: CHECK_IN_ROUND_MS,
      writesPerCheckIn:
        'lastSeenAt, softwareVersion: at most once a minute unless the version changes',
      ...checkInSummary,
      bare: checkInBareSummary,
      ratioToBare: checkInRatio,
    },
  });
  if (errors > 0) process.exitCode = 1;
} finally {
  await load.close();
  await bench.close();
}

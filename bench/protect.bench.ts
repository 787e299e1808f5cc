/**
 * The agent's protect path, in readings per second on one core, for batches of
 * 1, 10 and 100 readings of one patient, against raw AES-256-GCM (WebCrypto) over
 * the same plaintext bytes in the same round (the ratio):
 *
 * - **agent path** — `Telemetry.record` of @vigil/agent, what a gateway app
 *   calls: pseudonymise (HMAC under a cached key, table lookup) + build the FHIR
 *   Observations + sign (ES256, the device key) + encrypt (`dir` A256GCM under
 *   the epoch data key) + enqueue in the SQLite outbox (a sequence from the
 *   block reserved ahead, then the insert: one fsynced commit per batch, plus
 *   one per 64 batches for the next block). Measured one record at a time, and
 *   with 8 and 32 records in flight for as many patients (a gateway with many
 *   bedside devices), where the outbox's group commit stores the batches built
 *   during one commit together in the next (one fsync for several batches);
 * - **protect only** — the same without the outbox (`protectBatch` directly),
 *   so the difference is the enqueue's cost; also with as many in flight.
 *
 * The outbox file lives under `BENCH_DATA_ROOT` (default the OS temp dir): its
 * fsyncs depend on that file system, which is printed. Between measurements
 * (not timed) the outbox is uploaded to the in-process stand-in and emptied.
 *
 * One at a time, at most one core is busy with the work (WebCrypto runs its jobs
 * on libuv's pool, but never two at once). With records in flight, WebCrypto
 * jobs of different batches can overlap with JavaScript on the second core, so
 * every figure also comes per CPU second (`process.cpuUsage`, all threads of the
 * process): readings per CPU second is the "per core" figure. The machine's load
 * average is printed before and after, since other jobs share it.
 *
 * For ADR 0009 it also times the options that were not taken or are paid rarely:
 * a per-batch two-recipient ECDH-ES+A256KW JWE, one newDataKey per epoch, and
 * openBatch on the reader's side.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compactDecrypt, GeneralEncrypt, importJWK } from 'jose';
import {
  MemoryStorage,
  Outbox,
  Telemetry,
  type TelemetryReading,
  type TransportResponse,
} from '@vigil/agent';
import {
  derivePseudonymKey,
  generateKeyPair,
  generateSigningKeyPair,
  newDataKey,
  newEpoch,
  openBatch,
  protectBatch,
  pseudonymFor,
  signManifest,
  structureOfBatch,
  vitalSignObservation,
  type VitalSignObservation,
  type VitalSignReading,
} from '@vigil/protect';
import {
  dataRootFromEnv,
  envInt,
  fileSystemOf,
  machineLine,
  printBlock,
  printResult,
} from './lib/report.js';
import { median, round } from './lib/stats.js';

const ROUNDS = envInt('BENCH_PROTECT_ROUNDS', 5, 3, 20);
/** Readings protected per batch size and round (raw AES-GCM does the same count). */
const READINGS_PER_ROUND = envInt('BENCH_PROTECT_READINGS', 4000, 500, 100_000);
/** `BENCH_PROTECT_SIZES=100` narrows the run (e.g. to profile one size); default 1, 10 and 100. */
const BATCH_SIZES = batchSizesFromEnv([1, 10, 100]);
/** Records in flight, one patient each, besides one at a time. */
const CONCURRENCY = [8, 32] as const;
/** With records in flight, at least this many batches per lane and round (start and end are ragged). */
const BATCHES_PER_LANE = 8;
const ECDH_BATCHES = 40;

const ORGANISATION_ID = 'org-bench';
const DEVICE_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const PATIENT_ID = 'MRN 0042';
const subtle = globalThis.crypto.subtle;

const KINDS: readonly VitalSignReading[] = [
  { kind: 'heart-rate', value: 72 },
  { kind: 'oxygen-saturation', value: 97 },
  { kind: 'blood-pressure', value: { systolic: 120, diastolic: 80 } },
  { kind: 'body-temperature', value: 36.8 },
  { kind: 'respiratory-rate', value: 16 },
];

// --- Set-up, paid once per gateway start or epoch (not timed here) ---
const pseudonymKey = await derivePseudonymKey(
  globalThis.crypto.getRandomValues(new Uint8Array(32)),
  'telemetry',
  1,
);
const [team, recovery] = await Promise.all([generateKeyPair(), generateKeyPair()]);
const device = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
  'sign',
  'verify',
]);
const dataKeyOptions = {
  organisationId: ORGANISATION_ID,
  epoch: 1,
  teamPublicJwk: team.publicJwk,
  recoveryPublicJwk: recovery.publicJwk,
};
const dataKey = await newDataKey(dataKeyOptions);
const rawKey = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
const started = Date.now();
let sequence = 0;

// --- The agent: Telemetry over a SQLite outbox, its manifest from an in-process stand-in ---
const dataDir = mkdtempSync(join(dataRootFromEnv() ?? tmpdir(), 'vigil-protect-bench-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
const admin = await generateSigningKeyPair();
const epoch = await newEpoch({
  organisationId: ORGANISATION_ID,
  previousEpoch: 0,
  memberPublicJwks: [team.publicJwk],
  recoveryPublicJwk: recovery.publicJwk,
});
const manifest = {
  jws: await signManifest(
    {
      typ: 'vigil-key-manifest',
      organisationId: ORGANISATION_ID,
      version: 1,
      issuedAt: new Date(started - 60_000).toISOString(),
      epoch: epoch.epoch,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
      members: [{ kid: team.kid, publicJwk: team.publicJwk }],
    },
    admin.privateJwk,
  ),
  signingPublicJwk: admin.publicJwk,
  signingKeyFingerprint: admin.kid,
};
const telemetry = await Telemetry.open(
  {
    deviceId: DEVICE_ID,
    // Nothing is uploaded while measuring (start() is not called); `flush()` between
    // measurements uploads to this stand-in, which accepts everything, to empty the outbox.
    request: async (path, init): Promise<TransportResponse> => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: new TextEncoder().encode(JSON.stringify(answer(path, init?.body))),
    }),
    signingKey: async () => device.privateKey,
    storage: new MemoryStorage(),
  },
  {
    outbox: { file: join(dataDir, 'outbox.sqlite'), cap: { bytes: 4 * 1024 ** 3 } },
    pseudonymSecret: globalThis.crypto.getRandomValues(new Uint8Array(32)),
    expectedSigningKeyFingerprint: admin.kid,
  },
);
await telemetry.refreshManifest();

/** The stand-in server: the manifest, and "stored" for whatever is uploaded. */
function answer(path: string, body: Uint8Array | string | undefined): unknown {
  if (path === '/device/v1/key-manifest') return manifest;
  if (path === '/device/v1/batches') {
    const jwe = typeof body === 'string' ? body : new TextDecoder().decode(body);
    return { status: 'stored', sequence: structureOfBatch(jwe).sequence };
  }
  return { status: 'stored' };
}

/** The timed agent path for one batch: `Telemetry.record`, enqueue included. */
async function recordOnce(size: number, patient = PATIENT_ID): Promise<unknown> {
  const at = Date.now();
  const readings: TelemetryReading[] = [];
  for (let i = 0; i < size; i++) {
    readings.push({ ...KINDS[i % KINDS.length]!, effective: new Date(at - i * 1000) });
  }
  return telemetry.record(patient, readings);
}

function batchSizesFromEnv(fallback: readonly number[]): readonly number[] {
  const raw = process.env['BENCH_PROTECT_SIZES'];
  if (raw === undefined || raw === '') return fallback;
  const sizes = raw.split(',').map(Number);
  if (!sizes.every((size) => fallback.includes(size))) {
    throw new RangeError(`BENCH_PROTECT_SIZES lists some of ${fallback.join(',')}, not "${raw}".`);
  }
  return sizes;
}

/** The patient of lane `lane` when records are in flight concurrently. */
function lanePatient(lane: number): string {
  return `MRN ${1000 + lane}`;
}

/** The timed protect path for one batch of `size` readings of one patient. */
async function protectOnce(size: number): Promise<string> {
  const pseudonym = await pseudonymFor(pseudonymKey, 1, PATIENT_ID);
  const createdAt = new Date(started + sequence * 1000);
  const observations: VitalSignObservation[] = [];
  for (let i = 0; i < size; i++) {
    const reading = KINDS[i % KINDS.length]!;
    const effective = new Date(createdAt.getTime() - i * 1000);
    observations.push(
      vitalSignObservation({ ...reading, effective, pseudonym, deviceId: DEVICE_ID }),
    );
  }
  return protectBatch({
    dataKey,
    signingKey: device.privateKey,
    organisationId: ORGANISATION_ID,
    deviceId: DEVICE_ID,
    sequence: ++sequence,
    createdAt,
    pseudonym,
    observations,
  });
}

async function time(count: number, run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await run();
  return performance.now() - t0;
}

interface Timing {
  /** Wall-clock milliseconds. */
  readonly ms: number;
  /** CPU milliseconds of the process (user + system, every thread). */
  readonly cpuMs: number;
}

/**
 * Runs `count` operations with `lanes` of them in flight (`lanes` = 1: one at a
 * time), each lane awaiting its own before starting the next.
 */
async function timeLanes(
  count: number,
  lanes: number,
  run: (lane: number) => Promise<unknown>,
): Promise<Timing> {
  let started = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (started < count) {
        started += 1;
        await run(lane);
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Uploads everything to the stand-in (not timed), so each measurement starts from an empty outbox. */
async function emptyOutbox(): Promise<void> {
  await telemetry.flush();
  if (telemetry.status().queued !== 0) throw new Error('the outbox did not empty');
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

interface ConcurrentResult {
  readonly inFlight: number;
  readonly batchesPerRound: number;
  /** `Telemetry.record` with `inFlight` records (patients) at once, readings per wall-clock second. */
  readonly agentPerSecond: number;
  readonly agentBatchesPerSecond: number;
  /** Readings per CPU second of the process: the per-core figure. */
  readonly agentPerCpuSecond: number;
  /** Median over rounds of (this / one at a time) readings per second, same round. */
  readonly speedup: number;
  /** `protectBatch` alone with as many in flight, readings per second. */
  readonly protectedPerSecond: number;
  /** Median over rounds of (agent path / protect only), both with `inFlight` at once. */
  readonly agentShareOfProtect: number;
}

interface SizeResult {
  readonly batchSize: number;
  readonly plaintextBytes: number;
  readonly ciphertextChars: number;
  /** `Telemetry.record` one at a time: protect + enqueue in the SQLite outbox. */
  readonly agentPerSecond: number;
  readonly agentBatchesPerSecond: number;
  /** Readings per CPU second of the process, one at a time. */
  readonly agentPerCpuSecond: number;
  /** Median over rounds of (agent path / raw) readings per second. */
  readonly agentRatio: number;
  /** `Telemetry.record` with records in flight for several patients. */
  readonly concurrent: readonly ConcurrentResult[];
  /** `protectBatch` alone, no outbox. */
  readonly protectedPerSecond: number;
  readonly protectedPerCpuSecond: number;
  readonly rawPerSecond: number;
  /** Median over rounds of (protect only / raw) readings per second. */
  readonly ratio: number;
  readonly batchesPerSecond: number;
}

const loadBefore = load();
console.log(`protect.bench: ${machineLine()}`);
console.log(`load average (1, 5, 15 min) at start: ${loadBefore}`);
console.log(`outbox: ${dataDir} (${fileSystemOf(dataDir)})`);
console.log(
  `${ROUNDS} rounds; each round runs ${READINGS_PER_ROUND} readings per batch size through the ` +
    `agent path (Telemetry.record, enqueue included) one at a time, then with ` +
    `${CONCURRENCY.join(' and ')} records in flight (at least ${BATCHES_PER_LANE} batches per ` +
    `lane), then protect only, then encrypts the same plaintext bytes with raw AES-256-GCM. ` +
    `Median over rounds.`,
);

const results: SizeResult[] = [];
for (const size of BATCH_SIZES) {
  const batches = Math.max(1, Math.round(READINGS_PER_ROUND / size));
  // The plaintext the protect path encrypts (the compact JWS): raw AES-GCM gets the same bytes.
  const sample = await protectOnce(size);
  const { plaintext } = await compactDecrypt(sample, dataKey.key);
  for (let i = 0; i < Math.min(batches, 50); i++) {
    // warm-up
    await protectOnce(size);
    await recordOnce(size);
  }
  // Every lane's patient is known before timing (a new patient stores the table first).
  await Promise.all(
    Array.from({ length: Math.max(...CONCURRENCY) }, (_, lane) =>
      recordOnce(size, lanePatient(lane)),
    ),
  );
  await emptyOutbox();
  const agentRates: number[] = [];
  const agentCpuRates: number[] = [];
  const agentRatios: number[] = [];
  const concurrentRates = CONCURRENCY.map(() => [] as number[]);
  const concurrentCpuRates = CONCURRENCY.map(() => [] as number[]);
  const speedups = CONCURRENCY.map(() => [] as number[]);
  const concurrentProtectRates = CONCURRENCY.map(() => [] as number[]);
  const concurrentShares = CONCURRENCY.map(() => [] as number[]);
  const protectedRates: number[] = [];
  const protectedCpuRates: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  const concurrentBatches = CONCURRENCY.map((c) => Math.max(batches, c * BATCHES_PER_LANE));
  for (let r = 0; r < ROUNDS; r++) {
    const agent = await timeLanes(batches, 1, () => recordOnce(size));
    await emptyOutbox();
    const agentRate = (batches * size * 1000) / agent.ms;
    agentCpuRates.push((batches * size * 1000) / agent.cpuMs);
    for (const [i, inFlight] of CONCURRENCY.entries()) {
      const count = concurrentBatches[i]!;
      const timing = await timeLanes(count, inFlight, (lane) =>
        recordOnce(size, lanePatient(lane)),
      );
      await emptyOutbox();
      const rate = (count * size * 1000) / timing.ms;
      concurrentRates[i]!.push(rate);
      concurrentCpuRates[i]!.push((count * size * 1000) / timing.cpuMs);
      speedups[i]!.push(rate / agentRate);
      const protect = await timeLanes(count, inFlight, () => protectOnce(size));
      const protectRate = (count * size * 1000) / protect.ms;
      concurrentProtectRates[i]!.push(protectRate);
      concurrentShares[i]!.push(rate / protectRate);
    }
    const protect = await timeLanes(batches, 1, () => protectOnce(size));
    const protectMs = protect.ms;
    protectedCpuRates.push((batches * size * 1000) / protect.cpuMs);
    const rawMs = await time(batches, () =>
      subtle.encrypt(
        { name: 'AES-GCM', iv: globalThis.crypto.getRandomValues(new Uint8Array(12)) },
        rawKey,
        plaintext,
      ),
    );
    const protectedRate = (batches * size * 1000) / protectMs;
    const rawRate = (batches * size * 1000) / rawMs;
    agentRates.push(agentRate);
    agentRatios.push(agentRate / rawRate);
    protectedRates.push(protectedRate);
    rawRates.push(rawRate);
    ratios.push(protectedRate / rawRate);
  }
  results.push({
    batchSize: size,
    plaintextBytes: plaintext.byteLength,
    ciphertextChars: sample.length,
    agentPerSecond: round(median(agentRates), 0),
    agentBatchesPerSecond: round(median(agentRates) / size, 0),
    agentPerCpuSecond: round(median(agentCpuRates), 0),
    agentRatio: round(median(agentRatios), 4),
    concurrent: CONCURRENCY.map((inFlight, i) => ({
      inFlight,
      batchesPerRound: concurrentBatches[i]!,
      agentPerSecond: round(median(concurrentRates[i]!), 0),
      agentBatchesPerSecond: round(median(concurrentRates[i]!) / size, 0),
      agentPerCpuSecond: round(median(concurrentCpuRates[i]!), 0),
      speedup: round(median(speedups[i]!), 3),
      protectedPerSecond: round(median(concurrentProtectRates[i]!), 0),
      agentShareOfProtect: round(median(concurrentShares[i]!), 3),
    })),
    protectedPerSecond: round(median(protectedRates), 0),
    protectedPerCpuSecond: round(median(protectedCpuRates), 0),
    rawPerSecond: round(median(rawRates), 0),
    ratio: round(median(ratios), 4),
    batchesPerSecond: round(median(protectedRates) / size, 0),
  });
}

// --- ADR 0009's alternatives and per-epoch costs, for 100-reading batches ---
const hundred = await protectOnce(100);
const { plaintext: hundredPlaintext } = await compactDecrypt(hundred, dataKey.key);
const recipients = await Promise.all(
  [team.publicJwk, recovery.publicJwk].map((jwk) => importJWK(jwk, 'ECDH-ES+A256KW')),
);
const ecdhMs = await time(ECDH_BATCHES, async () => {
  const jwe = new GeneralEncrypt(hundredPlaintext).setProtectedHeader({
    alg: 'ECDH-ES+A256KW',
    enc: 'A256GCM',
  });
  for (const key of recipients) jwe.addRecipient(key);
  await jwe.encrypt();
});
const newDataKeyMs = (await time(ECDH_BATCHES, () => newDataKey(dataKeyOptions))) / ECDH_BATCHES;
const openOptions = {
  dataKeys: () => dataKey.key,
  deviceVerificationKey: () => device.publicKey,
};
const openMs = await time(ECDH_BATCHES * 5, () => openBatch(hundred, openOptions));
const ecdhPerSecond = round((ECDH_BATCHES * 100 * 1000) / ecdhMs, 0);
const openPerSecond = round((ECDH_BATCHES * 5 * 100 * 1000) / openMs, 0);

// --- The outbox alone, for a 1-reading batch's bytes ---
const smallBatch = await protectOnce(1);
const cap = { bytes: 4 * 1024 ** 3 };
const bare = new Outbox({ file: join(dataDir, 'bare.sqlite'), cap });
// A sequence block of 1: every reservation commits on its own (the outbox before blocks).
const unblocked = new Outbox({ file: join(dataDir, 'unblocked.sqlite'), cap, sequenceBlock: 1 });
const enqueueCount = 500;
const meta = () => ({ pseudonym: 'p1_bench', createdAt: Date.now() });
const enqueueMs = await time(enqueueCount, async () => bare.enqueue(smallBatch, meta()));
const reservedMs = await time(enqueueCount, async () =>
  bare.enqueueReserved(bare.reserveSequence(), smallBatch, meta()),
);
const unblockedMs = await time(enqueueCount, async () =>
  unblocked.enqueueReserved(unblocked.reserveSequence(), smallBatch, meta()),
);
const groupedMs = (
  await timeLanes(enqueueCount, 32, () => bare.enqueueWith(meta(), async () => smallBatch))
).ms;
bare.close();
unblocked.close();
await telemetry.close();
const loadAfter = load();
const enqueuePerSecond = round((enqueueCount * 1000) / enqueueMs, 0);
const reservedPerSecond = round((enqueueCount * 1000) / reservedMs, 0);
const unblockedPerSecond = round((enqueueCount * 1000) / unblockedMs, 0);
const groupedPerSecond = round((enqueueCount * 1000) / groupedMs, 0);

for (const r of results) {
  printBlock(`Batches of ${r.batchSize} reading${r.batchSize === 1 ? '' : 's'}`, [
    ['plaintext (signed JWS)', `${r.plaintextBytes} bytes; batch ${r.ciphertextChars} characters`],
    [
      'agent path (+ enqueue), one at a time, readings/s',
      `${r.agentPerSecond} (${r.agentBatchesPerSecond} batches/s; ${r.agentPerCpuSecond} per CPU s)`,
    ],
    ...r.concurrent.map((c): [string, string] => [
      `agent path, ${c.inFlight} in flight, readings/s`,
      `${c.agentPerSecond} (${c.agentBatchesPerSecond} batches/s; ${c.agentPerCpuSecond} per CPU s; ` +
        `×${c.speedup} one at a time)`,
    ]),
    ...r.concurrent.map((c): [string, string] => [
      `protect only, ${c.inFlight} in flight, readings/s`,
      `${c.protectedPerSecond} (agent path / this: ${c.agentShareOfProtect})`,
    ]),
    [
      'protect only, readings/s',
      `${r.protectedPerSecond} (${r.batchesPerSecond} batches/s; ${r.protectedPerCpuSecond} per CPU s)`,
    ],
    ['raw AES-256-GCM, readings/s', String(r.rawPerSecond)],
    ['ratio agent path / raw', String(r.agentRatio)],
    ['ratio protect only / raw', String(r.ratio)],
  ]);
}
printBlock('Alternatives and rare costs (batches of 100)', [
  ['per-batch 2-recipient ECDH-ES JWE, readings/s', `${ecdhPerSecond} (encryption only)`],
  ['newDataKey (once per epoch)', `${round(newDataKeyMs, 2)} ms`],
  ['openBatch (reader), readings/s', String(openPerSecond)],
]);
printBlock(`Outbox alone (${smallBatch.length}-character batch, ${fileSystemOf(dataDir)})`, [
  ['enqueue (one commit), batches/s', String(enqueuePerSecond)],
  ['reserveSequence + enqueueReserved (block of 64), batches/s', String(reservedPerSecond)],
  ['the same with sequenceBlock 1 (two commits), batches/s', String(unblockedPerSecond)],
  ['enqueueWith, 32 in flight (group commit), batches/s', String(groupedPerSecond)],
]);
console.log(`\nload average (1, 5, 15 min) at end: ${loadAfter}`);
printResult('protect', {
  rounds: ROUNDS,
  readingsPerRound: READINGS_PER_ROUND,
  loadAverageBefore: loadBefore,
  loadAverageAfter: loadAfter,
  sizes: results,
  perBatchEcdhEsReadingsPerSecond: ecdhPerSecond,
  newDataKeyMs: round(newDataKeyMs, 2),
  openBatchReadingsPerSecond: openPerSecond,
  outboxFileSystem: fileSystemOf(dataDir),
  enqueueBatchesPerSecond: enqueuePerSecond,
  reservedEnqueueBatchesPerSecond: reservedPerSecond,
  unblockedReservedEnqueueBatchesPerSecond: unblockedPerSecond,
  groupedEnqueueWithBatchesPerSecond: groupedPerSecond,
});

/**
 * The agent's protect path, in readings per second on one core: pseudonymise
 * (HMAC under a cached key) + build the FHIR Observations + sign (ES256, the
 * device key) + encrypt (`dir` A256GCM under the epoch data key), for batches of
 * 1, 10 and 100 readings — against raw AES-256-GCM (WebCrypto) over the same
 * plaintext bytes in the same round (the ratio). The enqueue (another engineer's
 * SQLite store-and-forward queue) is not part of this path and is left out.
 *
 * Work is awaited one operation at a time, so at most one core is busy with it
 * (WebCrypto runs its jobs on libuv's pool, but never two at once here).
 * For ADR 0009 it also times the options that were not taken or are paid rarely:
 * a per-batch two-recipient ECDH-ES+A256KW JWE, one newDataKey per epoch, and
 * openBatch on the reader's side.
 */
import { performance } from 'node:perf_hooks';
import { compactDecrypt, GeneralEncrypt, importJWK } from 'jose';
import {
  derivePseudonymKey,
  generateKeyPair,
  newDataKey,
  openBatch,
  protectBatch,
  pseudonymFor,
  vitalSignObservation,
  type VitalSignObservation,
  type VitalSignReading,
} from '@vigil/protect';
import { envInt, machineLine, printBlock, printResult } from './lib/report.js';
import { median, round } from './lib/stats.js';

const ROUNDS = envInt('BENCH_PROTECT_ROUNDS', 5, 3, 20);
/** Readings protected per batch size and round (raw AES-GCM does the same count). */
const READINGS_PER_ROUND = envInt('BENCH_PROTECT_READINGS', 4000, 500, 100_000);
const BATCH_SIZES = [1, 10, 100] as const;
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

interface SizeResult {
  readonly batchSize: number;
  readonly plaintextBytes: number;
  readonly ciphertextChars: number;
  readonly protectedPerSecond: number;
  readonly rawPerSecond: number;
  /** Median over rounds of (protected / raw) readings per second. */
  readonly ratio: number;
  readonly batchesPerSecond: number;
}

console.log(`protect.bench: ${machineLine()}`);
console.log(
  `${ROUNDS} rounds; each round protects ${READINGS_PER_ROUND} readings per batch size, then ` +
    `encrypts the same plaintext bytes with raw AES-256-GCM. Median over rounds.`,
);

const results: SizeResult[] = [];
for (const size of BATCH_SIZES) {
  const batches = Math.max(1, Math.round(READINGS_PER_ROUND / size));
  // The plaintext the protect path encrypts (the compact JWS): raw AES-GCM gets the same bytes.
  const sample = await protectOnce(size);
  const { plaintext } = await compactDecrypt(sample, dataKey.key);
  for (let i = 0; i < Math.min(batches, 50); i++) await protectOnce(size); // warm-up
  const protectedRates: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const protectMs = await time(batches, () => protectOnce(size));
    const rawMs = await time(batches, () =>
      subtle.encrypt(
        { name: 'AES-GCM', iv: globalThis.crypto.getRandomValues(new Uint8Array(12)) },
        rawKey,
        plaintext,
      ),
    );
    const protectedRate = (batches * size * 1000) / protectMs;
    const rawRate = (batches * size * 1000) / rawMs;
    protectedRates.push(protectedRate);
    rawRates.push(rawRate);
    ratios.push(protectedRate / rawRate);
  }
  results.push({
    batchSize: size,
    plaintextBytes: plaintext.byteLength,
    ciphertextChars: sample.length,
    protectedPerSecond: round(median(protectedRates), 0),
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

for (const r of results) {
  printBlock(`Batches of ${r.batchSize} reading${r.batchSize === 1 ? '' : 's'}`, [
    ['plaintext (signed JWS)', `${r.plaintextBytes} bytes; batch ${r.ciphertextChars} characters`],
    ['protected, readings/s', `${r.protectedPerSecond} (${r.batchesPerSecond} batches/s)`],
    ['raw AES-256-GCM, readings/s', String(r.rawPerSecond)],
    ['ratio protected / raw', String(r.ratio)],
  ]);
}
printBlock('Alternatives and rare costs (batches of 100)', [
  ['per-batch 2-recipient ECDH-ES JWE, readings/s', `${ecdhPerSecond} (encryption only)`],
  ['newDataKey (once per epoch)', `${round(newDataKeyMs, 2)} ms`],
  ['openBatch (reader), readings/s', String(openPerSecond)],
  ['enqueue (SQLite queue)', 'not measured here'],
]);
printResult('protect', {
  rounds: ROUNDS,
  readingsPerRound: READINGS_PER_ROUND,
  sizes: results,
  perBatchEcdhEsReadingsPerSecond: ecdhPerSecond,
  newDataKeyMs: round(newDataKeyMs, 2),
  openBatchReadingsPerSecond: openPerSecond,
});

/**
 * The crash test's gateway (crash.test.ts): a real `@vigil/agent` in a process
 * of its own, so the test can kill it with SIGKILL at any instant.
 *
 * `crash-agent.ts <config.json> run`: enrols on the first start (the identity,
 * the telemetry record and the outbox persist in the state directory), then
 * records readings for a few patients — values derived from a counter, so every
 * reading is unique (crash-readings.ts) — and uploads them, until killed. Each
 * record is logged in the ledger (crash-ledger.ts) before `record()` is called
 * and again once it resolved, each line fsynced before going on.
 *
 * `crash-agent.ts <config.json> drain`: records nothing; uploads until the
 * outbox is empty, prints `drained {…}` and exits 0 (2 if it cannot within the
 * time allowed, 3 if the server refused a batch for good and it is held).
 *
 * Lines on stdout: `ready <deviceId>` once recording or draining has begun,
 * `duplicates <n>` when the server already had a batch it was sent again (the
 * previous process was killed between the server storing it and the
 * acknowledgement), `drained {…}`. Errors go to stderr.
 */
import { open, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileStorage, VigilAgent, type Telemetry, type TelemetryReading } from '@vigil/agent';
import { ledgerLine, parseLedger, type LedgerLine } from './crash-ledger.js';
import { effectiveOf, patientOfRecord, readingValue, readingsInRecord } from './crash-readings.js';

/** What the test hands the gateway, as a JSON file (argv[2]). */
export interface CrashAgentConfig {
  readonly stateDir: string;
  readonly ledgerFile: string;
  readonly enrolUrl: string;
  readonly deviceUrl: string;
  readonly serverTrustPem: string;
  readonly enrolmentToken: string;
  readonly pseudonymSecretHex: string;
  readonly signingKeyFingerprint: string;
  /** Epoch ms (whole seconds) of counter 0's reading. */
  readonly base: number;
  /** Pause between records, ms. */
  readonly pauseMs: number;
}

/** How long `drain` may take before it gives up (exit 2), ms. */
const DRAIN_LIMIT_MS = 60_000;

const [configFile, mode] = process.argv.slice(2);
if (configFile === undefined || (mode !== 'run' && mode !== 'drain')) {
  console.error('usage: crash-agent.ts <config.json> run|drain');
  process.exit(64);
}
const config = JSON.parse(await readFile(configFile, 'utf8')) as CrashAgentConfig;
const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (what: string, error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  console.error(`${what}: ${typeof code === 'string' ? `${code} ` : ''}${message}`);
};

const storage = new FileStorage({ directory: config.stateDir });
const firstStart = (await storage.load()) === null;
// The test never kills the gateway before its first `ready`, so the single enrolment completes.
const agent = firstStart
  ? await VigilAgent.enrol({
      enrolUrl: config.enrolUrl,
      deviceUrl: config.deviceUrl,
      token: config.enrolmentToken,
      serverTrustPem: config.serverTrustPem,
      serialNumber: 'SN-CRASH-1',
      storage,
    })
  : await VigilAgent.load({ storage });
const telemetry: Telemetry = await agent.telemetry({
  outbox: { file: `${config.stateDir}/outbox.sqlite`, cap: { rows: 100_000 } },
  pseudonymSecret: Buffer.from(config.pseudonymSecretHex, 'hex'),
  expectedSigningKeyFingerprint: config.signingKeyFingerprint,
  // Short back-off: the server comes back within seconds here, not minutes.
  upload: { retry: { initialDelayMs: 100, maxDelayMs: 1_000 } },
  onError: (error) => complain('background', error),
});
if (telemetry.status().manifest === null) await telemetry.refreshManifest();
say(`ready ${agent.deviceId}`);

if (mode === 'drain') {
  const deadline = Date.now() + DRAIN_LIMIT_MS;
  for (;;) {
    const pass = await telemetry.flush().catch((error: unknown) => {
      complain('flush', error);
      return undefined;
    });
    if ((pass?.duplicates ?? 0) > 0) say(`duplicates ${pass?.duplicates}`);
    const status = telemetry.status();
    if (status.held > 0) {
      console.error(`held: ${JSON.stringify(telemetry.held().map((h) => [h.sequence, h.reason]))}`);
      process.exit(3);
    }
    if (pass?.status === 'drained' && status.queued === 0) {
      say(`drained ${JSON.stringify(status)}`);
      break;
    }
    if (Date.now() > deadline) {
      console.error(`not drained after ${DRAIN_LIMIT_MS} ms: ${JSON.stringify(status)}`);
      process.exit(2);
    }
    await sleep(100);
  }
  await telemetry.close();
  agent.close();
  process.exit(0);
}

// --- run: record and upload until killed -------------------------------------
const ledger = await open(config.ledgerFile, 'a+');
const previous = await readFile(config.ledgerFile, 'utf8');
// A line cut short by the previous kill stays unreadable; start ours on a line of its own.
if (previous !== '' && !previous.endsWith('\n')) await ledger.appendFile('\n');
let k = 0;
for (const [first, { n }] of parseLedger(previous).attempts) k = Math.max(k, first + n);

async function log(line: LedgerLine): Promise<void> {
  await ledger.appendFile(ledgerLine(line));
  await ledger.sync();
}

void (async () => {
  for (;;) {
    try {
      const pass = await telemetry.flush();
      if (pass.duplicates > 0) say(`duplicates ${pass.duplicates}`);
      await sleep(pass.status === 'failed' ? Math.min(pass.retryInMs ?? 100, 500) : 25);
    } catch (error) {
      complain('flush', error);
      await sleep(200);
    }
  }
})();

for (;;) {
  const n = readingsInRecord(k);
  const patient = patientOfRecord(k);
  const readings: TelemetryReading[] = Array.from({ length: n }, (_, i) => ({
    ...readingValue(k + i),
    effective: effectiveOf(k + i, config.base),
  }));
  // Logged (durably) before record() runs: a counter handed to record() is never handed out again.
  await log({ t: 'attempt', k, n, patient });
  try {
    const { sequence } = await telemetry.record(patient, readings);
    await log({ t: 'accepted', k, sequence });
  } catch (error) {
    complain(`record ${k}`, error);
  }
  k += n;
  await sleep(config.pauseMs);
}

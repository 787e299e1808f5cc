import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'node:test';
import {
  openBatch,
  unwrapDataKey,
  unwrapTeamKey,
  vitalSignObservation,
  type DataKey,
  type P256PublicJwk,
} from '@vigil/protect';
import { tempDir } from '@vigil/testkit';
import type { CrashAgentConfig } from './crash/crash-agent.js';
import { prepareCrashInstallation } from './crash/crash-installation.js';
import {
  auditStorage,
  ledgerLine,
  parseLedger,
  type LedgerLine,
  type StoredBatch,
} from './crash/crash-ledger.js';
import { counterOf, effectiveOf, readingValue } from './crash/crash-readings.js';
import { NodeChild, VIGIL_BIN } from './crash/node-child.js';

/**
 * docs/telemetry.md, "Upload" and "Ingest": delivery is at least once (the
 * gateway deletes a batch from its outbox only after the server answered) and
 * storage exactly once (unique per device and sequence). Here both ends are real
 * processes — `vigil serve` on SQLite and an `@vigil/agent` gateway — killed with
 * SIGKILL at random instants while readings are recorded, uploaded and ingested,
 * then restarted. At the end the gateway drains its outbox and the care team's
 * key opens everything the server holds.
 */

const AGENT_SCRIPT = fileURLToPath(new URL('./crash/crash-agent.ts', import.meta.url));
/** Kills to aim for, and the time the killing may take (on a loaded machine fewer fit). */
const KILLS = 16;
const CHAOS_MS = 60_000;
/** Fewer kills of either kind than this and the run proved too little. */
const MIN_KILLS_EACH = 3;
/** Activity between kills, ms: a random span in [MIN, MIN + SPREAD). */
const ACTIVE_MIN_MS = 300;
const ACTIVE_SPREAD_MS = 1_500;
/** Starting a process from source on a busy 2-core machine can take a while. */
const START_TIMEOUT_MS = 45_000;
const SEED = Number(process.env['VIGIL_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed with VIGIL_CRASH_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A free port below the ephemeral range, so nothing else is given it while the server is down. */
async function freePort(taken: ReadonlySet<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (taken.has(port)) continue;
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
}

/** GET on the operator API with a bearer token, trusting only the server's development CA. */
function apiGet<T>(baseUrl: string, path: string, token: string, ca: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`/api/v1${path}`, baseUrl),
      { ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${body}`));
          else resolve(JSON.parse(body) as T);
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${path}: no answer`)));
    req.end();
  });
}

interface ApiBatch {
  readonly deviceId: string;
  readonly sequence: number;
  readonly kid: string;
  readonly jwe: string;
}

describe('when the gateway and the server are killed (SIGKILL) during upload and ingest', () => {
  it(
    'stores every reading the gateway accepted exactly once, and nothing it did not generate',
    { timeout: 180_000 },
    async (t) => {
      const started = performance.now();
      const rng = random(SEED);
      // Registered before the temporary directory's removal, so it runs first.
      const children = new Set<NodeChild>();
      t.after(() => Promise.all([...children].map((c) => c.kill())));
      const dir = await tempDir(t);
      const dataDir = join(dir, 'server');
      const stateDir = join(dir, 'gateway');
      const installation = await prepareCrashInstallation(dataDir);
      const httpsPort = await freePort(new Set());
      const devicePort = await freePort(new Set([httpsPort]));
      const baseUrl = `https://localhost:${httpsPort}`;

      const startServer = async () => {
        const server = NodeChild.start(
          VIGIL_BIN,
          ['serve', '--https-port', String(httpsPort), '--device-port', String(devicePort)],
          { VIGIL_DATA_DIR: dataDir, VIGIL_LOG_LEVEL: 'silent' },
        );
        children.add(server);
        await server.waitFor(/Press Ctrl-C to stop\./, START_TIMEOUT_MS);
        return server;
      };
      let server = await startServer();
      const ca = await readFile(join(dataDir, 'tls', 'ca.pem'), 'utf8');

      const config: CrashAgentConfig = {
        stateDir,
        ledgerFile: join(dir, 'ledger.jsonl'),
        enrolUrl: baseUrl,
        deviceUrl: `https://localhost:${devicePort}`,
        serverTrustPem: ca,
        enrolmentToken: installation.enrolmentToken,
        pseudonymSecretHex: Buffer.from(installation.pseudonymSecret).toString('hex'),
        signingKeyFingerprint: installation.signing.kid,
        // Counter 0's reading a day ago, to the second: every reading lies in the past.
        base: Math.floor(Date.now() / 1_000) * 1_000 - 86_400_000,
        pauseMs: 20,
      };
      const configFile = join(dir, 'agent.json');
      await writeFile(configFile, JSON.stringify(config));
      const startAgent = async (mode: 'run' | 'drain') => {
        const agent = NodeChild.start(AGENT_SCRIPT, [configFile, mode], {});
        children.add(agent);
        await agent.waitFor(/^ready /m, START_TIMEOUT_MS);
        return agent;
      };
      let agent = await startAgent('run');
      const agentOutput: string[] = [];

      // --- Chaos: kill one of the two at a random instant, restart it, go on. ---
      const kills = { agent: 0, server: 0 };
      const chaosStarted = performance.now();
      const chaosEnds = chaosStarted + CHAOS_MS;
      while (kills.agent + kills.server < KILLS && performance.now() < chaosEnds) {
        await sleep(ACTIVE_MIN_MS + rng() * ACTIVE_SPREAD_MS);
        // Random, but never more than two ahead on one side, so both are killed often.
        const lead = kills.agent - kills.server;
        const victim =
          lead >= 2 ? 'server' : lead <= -2 ? 'agent' : rng() < 0.5 ? 'agent' : 'server';
        if (victim === 'agent') {
          await agent.kill();
          agentOutput.push(agent.stdout, agent.stderr);
          kills.agent++;
          agent = await startAgent('run');
        } else {
          await server.kill();
          kills.server++;
          await sleep(rng() * 500);
          server = await startServer();
        }
      }
      const chaosSeconds = (performance.now() - chaosStarted) / 1_000;

      // --- One last kill of each, then both restarted and left alone: the gateway drains. ---
      await agent.kill();
      agentOutput.push(agent.stdout, agent.stderr);
      await server.kill();
      server = await startServer();
      const drain = await startAgent('drain');
      await drain.waitFor(/^drained /m, 90_000);
      const drainExit = await drain.exited;
      agentOutput.push(drain.stdout, drain.stderr);
      assert.equal(drainExit.code, 0, `drain: ${drain.stderr}`);

      // --- The care team's view: every stored batch, opened with the team key. ---
      const { careOrganisationId: org, clinicianToken: token } = installation;
      const batches: ApiBatch[] = [];
      let after: string | null = null;
      do {
        const page: { batches: ApiBatch[]; next: string | null } = await apiGet(
          baseUrl,
          `/organisations/${org}/batches?limit=500${after === null ? '' : `&after=${encodeURIComponent(after)}`}`,
          token,
          ca,
        );
        batches.push(...page.batches);
        after = page.next;
      } while (after !== null);
      const context = { organisationId: org, epoch: installation.epoch.epoch };
      const team = await unwrapTeamKey(
        installation.epoch.wrapped,
        installation.member.privateJwk,
        context,
      );
      const dataKeys = new Map<string, DataKey['key']>();
      for (const kid of new Set(batches.map((b) => b.kid))) {
        const { dataKeys: rows } = await apiGet<{ dataKeys: { jwe: unknown }[] }>(
          baseUrl,
          `/organisations/${org}/data-keys?kid=${encodeURIComponent(kid)}`,
          token,
          ca,
        );
        dataKeys.set(kid, (await unwrapDataKey(rows[0]?.jwe, team, { ...context, kid })).key);
      }
      // The device key from the gateway's own certificate, not the one the server relays.
      const identity = JSON.parse(await readFile(join(stateDir, 'identity.json'), 'utf8')) as {
        deviceId: string;
        certificatePem: string;
      };
      const deviceKey = createPublicKey(identity.certificatePem).export({
        format: 'jwk',
      }) as P256PublicJwk;
      const stored: StoredBatch[] = [];
      for (const batch of batches) {
        const opened = await openBatch(batch.jwe, {
          dataKeys: (kid) => dataKeys.get(kid),
          deviceVerificationKey: () => deviceKey,
          expected: { organisationId: org, deviceId: identity.deviceId },
        });
        stored.push({
          deviceId: batch.deviceId,
          sequence: batch.sequence,
          pseudonym: opened.pseudonym,
          readings: opened.observations.map((observation) => {
            const counter = counterOf(observation.effectiveDateTime, config.base);
            const generated = Number.isNaN(counter)
              ? undefined
              : vitalSignObservation({
                  ...readingValue(counter),
                  effective: effectiveOf(counter, config.base),
                  pseudonym: opened.pseudonym,
                  deviceId: identity.deviceId,
                });
            return { counter, matches: isDeepStrictEqual(observation, generated) };
          }),
        });
      }

      const ledger = parseLedger(await readFile(config.ledgerFile, 'utf8'));
      const audit = auditStorage(
        ledger,
        stored,
        (patient) => installation.pseudonyms.get(patient) ?? '',
      );
      const output = agentOutput.join('\n');
      const resent = (output.match(/^duplicates \d+$/gm) ?? []).reduce(
        (n, line) => n + Number(line.split(' ')[1]),
        0,
      );
      // Evidence that server kills landed mid-request: the gateway's failed uploads, by cause
      // (refused: the server was down; reset: a connection was cut under a request).
      const failures = new Map<string, number>();
      for (const [, code, message] of output.matchAll(/^(?:flush|background): (ERR_\w+) (.*)$/gm)) {
        const cause = /ECONNREFUSED/.test(message ?? '')
          ? ' refused'
          : /ECONNRESET|hang up|EPIPE/.test(message ?? '')
            ? ' reset'
            : '';
        const key = `${code}${cause}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
      t.diagnostic(
        `seed ${SEED}: ${kills.agent} gateway and ${kills.server} server kills in ${chaosSeconds.toFixed(0)} s; ` +
          `${ledger.accepted.size} records (${audit.acceptedReadings} readings) accepted, ` +
          `${stored.length} batches (${audit.storedReadings} readings) stored, ` +
          `${audit.storedUnacknowledged} of them stored but never logged accepted, ` +
          `${resent} batches answered as duplicates after a restart, ${ledger.unreadable} cut-short ledger lines; ` +
          `failed uploads ${JSON.stringify(Object.fromEntries(failures))}; ` +
          `${((performance.now() - started) / 1_000).toFixed(0)} s in all`,
      );
      assert.deepEqual(audit.violations, []);
      assert.ok(ledger.accepted.size > 0, 'the gateway accepted nothing');
      // The same check on this run's own data does fail once one stored reading is there twice.
      const first = stored[0] as StoredBatch;
      const doubled = auditStorage(
        ledger,
        [...stored, { ...first, sequence: -1 }],
        (patient) => installation.pseudonyms.get(patient) ?? '',
      );
      assert.ok(
        doubled.violations.includes(`reading ${first.readings[0]?.counter} stored 2 times`),
      );
      // At most one line per gateway kill can be cut short (the one being written when it died).
      assert.ok(
        ledger.unreadable <= kills.agent + 1,
        `${ledger.unreadable} unreadable ledger lines`,
      );
      assert.ok(
        kills.agent >= MIN_KILLS_EACH && kills.server >= MIN_KILLS_EACH,
        `only ${kills.agent} gateway and ${kills.server} server kills fitted in ${CHAOS_MS} ms`,
      );

      // The server stops cleanly at the end, after all that.
      const exit = await server.kill('SIGTERM');
      assert.equal(exit.code, 0, server.stderr);
    },
  );
});

describe('the crash test’s check (crash-ledger.ts) when storage is wrong', () => {
  const pseudonyms = new Map([
    ['A', 'p1_aaaa'],
    ['B', 'p1_bbbb'],
  ]);
  const pseudonymOf = (patient: string) => pseudonyms.get(patient) ?? '';
  const ledgerOf = (...lines: LedgerLine[]) => parseLedger(lines.map(ledgerLine).join(''));
  const readings = (...counters: number[]) =>
    counters.map((counter) => ({ counter, matches: true }));
  const batch = (sequence: number, pseudonym: string, ...counters: number[]): StoredBatch => ({
    deviceId: 'd1',
    sequence,
    pseudonym,
    readings: readings(...counters),
  });
  // Records 0 (2 readings, A) and 2 (1 reading, B) accepted as sequences 1 and 2.
  const ledger = ledgerOf(
    { t: 'attempt', k: 0, n: 2, patient: 'A' },
    { t: 'accepted', k: 0, sequence: 1 },
    { t: 'attempt', k: 2, n: 1, patient: 'B' },
    { t: 'accepted', k: 2, sequence: 2 },
    { t: 'attempt', k: 3, n: 1, patient: 'A' },
  );
  const right = [batch(1, 'p1_aaaa', 0, 1), batch(2, 'p1_bbbb', 2)];

  it('finds nothing wrong with storage that is right (record 3 was never accepted: it may be missing)', () => {
    assert.deepEqual(auditStorage(ledger, right, pseudonymOf).violations, []);
    const withUnacknowledged = [...right, batch(3, 'p1_aaaa', 3)];
    const audit = auditStorage(ledger, withUnacknowledged, pseudonymOf);
    assert.deepEqual(audit.violations, []);
    assert.equal(audit.storedUnacknowledged, 1);
  });

  it('catches a reading stored twice (the same record under a second sequence)', () => {
    const audit = auditStorage(ledger, [...right, batch(7, 'p1_aaaa', 0, 1)], pseudonymOf);
    assert.ok(audit.violations.includes('reading 0 stored 2 times'), audit.violations.join('; '));
    assert.ok(audit.violations.some((v) => v.startsWith('accepted record 0 is stored as')));
  });

  it('catches a (device, sequence) stored twice', () => {
    const audit = auditStorage(ledger, [...right, batch(2, 'p1_aaaa', 3)], pseudonymOf);
    assert.ok(audit.violations.includes('batch d1#2 stored 2 times'), audit.violations.join('; '));
  });

  it('catches an accepted reading that is missing', () => {
    const audit = auditStorage(ledger, [right[0] as StoredBatch], pseudonymOf);
    assert.deepEqual(audit.violations, ['accepted record 2 (sequence 2) is missing']);
  });

  it('catches readings the gateway never generated, or not as one record, or for another patient', () => {
    const forged: StoredBatch = {
      ...batch(9, 'p1_aaaa', 3),
      readings: [{ counter: 3, matches: false }],
    };
    const cases: [StoredBatch, string][] = [
      [forged, 'batch d1#9 holds a reading the gateway never generated'],
      [batch(9, 'p1_aaaa', 40), 'batch d1#9 starts at counter 40, which no record attempted'],
      [batch(9, 'p1_aaaa', 3, 4), 'batch d1#9 holds counters 3,4, record 3 made 3'],
      [batch(9, 'p1_bbbb', 3), "batch d1#9 is filed under another patient than record 3's"],
    ];
    for (const [extra, violation] of cases) {
      assert.deepEqual(auditStorage(ledger, [...right, extra], pseudonymOf).violations, [
        violation,
      ]);
    }
  });

  it('catches a counter the gateway handed out twice, and a line cut short by a kill is skipped', () => {
    const reused = parseLedger(
      `${ledgerLine({ t: 'attempt', k: 0, n: 2, patient: 'A' })}{"t":"acce\n` +
        ledgerLine({ t: 'attempt', k: 1, n: 1, patient: 'A' }),
    );
    assert.equal(reused.unreadable, 1);
    assert.deepEqual(reused.problems, ['counter 1 reused']);
  });
});

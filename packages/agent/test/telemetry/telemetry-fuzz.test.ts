import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { ManualClock } from '@vigil/core';
import { structureOfBatch } from '@vigil/protect';
import { HttpsTransport, Outbox, isAgentError, type TelemetryReading } from '@vigil/agent';
import { FakeTimer, settle } from '../queue/fake-timer.js';
import { fuzzWorld } from './fuzz-world.js';
import { RawTlsServer } from './raw-tls-server.js';
import { ROUTES, type AnswerSpec, type Route } from './scripted-telemetry-server.js';
import { answer } from './arbitrary-answers.js';
import { op, patientIdentifier, readings, type Op } from './arbitrary-gateway-input.js';
import { rawHttpAnswer } from './arbitrary-raw-http.js';
import { heartRates } from './telemetry-fixture.js';

/**
 * Acceptance: "property-based tests find no 5xx and no agent crash", gateway
 * side. Whatever the server answers and whatever the gateway app hands to
 * record(), the pipeline (Telemetry.record / refreshManifest / flush and its
 * background work) either succeeds or refuses with a coded AgentError, never
 * throws a TypeError or RangeError, never leaves a rejection unhandled, and
 * never loses a reading it accepted.
 *
 * Bounded for CI (the whole file runs in well under 30 s on a loaded 2-core
 * machine); fast-check prints the seed and path of a failing run to replay it.
 */

/** numRuns per property: enough to meet every answer kind on every route, within the budget. */
const RUNS = { answers: 150, readings: 150, transport: 100 };
/** A run that has not settled by then (an upload pass or close() that hangs) fails, ms. */
const RUN_TIMEOUT_MS = 10_000;
/** The transport's inactivity limit in the TLS property, ms. */
const TRANSPORT_TIMEOUT_MS = 250;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function settled<T>(work: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A refusal the gateway app can switch on: an AgentError with an ERR_ code, never a bare Error. */
function assertCoded(error: unknown, where: string): void {
  assert.ok(isAgentError(error), `${where}: not an AgentError: ${inspect(error, { depth: 1 })}`);
  assert.match(error.code, /^ERR_[A-Z0-9_]+$/, `${where}: code ${String(error.code)}`);
}

/** Rejections nobody handled, collected while this file runs (the process must never see one). */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

async function assertNoUnhandledRejection(): Promise<void> {
  await settle(); // unhandledRejection is emitted once the microtask queue has drained
  assert.deepEqual(
    unhandled.splice(0).map((r) => inspect(r, { depth: 1 })),
    [],
    'unhandled rejections',
  );
}

/** A run that records one reading and flushes it, its batch answered with `answer`. */
function oneBatchAnswered(answer: AnswerSpec) {
  return {
    published: 'v1',
    fingerprint: 'none' as const,
    capRows: 1,
    ops: [{ op: 'record', patient: 0, readings: 1 }, { op: 'flush' }] satisfies Op[],
    script: {
      'key-manifest': [],
      'data-keys': [],
      'pseudonym-table': [],
      batches: [answer],
      alarms: [],
    } satisfies Record<Route, AnswerSpec[]>,
  };
}

describe('Telemetry under fuzzing', () => {
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));

  describe('when the server answers anything', () => {
    /*
     * What this catches ("checked": the guard was removed and a run failed):
     * - a record() that resolved and is neither in the outbox nor acknowledged by a valid
     *   201/200. Checked: without postBatch's "the answer names this sequence" test an `ack`
     *   with shift ≠ 0 deletes the batch; without storedOrDuplicate `word: 'held'` does;
     *   without isSuccess and the 200/201 test a 500 or 202 carrying { status: 'stored' } does
     *   (the 202 was a real bug, docs/telemetry.md "Upload": 201 and 200 count as delivered);
     * - a refusal, or an onError report, that is not a coded AgentError. Checked: if #json
     *   stopped catching JSON.parse, truncated JSON escapes as a SyntaxError; so does a
     *   problem+json body cut short if errorFromResponse stopped catching it; and protect's
     *   VigilErrors if telemetry stopped turning them into AgentErrors;
     * - an unhandled rejection, in the calls or the background work (start, tick). Checked
     *   with a promise left unhandled in the alarm report;
     * - a call or close() that never settles (fc.timeout). Checked with an alarm report that
     *   never answers;
     * - a stored state the agent cannot open again (a manifest accepted that does not reload,
     *   a data key the state parser refuses), which would brick the gateway's telemetry.
     * Not every guard is load-bearing: without keyManifest()'s shape test or #json's "a JSON
     * object" test, later checks still refuse the answer with a code, so no run fails
     * (defence in depth).
     */
    it(
      'refuses with coded errors only, and loses no accepted reading',
      { timeout: 120_000 },
      async (t) => {
        const world = await fuzzWorld(t);
        const names = world.manifestNames;
        const run = fc.record({
          // Mostly the genuine first manifest, so that runs get past it to keys and batches.
          published: fc.oneof(
            { arbitrary: fc.constant('v1'), weight: 8 },
            { arbitrary: fc.constantFrom(...names), weight: 3 },
            { arbitrary: fc.constant(undefined), weight: 1 },
          ),
          fingerprint: fc.oneof(
            { arbitrary: fc.constantFrom('none', 'published', 'published-hex'), weight: 6 },
            { arbitrary: fc.constant('other'), weight: 1 },
          ),
          capRows: fc.integer({ min: 1, max: 6 }),
          ops: fc.array(op(names), { minLength: 2, maxLength: 12 }),
          script: fc.record(
            Object.fromEntries(
              ROUTES.map((route) => [route, fc.array(answer(names, route), { maxLength: 6 })]),
            ) as Record<Route, fc.Arbitrary<AnswerSpec[]>>,
          ),
        });

        await fc.assert(
          fc.asyncProperty(run, async ({ published, fingerprint, capRows, ops, script }) => {
            const { scripted, organisation } = world;
            scripted.reset(script, published, organisation.organisationId);
            const file = await world.fresh();
            const clock = new ManualClock(Date.UTC(2026, 0, 1));
            const timer = new FakeTimer(clock);
            const backgroundErrors: unknown[] = [];
            const kid = organisation.admin.kid;
            const telemetry = await world.open(file, {
              outbox: { file, cap: { rows: capRows } },
              clock,
              timer,
              random: () => 0.5,
              onError: (error) => backgroundErrors.push(error),
              ...(fingerprint === 'none'
                ? {}
                : {
                    expectedSigningKeyFingerprint:
                      fingerprint === 'published'
                        ? kid
                        : fingerprint === 'published-hex'
                          ? Buffer.from(kid, 'base64url').toString('hex')
                          : 'AAAA' + kid.slice(4),
                  }),
            });
            const accepted: number[] = [];
            const outcomes: [string, Outcome<unknown>][] = [];
            const record = async (patient: number, count: number) => {
              const outcome = await settled(
                telemetry.record(`MRN ${patient}`, heartRates(count, clock.now())),
              );
              if (outcome.ok) accepted.push(outcome.value.sequence);
              outcomes.push(['record', outcome]);
            };
            try {
              for (const step of ops) await perform(step);
            } finally {
              await telemetry.close();
            }

            async function perform(step: Op): Promise<void> {
              switch (step.op) {
                case 'record':
                  return record(step.patient, step.readings);
                case 'record-while-flushing': {
                  const [, flushed] = await Promise.all([
                    record(step.patient, 1),
                    settled(telemetry.flush()),
                  ]);
                  outcomes.push(['flush', flushed]);
                  return;
                }
                case 'flush':
                  outcomes.push(['flush', await settled(telemetry.flush())]);
                  return;
                case 'refresh':
                  outcomes.push(['refreshManifest', await settled(telemetry.refreshManifest())]);
                  return;
                case 'publish':
                  scripted.publish(step.manifest);
                  return;
                case 'start':
                  telemetry.start();
                  return;
                case 'tick':
                  try {
                    await timer.fireNext();
                  } catch (error) {
                    if (!(error instanceof Error && error.message === 'no timer pending'))
                      throw error;
                  }
                  return;
                case 'advance':
                  clock.advance(step.ms);
                  return;
              }
            }

            const trace = () => `requests:\n  ${scripted.log.join('\n  ')}`;
            for (const [where, outcome] of outcomes) {
              if (!outcome.ok) assertCoded(outcome.error, `${where}\n${trace()}`);
            }
            for (const error of backgroundErrors) assertCoded(error, `onError\n${trace()}`);
            await assertNoUnhandledRejection();
            assert.equal(new Set(accepted).size, accepted.length, 'a sequence was given twice');

            // Nothing accepted is lost: each is still queued (or held), or the server acknowledged it.
            const outbox = new Outbox({ file, cap: { rows: 1_000_000 } });
            let kept: Set<number>;
            try {
              kept = new Set([...outbox.peek(1_000_000), ...outbox.held()].map((e) => e.sequence));
            } finally {
              outbox.close();
            }
            for (const sequence of accepted) {
              assert.ok(
                kept.has(sequence) || scripted.acknowledged.has(sequence),
                `batch ${sequence} was accepted, is no longer queued, and was never acknowledged\n${trace()}`,
              );
            }

            // Whatever the server said, the agent opens its own state again.
            const again = await world.open(file, { outbox: { file, cap: { rows: capRows } } });
            try {
              assert.equal(again.status().queued, kept.size);
            } finally {
              await again.close();
            }
            await world.remove(file);
          }),
          {
            numRuns: RUNS.answers,
            includeErrorInReport: true,
            plugins: [fc.timeout(RUN_TIMEOUT_MS)],
            examples: [
              // Found by this property: a 202 carrying { status: 'stored' } deleted the batch.
              [oneBatchAnswered({ kind: 'ack', status: 202, word: 'stored', shift: 0 })],
              // Always tried as well: an ack naming another batch, and one not saying stored.
              [oneBatchAnswered({ kind: 'ack', status: 201, word: 'stored', shift: 1 })],
              [oneBatchAnswered({ kind: 'ack', status: 201, word: 'held', shift: 0 })],
            ],
          },
        );
      },
    );
  });

  describe('when the gateway app records anything', () => {
    /*
     * What this catches: a reading, date or identifier that makes record() throw something
     * other than a coded AgentError (checked: without the kind test in observationsOf, the
     * inherited name 'toString' fails as a TypeError, and so does a hole in a sparse list),
     * and a refused record() that still changed the outbox: a row left behind, or a number
     * handed out twice, in which case the valid record that follows every run would not get
     * a sequence strictly higher than all before it. At the end every stored batch must
     * carry the sequence it is stored under.
     */
    it(
      'resolves or refuses with a code, and a refusal leaves the outbox as it was',
      { timeout: 120_000 },
      async (t) => {
        const world = await fuzzWorld(t);
        world.scripted.reset({}, 'v1', world.organisation.organisationId);
        const file = await world.fresh();
        const clock = new ManualClock(Date.UTC(2026, 0, 1));
        const telemetry = await world.open(file, { clock });
        await telemetry.refreshManifest();
        let highest = 0;
        let stored = 0;

        try {
          await fc.assert(
            fc.asyncProperty(patientIdentifier, readings, async (patient, given) => {
              const before = telemetry.status();
              const outcome = await settled(
                telemetry.record(patient as string, given as TelemetryReading[]),
              );
              const after = telemetry.status();
              if (outcome.ok) {
                assert.ok(outcome.value.sequence > highest, 'a sequence was not new');
                highest = outcome.value.sequence;
                stored += 1;
                assert.equal(after.queued, before.queued + 1);
              } else {
                assertCoded(outcome.error, 'record');
                assert.deepEqual(
                  [after.queued, after.queuedBytes, after.held],
                  [before.queued, before.queuedBytes, before.held],
                  'a refused record changed the outbox',
                );
              }
              await assertNoUnhandledRejection();
              const next = await telemetry.record('MRN 0042', heartRates(1, clock.now()));
              assert.ok(next.sequence > highest, `sequence ${next.sequence} after ${highest}`);
              highest = next.sequence;
              stored += 1;
            }),
            {
              numRuns: RUNS.readings,
              includeErrorInReport: true,
              plugins: [fc.timeout(RUN_TIMEOUT_MS)],
              examples: [
                // Found by this property: TypeErrors from an inherited kind and from a hole.
                ['MRN 0042', [{ kind: 'toString', value: 72, effective: new Date(0) }]],
                ['MRN 0042', new Array<unknown>(1)],
              ],
            },
          );
        } finally {
          await telemetry.close();
        }

        // Every stored batch carries the sequence it is stored under, and none is missing.
        const outbox = new Outbox({ file, cap: { rows: 1_000_000 } });
        try {
          const entries = outbox.peek(1_000_000);
          assert.equal(entries.length, stored);
          for (const entry of entries) {
            assert.equal(structureOfBatch(entry.payload).sequence, entry.sequence);
          }
        } finally {
          outbox.close();
        }
      },
    );
  });

  describe('when the server sends any bytes over TLS (HttpsTransport)', () => {
    /*
     * The telemetry routes above trust the AgentTransport contract: every request
     * settles, with an answer or a coded AgentError. This checks the real transport
     * keeps it against any status line, lying or conflicting headers, and bodies cut
     * short, reset or never finished. It catches a request that never settles (a real bug:
     * an unasked 101 upgrade; it would stall the uploader and close() for good) and a raw
     * Node error escaping instead of an AgentError.
     */
    it(
      'settles every request with an answer or a coded AgentError',
      { timeout: 120_000 },
      async (t) => {
        const server = await RawTlsServer.start(Date.now());
        t.after(() => server.close());
        await fc.assert(
          fc.asyncProperty(rawHttpAnswer, async (raw) => {
            server.answer = raw;
            const transport = new HttpsTransport({
              trustPem: server.trustPem,
              timeoutMs: TRANSPORT_TIMEOUT_MS,
              maxResponseBytes: 16 * 1024,
            });
            let timer: ReturnType<typeof setTimeout> | undefined;
            try {
              const outcome = await Promise.race([
                settled(
                  transport.request({
                    url: `${server.origin}/device/v1/batches`,
                    method: 'POST',
                    headers: { 'content-type': 'application/jose' },
                    body: 'header.key.iv.ciphertext.tag',
                  }),
                ),
                new Promise<'hung'>((resolve) => {
                  timer = setTimeout(resolve, 20 * TRANSPORT_TIMEOUT_MS, 'hung');
                }),
              ]);
              assert.notEqual(outcome, 'hung', 'the request never settled');
              if (outcome === 'hung') return;
              if (outcome.ok) {
                const { status, headers, body } = outcome.value;
                assert.ok(Number.isInteger(status), `status ${status}`);
                assert.ok(body instanceof Uint8Array);
                for (const value of Object.values(headers)) assert.equal(typeof value, 'string');
              } else {
                assertCoded(outcome.error, 'request');
              }
            } finally {
              clearTimeout(timer);
              transport.close();
            }
            await assertNoUnhandledRejection();
          }),
          {
            numRuns: RUNS.transport,
            includeErrorInReport: true,
            examples: [
              // Found by this property: an unasked 101 upgrade left the request unsettled.
              [
                {
                  statusLine: 'HTTP/1.1 101 Switching Protocols\r\n',
                  headers: ['Connection: upgrade', 'Upgrade: websocket'],
                  body: '',
                  then: 'end',
                },
              ],
            ],
          },
        );
      },
    );
  });
});

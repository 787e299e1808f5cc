import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Telemetry } from '@vigil/agent';
import { code } from '../fakes/agent-fixture.js';
import { devicePublicJwk } from '../fakes/care-organisation.js';
import { FakeTimer } from '../queue/fake-timer.js';
import { heartRates, telemetryWorld } from './telemetry-fixture.js';

/** Polls until `predicate` holds (WebCrypto work runs off the event loop), or fails after 5 s. */
async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Telemetry in the background', () => {
  it('start() fetches the manifest at once and again every manifestRefreshMs, and uploads', async (t) => {
    const world = await telemetryWorld(t);
    const timer = new FakeTimer(world.clock);
    const telemetry = await world.open({
      timer,
      manifestRefreshMs: 60_000,
      upload: { idleIntervalMs: 600_000 },
    });
    telemetry.start();
    await timer.fireNext(); // the first upload pass: nothing queued
    await timer.fireNext(); // the first manifest fetch
    await eventually(() => telemetry.status().manifest?.version === 1, 'pinned');
    await world.organisation.rotate();
    await world.organisation.publish(world.routes, 2, world.clock.now());
    await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
    await eventually(() => timer.delays.includes(60_000), 'the next fetch scheduled');
    const fetchAt = world.clock.now() + 60_000;
    // The upload pass the record woke, then, 60 s later, the manifest again.
    while (world.clock.now() < fetchAt) await timer.fireNext();
    await eventually(() => telemetry.status().manifest?.version === 2, 'refreshed');
    await eventually(() => world.routes.batches.length === 1, 'uploaded');
    assert.deepEqual(world.errors, []);
  });

  it('close() stops the timers, waits for work in flight and closes the outbox', async (t) => {
    const world = await telemetryWorld(t);
    const timer = new FakeTimer(world.clock);
    const telemetry = await world.open({ timer });
    telemetry.start();
    const recording = telemetry.record('MRN 0042', heartRates(3, world.clock.now()));
    await telemetry.close();
    assert.equal((await recording).sequence, 1, 'a record in flight completes');
    await assert.rejects(() => timer.fireNext(), /no timer pending/);
    const again = await world.open();
    assert.equal(again.status().queued, 1, 'what was recorded is on disk');
  });

  it('signs with the new device key after the certificate was renewed', async (t) => {
    const world = await telemetryWorld(t);
    const telemetry = await world.open();
    await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
    world.clock.advance(61 * 86_400_000);
    assert.equal((await world.agent.renewIfDue()).status, 'renewed');
    await world.organisation.publish(world.routes, 2, world.clock.now());
    await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
    await telemetry.flush();
    const [before, after] = world.routes.batches;
    const renewedKey = devicePublicJwk(world.agent.certificatePem);
    assert.notDeepEqual(renewedKey, world.devicePublicJwk);
    await world.organisation.read(before?.jwe ?? '', world.routes, world.devicePublicJwk);
    await world.organisation.read(after?.jwe ?? '', world.routes, renewedKey);
  });

  it('records while the server is unreachable after a restart, and uploads once it is back', async (t) => {
    const world = await telemetryWorld(t);
    const first = await world.open();
    await first.refreshManifest();
    await first.close();
    world.server.failNext = 1_000;
    const second = await world.open();
    const recorded = await second.record('MRN 0042', heartRates(2, world.clock.now()));
    assert.equal(recorded.sequence, 1);
    assert.equal((await second.flush()).status, 'failed');
    await assert.rejects(second.refreshManifest(), code('ERR_UNAVAILABLE'));
    world.server.failNext = 0;
    assert.equal((await second.flush()).delivered, 1);
    const opened = await world.organisation.read(
      world.routes.batches[0]?.jwe ?? '',
      world.routes,
      world.devicePublicJwk,
    );
    assert.equal(opened.observations.length, 2);
  });

  it('refuses options that cannot work with ERR_AGENT_INVALID_OPTIONS', async (t) => {
    const world = await telemetryWorld(t);
    for (const options of [
      { pseudonymSecret: new Uint8Array(16) },
      { manifestRefreshMs: 10 },
      { maxReadingsPerBatch: 0 },
    ]) {
      await assert.rejects(world.open(options), code('ERR_AGENT_INVALID_OPTIONS'));
    }
    const identityOnly = { load: () => world.storage.load(), save: async () => undefined };
    await assert.rejects(
      Telemetry.open(
        {
          deviceId: world.agent.deviceId,
          request: (path, init) => world.agent.request(path, init),
          signingKey: () => Promise.reject(new Error('unused')),
          storage: identityOnly,
        },
        {
          outbox: { file: world.outboxFile, cap: { rows: 10 } },
          pseudonymSecret: new Uint8Array(32),
        },
      ),
      code('ERR_AGENT_INVALID_OPTIONS'),
    );
  });
});

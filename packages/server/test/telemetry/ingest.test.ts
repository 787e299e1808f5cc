import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { newDataKey, structureOfBatch, type NewDataKey } from '@vigil/protect';
import {
  TestAgent,
  TestApp,
  forEachEngine,
  type StoreTarget,
  type TestCareOrganisation,
  type TestDeviceListener,
} from '@vigil/testkit';
import { systemContext } from '@vigil/server';
import { MAX_BATCH_BYTES } from '../../src/services/ingest-service.js';
import {
  batchOf,
  careKeys,
  dataKeyFor,
  enrolGateway,
  sealedTable,
  type CareKeys,
  type TestGateway,
} from './telemetry-kit.js';

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;

/**
 * docs/telemetry.md, "Device listener": a gateway stores ciphertext for its
 * care organisation only, exactly once per (device, sequence), under a data
 * key it uploaded first; the server reads the header and nothing else.
 */
forEachEngine('protected telemetry: ingest on the device listener', (engine) => {
  let target: StoreTarget;
  let t: TestApp;
  let listener: TestDeviceListener;
  let manufacturerId: string;
  let care: TestCareOrganisation;
  let keys: CareKeys;
  let gateway: TestGateway;
  let dataKey: NewDataKey;
  let pseudonym: string;
  const start = new Date(Date.UTC(2026, 10, 1, 8, 0, 0));
  const gateways: TestGateway[] = [];

  async function enrol(careOrganisationId?: string): Promise<TestGateway> {
    const token = await t.createEnrolmentToken(manufacturerId, {
      ...(careOrganisationId === undefined ? {} : { careOrganisationId }),
    });
    const enrolled = await enrolGateway(t, listener, token);
    gateways.push(enrolled);
    return enrolled;
  }

  const batchCount = async (deviceId: string) =>
    (
      await t.services.telemetry.batches(OPERATOR, care.organisationId, { limit: 500 })
    ).batches.filter((b) => b.deviceId === deviceId).length;

  before(async () => {
    target = await engine.createTarget({ shared: true });
    t = await TestApp.create({
      databaseUrl: target.databaseUrl,
      ...(target.postgresSchema ? { postgresSchema: target.postgresSchema } : {}),
    });
    // TLS checks device certificates against the wall clock.
    t.clock.set(Date.now());
    manufacturerId = (await t.setup()).organisationId;
    care = await t.careOrganisation(manufacturerId);
    keys = await careKeys(care.organisationId);
    listener = await t.deviceListener();
    gateway = await enrol(care.organisationId);
    dataKey = await dataKeyFor(keys);
    pseudonym = await keys.pseudonym('MRN 0042');
  });
  after(async () => {
    for (const g of gateways) g.close();
    await t.close();
    await target.dispose();
  });

  describe('when the gateway fetches the key manifest', () => {
    it('answers ERR_MANIFEST_NOT_FOUND before the care organisation published one', async () => {
      const answer = await gateway.call('GET', '/device/v1/key-manifest');
      assert.equal(answer.status, 404);
      assert.equal(answer.code, 'ERR_MANIFEST_NOT_FOUND');
    });

    it("serves the care organisation's latest manifest with the signing key's fingerprint", async () => {
      const admin = TestAgent.withToken(t.app, care.adminToken);
      for (let i = 0; i < 2; i++) {
        const published = await admin.request(
          'PUT',
          `/api/v1/organisations/${care.organisationId}/key-manifest`,
          {
            jws: await keys.manifest(new Date(t.clock.now())),
            signingPublicJwk: keys.signing.publicJwk,
          },
        );
        assert.equal(published.status, 200, published.code);
      }
      const answer = await gateway.call('GET', '/device/v1/key-manifest');
      assert.equal(answer.status, 200, answer.text);
      const manifest = answer.json<{
        jws: string;
        version: number;
        signingKeyFingerprint: string;
        signingPublicJwk: unknown;
      }>();
      assert.equal(manifest.version, 2);
      assert.equal(manifest.signingKeyFingerprint, keys.signing.kid);
      assert.deepEqual(manifest.signingPublicJwk, keys.signing.publicJwk);
    });
  });

  describe('when the gateway uploads a wrapped data key', () => {
    it('stores it (201), and the same bytes again are a duplicate (200)', async () => {
      const first = await gateway.call('PUT', `/device/v1/data-keys/${dataKey.kid}`, {
        jwe: dataKey.wrapped,
      });
      assert.equal(first.status, 201, first.text);
      assert.deepEqual(first.json(), { kid: dataKey.kid, status: 'stored' });
      const again = await gateway.call('PUT', `/device/v1/data-keys/${dataKey.kid}`, {
        jwe: dataKey.wrapped,
      });
      assert.equal(again.status, 200);
      assert.deepEqual(again.json(), { kid: dataKey.kid, status: 'duplicate' });
    });

    it('refuses other bytes under a stored kid with ERR_DATA_KEY_CONFLICT', async () => {
      const altered = { ...dataKey.wrapped, ciphertext: `${dataKey.wrapped.ciphertext}AA` };
      const answer = await gateway.call('PUT', `/device/v1/data-keys/${dataKey.kid}`, {
        jwe: altered,
      });
      assert.equal(answer.status, 409);
      assert.equal(answer.code, 'ERR_DATA_KEY_CONFLICT');
      // The wrapped key names its kid in the protected header, so it cannot be relabelled either.
      const other = await dataKeyFor(keys);
      const relabelled = await gateway.call('PUT', `/device/v1/data-keys/${dataKey.kid}`, {
        jwe: other.wrapped,
      });
      assert.equal(relabelled.code, 'ERR_PROTECT_KEY_MISMATCH');
    });

    it('refuses a key wrapped for another organisation, or another kind of JWE', async () => {
      const otherCare = await t.careOrganisation(manufacturerId);
      const foreign = await newDataKey({
        organisationId: otherCare.organisationId,
        epoch: 1,
        teamPublicJwk: keys.epoch.teamKey.publicJwk,
        recoveryPublicJwk: keys.recovery.publicJwk,
      });
      const answer = await gateway.call('PUT', `/device/v1/data-keys/${foreign.kid}`, {
        jwe: foreign.wrapped,
      });
      assert.equal(answer.status, 400);
      assert.equal(answer.code, 'ERR_PROTECT_KEY_MISMATCH');
      const teamKey = await gateway.call('PUT', `/device/v1/data-keys/${foreign.kid}`, {
        jwe: keys.epoch.wrapped,
      });
      assert.equal(teamKey.code, 'ERR_PROTECT_KEY_MISMATCH');
      const notJwe = await gateway.call('PUT', `/device/v1/data-keys/${foreign.kid}`, {
        jwe: { protected: 'e30', iv: 'a', ciphertext: 'b', tag: 'c' },
      });
      assert.equal(notJwe.code, 'ERR_REQUEST_INVALID');
    });
  });

  describe('when the gateway posts a batch', () => {
    it('stores a new one (201 stored) with the metadata of its header', async () => {
      const jwe = await batchOf({ gateway, dataKey, sequence: 1, pseudonym, start });
      const answer = await gateway.postBatch(jwe);
      assert.equal(answer.status, 201, answer.text);
      assert.deepEqual(answer.json(), { status: 'stored', sequence: 1 });
      const [stored] = (
        await t.services.telemetry.batches(OPERATOR, care.organisationId, { limit: 10 })
      ).batches;
      const header = structureOfBatch(jwe);
      assert.equal(stored?.jwe, jwe, 'the ciphertext exactly as sent');
      assert.equal(stored.sha256, createHash('sha256').update(jwe).digest('hex'));
      assert.equal(stored.size, jwe.length);
      assert.equal(stored.deviceId, gateway.deviceId);
      assert.equal(stored.pseudonym, pseudonym);
      assert.equal(stored.kid, dataKey.kid);
      assert.equal(stored.fromAt, Date.parse(header.from));
      assert.equal(stored.toAt, Date.parse(header.to));
      assert.equal(stored.toAt - stored.fromAt, 2 * 60_000);
    });

    it('answers the same bytes again with 200 duplicate and stores nothing more', async () => {
      const jwe = await batchOf({ gateway, dataKey, sequence: 2, pseudonym, start });
      assert.equal((await gateway.postBatch(jwe)).status, 201);
      const again = await gateway.postBatch(jwe);
      assert.equal(again.status, 200);
      assert.deepEqual(again.json(), { status: 'duplicate', sequence: 2 });
      assert.equal(await batchCount(gateway.deviceId), 2);
    });

    it('refuses other bytes under a used sequence with ERR_BATCH_CONFLICT, and audits it', async () => {
      const other = await batchOf({
        gateway,
        dataKey,
        sequence: 2,
        pseudonym,
        start,
        firstValue: 90,
      });
      const answer = await gateway.postBatch(other);
      assert.equal(answer.status, 409);
      assert.equal(answer.code, 'ERR_BATCH_CONFLICT');
      const events = await t.store.listAuditEvents({ organisationId: manufacturerId, limit: 1000 });
      const conflict = events.find((e) => e.type === 'telemetry.batch.conflict');
      assert.equal(conflict?.target?.id, gateway.deviceId);
      assert.equal(conflict.details?.['sequence'], 2);
      assert.equal(await batchCount(gateway.deviceId), 2, 'the first batch stays');
    });

    it('refuses a header naming another device or organisation with ERR_BATCH_BINDING', async () => {
      const otherDevice = await batchOf({
        gateway,
        dataKey,
        deviceId: crypto.randomUUID(),
        sequence: 3,
        pseudonym,
        start,
      });
      const byDevice = await gateway.postBatch(otherDevice);
      assert.equal(byDevice.status, 422);
      assert.equal(byDevice.code, 'ERR_BATCH_BINDING');

      const foreignKey = await newDataKey({
        organisationId: manufacturerId,
        epoch: 1,
        teamPublicJwk: keys.epoch.teamKey.publicJwk,
        recoveryPublicJwk: keys.recovery.publicJwk,
      });
      const otherOrganisation = await batchOf({
        gateway,
        dataKey: foreignKey,
        sequence: 3,
        pseudonym,
        start,
      });
      const byOrganisation = await gateway.postBatch(otherOrganisation);
      assert.equal(byOrganisation.code, 'ERR_BATCH_BINDING');
      const events = await t.store.listAuditEvents({ organisationId: manufacturerId, limit: 1000 });
      assert.equal(events.filter((e) => e.type === 'telemetry.batch.refused').length, 2);
    });

    it('refuses a batch under a data key it has not uploaded with ERR_DATA_KEY_UNKNOWN', async () => {
      const unknown = await dataKeyFor(keys);
      const answer = await gateway.postBatch(
        await batchOf({ gateway, dataKey: unknown, sequence: 3, pseudonym, start }),
      );
      assert.equal(answer.status, 422);
      assert.equal(answer.code, 'ERR_DATA_KEY_UNKNOWN');
    });

    it('refuses a header whose epoch is not its data key’s with ERR_BATCH_BINDING', async () => {
      const answer = await gateway.postBatch(
        await batchOf({
          gateway,
          dataKey: { ...dataKey, epoch: dataKey.epoch + 1 },
          sequence: 3,
          pseudonym,
          start,
        }),
      );
      assert.equal(answer.code, 'ERR_BATCH_BINDING');
    });

    it('refuses what is not a protected batch with ERR_BATCH_MALFORMED', async () => {
      for (const body of ['not a jwe', 'a.b.c.d.e', 'x'.repeat(100)]) {
        const answer = await gateway.postBatch(body);
        assert.equal(answer.status, 400, body);
        assert.equal(answer.code, 'ERR_BATCH_MALFORMED', body);
      }
      // `{}` as the header: no alg/enc, refused before anything else is read (RFC 8725 §3.1).
      const noAlgorithm = await gateway.postBatch('e30.x.y.z.w');
      assert.equal(noAlgorithm.code, 'ERR_PROTECT_ALGORITHM_REFUSED');
      const asJson = await gateway.call('POST', '/device/v1/batches', { jwe: 'x' });
      assert.equal(asJson.code, 'ERR_REQUEST_INVALID');
    });

    it('refuses a batch with any byte outside ASCII as ERR_BATCH_MALFORMED, and stores nothing', async () => {
      // The body is read as bytes and decoded as Latin-1: a multi-byte character must not
      // turn into something that passes, wherever it sits.
      const real = await batchOf({ gateway, dataKey, sequence: 90, pseudonym, start });
      for (const at of [5, real.indexOf('..') + 4, real.length >> 1, real.length - 3]) {
        for (const character of ['é', '\u00ff', '€', '\u{1f600}']) {
          const forged = real.slice(0, at) + character + real.slice(at + 1);
          const answer = await gateway.postBatch(forged);
          assert.equal(answer.code, 'ERR_BATCH_MALFORMED', `${character} at ${at}`);
        }
      }
      assert.equal(await t.store.getBatchDigest(gateway.deviceId, 90), undefined);
      assert.equal((await gateway.postBatch(real)).status, 201);
    });

    it(`refuses a body over ${MAX_BATCH_BYTES} bytes with 413 ERR_BATCH_TOO_LARGE`, async () => {
      const answer = await gateway.postBatch('a'.repeat(MAX_BATCH_BYTES + 1));
      assert.equal(answer.status, 413);
      assert.equal(answer.code, 'ERR_BATCH_TOO_LARGE');
      assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
    });

    it('keeps sequences per device: another gateway may use sequence 1 too', async () => {
      const second = await enrol(care.organisationId);
      const key = await dataKeyFor(keys);
      assert.equal(
        (await second.call('PUT', `/device/v1/data-keys/${key.kid}`, { jwe: key.wrapped })).status,
        201,
      );
      const answer = await second.postBatch(
        await batchOf({ gateway: second, dataKey: key, sequence: 1, pseudonym, start }),
      );
      assert.equal(answer.status, 201, answer.text);
    });
  });

  describe('when the device may not upload readings', () => {
    it('refuses a device whose enrolment named no care organisation with ERR_DEVICE_NOT_ASSIGNED', async () => {
      const unassigned = await enrol();
      for (const [method, path, body] of [
        ['GET', '/device/v1/key-manifest', undefined],
        ['PUT', `/device/v1/data-keys/${dataKey.kid}`, { jwe: dataKey.wrapped }],
        ['PUT', '/device/v1/pseudonym-table', { jwe: await sealedTable(keys, 'MRN 1') }],
      ] as const) {
        const answer = await unassigned.call(method, path, body);
        assert.equal(answer.status, 409, path);
        assert.equal(answer.code, 'ERR_DEVICE_NOT_ASSIGNED', path);
      }
      const batch = await unassigned.postBatch(
        await batchOf({ gateway: unassigned, dataKey, sequence: 1, pseudonym, start }),
      );
      assert.equal(batch.code, 'ERR_DEVICE_NOT_ASSIGNED');
    });

    it('refuses a quarantined device (ERR_DEVICE_QUARANTINED) and a revoked one (ERR_DEVICE_REVOKED)', async () => {
      const device = await enrol(care.organisationId);
      const key = await dataKeyFor(keys);
      await device.call('PUT', `/device/v1/data-keys/${key.kid}`, { jwe: key.wrapped });
      const batch = await batchOf({ gateway: device, dataKey: key, sequence: 1, pseudonym, start });
      const context = systemContext('test');
      await t.services.devices.setStatus(
        OPERATOR,
        manufacturerId,
        device.deviceId,
        'quarantine',
        context,
      );
      const quarantined = await device.postBatch(batch);
      assert.equal(quarantined.status, 403);
      assert.equal(quarantined.code, 'ERR_DEVICE_QUARANTINED');
      assert.equal(
        (await device.call('GET', '/device/v1/key-manifest')).code,
        'ERR_DEVICE_QUARANTINED',
      );
      await t.services.devices.setStatus(
        OPERATOR,
        manufacturerId,
        device.deviceId,
        'revoke',
        context,
      );
      assert.equal((await device.postBatch(batch)).code, 'ERR_DEVICE_REVOKED');
      assert.equal(await batchCount(device.deviceId), 0);
    });
  });

  describe('when the gateway uploads its pseudonym table', () => {
    it('keeps the latest staff copy and counts versions', async () => {
      const first = await gateway.call('PUT', '/device/v1/pseudonym-table', {
        jwe: await sealedTable(keys, 'MRN 0042'),
      });
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(first.json(), { version: 1 });
      const second = await gateway.call('PUT', '/device/v1/pseudonym-table', {
        jwe: await sealedTable(keys, 'MRN 0043'),
      });
      assert.deepEqual(second.json(), { version: 2 });
      const tables = await t.services.telemetry.pseudonymTables(OPERATOR, care.organisationId);
      assert.deepEqual(
        tables.map((x) => [x.deviceId, x.version]),
        [[gateway.deviceId, 2]],
      );
    });

    it('refuses a table sealed for another organisation', async () => {
      const other = await careKeys(manufacturerId);
      const answer = await gateway.call('PUT', '/device/v1/pseudonym-table', {
        jwe: await sealedTable(other, 'MRN 7'),
      });
      assert.equal(answer.code, 'ERR_PROTECT_KEY_MISMATCH');
    });
  });

  describe('when the gateway raises a queue alarm', () => {
    it('answers 202 and records device.queue.alarm for its manufacturer', async () => {
      const answer = await gateway.call('POST', '/device/v1/alarms', {
        kind: 'queue-critical',
        count: 9_000,
        bytes: 123_456,
      });
      assert.equal(answer.status, 202, answer.text);
      const events = await t.store.listAuditEvents({ organisationId: manufacturerId, limit: 1000 });
      const alarm = events.find((e) => e.type === 'device.queue.alarm');
      assert.equal(alarm?.details?.['kind'], 'queue-critical');
      assert.equal(alarm.details?.['count'], 9_000);
      assert.equal(alarm.outcome, 'failure');
      const bad = await gateway.call('POST', '/device/v1/alarms', {
        kind: 'full',
        count: 1,
        bytes: 1,
      });
      assert.equal(bad.code, 'ERR_REQUEST_INVALID');
    });
  });
});

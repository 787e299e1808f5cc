import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { forEachEngine } from '@vigil/testkit';
import type { BatchRow, Store } from '../../src/store/index.js';
import { NOW, digest, hospital, manufacturer } from './fixtures.js';

/**
 * The ingest hot path: a group of batches goes in as one INSERT, and each row
 * learns whether it was stored or found its (device, sequence) taken.
 */
async function deviceOf(store: Store): Promise<{ organisationId: string; deviceId: string }> {
  const maker = await manufacturer(store);
  const care = await hospital(store, maker.id);
  const device = await store.createDevice({
    id: randomUUID(),
    organisationId: maker.id,
    careOrganisationId: care.id,
    model: 'gateway',
    hardwareRevision: null,
    serialNumber: `SN-${randomUUID()}`,
    site: null,
    status: 'active',
    certSerial: '01',
    certNotAfter: NOW + 86_400_000,
    hardwareAttested: false,
    enrolledAt: NOW,
    enrolmentTokenId: null,
  });
  return { organisationId: care.id, deviceId: device.id };
}

function batch(
  owner: { organisationId: string; deviceId: string },
  sequence: number,
  label = `batch-${sequence}`,
): BatchRow {
  return {
    id: randomUUID(),
    ...owner,
    sequence,
    pseudonym: 'p1_mfrggzdfmztwq2lknnwg23tpobyxe43u',
    epoch: 1,
    kid: 'dk_AAAAAAAAAAAAAAAAAAAAAA',
    fromAt: NOW,
    toAt: NOW,
    createdAt: NOW,
    receivedAt: NOW,
    size: label.length,
    sha256: digest(label),
    jwe: label,
    devicePublicJwk: null,
  };
}

forEachEngine('the store: protected batches', (engine) => {
  describe('when a group of batches is inserted', () => {
    it('stores each new one and reports every row in order', async () => {
      const store = await (await engine.createTarget()).open();
      const owner = await deviceOf(store);
      const rows = [3, 1, 2].map((sequence) => batch(owner, sequence));
      assert.deepEqual(await store.insertBatches(rows), [true, true, true]);
      for (const row of rows) {
        assert.equal(await store.getBatchDigest(owner.deviceId, row.sequence), row.sha256);
      }
    });

    it('does not store a row whose (device, sequence) is taken, and keeps the first bytes', async () => {
      const store = await (await engine.createTarget()).open();
      const owner = await deviceOf(store);
      assert.equal(await store.insertBatch(batch(owner, 1, 'first')), true);
      const again = [batch(owner, 1, 'other bytes'), batch(owner, 2)];
      assert.deepEqual(await store.insertBatches(again), [false, true]);
      assert.equal(await store.getBatchDigest(owner.deviceId, 1), digest('first'));
    });

    it('stores only one of two rows with the same (device, sequence) in one group', async () => {
      const store = await (await engine.createTarget()).open();
      const owner = await deviceOf(store);
      const twins = [batch(owner, 7, 'one'), batch(owner, 7, 'two')];
      const stored = await store.insertBatches(twins);
      assert.equal(stored.filter(Boolean).length, 1);
      const winner = twins[stored.indexOf(true)];
      assert.equal(await store.getBatchDigest(owner.deviceId, 7), winner?.sha256);
    });

    it('answers an empty group with no results', async () => {
      const store = await (await engine.createTarget()).open();
      assert.deepEqual(await store.insertBatches([]), []);
    });
  });
});

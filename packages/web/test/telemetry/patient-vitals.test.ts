import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { generateKeyPair } from '@vigil/protect';
import { ApiError } from '../../src/api/api-error.js';
import { loadPatientVitals } from '../../src/telemetry/patient-vitals.js';
import {
  FakeSource,
  MINUTE,
  OTHER_DEVICE_ID,
  OTHER_PATIENT,
  PATIENT,
  T0,
  clinicianKeyring,
  makeCareWorld,
  storedBatch,
  type CareWorld,
} from './care-world.js';

function heartRates(...pairs: [minutes: number, value: number][]) {
  return pairs.map(([minutes, value]) => ({ kind: 'heart-rate' as const, minutes, value }));
}

function codes(vitals: Awaited<ReturnType<typeof loadPatientVitals>>) {
  return vitals.failures.map(({ batch, failure }) => [batch.sequence, failure.code]);
}

describe('loading a patient’s vital signs in the browser', () => {
  let world: CareWorld;

  before(async () => {
    world = await makeCareWorld();
  });

  describe('when every batch opens with the clinician’s key', () => {
    it('charts each kind over time with the exact decrypted values, oldest first', async () => {
      const source = new FakeSource(world);
      source.batchList = [
        await storedBatch(world, {
          sequence: 1,
          readings: [
            ...heartRates([0, 72], [5, 75]),
            { kind: 'blood-pressure', minutes: 0, value: { systolic: 121, diastolic: 79 } },
            { kind: 'body-temperature', minutes: 0, value: 37.2 },
          ],
        }),
        await storedBatch(world, {
          sequence: 2,
          readings: [
            ...heartRates([10, 81], [15, 68]),
            { kind: 'oxygen-saturation', minutes: 10, value: 97 },
            { kind: 'respiratory-rate', minutes: 10, value: 16 },
          ],
        }),
      ];
      const vitals = await loadPatientVitals(source, await clinicianKeyring(world, source), {
        pseudonym: PATIENT,
      });

      assert.deepEqual(vitals.failures, []);
      assert.equal(vitals.batchCount, 2);
      assert.deepEqual(
        vitals.charts.map((c) => [c.kind, c.unit]),
        [
          ['heart-rate', '/min'],
          ['oxygen-saturation', '%'],
          ['blood-pressure', 'mm[Hg]'],
          ['body-temperature', 'Cel'],
          ['respiratory-rate', '/min'],
        ],
      );
      const heart = vitals.charts[0];
      assert.deepEqual(
        heart?.lines[0]?.readings.map((r) => [(r.time - T0) / MINUTE, r.value]),
        [
          [0, 72],
          [5, 75],
          [10, 81],
          [15, 68],
        ],
      );
      const pressure = vitals.charts.find((c) => c.kind === 'blood-pressure');
      assert.deepEqual(pressure?.rows, [{ time: T0, values: { systolic: 121, diastolic: 79 } }]);
      assert.deepEqual(
        pressure?.lines.map((l) => l.id),
        ['systolic', 'diastolic'],
      );
      assert.equal(
        vitals.charts.find((c) => c.kind === 'body-temperature')?.rows[0]?.values.value,
        37.2,
      );
      assert.equal(vitals.readingCount, 8);
      assert.deepEqual(vitals.timeDomain, [T0, T0 + 15 * MINUTE]);
    });

    it('fetches the team key once and all data keys in one request', async () => {
      const source = new FakeSource(world);
      source.batchList = await Promise.all(
        [1, 2, 3].map((sequence) =>
          storedBatch(world, { sequence, readings: heartRates([sequence, 70 + sequence]) }),
        ),
      );
      await loadPatientVitals(source, await clinicianKeyring(world, source), {
        pseudonym: PATIENT,
      });
      assert.equal(source.calls.teamKeys, 1);
      assert.deepEqual(source.calls.dataKeys, [[world.dataKey1.kid]]);
    });

    it('follows the pages the server returns, and stops at the limit it is given', async () => {
      const source = new FakeSource(world);
      source.pageSize = 2;
      source.batchList = await Promise.all(
        [1, 2, 3, 4, 5].map((sequence) =>
          storedBatch(world, { sequence, readings: heartRates([sequence, 60 + sequence]) }),
        ),
      );
      const keyring = await clinicianKeyring(world, source);
      const all = await loadPatientVitals(source, keyring, { pseudonym: PATIENT });
      assert.equal(all.batchCount, 5);
      assert.equal(all.truncated, false);
      assert.deepEqual(
        source.calls.batches.map((q) => q.after),
        [undefined, '2', '4'],
      );

      const capped = await loadPatientVitals(
        source,
        keyring,
        { pseudonym: PATIENT },
        { maxBatches: 3 },
      );
      assert.equal(capped.batchCount, 3);
      assert.equal(capped.truncated, true);
      assert.deepEqual(
        capped.charts[0]?.lines[0]?.readings.map((r) => r.value),
        [61, 62, 63],
      );
    });

    it('leaves out readings outside the period when a batch straddles it', async () => {
      const source = new FakeSource(world);
      source.batchList = [
        await storedBatch(world, {
          sequence: 1,
          readings: heartRates([0, 70], [30, 71], [60, 72]),
        }),
      ];
      const vitals = await loadPatientVitals(source, await clinicianKeyring(world, source), {
        pseudonym: PATIENT,
        from: T0 + 10 * MINUTE,
      });
      assert.deepEqual(source.calls.batches[0]?.from, T0 + 10 * MINUTE);
      assert.deepEqual(
        vitals.charts[0]?.lines[0]?.readings.map((r) => r.value),
        [71, 72],
      );
    });
  });

  describe('when some batches cannot be read', () => {
    it('reports each with its code and still charts every batch that opened', async () => {
      const source = new FakeSource(world);
      const good = await storedBatch(world, { sequence: 1, readings: heartRates([0, 64]) });
      const forged = await storedBatch(world, {
        sequence: 2,
        readings: heartRates([1, 180]),
        signer: world.otherDevice,
      });
      const unlisted = await storedBatch(world, {
        sequence: 3,
        readings: heartRates([2, 181]),
        listedKey: null,
      });
      const laterEpoch = await storedBatch(world, {
        sequence: 4,
        readings: heartRates([3, 182]),
        dataKey: world.dataKey2,
      });
      const alsoGood = await storedBatch(world, { sequence: 5, readings: heartRates([4, 183]) });
      const [header, , iv, ciphertext, tag] = good.jwe.split('.');
      const altered = {
        ...good,
        id: 'altered',
        sequence: 6,
        jwe: [header, '', iv, flipFirstCharacter(ciphertext ?? ''), tag].join('.'),
      };
      source.batchList = [good, forged, unlisted, laterEpoch, alsoGood, altered];

      const vitals = await loadPatientVitals(source, await clinicianKeyring(world, source), {
        pseudonym: PATIENT,
      });

      assert.deepEqual(codes(vitals), [
        [2, 'ERR_BATCH_SIGNATURE'],
        [3, 'ERR_BATCH_SIGNATURE'],
        [4, 'ERR_PROTECT_NOT_A_RECIPIENT'],
        [6, 'ERR_BATCH_DECRYPTION_FAILED'],
      ]);
      assert.deepEqual(
        vitals.charts[0]?.lines[0]?.readings.map((r) => r.value),
        [64, 183],
      );
      assert.equal(vitals.batchCount, 6);
    });

    it('refuses a batch of another patient that the server listed under this one', async () => {
      const source = new FakeSource(world);
      const other = await storedBatch(world, {
        sequence: 1,
        readings: heartRates([0, 99]),
        pseudonym: OTHER_PATIENT,
      });
      source.batchList = [{ ...other, pseudonym: PATIENT }];
      const vitals = await loadPatientVitals(source, await clinicianKeyring(world, source), {
        pseudonym: PATIENT,
      });
      assert.deepEqual(codes(vitals), [[1, 'ERR_BATCH_BINDING']]);
      assert.deepEqual(vitals.charts, []);
    });

    it('refuses a batch that the server attributes to another device', async () => {
      const source = new FakeSource(world);
      const batch = await storedBatch(world, { sequence: 1, readings: heartRates([0, 99]) });
      source.batchList = [
        { ...batch, deviceId: OTHER_DEVICE_ID, devicePublicJwk: world.otherDevice.publicJwk },
      ];
      const vitals = await loadPatientVitals(source, await clinicianKeyring(world, source), {
        pseudonym: PATIENT,
      });
      assert.deepEqual(codes(vitals), [[1, 'ERR_BATCH_SIGNATURE']]);
    });

    it('says ERR_BATCH_KEY_UNKNOWN when the server has no data key or team key for it', async () => {
      const source = new FakeSource(world);
      source.dataKeyList = [];
      source.batchList = [await storedBatch(world, { sequence: 1, readings: heartRates([0, 70]) })];
      const noDataKey = await loadPatientVitals(source, await clinicianKeyring(world, source), {
        pseudonym: PATIENT,
      });
      assert.deepEqual(codes(noDataKey), [[1, 'ERR_BATCH_KEY_UNKNOWN']]);

      const noTeamKey = new FakeSource(world);
      noTeamKey.teamKeyList = [];
      noTeamKey.batchList = source.batchList;
      const vitals = await loadPatientVitals(noTeamKey, await clinicianKeyring(world, noTeamKey), {
        pseudonym: PATIENT,
      });
      assert.deepEqual(codes(vitals), [[1, 'ERR_BATCH_KEY_UNKNOWN']]);
    });

    it('says ERR_PROTECT_NOT_A_RECIPIENT for someone else’s member key', async () => {
      const source = new FakeSource(world);
      source.batchList = [await storedBatch(world, { sequence: 1, readings: heartRates([0, 70]) })];
      const stranger = { ...world, clinician: await generateKeyPair() };
      const vitals = await loadPatientVitals(source, await clinicianKeyring(stranger, source), {
        pseudonym: PATIENT,
      });
      assert.deepEqual(codes(vitals), [[1, 'ERR_PROTECT_NOT_A_RECIPIENT']]);
    });
  });

  describe('when a request fails', () => {
    it('rejects with the API error, and the next attempt fetches again', async () => {
      const source = new FakeSource(world);
      source.batchList = [await storedBatch(world, { sequence: 1, readings: heartRates([0, 70]) })];
      const keyring = await clinicianKeyring(world, source);
      source.failNext = new ApiError({ code: 'ERR_CLIENT_NETWORK', status: 0, title: 'Offline.' });
      await assert.rejects(
        loadPatientVitals(source, keyring, { pseudonym: PATIENT }),
        (error: unknown) => error instanceof ApiError && error.code === 'ERR_CLIENT_NETWORK',
      );
      const vitals = await loadPatientVitals(source, keyring, { pseudonym: PATIENT });
      assert.deepEqual(codes(vitals), []);
      assert.deepEqual(
        vitals.charts[0]?.lines[0]?.readings.map((r) => r.value),
        [70],
      );
    });
  });
});

function flipFirstCharacter(segment: string): string {
  const first = segment[0] === 'A' ? 'B' : 'A';
  return first + segment.slice(1);
}

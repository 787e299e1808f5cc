import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DeviceReadingSchedule,
  type PatientReadings,
} from '../../src/simulate/device-reading-schedule.js';
import { syntheticPatient } from '../../src/simulate/synthetic-patients.js';
import { VitalSignStream } from '../../src/simulate/vital-sign-stream.js';

const START = Date.UTC(2026, 5, 1, 8, 0, 0);

function schedule(ratePerSecond: number, patients = 2) {
  const streams = Array.from(
    { length: patients },
    (_, i) => new VitalSignStream({ patient: syntheticPatient(1, i), start: new Date(START) }),
  );
  return new DeviceReadingSchedule({ streams, start: START, ratePerSecond });
}

describe('a device’s reading schedule', () => {
  describe('at 10 readings a second over 2 patients', () => {
    it('takes a reading every 100 ms, alternating between the patients', () => {
      const s = schedule(10);
      const due = s.due(START + 1_000);
      assert.equal(s.taken, 11); // at 0, 100, …, 1000 ms
      assert.deepEqual(
        due.map((d) => [d.patient.identifier, d.readings.length]),
        [
          ['MRN-SIM-000001', 6],
          ['MRN-SIM-000002', 5],
        ],
      );
      assert.deepEqual(
        due[0]?.readings.map((r) => r.effective.getTime() - START),
        [0, 200, 400, 600, 800, 1_000],
      );
      assert.deepEqual(s.due(START + 1_099), []);
    });
  });

  describe('when it is asked late', () => {
    it('catches up with the same readings it would have given on time', () => {
      const onTime = schedule(7, 3);
      const late = schedule(7, 3);
      const stepwise: PatientReadings[] = [];
      for (let t = START; t <= START + 10_000; t += 250) stepwise.push(...onTime.due(t));
      const flatten = (groups: typeof stepwise) =>
        groups
          .flatMap((g) => g.readings.map((r) => ({ id: g.patient.identifier, ...r })))
          .sort((a, b) => a.effective.getTime() - b.effective.getTime());
      assert.deepEqual(flatten(late.due(START + 10_000)), flatten(stepwise));
      assert.equal(late.taken, 71);
    });
  });

  it('refuses a device without patients or a rate that is not positive', () => {
    assert.throws(
      () => new DeviceReadingSchedule({ streams: [], start: START, ratePerSecond: 1 }),
      RangeError,
    );
    assert.throws(() => schedule(0), RangeError);
  });
});

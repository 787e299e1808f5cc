import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { vitalSignObservation, type VitalSignKind } from '@vigil/protect';
import { syntheticPatient } from '../../src/simulate/synthetic-patients.js';
import {
  VitalSignStream,
  type TimedReading,
  type VitalSignStreamOptions,
} from '../../src/simulate/vital-sign-stream.js';
import {
  CHANNEL_MODELS,
  CHANNELS,
  MIN_PULSE_PRESSURE,
  type Channel,
} from '../../src/simulate/vital-sign-model.js';

const START = new Date(Date.UTC(2026, 5, 1, 0, 0, 0));
const PSEUDONYM = `p1_${'a'.repeat(32)}`;
const DEVICE_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

function stream(seed: number, index: number, options: Partial<VitalSignStreamOptions> = {}) {
  return new VitalSignStream({ patient: syntheticPatient(seed, index), start: START, ...options });
}

/** `count` readings of the patient's cycle, `stepMs` apart, starting at START. */
function run(s: VitalSignStream, count: number, stepMs: number): TimedReading[] {
  return Array.from({ length: count }, (_, i) => s.next(new Date(START.getTime() + i * stepMs)));
}

function values(readings: readonly TimedReading[], kind: VitalSignKind): number[] {
  return readings.flatMap((r) => (r.kind === kind && typeof r.value === 'number' ? [r.value] : []));
}

/** What the device would report, as the gateway's FHIR builder and our validator see it. */
function assertAccepted(reading: TimedReading): void {
  vitalSignObservation({ ...reading, pseudonym: PSEUDONYM, deviceId: DEVICE_ID });
}

function decimals(x: number): number {
  return (String(x).split('.')[1] ?? '').length;
}

describe('a synthetic patient’s vital-sign stream', () => {
  describe('when it is run twice with the same seed', () => {
    it('gives identical readings', () => {
      fc.assert(
        fc.property(fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 999 }), (seed, index) => {
          const options = { episodesPerHour: 6 };
          assert.deepEqual(
            run(stream(seed, index, options), 300, 5_000),
            run(stream(seed, index, options), 300, 5_000),
          );
        }),
        { numRuns: 30 },
      );
    });
  });

  describe('when seeds or patients differ', () => {
    it('gives different readings', () => {
      const a = JSON.stringify(run(stream(1, 0), 100, 1_000));
      assert.notEqual(a, JSON.stringify(run(stream(2, 0), 100, 1_000)));
      assert.notEqual(a, JSON.stringify(run(stream(1, 1), 100, 1_000)));
    });
  });

  describe('when one kind is asked for more often', () => {
    it('leaves the readings of the other kinds unchanged', () => {
      const times = Array.from({ length: 50 }, (_, i) => new Date(START.getTime() + i * 60_000));
      const plain = stream(3, 4);
      const busy = stream(3, 4);
      for (const at of times) {
        busy.reading('heart-rate', at);
        busy.reading('heart-rate', at);
        assert.deepEqual(
          busy.reading('body-temperature', at),
          plain.reading('body-temperature', at),
        );
      }
    });
  });

  describe('over long runs, with episodes, odd intervals and any starting drift', () => {
    it('always reports values the FHIR validators accept, at device precision', () => {
      const drift = fc.record(
        Object.fromEntries(
          CHANNELS.map((c) => [c, fc.double({ min: -10, max: 10, noNaN: true })]),
        ) as Record<Channel, fc.Arbitrary<number>>,
      );
      fc.assert(
        fc.property(
          fc.nat({ max: 0xffff_ffff }),
          fc.nat({ max: 5_000 }),
          fc.double({ min: 0, max: 30, noNaN: true }),
          fc.integer({ min: 200, max: 120_000 }),
          fc.integer({ min: -720, max: 840 }),
          drift,
          (seed, index, episodesPerHour, stepMs, utcOffsetMinutes, sigmas) => {
            const initialDrift = Object.fromEntries(
              CHANNELS.map((c) => [c, sigmas[c] * CHANNEL_MODELS[c].driftSd]),
            );
            const s = stream(seed, index, { episodesPerHour, utcOffsetMinutes, initialDrift });
            for (const reading of run(s, 2_000, stepMs)) {
              assertAccepted(reading);
              if (reading.kind === 'blood-pressure') {
                const { systolic, diastolic } = reading.value;
                assert.ok(Number.isInteger(systolic) && Number.isInteger(diastolic));
                assert.ok(systolic - diastolic >= MIN_PULSE_PRESSURE, JSON.stringify(reading));
                assert.ok(systolic >= 70 && systolic <= 220 && diastolic >= 40 && diastolic <= 130);
              } else if (reading.kind === 'body-temperature') {
                assert.ok(decimals(reading.value) <= 1, String(reading.value));
              } else {
                assert.ok(Number.isInteger(reading.value), JSON.stringify(reading));
              }
            }
          },
        ),
        { numRuns: 40 },
      );
    });

    it('keeps a calm patient near their baseline over a day', () => {
      for (let index = 0; index < 20; index += 1) {
        const s = stream(9, index, { episodesPerHour: 0 });
        const readings = run(s, 24 * 60 * 12, 5_000);
        const { baseline } = s.patient;
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        assert.ok(Math.abs(mean(values(readings, 'heart-rate')) - baseline.heartRate) < 2.5);
        assert.ok(
          Math.abs(mean(values(readings, 'body-temperature')) - baseline.temperature) < 0.15,
        );
        const spo2 = values(readings, 'oxygen-saturation');
        assert.ok(Math.abs(mean(spo2) - baseline.oxygenSaturation) < 1);
        assert.ok(Math.max(...spo2) <= 100 && Math.min(...spo2) >= 90, `${Math.min(...spo2)}`);
      }
    });
  });

  describe('when a patient starts far from their baseline', () => {
    it('drifts back with the channel’s time constant (Ornstein–Uhlenbeck)', () => {
      // Two streams with the same random draws, one starting 40 bpm high: their
      // difference is exactly the decayed start, 40·e^(−t/τ), up to rounding.
      const tau = CHANNEL_MODELS.heartRate.reversionSeconds;
      const calm = stream(5, 2, { episodesPerHour: 0, initialDrift: { heartRate: 0 } });
      const racing = stream(5, 2, { episodesPerHour: 0, initialDrift: { heartRate: 40 } });
      for (let seconds = 0; seconds <= 10 * tau; seconds += 10) {
        const at = new Date(START.getTime() + seconds * 1_000);
        const a = calm.reading('heart-rate', at);
        const b = racing.reading('heart-rate', at);
        assert.ok(typeof a.value === 'number' && typeof b.value === 'number');
        const expected = 40 * Math.exp(-seconds / tau);
        assert.ok(Math.abs(b.value - a.value - expected) <= 1, `${seconds}s: ${b.value - a.value}`);
      }
    });

    it('returns to within the usual scatter after five time constants, on average', () => {
      const tau = CHANNEL_MODELS.heartRate.reversionSeconds;
      let offset = 0;
      const patients = 200;
      for (let index = 0; index < patients; index += 1) {
        const s = stream(11, index, { episodesPerHour: 0, initialDrift: { heartRate: 40 } });
        const at = new Date(START.getTime() + 5 * tau * 1_000);
        const reading = s.reading('heart-rate', at);
        assert.ok(typeof reading.value === 'number');
        // Midnight UTC: the circadian term is amplitude·cos(2π(0 − 16)/24).
        const circadian =
          CHANNEL_MODELS.heartRate.circadianAmplitude * Math.cos((-16 * Math.PI) / 12);
        offset += reading.value - s.patient.baseline.heartRate - circadian;
      }
      assert.ok(Math.abs(offset / patients) < 1.5, `mean offset ${offset / patients}`);
    });
  });

  describe('when episodes are frequent', () => {
    it('shows them in the readings: a tachycardia raises the heart rate', () => {
      let seen = false;
      for (let index = 0; index < 10 && !seen; index += 1) {
        const s = stream(21, index, { episodesPerHour: 4 });
        for (let minute = 0; minute < 6 * 60; minute += 1) {
          const at = new Date(START.getTime() + minute * 60_000);
          if (s.episodeAt(at) !== 'tachycardia') continue;
          const reading = s.reading('heart-rate', new Date(at.getTime() + 1));
          assert.ok(typeof reading.value === 'number');
          if (reading.value > s.patient.baseline.heartRate + 25) seen = true;
        }
      }
      assert.ok(seen, 'no tachycardia with a markedly raised heart rate in 60 patient-hours');
    });
  });

  describe('when asked for a time before the last one', () => {
    it('refuses with a RangeError', () => {
      const s = stream(1, 0);
      s.next(new Date(START.getTime() + 1_000));
      assert.throws(() => s.next(START), RangeError);
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_SYNTHETIC_PATIENTS, syntheticPatient } from '../../src/simulate/synthetic-patients.js';
import {
  CHANNEL_MODELS,
  CHANNELS,
  acceptedRange,
  reported,
} from '../../src/simulate/vital-sign-model.js';

describe('synthetic patients', () => {
  it('get SIM identifiers numbered from 1, six digits wide', () => {
    assert.equal(syntheticPatient(1, 0).identifier, 'MRN-SIM-000001');
    assert.equal(syntheticPatient(1, 122).identifier, 'MRN-SIM-000123');
    assert.equal(syntheticPatient(1, MAX_SYNTHETIC_PATIENTS - 1).identifier, 'MRN-SIM-999999');
    assert.throws(() => syntheticPatient(1, MAX_SYNTHETIC_PATIENTS), RangeError);
    assert.throws(() => syntheticPatient(1, -1), RangeError);
  });

  it('are the same for the same seed and index, with baselines in the resting ranges', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 99_999 }), (seed, index) => {
        const patient = syntheticPatient(seed, index);
        assert.deepEqual(syntheticPatient(seed, index), patient);
        for (const channel of CHANNELS) {
          const [low, high] = CHANNEL_MODELS[channel].baseline;
          const value = patient.baseline[channel];
          assert.ok(value >= low && value <= high, `${channel} ${value}`);
        }
        assert.ok(patient.baseline.systolic - patient.baseline.diastolic >= 10);
        assert.match(patient.displayName, /^[A-Z][a-z]+ [A-Z][a-z]+$/);
      }),
    );
  });

  it('differ between indices of one simulation', () => {
    const seeds = new Set(Array.from({ length: 1_000 }, (_, i) => syntheticPatient(4, i).seed));
    assert.ok(seeds.size > 990);
  });
});

describe('the channel model', () => {
  it('keeps every channel inside the range the FHIR validators accept', () => {
    for (const channel of CHANNELS) {
      const [min, max] = acceptedRange(channel);
      const { limits, baseline } = CHANNEL_MODELS[channel];
      assert.ok(min <= limits[0] && limits[1] <= max, channel);
      assert.ok(limits[0] <= baseline[0] && baseline[1] <= limits[1], channel);
    }
  });

  it('rounds to device precision and clamps to the limits', () => {
    assert.equal(reported('temperature', 36.6549), 36.7);
    assert.equal(reported('temperature', 99), 41);
    assert.equal(reported('heartRate', 71.5), 72);
    assert.equal(reported('oxygenSaturation', 100.4), 100);
    assert.equal(reported('respiratoryRate', -3), 8);
  });
});

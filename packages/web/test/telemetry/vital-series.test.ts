import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { vitalSignObservation, type VitalSignReading } from '@vigil/protect';
import { vitalCharts } from '../../src/telemetry/vital-series.js';
import { DEVICE_ID, MINUTE, PATIENT, T0 } from './care-world.js';

function observation(reading: VitalSignReading, minutes: number) {
  return vitalSignObservation({
    ...reading,
    effective: new Date(T0 + minutes * MINUTE),
    pseudonym: PATIENT,
    deviceId: DEVICE_ID,
  });
}

describe('vital-sign series from FHIR Observations', () => {
  it('groups by LOINC code in the catalogue order, with UCUM units, oldest reading first', () => {
    const { charts, notCharted } = vitalCharts([
      observation({ kind: 'respiratory-rate', value: 18 }, 2),
      observation({ kind: 'heart-rate', value: 88 }, 9),
      observation({ kind: 'heart-rate', value: 71 }, 1),
      observation({ kind: 'oxygen-saturation', value: 96 }, 3),
    ]);
    assert.equal(notCharted, 0);
    assert.deepEqual(
      charts.map((c) => [c.kind, c.title, c.unit, c.unitDisplay]),
      [
        ['heart-rate', 'Heart rate', '/min', 'beats/minute'],
        ['oxygen-saturation', 'Oxygen saturation (SpO₂)', '%', '%'],
        ['respiratory-rate', 'Respiratory rate', '/min', 'breaths/minute'],
      ],
    );
    assert.deepEqual(
      charts[0]?.rows.map((r) => [r.time, r.values]),
      [
        [T0 + MINUTE, { value: 71 }],
        [T0 + 9 * MINUTE, { value: 88 }],
      ],
    );
  });

  it('draws blood pressure as two lines, systolic and diastolic, from one panel each', () => {
    const { charts } = vitalCharts([
      observation({ kind: 'blood-pressure', value: { systolic: 132, diastolic: 84 } }, 0),
      observation({ kind: 'blood-pressure', value: { systolic: 118, diastolic: 76 } }, 30),
    ]);
    const [pressure] = charts;
    assert.equal(pressure?.unit, 'mm[Hg]');
    assert.deepEqual(
      pressure?.lines.map((l) => [l.id, l.label, l.readings.map((r) => r.value)]),
      [
        ['systolic', 'Systolic', [132, 118]],
        ['diastolic', 'Diastolic', [84, 76]],
      ],
    );
  });

  it('counts, and leaves out, what is not a vital sign in its catalogue unit', () => {
    const temperature = observation({ kind: 'body-temperature', value: 37.4 }, 0);
    const inFahrenheit = structuredClone(temperature);
    inFahrenheit.valueQuantity = { ...inFahrenheit.valueQuantity!, code: '[degF]', value: 99.3 };
    const unknownCode = structuredClone(temperature);
    unknownCode.code = { coding: [{ system: 'http://loinc.org', code: '29463-7' }] };
    const noTime = { ...temperature, effectiveDateTime: 'yesterday' };
    const { charts, notCharted } = vitalCharts([
      temperature,
      inFahrenheit,
      unknownCode,
      noTime,
      null,
      'text',
    ]);
    assert.equal(notCharted, 5);
    assert.equal(charts[0]?.unitDisplay, '°C', 'UCUM Cel, shown as °C');
    assert.deepEqual(
      charts.map((c) => c.rows.map((r) => r.values.value)),
      [[37.4]],
    );
  });

  it('keeps only readings inside [from, to]', () => {
    const { charts } = vitalCharts(
      [0, 10, 20, 30].map((m) => observation({ kind: 'heart-rate', value: 60 + m }, m)),
      { from: T0 + 10 * MINUTE, to: T0 + 20 * MINUTE },
    );
    assert.deepEqual(
      charts[0]?.lines[0]?.readings.map((r) => r.value),
      [70, 80],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extent, timeTicks, valueTicks } from '../../src/charts/chart-scales.js';

const HOUR = 3_600_000;

describe('value ticks', () => {
  it('covers the data with round steps', () => {
    assert.deepEqual(valueTicks(61, 88), {
      domain: [60, 90],
      ticks: [60, 70, 80, 90],
      decimals: 0,
    });
    assert.deepEqual(valueTicks(92, 99).ticks, [92, 94, 96, 98, 100]);
  });

  it('uses decimals only when the step needs them', () => {
    const scale = valueTicks(36.4, 37.9);
    assert.equal(scale.decimals, 1);
    assert.deepEqual(scale.ticks, [36, 36.5, 37, 37.5, 38]);
    assert.deepEqual(valueTicks(36.61, 36.93).ticks, [36.6, 36.7, 36.8, 36.9, 37]);
    assert.equal(valueTicks(0.12, 0.19).decimals, 2);
  });

  it('gives a single value room above and below', () => {
    const scale = valueTicks(72, 72);
    assert.ok(scale.domain[0] < 72 && scale.domain[1] > 72, JSON.stringify(scale));
  });
});

describe('time ticks', () => {
  it('falls on whole hours of local time', () => {
    const start = Date.UTC(2026, 0, 1, 8, 10);
    const end = Date.UTC(2026, 0, 1, 13, 50);
    assert.deepEqual(timeTicks(start, end, 0), {
      domain: [start, end],
      step: HOUR,
      ticks: [9, 10, 11, 12, 13].map((h) => Date.UTC(2026, 0, 1, h)),
    });
    // Half an hour ahead of UTC (e.g. UTC+05:30): ticks at local whole hours, UTC half hours.
    const india = timeTicks(start, end, 5.5 * HOUR);
    assert.deepEqual(india.ticks.slice(0, 2), [
      Date.UTC(2026, 0, 1, 8, 30),
      Date.UTC(2026, 0, 1, 9, 30),
    ]);
  });

  it('steps by days over a week, and half an hour either side of one reading', () => {
    const start = Date.UTC(2026, 0, 1, 12);
    assert.equal(timeTicks(start, start + 6 * 24 * HOUR, 0).step, 24 * HOUR);
    assert.deepEqual(timeTicks(start, start, 0).domain, [start - HOUR / 2, start + HOUR / 2]);
  });
});

describe('extent', () => {
  it('is undefined for nothing and handles more values than fit in an argument list', () => {
    assert.equal(extent([]), undefined);
    const many = Array.from({ length: 300_000 }, (_, i) => i);
    assert.deepEqual(extent(many), [0, 299_999]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FRAME, layoutLineChart } from '../../src/charts/line-chart-layout.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 29, 10, 0);

function readings(...pairs: [minutes: number, value: number][]) {
  return pairs.map(([minutes, value]) => ({ time: T0 + minutes * MINUTE, value }));
}

describe('line chart layout', () => {
  const layout = layoutLineChart(
    [{ id: 'value', readings: readings([0, 60], [10, 80], [20, 70]) }],
    { localOffsetMs: 0 },
  );
  const { plot } = layout;

  it('puts one point per reading, the first and last on the plot’s edges', () => {
    const points = layout.lines[0]?.points ?? [];
    assert.equal(points.length, 3);
    assert.equal(points[0]?.x, plot.left);
    assert.equal(points[2]?.x, plot.right);
    assert.equal(points[1]?.x, (plot.left + plot.right) / 2);
  });

  it('maps higher values higher up, inside the plot', () => {
    const [low, high, middle] = layout.lines[0]?.points ?? [];
    assert.ok(high!.y < middle!.y && middle!.y < low!.y);
    for (const p of layout.lines[0]?.points ?? []) {
      assert.ok(p.y >= plot.top && p.y <= plot.bottom, `y ${p.y} inside the plot`);
    }
    assert.equal(plot.bottom, DEFAULT_FRAME.height - DEFAULT_FRAME.margin.bottom);
  });

  it('draws the line through every point in time order', () => {
    const d = layout.lines[0]?.path ?? '';
    assert.match(d, /^M[\d.]+ [\d.]+ L[\d.]+ [\d.]+ L[\d.]+ [\d.]+$/);
  });

  it('breaks the line over a gap much longer than the usual interval', () => {
    const gappy = layoutLineChart(
      [
        {
          id: 'value',
          readings: readings([0, 60], [1, 61], [2, 62], [3, 63], [120, 64], [121, 65]),
        },
      ],
      { localOffsetMs: 0 },
    );
    assert.equal(gappy.lines[0]?.path.match(/M/g)?.length, 2);
  });

  it('shares a given time axis, so charts of one patient line up', () => {
    const shared = layoutLineChart([{ id: 'value', readings: readings([30, 70]) }], {
      localOffsetMs: 0,
      timeDomain: [T0, T0 + 60 * MINUTE],
    });
    assert.equal(shared.lines[0]?.points[0]?.x, (plot.left + plot.right) / 2);
    assert.deepEqual(
      shared.xTicks.map((t) => (t.time - T0) / MINUTE),
      [0, 10, 20, 30, 40, 50, 60],
    );
  });
});

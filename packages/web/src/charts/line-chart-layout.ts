import { extent, timeTicks, valueTicks } from './chart-scales.js';

/**
 * Where everything of a time-series line chart goes, in SVG user units: the plot
 * area, the ticks of both axes, and each line's points and path. Pure, so the
 * geometry is tested in Node and the React component only draws it.
 */

export interface ChartSeries {
  readonly id: string;
  /** Oldest first. */
  readonly readings: readonly { readonly time: number; readonly value: number }[];
}

export interface ChartFrame {
  readonly width: number;
  readonly height: number;
  readonly margin: {
    readonly top: number;
    readonly right: number;
    readonly bottom: number;
    readonly left: number;
  };
}

export interface PlottedPoint {
  readonly x: number;
  readonly y: number;
  readonly time: number;
  readonly value: number;
}

export interface PlottedLine {
  readonly id: string;
  readonly points: readonly PlottedPoint[];
  /** SVG path data; a gap much longer than the line's usual interval starts a new segment. */
  readonly path: string;
}

export interface LineChartLayout {
  readonly frame: ChartFrame;
  readonly plot: {
    readonly left: number;
    readonly right: number;
    readonly top: number;
    readonly bottom: number;
  };
  readonly xTicks: readonly { readonly x: number; readonly time: number }[];
  /** The time between two x ticks, to choose how tick labels read. */
  readonly xStep: number;
  readonly yTicks: readonly { readonly y: number; readonly value: number }[];
  /** Decimal places for the y tick labels. */
  readonly yDecimals: number;
  readonly lines: readonly PlottedLine[];
}

export const DEFAULT_FRAME: ChartFrame = {
  width: 720,
  height: 260,
  margin: { top: 16, right: 24, bottom: 48, left: 56 },
};

/** A gap longer than this many times the median interval breaks the line. */
const GAP_FACTOR = 5;

/**
 * @example
 * const layout = layoutLineChart([{ id: 'value', readings }], { localOffsetMs: 0 });
 * layout.lines[0].points.length === readings.length;
 */
export function layoutLineChart(
  series: readonly ChartSeries[],
  options: {
    /** Local time minus UTC, in milliseconds, for where time ticks fall. */
    readonly localOffsetMs: number;
    /** Shared by every chart of a page so that they line up; default: this data's extent. */
    readonly timeDomain?: readonly [number, number];
    readonly frame?: ChartFrame;
  },
): LineChartLayout {
  const frame = options.frame ?? DEFAULT_FRAME;
  const all = series.flatMap((s) => s.readings);
  // An empty chart still gets axes (the caller usually shows none at all).
  const [start, end] = options.timeDomain ?? extent(all.map((r) => r.time)) ?? [0, 0];
  const [low, high] = extent(all.map((r) => r.value)) ?? [0, 0];
  const time = timeTicks(start, end, options.localOffsetMs);
  const value = valueTicks(low, high);
  const plot = {
    left: frame.margin.left,
    right: frame.width - frame.margin.right,
    top: frame.margin.top,
    bottom: frame.height - frame.margin.bottom,
  };
  const x = scale(time.domain, [plot.left, plot.right]);
  const y = scale(value.domain, [plot.bottom, plot.top]);
  return {
    frame,
    plot,
    xTicks: time.ticks.map((t) => ({ x: x(t), time: t })),
    xStep: time.step,
    yTicks: value.ticks.map((v) => ({ y: y(v), value: v })),
    yDecimals: value.decimals,
    lines: series.map(({ id, readings }) => {
      const points = readings.map((r) => ({ x: x(r.time), y: y(r.value), ...r }));
      return { id, points, path: pathOf(points) };
    }),
  };
}

function scale(
  [d0, d1]: readonly [number, number],
  [r0, r1]: readonly [number, number],
): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => round(r0 + ((v - d0) / span) * (r1 - r0));
}

function pathOf(points: readonly PlottedPoint[]): string {
  const gaps = points.slice(1).map((p, i) => p.time - (points[i]?.time ?? p.time));
  const limit = GAP_FACTOR * median(gaps);
  return points
    .map((p, i) => {
      const gap = i === 0 ? Infinity : (gaps[i - 1] ?? 0);
      return `${i === 0 || (limit > 0 && gap > limit) ? 'M' : 'L'}${p.x} ${p.y}`;
    })
    .join(' ');
}

function median(numbers: readonly number[]): number {
  if (numbers.length === 0) return 0;
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

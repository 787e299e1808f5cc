/**
 * Axis scales for the charts: round ("nice") value ticks and calendar-aligned time
 * ticks. Pure functions of numbers — the time zone comes in as an offset — so they
 * are tested without a browser or a clock.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Tick spacings a reader finds natural, smallest first. */
const TIME_STEPS: readonly number[] = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
];

export interface ValueScale {
  /** The axis runs from domain[0] to domain[1], both ticks. */
  readonly domain: readonly [number, number];
  readonly ticks: readonly number[];
  /** Decimal places that show every tick exactly. */
  readonly decimals: number;
}

export interface TimeScale {
  readonly domain: readonly [number, number];
  /** Epoch milliseconds, on whole steps of local time. */
  readonly ticks: readonly number[];
  readonly step: number;
}

/**
 * Ticks at 1, 2, 2.5 or 5 × 10ⁿ covering [min, max], about `target` intervals.
 *
 * @example
 * valueTicks(61, 88); // { domain: [60, 90], ticks: [60, 65, …, 90], decimals: 0 }
 */
export function valueTicks(min: number, max: number, target = 5): ValueScale {
  let low = Math.min(min, max);
  let high = Math.max(min, max);
  if (high - low < 1e-9) {
    // One value (or all equal): give it room, so the line sits in the middle.
    const pad = Math.abs(low) * 0.05 || 1;
    low -= pad;
    high += pad;
  }
  const raw = (high - low) / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((f) => f * magnitude >= raw - 1e-12) ?? 10) * magnitude;
  const places = decimalsOf(step);
  const first = Math.floor(low / step + 1e-9) * step;
  const last = Math.ceil(high / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; first + i * step <= last + step / 2; i += 1) {
    ticks.push(round(first + i * step, places));
  }
  return { domain: [round(first, places), round(last, places)], ticks, decimals: places };
}

/**
 * Ticks on whole minutes, hours or days of local time across [start, end], at most
 * `target` intervals. `localOffsetMs` is local time minus UTC at `start` (for the
 * browser: `-new Date(start).getTimezoneOffset() * 60_000`).
 *
 * @example
 * timeTicks(Date.UTC(2026, 0, 1, 8, 10), Date.UTC(2026, 0, 1, 13, 50), 0);
 * // step one hour, ticks at 09:00 … 13:00
 */
export function timeTicks(
  start: number,
  end: number,
  localOffsetMs: number,
  target = 6,
): TimeScale {
  let low = Math.min(start, end);
  let high = Math.max(start, end);
  if (high - low < MINUTE) {
    // A single reading: half an hour either side of it.
    low -= 30 * MINUTE;
    high += 30 * MINUTE;
  }
  const span = high - low;
  const step =
    TIME_STEPS.find((s) => span / s <= target) ?? 28 * DAY * Math.ceil(span / (28 * DAY) / target);
  const first = Math.ceil((low + localOffsetMs) / step) * step - localOffsetMs;
  const ticks: number[] = [];
  for (let tick = first; tick <= high; tick += step) ticks.push(tick);
  return { domain: [low, high], ticks, step };
}

/**
 * The smallest and largest of some numbers, or undefined for none (a loop, not
 * `Math.min(...values)`, which overflows the stack on a long series).
 */
export function extent(values: Iterable<number>): [number, number] | undefined {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (value < low) low = value;
    if (value > high) high = value;
  }
  return low <= high ? [low, high] : undefined;
}

function isWhole(value: number): boolean {
  return Math.abs(value - Math.round(value)) < 1e-9;
}

/** Decimal places of a step such as 0.25 or 2.5. */
function decimalsOf(step: number): number {
  for (let places = 0; places < 10; places += 1) {
    if (isWhole(step * 10 ** places)) return places;
  }
  return 10;
}

function round(value: number, places: number): number {
  return Number(value.toFixed(places));
}

/**
 * Order statistics for benchmark samples. Pure functions: they take numbers
 * and return numbers, so the load generator and the reports share one
 * definition of "p95".
 */

export interface LatencySummary {
  /** Milliseconds. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * The p-th percentile (0–100) of samples that are already sorted ascending,
 * by the nearest-rank method: the smallest sample with at least p % of the
 * samples at or below it. NaN for no samples.
 *
 * @example
 * percentileOfSorted([1, 2, 3, 4], 50); // 2
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0] as number;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** The p-th percentile (0–100) of unsorted samples; see `percentileOfSorted`. */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/**
 * The median: the middle sample, or the mean of the two middle samples.
 * Used across benchmark rounds, where one noisy round must not move the figure.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** p50/p95/p99/max of latency samples in milliseconds. */
export function summariseLatency(samplesMs: readonly number[] | Float64Array): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  return {
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

/** Rounds for display and for the BENCH_RESULT line: whole numbers stay whole, others keep `digits`. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * How long the uploader waits after consecutive failed sends. Pure: the
 * uploader keeps the failure count and passes the random draw.
 */

export interface UploadRetryOptions {
  /** Wait after the first failure, ms. */
  readonly initialDelayMs: number;
  /** Longest wait, ms. */
  readonly maxDelayMs: number;
}

/** 1 s, 2 s, 4 s … up to 5 min (issue "Protected telemetry", item 5). */
export const UPLOAD_RETRY: UploadRetryOptions = { initialDelayMs: 1_000, maxDelayMs: 300_000 };

/**
 * The wait after `failures` (≥ 1) consecutive failures: `initialDelayMs`
 * doubled per further failure, capped at `maxDelayMs`, then jittered into
 * [half, all] of that ("equal jitter"), so a ward of gateways that lost the
 * network together does not return together, yet no wait collapses to zero.
 *
 * @param random a number in [0, 1).
 * @example
 * uploadRetryDelay(1, 0.5); // 750 (between 500 and 1 000)
 * uploadRetryDelay(20, 0.999); // about 300 000
 */
export function uploadRetryDelay(
  failures: number,
  random: number,
  options: UploadRetryOptions = UPLOAD_RETRY,
): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
  const draw = Math.min(Math.max(random, 0), 1);
  return Math.round(ceiling / 2 + (ceiling / 2) * draw);
}

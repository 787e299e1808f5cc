/**
 * Exponential back-off after repeated failures (NIST SP 800-63B §3.2.2 rate
 * limiting; ETSI EN 303 645 §5.1-5). Pure: the caller stores the state and
 * passes the time.
 *
 * After `threshold` consecutive failures the key is locked for `baseMs`; each
 * further failure doubles it, up to `maxMs`. A success resets the count.
 */
export interface LockoutOptions {
  /** Consecutive failures allowed before the first lock. */
  readonly threshold: number;
  /** Length of the first lock, in milliseconds. */
  readonly baseMs: number;
  /** Longest lock, in milliseconds. */
  readonly maxMs: number;
  /**
   * A quiet period after which past failures no longer count, in ms, so that
   * occasional typos by many people behind one hospital NAT never add up.
   */
  readonly forgetAfterMs: number;
}

export interface LockoutState {
  readonly failures: number;
  /** Epoch ms until which attempts are refused; 0 when not locked. */
  readonly lockedUntil: number;
  /** Epoch ms of the last failure; 0 when none. Failures older than `forgetAfterMs` are forgotten. */
  readonly lastFailureAt: number;
}

export const UNLOCKED: LockoutState = { failures: 0, lockedUntil: 0, lastFailureAt: 0 };

/** Per account: 5 free attempts, then 1 min, 2 min, 4 min … up to 1 h. */
export const ACCOUNT_LOCKOUT: LockoutOptions = {
  threshold: 5,
  baseMs: 60_000,
  maxMs: 3_600_000,
  forgetAfterMs: 24 * 3_600_000,
};
/** Per source address: more lenient (a hospital NAT hides many people), same shape. */
export const ADDRESS_LOCKOUT: LockoutOptions = {
  threshold: 20,
  baseMs: 60_000,
  maxMs: 3_600_000,
  forgetAfterMs: 3_600_000,
};

export function isLocked(state: LockoutState, now: number): boolean {
  return state.lockedUntil > now;
}

export function remainingLockMs(state: LockoutState, now: number): number {
  return Math.max(0, state.lockedUntil - now);
}

export function afterFailure(
  state: LockoutState,
  now: number,
  options: LockoutOptions,
): LockoutState {
  const forgotten = state.lastFailureAt > 0 && now - state.lastFailureAt >= options.forgetAfterMs;
  const failures = (forgotten ? 0 : state.failures) + 1;
  if (failures < options.threshold) {
    return { failures, lockedUntil: forgotten ? 0 : state.lockedUntil, lastFailureAt: now };
  }
  const exponent = Math.min(failures - options.threshold, 30);
  const lockMs = Math.min(options.baseMs * 2 ** exponent, options.maxMs);
  return { failures, lockedUntil: now + lockMs, lastFailureAt: now };
}

export function afterSuccess(): LockoutState {
  return UNLOCKED;
}

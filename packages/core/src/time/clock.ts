/**
 * Time as a dependency: domain code never calls `Date.now()` itself, so tests
 * can move the clock (session expiry, lockout back-off, token lifetimes, TOTP).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. For tests and simulations. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
  set(to: number | Date): void {
    this.#now = typeof to === 'number' ? to : to.getTime();
  }
}

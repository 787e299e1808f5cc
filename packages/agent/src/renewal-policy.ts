/**
 * When to renew the device certificate, and when to try again after a failed
 * renewal. Pure: the agent passes the time from its injected Clock and keeps the
 * failure count.
 */

/** A certificate's validity period, epoch milliseconds. */
export interface CertificateValidity {
  readonly notBefore: number;
  readonly notAfter: number;
}

/**
 * Renew after two thirds of the lifetime (docs/devices.md, Re-enrolment): with
 * the default 90-day certificate that leaves 30 days to get through an outage,
 * a gateway kept offline for weeks, or a server refusing renewals for a while.
 */
export const RENEWAL_FRACTION = 2 / 3;

export interface RetryOptions {
  /** Wait after the first failure, ms. */
  readonly initialDelayMs: number;
  /** Longest wait between attempts, ms. */
  readonly maxDelayMs: number;
  /**
   * Spread of each wait, as a fraction (0.2 = ±20 %), so a fleet that failed
   * together during a server outage does not return together (thundering herd).
   */
  readonly jitter: number;
}

/** 1 min, 2 min, 4 min … up to 6 h, ±20 %. */
export const DEFAULT_RETRY: RetryOptions = {
  initialDelayMs: 60_000,
  maxDelayMs: 6 * 3_600_000,
  jitter: 0.2,
};

/**
 * The moment from which the certificate should be renewed.
 *
 * @example
 * renewAfter({ notBefore: Date.UTC(2026, 0, 1), notAfter: Date.UTC(2026, 3, 1) }); // 2 March 2026 (day 60 of 90)
 */
export function renewAfter(validity: CertificateValidity): number {
  const lifetime = validity.notAfter - validity.notBefore;
  return validity.notBefore + Math.floor(lifetime * RENEWAL_FRACTION);
}

/**
 * True once `now` has reached `renewAfter` — including after expiry, where the
 * caller must enrol again instead (the device listener refuses expired
 * certificates in the handshake, so re-enrolment over mTLS is impossible).
 *
 * @example
 * if (shouldRenew(clock.now(), validity)) await agent.renewIfDue();
 */
export function shouldRenew(now: number, validity: CertificateValidity): boolean {
  return now >= renewAfter(validity);
}

/**
 * True when the certificate can no longer authenticate (RFC 5280 §4.1.2.5: notAfter is inclusive).
 *
 * @example
 * if (isExpired(clock.now(), certificate)) askOperatorForNewToken();
 */
export function isExpired(now: number, validity: CertificateValidity): boolean {
  return now > validity.notAfter;
}

/**
 * When to attempt renewal again after `failures` consecutive failures (≥ 1):
 * exponential back-off, never waiting longer than half the time left before
 * expiry — so attempts get closer together as expiry nears instead of sleeping
 * through it — and never sooner than `initialDelayMs`.
 *
 * @param random a number in [0, 1) choosing where in the jitter band this wait falls.
 * @example
 * const retryAt = nextRenewalAttempt(clock.now(), 3, validity, Math.random()); // about now + 4 min
 */
export function nextRenewalAttempt(
  now: number,
  failures: number,
  validity: CertificateValidity,
  random: number,
  options: RetryOptions = DEFAULT_RETRY,
): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const backoff = Math.min(options.initialDelayMs * 2 ** exponent, options.maxDelayMs);
  const spread = 1 + options.jitter * (2 * clampUnit(random) - 1);
  const halfRemaining = (validity.notAfter - now) / 2;
  const delay = Math.max(options.initialDelayMs, Math.min(backoff * spread, halfRemaining));
  return now + Math.round(delay);
}

function clampUnit(value: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0.5;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_RETRY,
  isExpired,
  nextRenewalAttempt,
  renewAfter,
  shouldRenew,
  type CertificateValidity,
} from '@vigil/agent';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const notBefore = Date.UTC(2026, 0, 1);
/** The server's default: 90 days (docs/devices.md, Device CA). */
const ninetyDays: CertificateValidity = { notBefore, notAfter: notBefore + 90 * DAY_MS };

describe('renewal policy', () => {
  describe('renewAfter', () => {
    it('is two thirds into the lifetime: day 60 of a 90-day certificate', () => {
      assert.equal(renewAfter(ninetyDays), notBefore + 60 * DAY_MS);
    });

    it('scales with the lifetime: hour 16 of a one-day certificate', () => {
      assert.equal(
        renewAfter({ notBefore, notAfter: notBefore + DAY_MS }),
        notBefore + 16 * 3_600_000,
      );
    });
  });

  describe('shouldRenew', () => {
    it('is false before renewAfter and true from it on', () => {
      const due = renewAfter(ninetyDays);
      assert.equal(shouldRenew(due - 1, ninetyDays), false);
      assert.equal(shouldRenew(due, ninetyDays), true);
      assert.equal(shouldRenew(ninetyDays.notAfter + DAY_MS, ninetyDays), true);
    });
  });

  describe('isExpired', () => {
    it('treats notAfter itself as still valid (RFC 5280 §4.1.2.5)', () => {
      assert.equal(isExpired(ninetyDays.notAfter, ninetyDays), false);
      assert.equal(isExpired(ninetyDays.notAfter + 1, ninetyDays), true);
    });
  });

  describe('when renewals keep failing', () => {
    const now = renewAfter(ninetyDays);
    const delay = (failures: number, random = 0.5) =>
      nextRenewalAttempt(now, failures, ninetyDays, random) - now;

    it('doubles the wait from one minute (without jitter at the middle of the band)', () => {
      assert.deepEqual(
        [1, 2, 3, 4, 5].map((n) => delay(n)),
        [1, 2, 4, 8, 16].map((m) => m * MINUTE_MS),
      );
    });

    it('never waits more than six hours', () => {
      assert.equal(delay(40), DEFAULT_RETRY.maxDelayMs);
    });

    it('spreads waits by ±20 % so a fleet does not retry in step', () => {
      assert.equal(delay(3, 0), Math.round(4 * MINUTE_MS * 0.8));
      assert.equal(delay(3, 1), Math.round(4 * MINUTE_MS * 1.2));
    });

    it('waits at most half the time left when expiry is near, but at least a minute', () => {
      const nearExpiry = ninetyDays.notAfter - 2 * 3_600_000;
      assert.equal(nextRenewalAttempt(nearExpiry, 20, ninetyDays, 0.5), nearExpiry + 3_600_000);
      const veryNear = ninetyDays.notAfter - 30_000;
      assert.equal(nextRenewalAttempt(veryNear, 20, ninetyDays, 0.5), veryNear + MINUTE_MS);
    });

    it('treats a random value outside [0, 1) as the middle of the band', () => {
      assert.equal(delay(2, Number.NaN), 2 * MINUTE_MS);
    });
  });
});

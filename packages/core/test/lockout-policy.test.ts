import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACCOUNT_LOCKOUT,
  UNLOCKED,
  afterFailure,
  afterSuccess,
  isLocked,
  type LockoutState,
} from '@vigil/core';

describe('lockout policy', () => {
  const t0 = 1_000_000;
  function fail(times: number, state: LockoutState = UNLOCKED, at = t0): LockoutState {
    let s = state;
    for (let i = 0; i < times; i++) s = afterFailure(s, at, ACCOUNT_LOCKOUT);
    return s;
  }

  it('allows four failures without a lock and locks at the fifth', () => {
    assert.equal(isLocked(fail(4), t0), false);
    const locked = fail(5);
    assert.equal(isLocked(locked, t0), true);
    assert.equal(locked.lockedUntil - t0, 60_000);
  });

  it('doubles the lock with each further failure, up to one hour', () => {
    assert.equal(fail(6).lockedUntil - t0, 120_000);
    assert.equal(fail(7).lockedUntil - t0, 240_000);
    assert.equal(fail(40).lockedUntil - t0, 3_600_000);
  });

  it('forgets failures after a quiet period', () => {
    const four = fail(4);
    const later = afterFailure(four, t0 + ACCOUNT_LOCKOUT.forgetAfterMs, ACCOUNT_LOCKOUT);
    assert.equal(later.failures, 1);
  });

  it('resets on success', () => {
    assert.deepEqual(afterSuccess(), UNLOCKED);
  });
});
